// Public-benchmark accuracy of the intent model, trained and evaluated with the CLI exactly as
// a user would (kefu train / kefu eval). Needs ../shared/datasets (not shipped with kefu: the
// datasets are read in place, converted to a temp dir when their format needs it).
// Usage: node bench/intent-accuracy.mjs [banking77|cais]...
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = join(root, '..', 'shared', 'datasets');
const cli = join(root, 'dist/core/cli/kefu.js');
if (!existsSync(shared)) { console.log(`skipped: ${shared} is absent (the benchmark datasets are not part of kefu)`); process.exit(0); }
const tmp = mkdtempSync(join(tmpdir(), 'kefu-acc-'));

/** CAIS: one character per line (with a slot tag), blank line between utterances; labels in *.intent. */
function caisToJsonl(split) {
  const chars = readFileSync(join(shared, 'cais', split, `ch.${split}`), 'utf8').split(/\n\s*\n/).map((block) =>
    block.split('\n').map((l) => l.split(/\s+/)[0]).join('')).filter((s) => s.length);
  const labels = readFileSync(join(shared, 'cais', split, `ch.${split}.intent`), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  if (chars.length !== labels.length) throw new Error(`cais ${split}: ${chars.length} utterances but ${labels.length} labels`);
  const out = join(tmp, `cais-${split}.jsonl`);
  writeFileSync(out, chars.map((text, i) => JSON.stringify({ text, label: labels[i] })).join('\n'));
  return out;
}

const DATASETS = {
  banking77: { train: () => join(shared, 'banking77/train.csv'), test: () => join(shared, 'banking77/test.csv'), args: [], published: 'BERT-large / USE+ConveRT ≈ 93.4–93.7 (Casanueva et al. 2020); ConvFiT 94.16; reference claim 92.3' },
  cais: { train: () => caisToJsonl('train'), test: () => caisToJsonl('test'), args: ['--epochs', '30', '--dropout', '0.5', '--min-count', '2', '--token-dropout', '0'] /* chosen on CAIS's valid split */, published: 'CM-Net 94.56 (Liu et al. 2019); majority class 86.2' },
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(DATASETS);
const rows = [];
try {
  for (const name of wanted) {
    const d = DATASETS[name];
    const model = join(tmp, `${name}.onnx`);
    const t0 = performance.now();
    const trained = execFileSync(process.execPath, [cli, 'train', '--input', d.train(), '--output', model, '--quiet', ...d.args], { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    const report = execFileSync(process.execPath, [cli, 'eval', '--model', model, '--input', d.test()], { encoding: 'utf8' });
    const m = report.match(/examples (\d+)\s+accuracy ([\d.]+)%\s+macro-F1 ([\d.]+)%/);
    rows.push({ name, n: m[1], acc: m[2], f1: m[3], seconds: seconds.toFixed(0), mb: (statSync(model).size / 1e6).toFixed(1), published: d.published });
    console.error(trained.trim());
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log('| dataset | test examples | accuracy | macro-F1 | train time (wall, incl. featurizing) | model size | published |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.n} | ${r.acc}% | ${r.f1}% | ${r.seconds} s | ${r.mb} MB | ${r.published} |`);
