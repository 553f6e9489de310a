// `npm run bench:compare [-- OLD.json NEW.json]`: two bench/results files side by side (default:
// the two latest). Compares ratios to the same-run baseline first — they carry over between runs
// on a noisy machine far better than raw msgs/s — then the raw figures.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

const dir = join(ROOT, 'bench/results');
const files = process.argv.slice(2).length === 2 ? process.argv.slice(2)
  : readdirSync(dir).filter((f) => f.endsWith('.json')).sort().slice(-2).map((f) => join(dir, f));
if (files.length < 2) { console.error('need two results files (run `npm run bench` twice, or name them)'); process.exit(1); }
const [a, b] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));

const f = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const delta = (x, y) => (x && y ? `${y >= x ? '+' : ''}${(((y - x) / x) * 100).toFixed(0)} %` : '–');
const ratio = (r) => (!r.base ? null : r.scenario === 'coldstart' ? r.kefu.coldMs / r.base.coldMs : r.kefu.rate / r.base.rate);

console.log(`old: ${a.date} (${files[0]})\nnew: ${b.date} (${files[1]})\n`);
console.log('| scenario | ratio old → new | msgs/s old → new | p99 ms old → new | CPU µs/msg old → new |');
console.log('|---|---|---|---|---|');
for (const rb of b.results) {
  const ra = a.results.find((r) => r.scenario === rb.scenario);
  if (!ra) { console.log(`| ${rb.scenario} | (new) ${f(ratio(rb), 2)}× | ${f(rb.kefu.rate)} | ${f(rb.kefu.p99, 1)} | ${f(rb.kefu.cpuPerMsgUs)} |`); continue; }
  if (rb.scenario === 'coldstart') {
    console.log(`| coldstart | ${f(ratio(ra), 2)}× → ${f(ratio(rb), 2)}× time | – | ${f(ra.kefu.coldMs)} → ${f(rb.kefu.coldMs)} ms (${delta(ra.kefu.coldMs, rb.kefu.coldMs)}) | – |`);
    continue;
  }
  const [ka, kb] = [ra.kefu, rb.kefu];
  console.log(`| ${rb.scenario} | ${f(ratio(ra), 2)}× → ${f(ratio(rb), 2)}× (${delta(ratio(ra), ratio(rb))}) | ${f(ka.rate)} → ${f(kb.rate)} (${delta(ka.rate, kb.rate)}) | ${f(ka.p99, 1)} → ${f(kb.p99, 1)} | ${f(ka.cpuPerMsgUs)} → ${f(kb.cpuPerMsgUs)} (${delta(ka.cpuPerMsgUs, kb.cpuPerMsgUs)}) |`);
}
