import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { formatDuration, progressLine, TrainProgress } from '../../../plugins/intent-onnx/train-progress.js';
import { trainIntentModel, type EpochReport } from '../../../plugins/intent-onnx/trainer.js';
import { readDataset } from '../../../plugins/intent-onnx/dataset.js';
import { DEFAULT_FEATURES } from '../../../plugins/intent-onnx/featurize.js';
import { IntentClassifier } from '../../../plugins/intent-onnx/classifier.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DATA = join(ROOT, 'plugins/intent-onnx/data');
const SETTINGS = { dim: 16, epochs: 4, lr: 0.5, dropout: 0.5, labelSmoothing: 0, seed: 1, minCount: 1, features: DEFAULT_FEATURES };

const report = (epoch: number, seconds: number, validAccuracy?: number): EpochReport => ({ epoch, epochs: 10, loss: 0.123456, seconds, validAccuracy });

describe('kefu train progress', () => {
  it('formats durations for people', () => {
    assert.equal(formatDuration(0.035), '35 ms');
    assert.equal(formatDuration(1.54), '1.5 s');
    assert.equal(formatDuration(42.2), '42 s');
    assert.equal(formatDuration(185), '3 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
    assert.equal(formatDuration(-1), '0 ms');
  });

  it('a line: epoch, loss, validation accuracy, mean epoch time, time left from the mean', () => {
    // 3 epochs in 30 s: 10 s each, 7 left → 70 s.
    assert.equal(progressLine(report(3, 30, 0.875)), 'epoch  3/10  loss 0.1235  valid 87.50%  10 s/epoch  1 min 10 s left');
    assert.equal(progressLine(report(3, 30)), 'epoch  3/10  loss 0.1235  10 s/epoch  1 min 10 s left', 'no --valid, no accuracy');
    assert.match(progressLine(report(10, 50)), /5\.0 s\/epoch {2}done$/);
  });

  it('not a terminal: one line per epoch; a terminal: one line rewritten in place, ended once', () => {
    const log: string[] = [];
    const ci = new TrainProgress({ write: (s) => log.push(s), isTTY: false });
    ci.epoch(report(1, 2));
    ci.epoch(report(2, 4));
    ci.end();
    assert.deepEqual(log.map((s) => s.endsWith('\n') && !s.includes('\r')), [true, true]);
    assert.equal(log.length, 2, 'nothing extra at the end');

    const tty: string[] = [];
    const term = new TrainProgress({ write: (s) => tty.push(s), isTTY: true });
    term.epoch(report(1, 2));
    term.epoch(report(2, 4));
    term.end();
    term.end();
    assert.ok(tty.slice(0, 2).every((s) => s.startsWith('\r\x1b[2K') && !s.includes('\n')), 'carriage return + clear line, no newline');
    assert.deepEqual(tty.slice(2), ['\n'], 'one newline ends it');
  });

  it('the trainer reports every epoch, with validation accuracy when given a validation set', async () => {
    const train = readDataset(join(DATA, 'ecommerce.jsonl'));
    const valid = [...readDataset(join(DATA, 'ecommerce-test.jsonl')), { text: '一个没训练过的意图', label: 'no-such-intent' }];
    const seen: EpochReport[] = [];
    const t = trainIntentModel(train, SETTINGS, (r) => seen.push(r), valid);
    assert.deepEqual(seen.map((r) => `${r.epoch}/${r.epochs}`), ['1/4', '2/4', '3/4', '4/4']);
    for (const r of seen) {
      assert.ok(r.validAccuracy! >= 0 && r.validAccuracy! <= 1);
      assert.ok(r.loss > 0 && Number.isFinite(r.loss));
    }
    assert.ok(seen.every((r, i) => i === 0 || r.seconds >= seen[i - 1].seconds), 'elapsed time only grows');
    // The unknown label is one miss out of 49: accuracy can never be 100 %.
    assert.ok(seen.at(-1)!.validAccuracy! <= 48 / 49);
    // The last report agrees with the exported model scored by onnxruntime: an independent count.
    const clf = await IntentClassifier.fromBytes(t.onnx);
    const predicted = await clf.classify(valid.map((d) => d.text));
    await clf.release();
    assert.equal(seen.at(-1)!.validAccuracy, predicted.filter((p, i) => p.label === valid[i].label).length / valid.length);
    const plain = trainIntentModel(train, SETTINGS);
    assert.ok(Buffer.from(plain.onnx).equals(Buffer.from(t.onnx)), 'validating changes nothing in the model');
  });

  it('an ensemble counts epochs across its members', () => {
    const seen: EpochReport[] = [];
    trainIntentModel(readDataset(join(DATA, 'ecommerce.jsonl')), { ...SETTINGS, epochs: 2, ensemble: 2 }, (r) => seen.push(r));
    assert.deepEqual(seen.map((r) => `${r.epoch}/${r.epochs}`), ['1/4', '2/4', '3/4', '4/4']);
    assert.ok(seen.every((r) => r.validAccuracy === undefined));
  });
});
