import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

// A shop's own script: kefu installed as a package, nothing else of kefu around it.
const SCRIPT = `
import { createRequire } from 'node:module';
import { IntentClassifier, train, evaluate, DEFAULT_MODEL } from 'kefu/intent';

const examples = [
  ...['我要退货', '怎么退款', '退货流程', 'return this item', 'refund please'].map((text) => ({ text, label: 'refund' })),
  ...['快递到哪了', '物流信息', '还没发货', 'where is my parcel', 'track my order'].map((text) => ({ text, label: 'shipping' })),
];
const epochs = [];
const t = train(examples, { epochs: 30, dim: 16, valid: examples, onEpoch: (r) => epochs.push(r.epoch) });
const mine = await IntentClassifier.fromBytes(t.onnx);
const top = await mine.top(['退货', 'parcel'], 2);
const shipped = await IntentClassifier.load(DEFAULT_MODEL);
const predicted = await shipped.classify(['发票怎么开', '你好']);
const report = evaluate(['发票', '问候'], predicted.map((p) => p.label));
await mine.release();
await shipped.release();
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({
  labels: t.labels, epochs, validAccuracy: t.validAccuracy, top, predicted, accuracy: report.accuracy,
  gatewayModules: loaded.filter((f) => /node_modules[\\\\/](koa|@koa|pino|better-sqlite3|ws|smol-toml)[\\\\/]/.test(f)),
}));
`;

const CONSUMER = `
import { IntentClassifier, train, DEFAULT_MODEL, type EpochReport, type Prediction } from 'kefu/intent';
const t = train([{ text: '我要退货', label: 'refund' }], { epochs: 1, onEpoch: (r: EpochReport) => r.loss.toFixed(2) });
export const bytes: Uint8Array = t.onnx;
const clf = await IntentClassifier.load(DEFAULT_MODEL);
export const top: Prediction[][] = await clf.top(['hi'], 3);
// @ts-expect-error a list of texts, not one
await clf.classify('hi');
// @ts-expect-error no such option
train([], { epoch: 3 });
// @ts-expect-error the constructor is private: load() or fromBytes()
new IntentClassifier();
`;

describe('kefu/intent on its own (the package entry, from the built output)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kefu-intent-lib-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'kefu'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }');
    writeFileSync(join(dir, 'broken.toml'), '[server\nnot toml');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a separate ESM script imports it, trains, classifies and exits by itself: no gateway, no config', () => {
    writeFileSync(join(dir, 'use.mjs'), SCRIPT);
    // A config that does not parse, in the environment and the working directory: reading it would fail.
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'kefu.toml'), '[server\nnot toml');
    const r = spawnSync(process.execPath, ['use.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, KEFU_CONFIG: join(dir, 'broken.toml') }, timeout: 60_000 });
    assert.equal(r.signal, null, 'it exits by itself: nothing left listening or ticking');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.labels, ['refund', 'shipping']);
    assert.deepEqual(out.epochs, Array.from({ length: 30 }, (_, i) => i + 1));
    assert.ok(out.validAccuracy >= 0.9, `it learned its own examples (${out.validAccuracy})`);
    assert.deepEqual(out.top.map((t: { label: string }[]) => t.map((p) => p.label)), [['refund', 'shipping'], ['shipping', 'refund']]);
    assert.deepEqual(out.predicted.map((p: { label: string }) => p.label), ['发票', '问候']);
    assert.equal(out.accuracy, 1);
    assert.deepEqual(out.gatewayModules, [], 'no gateway module (koa, pino, sqlite, ws, toml) was loaded');
  });

  it('is typed: a TypeScript consumer of kefu/intent type-checks, and misuse does not', () => {
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023'], strict: true, noEmit: true, types: [] },
      files: ['consumer.ts'],
    }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const ok = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    // The control: the same compiler on a wrong use reports it, so the pass above means something.
    writeFileSync(join(dir, 'consumer.ts'), `${CONSUMER}\nexport const wrong: string = (await clf.classify(['x']))[0].score;\n`);
    const bad = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /number.*string|string.*number/);
  });
});
