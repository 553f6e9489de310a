import { statSync, writeFileSync } from 'node:fs';
import { loadConfigFile } from '../../config/load.js';
import { parseConfig } from '../../config/load.js';
import { readDataset } from './dataset.js';
import { DEFAULT_TRAIN, evaluate, trainIntentModel, type TrainConfig } from './trainer.js';
import { IntentClassifier } from './classifier.js';

type Flags = Record<string, string | boolean | undefined>;

function num(v: Flags, key: string, fallback: number): number {
  if (v[key] === undefined) return fallback;
  const n = Number(v[key]);
  if (!Number.isFinite(n)) throw new Error(`--${key} must be a number`);
  return n;
}

/** `kefu train`: prints progress to stderr, a summary to stdout. */
export async function trainCommand(v: Flags): Promise<number> {
  if (typeof v.input !== 'string' || typeof v.output !== 'string') { console.error('--input and --output are required (see kefu train --help)'); return 1; }
  // Hand-off keywords come from the config, so log-based negatives match what the gateway treats as a request for a human.
  let keywords: string[];
  try { keywords = loadConfigFile(typeof v.config === 'string' ? v.config : 'config/kefu.toml').ai.handoff_keywords; } catch { keywords = parseConfig('', 'defaults').ai.handoff_keywords; }
  const data = readDataset(v.input, {
    negativeWeight: num(v, 'negative-weight', 3),
    isHandoffRequest: (t) => keywords.some((k) => t.toLowerCase().includes(k.toLowerCase())),
  });
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN,
    dim: num(v, 'dim', DEFAULT_TRAIN.dim), epochs: num(v, 'epochs', DEFAULT_TRAIN.epochs), lr: num(v, 'lr', DEFAULT_TRAIN.lr),
    dropout: num(v, 'dropout', DEFAULT_TRAIN.dropout), labelSmoothing: num(v, 'label-smoothing', DEFAULT_TRAIN.labelSmoothing),
    minCount: num(v, 'min-count', DEFAULT_TRAIN.minCount), seed: num(v, 'seed', DEFAULT_TRAIN.seed),
    ensemble: num(v, 'ensemble', DEFAULT_TRAIN.ensemble ?? 1), tokenDropout: num(v, 'token-dropout', DEFAULT_TRAIN.tokenDropout ?? 0),
  };
  const negatives = data.filter((d) => d.negative).length;
  if (!v.quiet) console.error(`training on ${data.length} examples (${negatives} negative) from ${v.input}: dim ${cfg.dim}, ${cfg.epochs} epochs, dropout ${cfg.dropout}${cfg.ensemble! > 1 ? `, ensemble of ${cfg.ensemble}` : ''}`);
  const t = trainIntentModel(data, cfg, (epoch, loss) => {
    if (!v.quiet && process.stderr.isTTY) process.stderr.write(`\r  epoch ${epoch}/${cfg.epochs * (cfg.ensemble ?? 1)}  loss ${loss.toFixed(4)}   `);
  });
  if (!v.quiet && process.stderr.isTTY) process.stderr.write('\n');
  writeFileSync(v.output, t.onnx);
  console.log(`wrote ${v.output}: ${t.labels.length} intents, ${t.vocab.size} features × ${cfg.dim}${t.members.length > 1 ? ` × ${t.members.length} members` : ''}, ${(statSync(v.output).size / 1e6).toFixed(2)} MB, trained in ${t.seconds.toFixed(1)} s`);
  return 0;
}

export async function evalCommand(v: Flags): Promise<number> {
  if (typeof v.model !== 'string' || typeof v.input !== 'string') { console.error('--model and --input are required (see kefu eval --help)'); return 1; }
  const data = readDataset(v.input).filter((d) => !d.negative);
  const clf = await IntentClassifier.load(v.model);
  const predicted: string[] = [];
  for (let i = 0; i < data.length; i += 256) {
    predicted.push(...(await clf.classify(data.slice(i, i + 256).map((d) => d.text))).map((p) => p.label));
  }
  await clf.release();
  const r = evaluate(data.map((d) => d.label), predicted);
  const pct = (x: number) => (100 * x).toFixed(2);
  console.log(`examples ${r.n}   accuracy ${pct(r.accuracy)}%   macro-F1 ${pct(r.macroF1)}%\n`);
  const w = Math.max(6, ...r.perLabel.map((p) => p.label.length));
  console.log(`${'intent'.padEnd(w)}  precision  recall     F1   support`);
  for (const p of r.perLabel) console.log(`${p.label.padEnd(w)}  ${pct(p.precision).padStart(9)}  ${pct(p.recall).padStart(6)}  ${pct(p.f1).padStart(5)}  ${String(p.support).padStart(8)}`);
  const top = num(v, 'top', 10);
  if (r.confusions.length) {
    console.log(`\nmost frequent confusions (gold → predicted):`);
    for (const c of r.confusions.slice(0, top)) console.log(`  ${String(c.count).padStart(4)}  ${c.gold} → ${c.predicted}`);
  }
  return 0;
}
