// Intent inference latency through the gateway's own classifier (JS featurizer + onnxruntime,
// one intra-op thread): single messages (p50/p99, featurization included) and batches (per item),
// next to the featurizer alone as the baseline. Usage: node bench/intent-latency.mjs [model.onnx]
import { fileURLToPath } from 'node:url';
import { IntentClassifier } from '../dist/plugins/intent-onnx/classifier.js';
import { featureRows } from '../dist/plugins/intent-onnx/featurize.js';

const model = process.argv[2] ?? fileURLToPath(new URL('../plugins/intent-onnx/model/default.onnx', import.meta.url));
const clf = await IntentClassifier.load(model);
const texts = ['我的快递到哪了', '这个蓝牙耳机有货吗', 'I want to return these sneakers, they are too small', '你好', '发票怎么开',
  'my card payment was declined twice, why?', '我要投诉，收到的杯子是坏的', 'do you have any coupons for new customers'];
const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const fmt = (us) => `${us.toFixed(1)} µs`;

async function time(n, fn) {
  const lat = [];
  for (let i = 0; i < n; i++) { const t0 = process.hrtime.bigint(); await fn(i); lat.push(Number(process.hrtime.bigint() - t0) / 1000); }
  return lat.sort((a, b) => a - b);
}
await time(500, (i) => clf.classify([texts[i % texts.length]])); // warm-up
const feat = await time(5000, (i) => featureRows(texts[i % texts.length], clf.features, clf.vocab)); // the gateway's path: text → vocabulary rows
const single = await time(5000, (i) => clf.classify([texts[i % texts.length]]));
const batch = {};
for (const size of [32, 128]) {
  const lat = await time(300, () => clf.classify(Array.from({ length: size }, (_, i) => texts[i % texts.length])));
  batch[size] = q(lat, 0.5) / size;
}
console.log(`model ${model}: ${clf.labels.length} intents, ${clf.vocab.size} features, ${(clf.bytes / 1e6).toFixed(2)} MB`);
console.log(`single message (featurize + onnxruntime): p50 ${fmt(q(single, 0.5))}, p99 ${fmt(q(single, 0.99))}   | baseline featurize + vocabulary lookup: p50 ${fmt(q(feat, 0.5))}, p99 ${fmt(q(feat, 0.99))}`);
console.log(`batched, per message: 32 → ${fmt(batch[32])}, 128 → ${fmt(batch[128])}`);
await clf.release();
