import onnxProto from 'onnx-proto';
import type { FastTextModel } from './fasttext.js';
import type { FeatureConfig } from './featurize.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** What a model file carries besides the graph (in metadata_props), so it alone reproduces predictions. */
export interface ModelMeta {
  format: 'kefu-fasttext-v1';
  labels: string[];
  features: FeatureConfig;
  /** Sorted feature hashes; row i of the embedding belongs to hashes[i]; PAD = hashes.length. */
  vocab: Uint32Array;
  trainedWith?: Record<string, unknown>;
}

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array, type: number) {
  return onnx.TensorProto.create({ name, dims, dataType: type, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

function vi(name: string, type: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({
      elemType: type,
      shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }),
    }) }),
  });
}

const node = (op: string, inputs: string[], outputs: string[], attrs: Record<string, number> = {}) =>
  onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, name: outputs[0],
    attribute: Object.entries(attrs).map(([name, i]) => onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT })) });

/**
 * The graph (IR 7, opset 13; runs on onnxruntime-node's CPU provider):
 *   ids int64 [N, L] (padded with PAD = vocab size, whose embedding row is zero)
 *   → Gather(E) → ReduceSum over L / max(count of non-PAD, 1) → MatMul(Wᵀ) + b → Softmax
 *   → probs float [N, C]
 * An ensemble of K members sharing the vocabulary is the same graph over their embeddings
 * side by side (E [V+1, K·d]) and a block-diagonal Wᵀ [K·d, K·C]; the K softmaxes are averaged:
 *   … → [N, K·C] → Reshape [N, K, C] → Softmax → ReduceSum over K × 1/K → probs [N, C]
 * Inputs, outputs and metadata are the same for both, so every reader takes either.
 */
export function exportOnnx(members: FastTextModel[], meta: ModelMeta): Uint8Array {
  const K = members.length, d = members[0].dim, V = members[0].vocab, C = members[0].classes;
  const D = K * d;
  const Epad = new Float32Array((V + 1) * D);
  const Wt = new Float32Array(D * K * C);
  const b = new Float32Array(K * C);
  members.forEach((m, k) => {
    if (m.dim !== d || m.vocab !== V || m.classes !== C) throw new Error('ensemble members must share dim, vocabulary and labels');
    for (let r = 0; r < V; r++) Epad.set(m.E.subarray(r * d, (r + 1) * d), r * D + k * d);
    for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) Wt[(k * d + j) * K * C + k * C + c] = m.W[c * d + j];
    b.set(m.b, k * C);
  });
  const head = K === 1
    ? [node('Softmax', ['logits'], ['probs'], { axis: -1 })]
    : [
      node('Reshape', ['logits', 'member_shape'], ['member_logits']),
      node('Softmax', ['member_logits'], ['member_probs'], { axis: -1 }),
      node('ReduceSum', ['member_probs', 'axis1'], ['sum_probs'], { keepdims: 0 }),
      node('Mul', ['sum_probs', 'inv_k'], ['probs']),
    ];
  const graph = onnx.GraphProto.create({
    name: 'kefu_intent',
    input: [vi('ids', INT64, ['N', 'L'])],
    output: [vi('probs', FLOAT, ['N', C])],
    initializer: [
      tensor('E', [V + 1, D], Epad, FLOAT),
      tensor('Wt', [D, K * C], Wt, FLOAT),
      tensor('b', [K * C], b, FLOAT),
      tensor('pad', [], BigInt64Array.of(BigInt(V)), INT64),
      tensor('axis1', [1], BigInt64Array.of(1n), INT64),
      tensor('one', [], Float32Array.of(1), FLOAT),
      ...(K === 1 ? [] : [tensor('member_shape', [3], BigInt64Array.of(0n, BigInt(K), BigInt(C)), INT64), tensor('inv_k', [], Float32Array.of(1 / K), FLOAT)]),
    ],
    node: [
      node('Gather', ['E', 'ids'], ['emb'], { axis: 0 }),
      node('ReduceSum', ['emb', 'axis1'], ['sum'], { keepdims: 0 }),
      node('Equal', ['ids', 'pad'], ['is_pad']),
      node('Not', ['is_pad'], ['not_pad']),
      node('Cast', ['not_pad'], ['mask'], { to: FLOAT }),
      node('ReduceSum', ['mask', 'axis1'], ['count'], { keepdims: 1 }),
      node('Max', ['count', 'one'], ['count1']),
      node('Div', ['sum', 'count1'], ['h']),
      node('MatMul', ['h', 'Wt'], ['hw']),
      node('Add', ['hw', 'b'], ['logits']),
      ...head,
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'kefu',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
    metadataProps: [
      { key: 'kefu.format', value: meta.format },
      { key: 'kefu.labels', value: JSON.stringify(meta.labels) },
      { key: 'kefu.features', value: JSON.stringify(meta.features) },
      { key: 'kefu.vocab', value: Buffer.from(meta.vocab.buffer, meta.vocab.byteOffset, meta.vocab.byteLength).toString('base64') },
      { key: 'kefu.trained_with', value: JSON.stringify(meta.trainedWith ?? {}) },
    ],
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads the metadata back from a model file's bytes (the graph itself is for onnxruntime). */
export function readMeta(bytes: Uint8Array): ModelMeta {
  const model = onnx.ModelProto.decode(bytes);
  const props = new Map(model.metadataProps.map((p) => [p.key, p.value]));
  if (props.get('kefu.format') !== 'kefu-fasttext-v1') throw new Error('not a kefu intent model (metadata kefu.format missing)');
  const vocabBytes = Buffer.from(props.get('kefu.vocab') ?? '', 'base64');
  const vocab = new Uint32Array(vocabBytes.length / 4);
  for (let i = 0; i < vocab.length; i++) vocab[i] = vocabBytes.readUInt32LE(i * 4);
  return {
    format: 'kefu-fasttext-v1',
    labels: JSON.parse(props.get('kefu.labels')!),
    features: JSON.parse(props.get('kefu.features')!),
    vocab,
    trainedWith: JSON.parse(props.get('kefu.trained_with') ?? '{}'),
  };
}
