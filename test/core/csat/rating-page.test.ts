import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, loginAgent, type Visitor } from '../../helpers/clients.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from './csat-helpers.js';

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({ method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

/** A web conversation an agent answered and closed; the survey is scheduled, not yet due. */
async function resolvedConversation(gw: TestGateway): Promise<{ id: string; v: Visitor }> {
  const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  const agent = await connectAgent(gw.workspaceUrl, token);
  const v = await connectVisitor(gw.publicUrl);
  v.socket.send({ type: 'send', clientId: cid(), text: 'hello' });
  const id = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation.id;
  await closeConversation(gw, token, id);
  await agent.close();
  return { id, v };
}

/** The same with its survey asked; returns its id and the survey link. */
async function askedConversation(gw: TestGateway, clock: ReturnType<typeof fakeClock>): Promise<{ id: string; url: string }> {
  const { id, v } = await resolvedConversation(gw);
  await surveyDue(gw, clock, 60_000, id);
  const url = (await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat')).message.content.survey.url;
  await v.socket.close();
  return { id, url };
}

describe('CSAT rating page GET/POST /csat/<token> (real gateway, plain HTTP)', () => {
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(async () => { clock = fakeClock(); gw = await startGateway(csatConfig(60), { now: clock.now }); });
  afterEach(async () => { await gw.close(); });

  it('shows a text-only form; a post stores the rating and comment once; the comment may change, the rating not', async () => {
    const { id, url } = await askedConversation(gw, clock);
    const page = await fetch(`${url}?rating=5`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.ok(!/<script|https?:\/\//i.test(html), 'no script, nothing loaded from anywhere');
    assert.match(html, /value="5" checked/);
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'asked', 'GET changes nothing');

    const post = await fetch(url, form({ rating: '5', comment: 'Great <b>help</b>' }, { origin: gw.publicUrl, 'sec-fetch-site': 'same-origin' }));
    assert.equal(post.status, 200);
    assert.match(await post.text(), /5 of 5[\s\S]*Great &#60;b&#62;help/);
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.comment, c.via], [5, 'Great <b>help</b>', 'page']);

    const comment = await fetch(url, form({ comment: 'Great help, thanks' }));
    assert.equal(comment.status, 200);
    assert.equal((await gw.store.getConversation(id))!.csat?.comment, 'Great help, thanks');
    const change = await fetch(url, form({ rating: '1', comment: 'changed my mind' }));
    assert.equal(change.status, 409);
    assert.deepEqual([(await gw.store.getConversation(id))!.csat?.rating, (await gw.store.getConversation(id))!.csat?.comment], [5, 'Great help, thanks']);
    clock.advance(3600_000);
    assert.equal((await fetch(url, form({ comment: 'too late' }))).status, 409, 'after the comment window');
    assert.equal((await gw.store.getConversation(id))!.csat?.comment, 'Great help, thanks');
  });

  it('refuses forged tokens, other sites, other body types, bad ratings and oversized bodies, storing nothing', async () => {
    const { id, url } = await askedConversation(gw, clock);
    const sig = url.slice(url.lastIndexOf('.') + 1);
    const forged = `${gw.publicUrl}/csat/${id}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    assert.equal((await fetch(forged)).status, 404);
    assert.equal((await fetch(forged, form({ rating: '1' }))).status, 404);
    assert.equal((await fetch(`${gw.publicUrl}/csat/C-other.${sig}`, form({ rating: '1' }))).status, 404, 'a token of one conversation is not another\'s');
    assert.equal((await fetch(`${gw.publicUrl}/csat/${'x'.repeat(300)}`)).status, 404);
    const malformed = (await fetch(`${gw.publicUrl}/csat/%E0%A4%A.x`)).status;
    assert.ok(malformed >= 400 && malformed < 500, `a malformed escape is refused, not a crash: ${malformed}`);
    assert.equal((await fetch(url, form({ rating: '1' }, { 'sec-fetch-site': 'cross-site' }))).status, 403);
    assert.equal((await fetch(url, form({ rating: '1' }, { origin: 'https://evil.example' }))).status, 403);
    assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'rating=1' })).status, 415);
    assert.equal((await fetch(url, form({ rating: '6' }))).status, 422);
    assert.equal((await fetch(url, form({ rating: '0x3' }))).status, 422);
    assert.equal((await fetch(url, form({ rating: '2', comment: 'x'.repeat(20_000) }))).status, 413);
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'asked');
    const ok = await fetch(url, form({ rating: '3', comment: 'x'.repeat(1500) }));
    assert.equal(ok.status, 200);
    assert.equal((await rated(gw, id)).comment?.length, 1000, 'a long comment is cut, not refused');
  });

  it('a gateway restarted before the delay still asks once it is due', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-csat-'));
    await gw.close();
    try {
      let g = await startGateway(csatConfig(300), { dir, now: clock.now });
      const { id, v } = await resolvedConversation(g);
      clock.advance(100_000);
      await g.outbox.pump();
      await v.socket.close();
      await g.stop();
      g = await startGateway(csatConfig(300), { dir, now: clock.now });
      assert.equal((await g.store.getConversation(id))!.csat?.state, 'scheduled');
      await surveyDue(g, clock, 200_000, id);
      const msgs = await g.store.listMessages(id, { afterSeq: 0 });
      assert.equal(msgs.filter((m) => m.content.kind === 'event' && m.content.event === 'csat').length, 1);
      await g.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      gw = await startGateway(); // for afterEach
    }
  });
});
