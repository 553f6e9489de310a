import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { featureHashes, fnv1a, tokenize, Vocabulary, DEFAULT_FEATURES } from '../../../plugins/intent-onnx/featurize.js';
import { predictMean } from '../../../plugins/intent-onnx/fasttext.js';
import { trainIntentModel, evaluate } from '../../../plugins/intent-onnx/trainer.js';
import { readDataset } from '../../../plugins/intent-onnx/dataset.js';
import { readMeta } from '../../../plugins/intent-onnx/onnx-export.js';
import { IntentClassifier } from '../../../plugins/intent-onnx/classifier.js';
import { Synonyms } from '../../../plugins/intent-onnx/synonyms.js';
import { pacingDelayMs } from '../../../plugins/intent-onnx/pacing.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DATA = join(ROOT, 'plugins/intent-onnx/data/ecommerce.jsonl');
const SHIPPED = join(ROOT, 'plugins/intent-onnx/model/default.onnx');
// The exact `npm run train:default` settings.
const DEFAULT_ARGS = { dim: 64, epochs: 60, lr: 0.5, dropout: 0.5, labelSmoothing: 0, seed: 1, minCount: 1, features: DEFAULT_FEATURES };

describe('intent model: featurizer and trainer', () => {
  it('tokenizes CJK per character and Latin per word, after NFKC + lowercase', () => {
    assert.deepEqual(tokenize('我要退货 Refund ＡＢＣ123!'), ['我', '要', '退', '货', 'refund', 'abc123']);
    assert.equal(fnv1a('a'), 0xe40c292c);
    const f = featureHashes('退货 now', DEFAULT_FEATURES);
    assert.deepEqual(featureHashes('退货 now', DEFAULT_FEATURES), f, 'deterministic');
    // 3 unigrams + 4 bigrams + 3 trigrams over <s> 退 货 now </s>, + char 3..5-grams of "<now>" (3+2+1)
    assert.equal(f.length, 3 + 4 + 3 + 6);
    // Token ownership (for token dropout): 退 = bit 0, 货 = bit 1, now = bit 2.
    const owners: number[] = [];
    assert.deepEqual(featureHashes('退货 now', DEFAULT_FEATURES, owners), f, 'asking for owners changes nothing');
    assert.deepEqual(owners, [0b001, 0b010, 0b100, 0b001, 0b011, 0b110, 0b100, 0b011, 0b111, 0b110, 0b100, 0b100, 0b100, 0b100, 0b100, 0b100]);
  });

  it('token dropout: reproducible, and a different model from feature dropout alone', () => {
    const data = readDataset(DATA);
    const a = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 3, tokenDropout: 0.2 });
    const b = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 3, tokenDropout: 0.2 });
    const c = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 3 });
    assert.ok(Buffer.from(a.onnx).equals(Buffer.from(b.onnx)));
    assert.ok(!Buffer.from(a.onnx).equals(Buffer.from(c.onnx)));
    assert.equal(readMeta(a.onnx).trainedWith?.tokenDropout, 0.2);
  });

  it('the allocation-free featurizer hashes exactly the documented n-gram strings', () => {
    // The spec, written the obvious way: build each feature string and hash it.
    const reference = (text: string, cfg: typeof DEFAULT_FEATURES) => {
      const tokens = tokenize(text);
      const seq = ['<s>', ...tokens, '</s>'];
      const out: number[] = [];
      for (let n = 1; n <= cfg.wordNgrams; n++) {
        for (let i = 0; i + n <= seq.length; i++) {
          if (n === 1 && (i === 0 || i === seq.length - 1)) continue;
          out.push(fnv1a(`w${n}:${seq.slice(i, i + n).join(' ')}`));
        }
      }
      for (const t of tokens) {
        if (/[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u.test(t)) continue;
        const w = `<${t}>`;
        for (let n = cfg.minChar; n <= cfg.maxChar; n++) for (let i = 0; i + n <= w.length; i++) out.push(fnv1a(`c:${w.slice(i, i + n)}`));
      }
      return out;
    };
    const texts = ['', '退货 now', 'I am still waiting on my card?', 'abc中文 x y', '😀 émoji ÀÉ ＡＢＣ', '订单 12345678901234567890 到了吗'];
    let seed = 7;
    // Scripts, digits, marks, astral letters and non-letters, kana punctuation, fullwidth forms:
    // the span scanner must cut exactly where the TOKEN regex does.
    const alphabet = [...'ab cé中文货 1😀<>:wΩЖж٣\u0301𝐀カ・한Ａ_-.９ßİ\u200dﬁ'];
    for (let k = 0; k < 600; k++) {
      let s = '';
      for (let i = 0; i < (k % 29); i++) { seed = (seed * 1103515245 + 12345) >>> 0; s += alphabet[seed % alphabet.length]; }
      texts.push(s);
    }
    for (const cfg of [DEFAULT_FEATURES, { wordNgrams: 1, minChar: 2, maxChar: 6 }, { wordNgrams: 8, minChar: 1, maxChar: 3 }]) {
      for (const text of texts) assert.deepEqual(featureHashes(text, cfg), reference(text, cfg), `${JSON.stringify(text)} ${JSON.stringify(cfg)}`);
    }
  });

  it('vocabulary keeps features seen minCount times; unseen ones are dropped', () => {
    const v = Vocabulary.build([[5, 3, 9], [3, 9], [9]], 2);
    assert.deepEqual([...v.hashes], [3, 9]);
    assert.deepEqual(v.ids([9, 5, 3, 3]), [1, 0, 0]);
    // The lookup table against the sorted array it indexes, over the whole 32-bit range.
    let seed = 11;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const present = [0, 0xffffffff, 0x80000000, ...Array.from({ length: 5000 }, next)];
    const big = Vocabulary.build([present], 1);
    for (const h of present) assert.equal(big.hashes[big.row(h)], h);
    for (let k = 0; k < 5000; k++) { const h = next(); assert.equal(big.row(h), big.hashes.indexOf(h)); }
  });

  it('training is reproducible: same data and seed → the same model file, byte for byte', () => {
    const data = readDataset(DATA);
    const a = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 5 });
    const b = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 5 });
    assert.deepEqual(Buffer.from(a.onnx), Buffer.from(b.onnx));
    const c = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 5, seed: 2 });
    assert.notDeepEqual(Buffer.from(a.onnx), Buffer.from(c.onnx));
  });

  it('`npm run train:default` reproduces the shipped model', () => {
    const t = trainIntentModel(readDataset(DATA), DEFAULT_ARGS);
    assert.ok(Buffer.from(t.onnx).equals(readFileSync(SHIPPED)), 'plugins/intent-onnx/model/default.onnx is stale: run npm run train:default');
    assert.ok(readFileSync(SHIPPED).length < 4e6, 'the shipped model stays a few MB');
  });

  for (const ensemble of [1, 3]) {
    it(`ONNX round trip${ensemble > 1 ? ` (ensemble of ${ensemble} in one graph)` : ''}: JS featurizer + onnxruntime give the trainer's own predictions`, async () => {
      const data = readDataset(DATA);
      const t = trainIntentModel(data, { ...DEFAULT_ARGS, epochs: 20, ensemble });
      assert.equal(t.members.length, ensemble);
      const dir = mkdtempSync(join(tmpdir(), 'kefu-onnx-'));
      try {
        writeFileSync(join(dir, 'm.onnx'), t.onnx);
        const meta = readMeta(t.onnx);
        assert.deepEqual(meta.labels, t.labels);
        assert.deepEqual([...meta.vocab], [...t.vocab.hashes]);
        const clf = await IntentClassifier.load(join(dir, 'm.onnx'));
        const texts = [...data.map((d) => d.text), '完全没见过的句子 xyzzy', '', '🙂'];
        const onnxProbs = await clf.probabilities(texts);
        let maxDiff = 0;
        const arg = (p: ArrayLike<number>) => { let b = 0; for (let c = 1; c < p.length; c++) if (p[c] > p[b]) b = c; return b; };
        texts.forEach((text, i) => {
          const ids = t.vocab.ids(featureHashes(text, DEFAULT_FEATURES));
          const ref = predictMean(t.members, ids);
          assert.equal(arg(onnxProbs[i]), arg(ref), `argmax agrees for "${text}"`);
          for (let c = 0; c < ref.length; c++) maxDiff = Math.max(maxDiff, Math.abs(ref[c] - onnxProbs[i][c]));
        });
        assert.ok(maxDiff < 1e-4, `max probability difference ${maxDiff}`);
        // Seeds differ, so members differ: the graph must really average them (not repeat member 0).
        if (ensemble > 1) assert.ok(t.members[0].E[0] !== t.members[1].E[0]);
        await clf.release();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('evaluate: accuracy, macro-F1, per-label P/R, confusions', () => {
    const r = evaluate(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b']);
    assert.equal(r.accuracy, 0.75);
    assert.deepEqual(r.perLabel.map((p) => [p.label, p.precision, p.recall]), [['a', 1, 0.5], ['b', 2 / 3, 1]]);
    assert.deepEqual(r.confusions, [{ gold: 'a', predicted: 'b', count: 1 }]);
  });
});

describe('intent model: data, synonyms, pacing', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-data-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads CSV (quoted fields), JSONL, and conversation logs with hand-off negatives', () => {
    writeFileSync(join(dir, 'a.csv'), 'text,category\n"Hi, where is my card?",card_arrival\nrefund please,refund\n');
    assert.deepEqual(readDataset(join(dir, 'a.csv')), [{ text: 'Hi, where is my card?', label: 'card_arrival' }, { text: 'refund please', label: 'refund' }]);
    writeFileSync(join(dir, 'b.jsonl'), '{"text":"你好","intent":"问候"}\n');
    assert.deepEqual(readDataset(join(dir, 'b.jsonl')), [{ text: '你好', label: '问候' }]);
    const log = [
      { conversation_id: 'c1', role: 'customer', text: '我的包裹呢', intent: '物流' },
      { conversation_id: 'c1', role: 'bot', text: '请查看物流', intent: '物流' },
      { conversation_id: 'c1', role: 'customer', text: '转人工', intent: '转人工' },
      { conversation_id: 'c2', role: 'customer', text: '发票怎么开', intent: '发票' },
    ];
    writeFileSync(join(dir, 'log.jsonl'), log.map((r) => JSON.stringify(r)).join('\n'));
    const ex = readDataset(join(dir, 'log.jsonl'), { negativeWeight: 4, isHandoffRequest: (t) => t.includes('人工') });
    assert.deepEqual(ex, [
      { text: '我的包裹呢', label: '物流' },
      { text: '我的包裹呢', label: '物流', negative: true, weight: 4 },
      { text: '转人工', label: '转人工' },
      { text: '发票怎么开', label: '发票' },
    ]);
  });

  it('a negative example pushes the model away from the intent the bot wrongly answered', () => {
    const base = [
      ...Array.from({ length: 20 }, () => ({ text: 'where is my parcel', label: 'shipping' })),
      ...Array.from({ length: 20 }, () => ({ text: 'I want my money back', label: 'refund' })),
      ...Array.from({ length: 3 }, () => ({ text: 'parcel money', label: 'shipping' })),
    ];
    const opts = { ...DEFAULT_ARGS, epochs: 30, dropout: 0, minCount: 1 };
    const score = (t: ReturnType<typeof trainIntentModel>) => predictMean(t.members, t.vocab.ids(featureHashes('parcel money', DEFAULT_FEATURES)))[t.labels.indexOf('shipping')];
    const plain = trainIntentModel(base, opts);
    const corrected = trainIntentModel([...base, ...Array.from({ length: 5 }, () => ({ text: 'parcel money', label: 'shipping', negative: true, weight: 3 }))], opts);
    assert.ok(score(corrected) < score(plain) - 0.2, `shipping score ${score(plain)} → ${score(corrected)}`);
  });

  it('synonyms: longest variant first, canonical form before scoring', () => {
    writeFileSync(join(dir, 's.toml'), '"蓝牙耳机" = ["无线耳机", "耳机"]\n"iPhone 15 Pro" = ["苹果15pro"]\n');
    const s = Synonyms.fromFile(join(dir, 's.toml'));
    assert.equal(s.apply('我的无线耳机坏了'), '我的蓝牙耳机坏了');
    assert.equal(s.apply('苹果15PRO有货吗'), 'iPhone 15 Pro有货吗');
    writeFileSync(join(dir, 'bad.toml'), '"x" = "not a list"\n');
    assert.throws(() => Synonyms.fromFile(join(dir, 'bad.toml')), /array of strings/);
  });

  it('night pacing with a fixed clock: delays inside the window only, including windows past midnight', () => {
    const p = { enabled: true, from: '23:00', to: '06:00', delay_s: 8 };
    const at = (h: number, m = 0) => Date.UTC(2026, 10, 27, h, m);
    assert.equal(pacingDelayMs(at(23, 30), p, 'UTC'), 8000);
    assert.equal(pacingDelayMs(at(2), p, 'UTC'), 8000);
    assert.equal(pacingDelayMs(at(6), p, 'UTC'), 0);
    assert.equal(pacingDelayMs(at(12), p, 'UTC'), 0);
    assert.equal(pacingDelayMs(at(18), p, 'Asia/Shanghai'), 8000, '18:00 UTC is 02:00 in Shanghai');
  });
});

