import { writeFileSync } from 'node:fs';
import { loadConfigFile } from '../../config/load.js';
import { compileFilter, FilterError } from './filter.js';
import { analyze } from './analyze.js';
import { renderReport } from './report.js';
import { exportLogs } from './export.js';

type Flags = Record<string, string | boolean | undefined>;

function date(v: unknown, name: string, fallback: Date): Date {
  if (v === undefined) return fallback;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) throw new Error(`--${name} must be a date (2026-11-01 or an ISO time)`);
  return d;
}

const progress = (label: string) => (n: number) => { if (process.stderr.isTTY) process.stderr.write(`\r  ${label} ${n.toLocaleString('en-US')} rows…`); };

export async function exportCommand(v: Flags, cfgFile: string): Promise<number> {
  if (typeof v.output !== 'string') { console.error('--output FILE.csv|FILE.jsonl is required'); return 1; }
  const from = date(v.from, 'from', new Date(0));
  // A bare end date means "through that day".
  const to = v.to && /^\d{4}-\d{2}-\d{2}$/.test(String(v.to)) ? new Date(date(v.to, 'to', new Date()).getTime() + 86_400_000) : date(v.to, 'to', new Date(Date.now() + 1000));
  const { openConfiguredStore } = await import('../../core/store/open-store.js');
  const cfg = loadConfigFile(cfgFile);
  const store = await openConfiguredStore(cfg.store);
  try {
    const n = await exportLogs(store, from, to, v.output, progress('exported'));
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(`wrote ${n} messages to ${v.output}`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function analyzeCommand(v: Flags): Promise<number> {
  if (typeof v.input !== 'string' || typeof v.output !== 'string') { console.error('--input FILE and --output report.html are required'); return 1; }
  let filter;
  try {
    filter = compileFilter(typeof v.filter === 'string' ? v.filter : '');
  } catch (err) {
    if (err instanceof FilterError) { console.error(err.message); return 2; }
    throw err;
  }
  let label: ((texts: string[]) => Promise<string[]>) | undefined;
  let release: (() => Promise<void>) | undefined;
  if (typeof v.model === 'string') {
    const { IntentClassifier } = await import('../intent-onnx/classifier.js');
    const clf = await IntentClassifier.load(v.model);
    label = async (texts) => (await clf.classify(texts)).map((p) => p.label);
    release = () => clf.release();
  }
  const t0 = performance.now();
  const report = await analyze(v.input, { filter, label, onProgress: progress('analyzed') });
  await release?.();
  if (process.stderr.isTTY) process.stderr.write('\n');
  writeFileSync(v.output, renderReport(report, { input: v.input, filter: typeof v.filter === 'string' ? v.filter : undefined, generatedAt: new Date() }));
  console.log(`analyzed ${report.rows} rows (${report.matched} matched the filter) in ${((performance.now() - t0) / 1000).toFixed(1)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; wrote ${v.output}`);
  return 0;
}
