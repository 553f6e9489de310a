import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfigFile, parseConfig } from '../../config/load.js';
import { readDataset } from './dataset.js';
import { DEFAULT_TRAIN, evaluate, trainIntentModel, type TrainConfig } from './trainer.js';
import { IntentClassifier, type Prediction } from './classifier.js';
import { DEFAULT_MODEL } from './model-holder.js';
import { TrainProgress } from './train-progress.js';

type Flags = Record<string, string | boolean | undefined>;

function num(v: Flags, key: string, fallback: number): number {
  if (v[key] === undefined) return fallback;
  const n = Number(v[key]);
  if (!Number.isFinite(n)) throw new Error(`--${key} must be a number`);
  return n;
}

/**
 * The hand-off keywords for `kefu train`. A config that was asked for (--config, KEFU_CONFIG, or a
 * config/kefu.toml that is there) must load: training with the defaults instead would quietly
 * give a model whose negatives differ from what the gateway treats as a request for a human.
 * Only when there is no config at all are the defaults used, and that is said.
 */
function handoffKeywords(v: Flags): string[] | undefined {
  const path = typeof v.config === 'string' ? v.config : process.env.KEFU_CONFIG || (existsSync('config/kefu.toml') ? 'config/kefu.toml' : undefined);
  if (!path) {
    if (!v.quiet) console.error('no config file (--config, KEFU_CONFIG or ./config/kefu.toml): using the default hand-off keywords');
    return parseConfig('', 'defaults').ai.handoff_keywords;
  }
  try {
    return loadConfigFile(path).ai.handoff_keywords;
  } catch (err) {
    console.error(`kefu train: cannot load config ${path}: ${(err as Error).message}`);
    return undefined;
  }
}

/** `kefu train`: prints progress to stderr, a summary to stdout. */
export async function trainCommand(v: Flags): Promise<number> {
  if (typeof v.input !== 'string' || typeof v.output !== 'string') { console.error('--input and --output are required (see kefu train --help)'); return 1; }
  // Hand-off keywords come from the config, so log-based negatives match what the gateway treats as a request for a human.
  const keywords = handoffKeywords(v);
  if (!keywords) return 1;
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
  const valid = typeof v.valid === 'string' ? readDataset(v.valid).filter((d) => !d.negative) : [];
  const negatives = data.filter((d) => d.negative).length;
  if (!v.quiet) console.error(`training on ${data.length} examples (${negatives} negative) from ${v.input}${valid.length ? `, validating on ${valid.length} from ${v.valid}` : ''}: dim ${cfg.dim}, ${cfg.epochs} epochs, dropout ${cfg.dropout}${cfg.ensemble! > 1 ? `, ensemble of ${cfg.ensemble}` : ''}`);
  const progress = new TrainProgress(process.stderr);
  let last: number | undefined;
  const t = trainIntentModel(data, cfg, (r) => { last = r.validAccuracy; if (!v.quiet) progress.epoch(r); }, valid);
  progress.end();
  writeFileSync(v.output, t.onnx);
  console.log(`wrote ${v.output}: ${t.labels.length} intents, ${t.vocab.size} features × ${cfg.dim}${t.members.length > 1 ? ` × ${t.members.length} members` : ''}, ${(statSync(v.output).size / 1e6).toFixed(2)} MB, trained in ${t.seconds.toFixed(1)} s${last === undefined ? '' : `, validation accuracy ${(100 * last).toFixed(2)}%${t.members.length > 1 ? ' (last member)' : ''}`}`);
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

const CLASSIFY_BATCH = 256;
const line = (text: string, top: Prediction[]) =>
  `${JSON.stringify({ text, results: top.map((p) => ({ label: p.label, score: Math.round(p.score * 1e4) / 1e4 })) })}\n`;

/**
 * `kefu classify [--model M] [--top K] [TEXT…]`: one JSON line per text, in input order. With no
 * TEXT it reads stdin, one text per line: lines that arrive together are scored in one run,
 * and a line arriving alone is answered at once (it works in a pipe that stays open).
 */
export async function classifyCommand(v: Flags, texts: string[]): Promise<number> {
  const k = Number(v.top ?? 3);
  if (!Number.isInteger(k) || k < 1) { console.error('--top must be a positive integer'); return 1; }
  const model = typeof v.model === 'string' ? v.model : DEFAULT_MODEL;
  if (!existsSync(model)) { console.error(`${model}: no such model file`); return 1; }
  const clf = await IntentClassifier.load(model);
  // `kefu classify | head` closes the pipe early: that ends the command, it is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  const score = async (batch: string[]) => {
    const top = await clf.top(batch, k);
    process.stdout.write(batch.map((t, i) => line(t, top[i])).join(''));
  };
  try {
    if (texts.length) {
      for (let i = 0; i < texts.length; i += CLASSIFY_BATCH) await score(texts.slice(i, i + CLASSIFY_BATCH));
    } else {
      await classifyLines(score);
    }
  } finally {
    await clf.release();
  }
  return 0;
}

/** Feeds stdin's lines to `score` in batches, in order, reading no further ahead than a few batches. */
function classifyLines(score: (batch: string[]) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    let pending: string[] = [];
    let chain = Promise.resolve();
    let inFlight = 0, scheduled = false, ended = false;
    const flush = () => {
      scheduled = false;
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      if (++inFlight >= 4) rl.pause();
      chain = chain.then(() => score(batch)).then(() => { if (--inFlight < 4 && !ended) rl.resume(); });
      chain.catch(reject);
    };
    rl.on('line', (l) => {
      pending.push(l);
      if (pending.length >= CLASSIFY_BATCH) flush();
      else if (!scheduled) { scheduled = true; setImmediate(flush); }
    });
    rl.on('close', () => { ended = true; flush(); chain.then(resolve, reject); });
    process.stdin.on('error', reject);
  });
}
