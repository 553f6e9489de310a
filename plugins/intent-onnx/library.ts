/**
 * `import … from 'kefu/intent'`: the intent model without the gateway. Importing it reads no
 * config and starts nothing; onnxruntime-node is loaded with the first model. The published
 * types are intent.d.ts beside this file (test/plugins/intent-onnx/library-types.test.ts fails
 * the build when the two disagree).
 */
import { readDataset, type LabelledText } from './dataset.js';
import { DEFAULT_TRAIN, trainIntentModel, type EpochReport } from './trainer.js';

export { IntentClassifier, type Prediction } from './classifier.js';
export { readDataset, type LabelledText } from './dataset.js';
export { evaluate, type EvalReport, type EpochReport } from './trainer.js';
export { DEFAULT_MODEL } from './model-holder.js';

export interface TrainOptions {
  dim?: number;
  epochs?: number;
  lr?: number;
  dropout?: number;
  tokenDropout?: number;
  labelSmoothing?: number;
  minCount?: number;
  seed?: number;
  ensemble?: number;
  /** Scored after every epoch (EpochReport.validAccuracy): examples, or a dataset file. */
  valid?: LabelledText[] | string;
  onEpoch?: (report: EpochReport) => void;
}

export interface TrainResult {
  /** The model file's bytes: write them to a `.onnx` file, or pass them to IntentClassifier.fromBytes. */
  onnx: Uint8Array;
  labels: string[];
  seconds: number;
  /** After the last epoch, when `valid` was given. */
  validAccuracy?: number;
}

/** What `kefu train` runs: the same defaults, the same model file. Synchronous (CPU-bound). */
export function train(data: LabelledText[] | string, options: TrainOptions = {}): TrainResult {
  const { valid, onEpoch, ...settings } = options;
  const examples = typeof data === 'string' ? readDataset(data) : data;
  if (!examples.some((d) => !d.negative && d.text && d.label)) throw new Error('train: no labelled examples ({text, label})');
  const check = typeof valid === 'string' ? readDataset(valid) : valid ?? [];
  let validAccuracy: number | undefined;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, x]) => x !== undefined));
  const t = trainIntentModel(examples, { ...DEFAULT_TRAIN, ...defined }, (r) => { validAccuracy = r.validAccuracy; onEpoch?.(r); }, check);
  return { onnx: t.onnx, labels: t.labels, seconds: t.seconds, validAccuracy };
}
