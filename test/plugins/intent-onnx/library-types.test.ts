import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Declared from '../../../plugins/intent-onnx/intent.js';
import * as Impl from '../../../plugins/intent-onnx/library.js';

// The published declarations (intent.d.ts) are written by hand. These lines fail the BUILD when
// they and the implementation drift apart: each type must be identical (an optional field or
// parameter more on one side counts), and the module must provide every declared value.
type Same<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;
type All<T extends true[]> = T;
export type SameTypes = All<[
  Same<Declared.Prediction, Impl.Prediction>,
  Same<Declared.LabelledText, Impl.LabelledText>,
  Same<Declared.TrainOptions, Impl.TrainOptions>,
  Same<Declared.TrainResult, Impl.TrainResult>,
  Same<Declared.EpochReport, Impl.EpochReport>,
  Same<Declared.EvalReport, Impl.EvalReport>,
  Same<Parameters<typeof Declared.train>, Parameters<typeof Impl.train>>,
  Same<ReturnType<typeof Declared.train>, ReturnType<typeof Impl.train>>,
  Same<Parameters<typeof Declared.readDataset>, Parameters<typeof Impl.readDataset>>,
  Same<Parameters<typeof Declared.evaluate>, Parameters<typeof Impl.evaluate>>,
  Same<Parameters<typeof Declared.IntentClassifier.load>, Parameters<typeof Impl.IntentClassifier.load>>,
  Same<Parameters<typeof Declared.IntentClassifier.fromBytes>, Parameters<typeof Impl.IntentClassifier.fromBytes>>,
  Same<Declared.IntentClassifier['classify'], Impl.IntentClassifier['classify']>,
  Same<Declared.IntentClassifier['top'], Impl.IntentClassifier['top']>,
  Same<Declared.IntentClassifier['probabilities'], Impl.IntentClassifier['probabilities']>,
  Same<Declared.IntentClassifier['release'], Impl.IntentClassifier['release']>,
  Same<Declared.IntentClassifier['labels'], Impl.IntentClassifier['labels']>,
]>;
export const provides: Omit<typeof Declared, 'IntentClassifier'> = Impl;
// The class: both constructors are private (of different arity, so the class types differ);
// its static loaders and its instances must fit the declaration.
export const loaders: Pick<typeof Declared.IntentClassifier, 'load' | 'fromBytes'> = Impl.IntentClassifier;
export const instance = (c: Impl.IntentClassifier): Declared.IntentClassifier => c;

describe('kefu/intent declarations (intent.d.ts)', () => {
  it('declare exactly the values the entry exports at run time', () => {
    const dts = readFileSync(fileURLToPath(new URL('../../../../plugins/intent-onnx/intent.d.ts', import.meta.url)), 'utf8');
    const declared = [...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(Object.keys(Impl).sort(), declared);
  });
});
