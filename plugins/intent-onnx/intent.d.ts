/**
 * kefu/intent: kefu's intent model on its own, without the gateway.
 *
 *   import { IntentClassifier, train, DEFAULT_MODEL } from 'kefu/intent';
 *   const clf = await IntentClassifier.load(DEFAULT_MODEL);
 *   const [top] = await clf.top(['我要退货'], 3); // [{ label: '退换货', score: 0.93 }, …]
 *
 * Importing it reads no kefu.toml and starts nothing. onnxruntime-node (CPU) is loaded with the
 * first model. Written by hand: the implementation (plugins/intent-onnx/library.ts) takes its
 * option, result and report types from here, and test/plugins/intent-onnx/library-types.test.ts
 * checks the rest against it at every build.
 */

/** One intent and its probability (0–1). */
export interface Prediction {
  label: string;
  score: number;
}

/** A training or evaluation example. `negative`: "this text is NOT `label`", with `weight`. */
export interface LabelledText {
  text: string;
  label: string;
  weight?: number;
  negative?: boolean;
}

/** A loaded model: the featurizer (its settings and vocabulary come from the file) and an onnxruntime session. */
export declare class IntentClassifier {
  private constructor();
  /** The model's intents, in its output order. */
  readonly labels: string[];
  /** Size of the model file. */
  readonly bytes: number;
  /** Loads a model file written by `kefu train` or `train()`. */
  static load(path: string): Promise<IntentClassifier>;
  /** Loads a model from its bytes (`train(…).onnx`, or a file already read). */
  static fromBytes(bytes: Uint8Array): Promise<IntentClassifier>;
  /** The most likely intent of each text, in one model run. */
  classify(texts: string[]): Promise<Prediction[]>;
  /** The k most likely intents of each text, most likely first, in one model run. */
  top(texts: string[], k: number): Promise<Prediction[][]>;
  /** Each text's probability for every label (in `labels` order). */
  probabilities(texts: string[]): Promise<Float32Array[]>;
  /** Frees the onnxruntime session; the classifier is unusable afterwards. */
  release(): Promise<void>;
}

/** Training settings; every one defaults to what `kefu train` uses (see `kefu train --help`). */
export interface TrainOptions {
  /** Embedding size (100). */
  dim?: number;
  /** Passes over the data (100). */
  epochs?: number;
  /** Initial learning rate, decaying linearly to 0 (0.5). */
  lr?: number;
  /** Probability of dropping each n-gram feature at each step (0.7). */
  dropout?: number;
  /** Probability of dropping a whole word with its n-grams at each step (0.15). */
  tokenDropout?: number;
  labelSmoothing?: number;
  /** Features seen fewer times are left out of the vocabulary (1). */
  minCount?: number;
  /** Same data, same seed: the same model file, byte for byte (1). */
  seed?: number;
  /** K > 1 trains K seeded members averaged in one ONNX graph (1). */
  ensemble?: number;
  /** Scored after every epoch (EpochReport.validAccuracy): examples, or a dataset file. */
  valid?: LabelledText[] | string;
  /** Called after every epoch. */
  onEpoch?: (report: EpochReport) => void;
}

/** Progress after one epoch. An ensemble's epochs are counted across its members. */
export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Share of the validation examples the model (the member being trained) gets right after this epoch. */
  validAccuracy?: number;
  /** Since the first epoch started; `seconds / epoch × (epochs − epoch)` is the time left. */
  seconds: number;
}

export interface TrainResult {
  /** The model file's bytes: write them to a `.onnx` file, or pass them to IntentClassifier.fromBytes. */
  onnx: Uint8Array;
  labels: string[];
  seconds: number;
  /** After the last epoch, when `valid` was given. */
  validAccuracy?: number;
}

/**
 * Trains a model from examples or a dataset file (CSV with a header: text|utterance|query and
 * label|intent|category columns; JSONL `{"text", "label"}`; `kefu export` conversation logs).
 * Synchronous and CPU-bound (seconds to minutes): in a server, run it in a worker thread.
 */
export declare function train(data: LabelledText[] | string, options?: TrainOptions): TrainResult;

/** Reads a dataset file (the formats `train` accepts). Throws with the file and line on bad input. */
export declare function readDataset(file: string, opts?: { negativeWeight?: number; isHandoffRequest?: (text: string) => boolean }): LabelledText[];

export interface EvalReport {
  n: number;
  accuracy: number;
  macroF1: number;
  perLabel: { label: string; precision: number; recall: number; f1: number; support: number }[];
  /** Most frequent first. */
  confusions: { gold: string; predicted: string; count: number }[];
}

/** Accuracy, macro-F1, per-label precision/recall/F1 and confusions of predicted against gold labels. */
export declare function evaluate(gold: string[], predicted: string[]): EvalReport;

/** The model shipped with kefu: Chinese e-commerce customer service, also English (12 intents). */
export declare const DEFAULT_MODEL: string;
