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
    const buf = await readFile(path);
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

  async classify(texts: string[]): Promise<Prediction[]> {
    return (await this.probabilities(texts)).map((p) => {
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
      return { label: this.labels[best], score: p[best] };
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
