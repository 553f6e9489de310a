import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../helpers/gateway.js';
import { startChild } from '../../helpers/child-gateway.js';
import { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';
import { feishuConfig, feishuPost, HOOK_APP, messageEvent, seed } from './feishu-helpers.js';

describe('feishu: kill -9 while a send is in flight', () => {
  it('the interrupted send goes out again after the restart with the same uuid, Feishu shows it once, the reply behind it follows', async function () {
    this.timeout(60_000);
    const fake = await new FakeFeishu().listen();
    seed(fake);
    const dir = mkdtempSync(join(tmpdir(), 'kefu-feishu-crash-'));
    const extra = `${feishuConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`;
    try {
      let child = await startChild(dir, extra);
      await eventually(async () => (await feishuPost(child.url, HOOK_APP.id, messageEvent({ app: HOOK_APP.id, messageId: 'om_crash_1', text: '在吗' }), { encryptKey: HOOK_APP.encryptKey })).status === 200, 'stored');
      await eventually(() => fake.sent.length === 1, 'the offline notice went out');
      fake.script = ['hang']; // Feishu takes the next send and the gateway dies before hearing back
      const login = await (await fetch(`${child.workspace}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'admin', password: 'admin-password-1' }) })).json() as { token: string };
      const auth = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };
      const list = await (await fetch(`${child.workspace}/api/conversations?status=queued,assigned,pending,bot`, { headers: auth })).json() as { conversations: { id: string }[] };
      const r = await fetch(`${child.workspace}/api/conversations/${list.conversations[0].id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ text: '在的，请讲' }) });
      assert.equal(r.status, 201);
      await eventually(() => fake.attempts.length === 2, 'the send after the notice is in flight');
      const hung = fake.attempts[1];
      child.proc.kill('SIGKILL');
      await child.exited;
      child = await startChild(dir, extra);
      await eventually(() => fake.sent.some((s) => s.content.text === '在的，请讲'), 'delivered after the restart', 30_000);
      const again = fake.attempts.filter((a) => a.uuid === hung.uuid);
      assert.ok(again.length >= 2, 'the interrupted send was attempted again…');
      assert.equal(fake.sent.filter((s) => s.uuid === hung.uuid).length, 1, '…with the same uuid, so Feishu shows it once');
      child.proc.kill('SIGTERM');
      await child.exited;
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
