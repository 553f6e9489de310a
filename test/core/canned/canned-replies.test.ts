import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { json, loginAgent } from '../../helpers/clients.js';
import { rankCanned, renderCanned } from '../../../core/workspace/canned-render.js';

describe('canned replies', () => {
  describe('renderCanned', () => {
    const vars = { customer: { name: 'Li Wei' }, agent: { name: 'Ann' }, conversation: { id: 'C123' } };
    it('fills the known variables', () => {
      assert.equal(renderCanned('Hi {customer.name}, this is {agent.name} (ref {conversation.id}).', vars), 'Hi Li Wei, this is Ann (ref C123).');
    });
    it('leaves unknown or empty variables as written, so the agent sees them before sending', () => {
      assert.equal(renderCanned('{order.id} {customer.name}', { ...vars, customer: {} }), '{order.id} {customer.name}');
    });
  });

  describe('rankCanned', () => {
    const r = (shortcut: string, o: Partial<{ title: string; text: string; intents: string[]; scope: string; lang: string }> = {}) =>
      ({ shortcut, text: o.text ?? `text of ${shortcut}`, intents: o.intents ?? [], scope: o.scope ?? 'team', title: o.title, lang: o.lang });
    const all = [r('refund-late'), r('refund', { intents: ['退换货'] }), r('hello', { text: 'about your refund' }), r('reship', { scope: 'personal' }), r('bye')];
    it('shortcut prefix first, then text matches; the conversation\'s intent and my own replies rank up', () => {
      assert.deepEqual(rankCanned(all, 'ref', { intent: '退换货' }).map((x) => x.shortcut), ['refund', 'refund-late', 'hello']);
      assert.deepEqual(rankCanned(all, 're', {}).map((x) => x.shortcut), ['reship', 'refund', 'refund-late', 'hello']);
    });
    it('the conversation\'s intent ranks a reply up, against the alphabet', () => {
      const pair = [r('refund-a'), r('refund-b', { intents: ['退换货'] })];
      assert.deepEqual(rankCanned(pair, 'refund', {}).map((x) => x.shortcut), ['refund-a', 'refund-b'], 'no intent: by shortcut');
      assert.deepEqual(rankCanned(pair, 'refund', { intent: '退换货' }).map((x) => x.shortcut), ['refund-b', 'refund-a']);
      assert.deepEqual(rankCanned(pair, 'refund', { intent: '物流' }).map((x) => x.shortcut), ['refund-a', 'refund-b'], 'another intent changes nothing');
    });
    it('the workspace language ranks a reply up, after intent and scope', () => {
      const pair = [r('bye-en', { lang: 'en' }), r('bye-zh', { lang: 'zh' })];
      assert.deepEqual(rankCanned(pair, 'bye', { lang: 'zh' }).map((x) => x.shortcut), ['bye-zh', 'bye-en']);
      assert.deepEqual(rankCanned(pair, 'bye', { lang: 'en' }).map((x) => x.shortcut), ['bye-en', 'bye-zh']);
      const mixed = [r('bye-en', { lang: 'en', intents: ['告别'] }), r('bye-zh', { lang: 'zh' })];
      assert.deepEqual(rankCanned(mixed, 'bye', { lang: 'zh', intent: '告别' }).map((x) => x.shortcut), ['bye-en', 'bye-zh'], 'intent outranks language');
    });
    it('an empty query lists everything', () => {
      assert.equal(rankCanned(all, '', {}).length, all.length);
    });
  });

  describe('through the workspace API', () => {
    let dir: string;
    let gw: TestGateway | undefined;
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-canned-')); });
    afterEach(async () => { await gw?.close(); gw = undefined; rmSync(dir, { recursive: true, force: true }); });
    const call = (token: string, path: string, body?: unknown) =>
      json(`${gw!.workspaceUrl}/api${path}`, body === undefined ? { headers: { authorization: `Bearer ${token}` } } : { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: body });

    it('team replies for admins to edit, personal ones for their owner; validated; kept across a restart', async () => {
      gw = await startGateway('', { dir });
      const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      assert.equal((await call(admin, '/agents', { login: 'bo', password: 'bo-password-1', role: 'agent' })).status, 201);
      const bo = await loginAgent(gw.workspaceUrl, 'bo', 'bo-password-1');

      const team = await call(admin, '/canned', { scope: 'team', shortcut: 'Refund', title: 'Refunds', text: 'Hi {customer.name}, refunds take 3 days.', lang: 'en', intents: ['退换货'] });
      assert.equal(team.status, 201, JSON.stringify(team.body));
      assert.equal(team.body.reply.shortcut, 'refund', 'shortcuts compare lowercased');
      assert.equal((await call(admin, '/canned', { scope: 'team', shortcut: 'refund', text: 'again' })).body.error.code, 'conflict');
      const denied = await call(bo, '/canned', { scope: 'team', shortcut: 'x', text: 'y' });
      assert.equal(denied.status, 403);
      const mine = await call(bo, '/canned', { shortcut: '退款', text: '您好 {customer.name}，退款三天内到账。', lang: 'zh' });
      assert.equal(mine.status, 201, JSON.stringify(mine.body));
      assert.equal(mine.body.reply.scope, 'personal');
      for (const bad of [{ shortcut: 'has space', text: 'x' }, { shortcut: 'ok', text: '' }, { shortcut: 'ok', text: 'x'.repeat(4001) }, { shortcut: 'ok', text: 'x', lang: 'english' }, { text: 'no shortcut' }]) {
        const r = await call(bo, '/canned', bad);
        assert.equal(r.status, 422, JSON.stringify(bad));
        assert.equal(r.body.error.code, 'validation_failed');
      }

      assert.deepEqual((await call(bo, '/canned')).body.replies.map((x: { shortcut: string }) => x.shortcut), ['refund', '退款']);
      assert.deepEqual((await call(admin, '/canned')).body.replies.map((x: { shortcut: string }) => x.shortcut), ['refund'], 'bo\'s own stay his');
      assert.equal((await call(bo, `/canned/${team.body.reply.id}/delete`, {})).status, 403, 'an agent cannot delete a team reply');
      assert.equal((await call(admin, `/canned/${mine.body.reply.id}/delete`, {})).status, 404, 'nor can anyone touch another agent\'s');
      const edited = await call(bo, `/canned/${mine.body.reply.id}`, { title: '退款时效' });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal(edited.body.reply.title, '退款时效');
      assert.equal(edited.body.reply.text, '您好 {customer.name}，退款三天内到账。');

      await gw.close();
      gw = await startGateway('', { dir });
      const bo2 = await loginAgent(gw.workspaceUrl, 'bo', 'bo-password-1');
      assert.deepEqual((await call(bo2, '/canned')).body.replies.map((x: { title?: string }) => x.title), ['Refunds', '退款时效']);
      assert.equal((await call(bo2, `/canned/${mine.body.reply.id}/delete`, {})).status, 200);
      assert.deepEqual((await call(bo2, '/canned')).body.replies.map((x: { shortcut: string }) => x.shortcut), ['refund']);
    });
  });
});
