import { rng } from '../../core/model/rng.js';

/**
 * A fastText-style classifier: the average of the input features' embedding rows, then a
 * linear layer and softmax. Trained with plain SGD (linearly decaying rate) in TypeScript,
 * single-threaded and seeded, so a training run is reproducible bit for bit.
 *
 * The regularizers that mattered on BANKING77 (see README): feature dropout and label smoothing.
 * Examples may carry a weight and be negative ("this text is NOT intent X"): the loss is then
 * -log(1 - p_X), used for bot answers that were followed by a request for a human.
 */
export interface TrainOptions {
  dim: number;
  epochs: number;
  lr: number;
  /** Probability of dropping each input feature at each step. */
  dropout: number;
  /**
   * Probability of dropping a whole token (the word and every n-gram it is part of) at each
   * step, before feature dropout: a customer who leaves a word out, rather than noise in hashes.
   * Needs examples with `owners`.
   */
  tokenDropout?: number;
  labelSmoothing: number;
  seed: number;
  /** After each epoch; `model` is the one being trained (live arrays: read it now, do not keep it). */
  onEpoch?: (epoch: number, loss: number, model: FastTextModel) => void;
}

export interface Example {
  ids: number[];
  label: number;
  weight?: number;
  negative?: boolean;
  /** Per id, the bit mask of the tokens it is made of (featureHashes' `owners`), and the token count. */
  owners?: number[];
  tokens?: number;
}

export interface FastTextModel {
  vocab: number;
  dim: number;
  classes: number;
  /** [vocab × dim] embedding rows. */
  E: Float32Array;
  /** [classes × dim] output weights. */
  W: Float32Array;
  b: Float32Array;
}


export function train(examples: Example[], vocab: number, classes: number, o: TrainOptions): FastTextModel {
  const r = rng(o.seed);
  const d = o.dim;
  const E = new Float32Array(vocab * d);
  for (let i = 0; i < E.length; i++) E[i] = (r() * 2 - 1) / d;
  const W = new Float32Array(classes * d);
  const b = new Float32Array(classes);
  const h = new Float64Array(d);
  const gh = new Float64Array(d);
  const z = new Float64Array(classes);
  const order = examples.map((_, i) => i);
  const total = o.epochs * examples.length;
  let step = 0;
  const kept: number[] = [];
  const model: FastTextModel = { vocab, dim: d, classes, E, W, b };

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    let lossSum = 0;
    for (const idx of order) {
      const ex = examples[idx];
      const lr = o.lr * (1 - step++ / total);
      if (ex.ids.length === 0) continue;
      kept.length = 0;
      let dropped = 0;
      if (o.tokenDropout && ex.owners && ex.tokens && ex.tokens > 1) {
        for (let t = 0; t < Math.min(31, ex.tokens); t++) if (r() < o.tokenDropout) dropped |= 1 << t;
      }
      for (let k = 0; k < ex.ids.length; k++) {
        if (dropped && ex.owners![k] & dropped) continue;
        if (r() >= o.dropout) kept.push(ex.ids[k]);
      }
      if (kept.length === 0) kept.push(ex.ids[Math.floor(r() * ex.ids.length)]);
      const n = kept.length;
      h.fill(0);
      for (const id of kept) { const off = id * d; for (let k = 0; k < d; k++) h[k] += E[off + k]; }
      for (let k = 0; k < d; k++) h[k] /= n;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = b[c];
        const off = c * d;
        for (let k = 0; k < d; k++) s += W[off + k] * h[k];
        z[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) { z[c] = Math.exp(z[c] - max); sum += z[c]; }
      for (let c = 0; c < classes; c++) z[c] /= sum; // z now holds p
      const w = ex.weight ?? 1;
      const py = z[ex.label];
      if (ex.negative) {
        // d(-log(1-p_y))/dz_j = p_y (δ_jy - p_j) / (1 - p_y)
        const f = py / Math.max(1e-6, 1 - py);
        lossSum += -Math.log(Math.max(1e-9, 1 - py)) * w;
        for (let c = 0; c < classes; c++) z[c] = w * f * ((c === ex.label ? 1 : 0) - z[c]);
      } else {
        const eps = o.labelSmoothing;
        lossSum += -Math.log(Math.max(1e-9, py)) * w;
        for (let c = 0; c < classes; c++) z[c] = w * (z[c] - ((c === ex.label ? 1 - eps : 0) + eps / classes));
      }
      // z now holds dL/dz. Backprop to h, then update W, b and the used embedding rows.
      gh.fill(0);
      for (let c = 0; c < classes; c++) {
        const g = z[c];
        if (g === 0) continue;
        const off = c * d;
        for (let k = 0; k < d; k++) { gh[k] += W[off + k] * g; W[off + k] -= lr * g * h[k]; }
        b[c] -= lr * g;
      }
      const scale = lr / n;
      for (const id of kept) { const off = id * d; for (let k = 0; k < d; k++) E[off + k] -= scale * gh[k]; }
    }
    o.onEpoch?.(epoch + 1, lossSum / Math.max(1, order.length), model);
  }
  return model;
}

/** Reference scorer (float64), the equivalence baseline for the ONNX graph. */
export function predict(m: FastTextModel, ids: number[]): Float64Array {
  const d = m.dim;
  const p = new Float64Array(m.classes);
  const h = new Float64Array(d);
  if (ids.length > 0) {
    for (const id of ids) { const off = id * d; for (let k = 0; k < d; k++) h[k] += m.E[off + k]; }
    for (let k = 0; k < d; k++) h[k] /= ids.length;
  }
  let max = -Infinity;
  for (let c = 0; c < m.classes; c++) {
    let s = m.b[c];
    for (let k = 0; k < d; k++) s += m.W[c * d + k] * h[k];
    p[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < m.classes; c++) { p[c] = Math.exp(p[c] - max); sum += p[c]; }
  for (let c = 0; c < m.classes; c++) p[c] /= sum;
  return p;
}

/** An ensemble's reference scorer: its members' probabilities averaged (what the ONNX graph computes). */
export function predictMean(members: FastTextModel[], ids: number[]): Float64Array {
  const out = new Float64Array(members[0].classes);
  for (const m of members) { const p = predict(m, ids); for (let c = 0; c < out.length; c++) out[c] += p[c] / members.length; }
  return out;
}
