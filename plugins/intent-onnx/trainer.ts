import { DEFAULT_FEATURES, featureHashes, tokenize, Vocabulary, type FeatureConfig } from './featurize.js';
import { predict, train, type Example, type FastTextModel, type TrainOptions } from './fasttext.js';
import { exportOnnx } from './onnx-export.js';
import type { LabelledText } from './dataset.js';
// Published types (kefu/intent): what `kefu train` reports after each epoch, and `kefu eval`'s report.
import type { EpochReport, EvalReport } from './intent.js';

export type { EpochReport, EvalReport };

export interface TrainConfig extends Omit<TrainOptions, 'onEpoch'> {
  minCount: number;
  features: FeatureConfig;
  /**
   * Members trained with seeds seed, seed+1, …, sharing the vocabulary; their probabilities are
   * averaged (in the ONNX graph too). Costs that many times the training time and model size.
   */
  ensemble?: number;
}

/**
 * Settings chosen by 5-fold cross-validation on BANKING77's train split (README, "Intent model"):
 * minCount 1 and token dropout 0.15 each gained on it; a 3-seed ensemble did not add to them.
 */
export const DEFAULT_TRAIN: TrainConfig = {
  dim: 100, epochs: 100, lr: 0.5, dropout: 0.7, tokenDropout: 0.15, labelSmoothing: 0, seed: 1, minCount: 1, features: DEFAULT_FEATURES,
};

export interface Trained {
  /** One model, or an ensemble's members. */
  members: FastTextModel[];
  vocab: Vocabulary;
  labels: string[];
  onnx: Uint8Array;
  seconds: number;
}

/**
 * Featurizes, builds the vocabulary, trains and exports: the whole `kefu train` in one call.
 * `valid` (labelled, never trained on) is scored after every epoch, so an epoch count that
 * overfits shows while it trains; a label the training data lacks counts as a miss.
 */
export function trainIntentModel(data: LabelledText[], cfg: TrainConfig, onEpoch?: (r: EpochReport) => void, valid: LabelledText[] = []): Trained {
  const t0 = performance.now();
  const labels = [...new Set(data.filter((d) => !d.negative).map((d) => d.label))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const owners: number[][] = data.map(() => []);
  const hashed = data.map((d, i) => featureHashes(d.text, cfg.features, owners[i]));
  // The vocabulary comes from positive examples only: a negative example teaches "not X", not words.
  const vocab = Vocabulary.build(hashed.filter((_, i) => !data[i].negative), cfg.minCount);
  const examples: Example[] = [];
  data.forEach((d, i) => {
    const label = index.get(d.label);
    if (label === undefined) return; // a negative example for an intent nobody trained
    const ids: number[] = [], own: number[] = [];
    hashed[i].forEach((h, k) => { const row = vocab.row(h); if (row >= 0) { ids.push(row); own.push(owners[i][k]); } });
    examples.push({ ids, owners: own, tokens: tokenize(d.text).length, label, weight: d.weight, negative: d.negative });
  });
  const k = Math.max(1, Math.floor(cfg.ensemble ?? 1));
  const check = valid.filter((d) => !d.negative).map((d) => ({ ids: vocab.ids(featureHashes(d.text, cfg.features)), label: index.get(d.label) ?? -1 }));
  const tLoop = performance.now();
  const report = onEpoch && ((m: number) => (epoch: number, loss: number, model: FastTextModel) => onEpoch({
    epoch: m * cfg.epochs + epoch, epochs: k * cfg.epochs, loss,
    validAccuracy: check.length ? accuracy(model, check) : undefined, seconds: (performance.now() - tLoop) / 1000,
  }));
  const members = Array.from({ length: k }, (_, m) => train(examples, vocab.size, labels.length, { ...cfg, seed: cfg.seed + m, onEpoch: report?.(m) }));
  const onnx = exportOnnx(members, { format: 'kefu-fasttext-v1', labels, features: cfg.features, vocab: vocab.hashes,
    trainedWith: { dim: cfg.dim, epochs: cfg.epochs, lr: cfg.lr, dropout: cfg.dropout, labelSmoothing: cfg.labelSmoothing,
      ...(cfg.tokenDropout ? { tokenDropout: cfg.tokenDropout } : {}),
      seed: cfg.seed, minCount: cfg.minCount, examples: examples.length, ...(k > 1 ? { ensemble: k } : {}) } });
  return { members, vocab, labels, onnx, seconds: (performance.now() - t0) / 1000 };
}

function accuracy(model: FastTextModel, check: { ids: number[]; label: number }[]): number {
  let right = 0;
  for (const c of check) {
    const p = predict(model, c.ids);
    let best = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
    if (best === c.label) right++;
  }
  return right / check.length;
}

export function evaluate(gold: string[], predicted: string[]): EvalReport {
  const labels = [...new Set([...gold, ...predicted])].sort();
  const tp = new Map<string, number>(), fp = new Map<string, number>(), fn = new Map<string, number>();
  const conf = new Map<string, number>();
  let correct = 0;
  gold.forEach((g, i) => {
    const p = predicted[i];
    if (g === p) { correct++; tp.set(g, (tp.get(g) ?? 0) + 1); return; }
    fp.set(p, (fp.get(p) ?? 0) + 1);
    fn.set(g, (fn.get(g) ?? 0) + 1);
    conf.set(`${g}\u0000${p}`, (conf.get(`${g}\u0000${p}`) ?? 0) + 1);
  });
  const perLabel = labels.filter((l) => gold.includes(l)).map((label) => {
    const t = tp.get(label) ?? 0, f = fp.get(label) ?? 0, n = fn.get(label) ?? 0;
    const precision = t + f ? t / (t + f) : 0, recall = t + n ? t / (t + n) : 0;
    return { label, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support: t + n };
  });
  return {
    n: gold.length,
    accuracy: gold.length ? correct / gold.length : 0,
    macroF1: perLabel.reduce((s, x) => s + x.f1, 0) / Math.max(1, perLabel.length),
    perLabel,
    confusions: [...conf].map(([k, count]) => { const [g, p] = k.split('\u0000'); return { gold: g, predicted: p, count }; })
      .sort((a, b) => b.count - a.count),
  };
}
