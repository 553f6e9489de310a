import { readFile } from 'node:fs/promises';
import { featureRows, Vocabulary, type FeatureConfig } from './featurize.js';
import { readMeta } from './onnx-export.js';

export interface Prediction { label: string; score: number }

type Ort = typeof import('onnxruntime-node');
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
let ortModule: Promise<Ort> | undefined;
/** onnxruntime-node is heavy (native library): loaded only when a model is. */
const ort = () => (ortModule ??= import('onnxruntime-node'));

/**
 * A loaded intent model: the JS featurizer (parameters from the model's metadata) + an
 * onnxruntime session. `classify` takes a batch: one session run for many texts.
 */
export class IntentClassifier {
  private constructor(
    readonly labels: string[],
    readonly features: FeatureConfig,
    readonly vocab: Vocabulary,
    private session: import('onnxruntime-node').InferenceSession,
    private Tensor: Ort['Tensor'],
    readonly bytes: number,
  ) {}

  static async load(path: string): Promise<IntentClassifier> {
    return IntentClassifier.fromBytes(await readFile(path));
  }

  /** A model straight from `trainIntentModel(…).onnx` or any buffer holding a model file. */
  static async fromBytes(buf: Uint8Array): Promise<IntentClassifier> {
    const meta = readMeta(buf);
    const o = await ort();
    const session = await o.InferenceSession.create(buf, {
      intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
    return new IntentClassifier(meta.labels, meta.features, new Vocabulary(meta.vocab), session, o.Tensor, buf.length);
  }

  ids(text: string): number[] {
    return featureRows(text, this.features, this.vocab);
  }

  /** Full probability rows for a batch (tests compare them with the trainer's own scorer). */
  async probabilities(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const rows = texts.map((t) => this.ids(t));
    const L = Math.max(1, ...rows.map((r) => r.length));
    // int64 ids written as (low, high) 32-bit words: a BigInt per feature was ~100 heap objects per message.
    const data = new BigInt64Array(rows.length * L);
    const words = new Int32Array(data.buffer);
    words.fill(0);
    const pad = this.vocab.size;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      for (let j = 0; j < L; j++) words[2 * (i * L + j) + (LITTLE_ENDIAN ? 0 : 1)] = j < r.length ? r[j] : pad;
    }
    const out = await this.session.run({ ids: new this.Tensor('int64', data, [rows.length, L]) });
    const probs = out.probs.data as Float32Array;
    const C = this.labels.length;
    return rows.map((_, i) => probs.subarray(i * C, (i + 1) * C));
  }

  /** The most likely intent of each text. */
  async classify(texts: string[]): Promise<Prediction[]> {
    return (await this.probabilities(texts)).map((p) => bestOf(this.labels, p));
  }

  /** The k most likely intents of each text, most likely first. */
  async top(texts: string[], k: number): Promise<Prediction[][]> {
    return (await this.probabilities(texts)).map((p) => topOf(this.labels, p, k));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The highest-scoring label of one probability row (a scan, not a sort: it is on every message's path). */
export function bestOf(labels: readonly string[], probs: ArrayLike<number>): Prediction {
  let best = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
  return { label: labels[best], score: probs[best] };
}

/** The k highest-scoring labels of one probability row, highest first (ties: the earlier label). */
export function topOf(labels: readonly string[], probs: ArrayLike<number>, k: number): Prediction[] {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((i) => ({ label: labels[i], score: probs[i] }));
}
