/**
 * `import … from 'kefu/intent'`: the intent model without the gateway. Importing it reads no
 * config and starts nothing; onnxruntime-node is loaded with the first model. The published
 * types are intent.d.ts beside this file (test/plugins/intent-onnx/library-types.test.ts fails
 * the build when the two disagree).
 */
import { readDataset, type LabelledText } from './dataset.js';
import { DEFAULT_TRAIN, trainIntentModel } from './trainer.js';
// The option and result types are the published ones, so they cannot drift from them.
import type { TrainOptions, TrainResult } from './intent.js';

export { IntentClassifier, type Prediction } from './classifier.js';
export { readDataset, type LabelledText } from './dataset.js';
export { evaluate, type EvalReport, type EpochReport } from './trainer.js';
export { DEFAULT_MODEL } from './model-holder.js';
export type { TrainOptions, TrainResult };

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