describe('kefu train / kefu eval (CLI, a tiny model end to end)', () => {
  it('trains from CSV, writes an ONNX model, evaluates it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-cli-train-'));
    try {
      const rows = ['text,label'];
      for (let i = 0; i < 15; i++) rows.push(`where is my package ${i},shipping`, `I want a refund ${i},refund`, `你好 ${i},greeting`);
      writeFileSync(join(dir, 'train.csv'), rows.join('\n'));
      writeFileSync(join(dir, 'test.csv'), 'text,label\nwhere is my package now,shipping\nrefund me please,refund\n你好呀,greeting\n');
      const cli = join(ROOT, 'dist/core/cli/kefu.js');
      const train = spawnSync(process.execPath, [cli, 'train', '--input', join(dir, 'train.csv'), '--output', join(dir, 'm.onnx'), '--epochs', '20', '--min-count', '1', '--quiet'], { encoding: 'utf8' });
      assert.equal(train.status, 0, train.stderr);
      assert.match(train.stdout, /wrote .*m\.onnx: 3 intents/);
      const ev = spawnSync(process.execPath, [cli, 'eval', '--model', join(dir, 'm.onnx'), '--input', join(dir, 'test.csv')], { encoding: 'utf8' });
      assert.equal(ev.status, 0, ev.stderr);
      assert.match(ev.stdout, /examples 3 +accuracy 100\.00%/);
      assert.match(ev.stdout, /precision +recall/);
      const ens = spawnSync(process.execPath, [cli, 'train', '--input', join(dir, 'train.csv'), '--output', join(dir, 'e.onnx'), '--epochs', '20', '--min-count', '1', '--ensemble', '2', '--quiet'], { encoding: 'utf8' });
      assert.equal(ens.status, 0, ens.stderr);
      assert.match(ens.stdout, /3 intents, \d+ features × 100 × 2 members/);
      const ev2 = spawnSync(process.execPath, [cli, 'eval', '--model', join(dir, 'e.onnx'), '--input', join(dir, 'test.csv')], { encoding: 'utf8' });
      assert.match(ev2.stdout, /examples 3 +accuracy 100\.00%/);
      const bad = spawnSync(process.execPath, [cli, 'train', '--input', join(dir, 'nope.csv'), '--output', join(dir, 'x.onnx')], { encoding: 'utf8' });
      assert.notEqual(bad.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
