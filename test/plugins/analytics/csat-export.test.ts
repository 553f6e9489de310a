import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { startGateway } from '../../helpers/gateway.js';
import { cid, connectVisitor } from '../../helpers/clients.js';
import { analyze } from '../../../plugins/analytics/analyze.js';
import { EXPORT_COLUMNS } from '../../../plugins/analytics/export.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated } from '../../core/csat/csat-helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'dist/core/cli/kefu.js');

describe('CSAT in kefu export (csat, csat_comment, agent columns) and kefu analyze (by queue, channel, agent, intent)', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-csat-export-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a rating given over the widget is in every row of its conversation in the export; unrated conversations have it empty', async () => {
    const clock = fakeClock();
    const gw = await startGateway(`[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
    let ratedId = '';
    try {
      const v = await connectVisitor(gw.publicUrl);
      ratedId = await agentClosesAfterReply(gw, clock, async () => v.socket.send({ type: 'send', clientId: cid(), text: 'Where is my parcel, please?' }));
      v.socket.send({ type: 'send', clientId: cid(), text: '2, took too long' });
      await rated(gw, ratedId);
      const other = await connectVisitor(gw.publicUrl);
      other.socket.send({ type: 'send', clientId: cid(), text: 'Just looking' });
      await other.socket.wait((f) => f.type === 'ack');
      await gw.bus.idle();
      for (const s of [v.socket, other.socket]) await s.close();
      const csv = join(dir, 'export.csv');
      const ex = spawnSync(process.execPath, [CLI, 'export', '--config', gw.configFile, '--from', '2020-01-01', '--output', csv], { encoding: 'utf8', cwd: gw.dir });
      assert.equal(ex.status, 0, ex.stderr);
      const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
      assert.deepEqual(Object.keys(rows[0]), [...EXPORT_COLUMNS]);
      const mine = rows.filter((r) => r.conversation_id === ratedId);
      assert.ok(mine.length >= 3);
      for (const r of mine) assert.deepEqual([r.csat, r.csat_comment, r.agent], ['2', 'took too long', 'admin']);
      const rest = rows.filter((r) => r.conversation_id !== ratedId);
      assert.ok(rest.length >= 1 && rest.every((r) => r.csat === '' && r.csat_comment === ''));

      const html = join(dir, 'report.html');
      const an = spawnSync(process.execPath, [CLI, 'analyze', '--input', csv, '--output', html], { encoding: 'utf8' });
      assert.equal(an.status, 0, an.stderr);
      const report = readFileSync(html, 'utf8');
      for (const t of ['CSAT by queue', 'CSAT by channel', 'CSAT by agent', 'CSAT by intent']) assert.ok(report.includes(t), t);
      assert.match(report, /<td>admin<\/td><td class="n">1<\/td><td class="n">2\.00<\/td>/);
    } finally {
      await gw.close();
    }
  });

  it('analyze counts one rating per conversation and groups it by queue, channel, agent and first intent', async () => {
    const head = EXPORT_COLUMNS.join(',');
    const row = (c: string, ch: string, q: string, intent: string, role: string, csat: string, agent: string) =>
      [c, ch, q, intent, '', role, 'x', '2026-10-01T10:00:00.000Z', 60, 2, true, csat, '', agent].join(',');
    const file = join(dir, 'small.csv');
    writeFileSync(file, [head,
      row('C1', 'web', 'order', '物流', 'customer', '5', 'ann'), row('C1', 'web', 'order', '', 'agent', '5', 'ann'),
      row('C2', 'sms', 'order', '物流', 'customer', '2', 'bo'),
      row('C3', 'web', 'after_sales', '退换货', 'customer', '4', 'ann'),
      row('C4', 'web', 'after_sales', '退换货', 'customer', '', 'ann'),
      row('C5', 'email', 'general', '', 'customer', '7', ''), // out of range: not a rating
    ].join('\n') + '\n');
    const r = await analyze(file, { filter: () => true });
    assert.deepEqual([r.csat.rated, r.csat.average, r.csat.satisfied], [3, 3.67, 2 / 3]);
    const by = (list: typeof r.csat.byQueue) => Object.fromEntries(list.map((g) => [g.key, [g.rated, g.average]]));
    assert.deepEqual(by(r.csat.byQueue), { order: [2, 3.5], after_sales: [1, 4] });
    assert.deepEqual(by(r.csat.byChannel), { web: [2, 4.5], sms: [1, 2] });
    assert.deepEqual(by(r.csat.byAgent), { ann: [2, 4.5], bo: [1, 2] });
    assert.deepEqual(by(r.csat.byIntent), { 物流: [2, 3.5], 退换货: [1, 4] });
    assert.deepEqual(r.csat.byQueue.find((g) => g.key === 'order')!.dist, [0, 1, 0, 0, 1]);
  });
});
