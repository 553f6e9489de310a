import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../core/cli/kefu.js', import.meta.url));

/** JSON lines of the output, each checked to be one object with text and results. */
function jsonLines(out: string): { text: string; results: { label: string; score: number }[] }[] {
  assert.ok(out.endsWith('\n'), 'every line ends');
  return out.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('kefu classify and kefu train progress', () => {
  let dir: string;
  // No config anywhere: KEFU_CONFIG names a file that does not parse, so a command that reads config fails.
  const env = () => ({ ...process.env, KEFU_CONFIG: join(dir, 'broken.toml') });
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: env(), input });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kefu-intent-cli-'));
    writeFileSync(join(dir, 'broken.toml'), '[server\nnot toml');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('classify TEXT…: one JSON line per text, in order, top intents first (shipped model, no config read)', () => {
    const r = run(['classify', '我要退货，尺码不合适', 'where is my parcel', '--top', '2']);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(lines.map((l) => l.text), ['我要退货，尺码不合适', 'where is my parcel']);
    assert.equal(lines[0].results[0].label, '退换货');
    assert.equal(lines[1].results[0].label, '物流');
    for (const l of lines) {
      assert.equal(l.results.length, 2);
      assert.ok(l.results[0].score >= l.results[1].score, 'most likely first');
    }
  });

  it('classify with no TEXT reads stdin: a line per input line, CRLF and blank lines included', () => {
    const texts = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? `发票怎么开 ${i}` : i % 3 === 1 ? `你好 ${i}` : `物流到哪了 ${i}`));
    const r = run(['classify', '--top', '1'], `${texts.join('\r\n')}\r\n\n`);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.equal(lines.length, 601, 'more lines than one batch, and the blank one');
    assert.deepEqual(lines.slice(0, 600).map((l) => l.text), texts, 'in input order, without the \\r');
    assert.deepEqual(lines.slice(0, 3).map((l) => l.results[0].label), ['发票', '问候', '物流']);
    assert.ok(lines.every((l) => l.results.length === 1));
  });

  it('classify answers a line as it arrives, while stdin stays open', async () => {
    const child = spawn(process.execPath, [CLI, 'classify'], { cwd: dir, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    const first = new Promise<void>((resolve) => child.stdout.on('data', (d: string) => { out += d; if (out.includes('\n')) resolve(); }));
    child.stdin.write('你好\n');
    await first;
    assert.equal(JSON.parse(out.split('\n')[0]).results[0].label, '问候');
    child.stdin.end('发票\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(out.trimEnd().split('\n').length, 2);
  });

  it('classify --help, and classify and intent:read in the main help', () => {
    const help = run(['classify', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: kefu classify/);
    assert.match(run(['--help']).stdout, /classify \[--model M\]/);
    assert.match(run(['token', '--help']).stdout, /intent:read/);
  });

  it('classify: a missing model or a bad --top is a clear error, exit 1', () => {
    const missing = run(['classify', '--model', join(dir, 'nope.onnx'), 'hi']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.onnx: no such model file/);
    const top = run(['classify', '--top', 'zero', 'hi']);
    assert.equal(top.status, 1);
    assert.equal(top.stderr.trim(), '--top must be a positive integer', 'a message, not a stack trace');
  });

  it('train --valid on a tiny dataset, not a terminal: one progress line per epoch with loss, accuracy, time left', () => {
    const rows = [
      ...['我要退货', '怎么退款', '退货流程', 'return this item', 'refund please'].map((t) => ({ text: t, label: 'refund' })),
      ...['快递到哪了', '物流信息', '还没发货', 'where is my parcel', 'track my order'].map((t) => ({ text: t, label: 'shipping' })),
    ];
    writeFileSync(join(dir, 'tiny.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    writeFileSync(join(dir, 'tiny-valid.csv'), 'text,label\n退款什么时候到,refund\n包裹在哪里,shipping\n');
    // kefu train reads its hand-off keywords from config: give it a readable one.
    writeFileSync(join(dir, 'ok.toml'), '');
    const r = spawnSync(process.execPath, [CLI, 'train', '--input', 'tiny.jsonl', '--valid', 'tiny-valid.csv', '--output', 'tiny.onnx', '--epochs', '6', '--dim', '8', '--config', 'ok.toml'],
      { cwd: dir, encoding: 'utf8', env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'tiny.onnx')));
    assert.ok(!r.stderr.includes('\r'), 'no carriage returns in a log');
    const progress = r.stderr.split('\n').filter((l) => l.includes('epoch '));
    assert.equal(progress.length, 6, r.stderr);
    progress.forEach((l, i) => {
      assert.match(l, new RegExp(`^  epoch ${i + 1}/6  loss \\d+\\.\\d{4}  valid (0|50|100)\\.00%  [\\d.]+ (ms|s)/epoch  (.+ left|done)$`));
    });
    assert.match(progress[5], /done$/);
    assert.match(r.stderr, /validating on 2 from tiny-valid\.csv/);
    assert.match(r.stdout, /wrote tiny\.onnx: 2 intents.*validation accuracy (0|50|100)\.00%/);

    const quiet = spawnSync(process.execPath, [CLI, 'train', '--input', 'tiny.jsonl', '--output', 'tiny2.onnx', '--epochs', '2', '--quiet', '--config', 'ok.toml'], { cwd: dir, encoding: 'utf8', env: env() });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(quiet.stderr, '', '--quiet prints no progress');
  });

  it('train: a config that was asked for and does not load fails clearly; no config at all trains with the defaults and says so', () => {
    writeFileSync(join(dir, 'cfg.jsonl'), ['退货', '退款', 'refund', '快递', '物流', 'parcel'].map((t, i) => JSON.stringify({ text: t, label: i < 3 ? 'refund' : 'shipping' })).join('\n'));
    const train = (extra: string[], e: NodeJS.ProcessEnv = env()) =>
      spawnSync(process.execPath, [CLI, 'train', '--input', 'cfg.jsonl', '--output', 'cfg.onnx', '--epochs', '1', '--dim', '8', ...extra], { cwd: dir, encoding: 'utf8', env: e });
    for (const [args, what] of [[['--config', 'missing.toml'], 'missing.toml'], [['--config', 'broken.toml'], 'broken.toml'], [[], 'broken.toml']] as const) {
      const r = train([...args]);
      assert.notEqual(r.status, 0, `${args.join(' ') || 'KEFU_CONFIG'}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`cannot load config .*${what.replace('.', '\\.')}`));
      assert.ok(!existsSync(join(dir, 'cfg.onnx')), 'nothing trained');
    }
    const { KEFU_CONFIG: _unset, ...noConfig } = env();
    const r = train([], noConfig);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /no config file .*using the default hand-off keywords/);
    assert.ok(existsSync(join(dir, 'cfg.onnx')));
  });
});
