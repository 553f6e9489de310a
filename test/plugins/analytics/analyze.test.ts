import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { generateLog } from '../../fixtures/generate-log.js';
import { eventually, startGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, loginAgent } from '../../helpers/clients.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'dist/core/cli/kefu.js');
const CHROMIUM = process.env.KEFU_CHROMIUM ?? '/usr/bin/chromium';

describe('kefu export + kefu analyze', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-analyze-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports real logs from a running gateway and analyzes them (--opt=value and --opt value)', async () => {
    const gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    try {
      const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      const agent = await connectAgent(gw.workspaceUrl, token);
      const texts = ['我的快递到哪了，三天没更新', '这个蓝牙耳机有货吗', 'I want to return my sneakers', '发票怎么开'];
      for (const t of texts) {
        const v = await connectVisitor(gw.publicUrl);
        const id = cid();
        v.socket.send({ type: 'send', clientId: id, text: t });
        await v.socket.wait((f) => f.type === 'ack' && f.clientId === id);
        await v.socket.close();
      }
      await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
      await gw.bus.idle();
      const convs = await gw.store.listConversations({});
      await eventually(async () => (await Promise.all(convs.map((c) => gw.store.contacts.addressOwner(c.customer.id)))).every(Boolean), 'every customer has a contact');
      const cfg = gw.configFile;
      const csv = join(dir, 'logs.csv');
      const ex = spawnSync(process.execPath, [CLI, 'export', '--config', cfg, '--from', '2020-01-01', '--output', csv], { encoding: 'utf8', cwd: gw.dir });
      assert.equal(ex.status, 0, ex.stderr);
      const lines = readFileSync(csv, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'conversation_id,channel,queue,intent,intent_score,role,text,time,session_duration_s,message_count,handed_off,csat,csat_comment,agent,contact_id');
      // One contact per visitor (four strangers), the same on each of a conversation's rows.
      const contactOf = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',').at(-1)!]));
      assert.ok([...contactOf.values()].every((k) => /^K/.test(k)), lines.join('\n'));
      assert.equal(new Set(contactOf.values()).size, texts.length);
      assert.ok(lines.some((l) => l.includes('我的快递到哪了') && l.includes(',customer,') && l.includes('物流')), lines.join('\n'));
      const jsonl = join(dir, 'logs.jsonl');
      assert.equal(spawnSync(process.execPath, [CLI, 'export', '--config', cfg, '--output', jsonl], { encoding: 'utf8', cwd: gw.dir }).status, 0);
      assert.equal(JSON.parse(readFileSync(jsonl, 'utf8').split('\n')[0]).role, 'customer');
      const an = spawnSync(process.execPath, [CLI, 'analyze', `--input=${csv}`, '--output', join(dir, 'real.html'), '--filter=role=customer'], { encoding: 'utf8' });
      assert.equal(an.status, 0, an.stderr);
      const html = readFileSync(join(dir, 'real.html'), 'utf8');
      assert.match(html, /快递/);
      assert.doesNotMatch(html, /<script|https?:\/\//, 'self-contained: no script, no network');
      const bad = spawnSync(process.execPath, [CLI, 'analyze', `--input=${csv}`, '--output', join(dir, 'x.html'), '--filter', '会话时长>>3'], { encoding: 'utf8' });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /position 6/);
      await agent.close();
    } finally {
      await gw.close();
    }
  });

  it('1M rows stream through within a memory bound', async function () {
    this.timeout(300_000);
    const file = join(dir, 'big.csv');
    await generateLog(file, 1_000_000, 7);
    const mb = statSync(file).size / 2 ** 20;
    const res = spawnSync(process.execPath, ['--max-old-space-size=256', CLI, 'analyze', '--input', file, '--output', join(dir, 'big.html'), '--filter', '会话时长>30s'], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const m = res.stdout.match(/analyzed (\d+) rows/);
    assert.equal(Number(m?.[1]), 1_000_000);
    // The process would have died with a 256 MB heap if it held the log; report what it took.
    console.log(`      (${mb.toFixed(0)} MB log: ${res.stdout.trim()})`);
  });

  it('the report renders offline in headless Chromium: word cloud and charts drawn; screenshot', async function () {
    if (!existsSync(CHROMIUM)) { console.log(`      (skipped: no Chromium at ${CHROMIUM})`); this.skip(); }
    const file = join(dir, 'mid.csv');
    await generateLog(file, 20_000, 3);
    const html = join(dir, 'report.html');
    const res = spawnSync(process.execPath, [CLI, 'analyze', '--input', file, '--output', html], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const ctx = await browser.newContext({ offline: true, viewport: { width: 1240, height: 900 } });
      const page = await ctx.newPage();
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(`file://${html}`);
      const cloudWords = await page.locator('svg.cloud text').count();
      assert.ok(cloudWords >= 30, `word cloud has ${cloudWords} words`);
      assert.ok((await page.locator('svg.chart rect').count()) > 40, 'bar charts drawn');
      const box = await page.locator('svg.cloud').boundingBox();
      assert.ok(box && box.width > 500 && box.height > 200);
      assert.deepEqual(requests, []);
      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-artifacts', '5-analyze-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
