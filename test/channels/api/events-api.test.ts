import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import bolt from '@slack/bolt';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { say, connectAgent, connectVisitor, json, loginAgent } from '../../helpers/clients.js';
import { verifySlackSignature } from '../../../channels/api/verify.js';
import type { SqliteStore } from '../../../core/store/sqlite-store.js';

const { App, LogLevel } = bolt;
const BOT_TOKEN = 'xoxb-kefu-test-bolt-token-0001';
const SECRET = 'bolt-signing-secret-1';

/** A bare HTTP endpoint that records what it receives and answers with `reply(n)`. */
async function recorder(reply: (n: number, body: any) => number | string = () => 200) {
  const got: { headers: IncomingMessage['headers']; raw: string; body: any }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const body = JSON.parse(raw);
      got.push({ headers: req.headers, raw, body });
      if (body.type === 'url_verification') { res.end(body.challenge); return; }
      const r = reply(got.filter((g) => g.body.type !== 'url_verification').length, body);
      res.statusCode = typeof r === 'number' ? r : 200;
      res.end(typeof r === 'string' ? r : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, close: () => new Promise((r) => server.close(r)) };
}

/** A free loopback port (Bolt checks its token against us when it is created, so the bot's config must come first). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function addBot(gw: TestGateway, name: string, url: string, secret: string, extra = 'all = true'): Promise<unknown> {
  const changed = new Promise((r) => gw.config.once('change', r));
  appendFileSync(gw.configFile, `\n[[channels.api.bots]]\nname = "${name}"\ntoken = "${BOT_TOKEN}${name}"\nsigning_secret = "${secret}"\nevents_url = "${url}"\n${extra}\n`);
  return changed;
}

describe('Events API: an unchanged Bolt app chats with a web-widget customer', () => {
  let gw: TestGateway;
  afterEach(async () => { await gw?.close(); });

  it('Bolt verifies our signatures, answers through say(), hands off to a human, and then stops receiving', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    const seen: string[] = [];
    const port = await freePort();
    await addBot(gw, 'orderbot', `http://127.0.0.1:${port}/slack/events`, SECRET);
    const app = new App({ token: `${BOT_TOKEN}orderbot`, signingSecret: SECRET, logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: `${gw.publicUrl}/api/` } });
    app.message(async ({ message, say: reply, client }) => {
      const m = message as { text?: string; channel: string };
      seen.push(m.text ?? '');
      if (m.text === 'human please') await client.apiCall('kefu.handoff', { channel: m.channel });
      else await reply(`echo: ${m.text}`);
    });
    await app.start({ port, host: '127.0.0.1' });
    try {
      const v = await connectVisitor(gw.publicUrl);
      await say(v, '你好 bot');
      const echo = await v.socket.wait((f) => f.type === 'message' && f.message.content.text === 'echo: 你好 bot');
      assert.equal(echo.message.from.role, 'bot');
      for (const t of ['one', 'two', 'three']) await say(v, t);
      await eventually(() => seen.length === 4, 'all events delivered');
      assert.deepEqual(seen, ['你好 bot', 'one', 'two', 'three'], 'in order per conversation');
      const conv = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
      assert.equal(conv.status, 'bot', 'the bot has it, not the human queue');

      await say(v, 'human please');
      await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'handoff');
      await eventually(async () => (await gw.store.getConversation(conv.id))?.status === 'queued');
      const admin = await connectAgent(gw.workspaceUrl, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword));
      await admin.wait((f) => f.type === 'conversation' && f.change === 'assigned' && f.conversation.id === conv.id);
      await say(v, 'are you a person?');
      await admin.wait((f) => f.type === 'message' && f.message.content.text === 'are you a person?');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, 5, 'after the hand-off the bot receives nothing more');
      await admin.close();
      await v.socket.close();
    } finally {
      await app.stop();
    }
  });

  it('a bot that fails gets retries with X-Slack-Retry-Num / -Reason, signed, still in order', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    const bot = await recorder((n) => (n === 1 ? 500 : 200));
    try {
      await addBot(gw, 'flaky', bot.url, 'flaky-secret-1');
      await eventually(() => bot.got.some((g) => g.body.type === 'url_verification'), 'url_verification sent');
      const v = await connectVisitor(gw.publicUrl);
      for (const t of ['a', 'b', 'c']) await say(v, t);
      await eventually(() => bot.got.filter((g) => g.body.type === 'event_callback').length === 4, 'three events, one retried', 15_000);
      const events = bot.got.filter((g) => g.body.type === 'event_callback');
      assert.deepEqual(events.map((e) => e.body.event.text), ['a', 'a', 'b', 'c'], 'the failing head holds the rest back');
      assert.equal(events[0].headers['x-slack-retry-num'], undefined);
      assert.equal(events[1].headers['x-slack-retry-num'], '1');
      assert.equal(events[1].headers['x-slack-retry-reason'], 'http_error');
      for (const e of bot.got) {
        assert.ok(verifySlackSignature('flaky-secret-1', { signature: e.headers['x-slack-signature'] as string, timestamp: e.headers['x-slack-request-timestamp'] as string }, e.raw));
      }
      assert.equal(events[0].body.event.channel_type, 'im');
      assert.equal(events[0].body.event.user.startsWith('web:'), true);
      await v.socket.close();
    } finally {
      await bot.close();
    }
  });

  it('a Bolt app with another signing secret rejects our events (bad signature on the bot side); they stay queued', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    let handled = 0;
    const port = await freePort();
    await addBot(gw, 'strict', `http://127.0.0.1:${port}/slack/events`, 'a-different-secret');
    const app = new App({ token: `${BOT_TOKEN}strict`, signingSecret: 'the-bots-real-secret', logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: `${gw.publicUrl}/api/` } });
    app.message(async () => { handled++; });
    await app.start({ port, host: '127.0.0.1' });
    try {
      const v = await connectVisitor(gw.publicUrl);
      await say(v, 'hello');
      await eventually(async () => {
        const row = (gw.store as SqliteStore).db.prepare("SELECT attempts, last_error FROM outbox WHERE target = 'bot:strict'").get() as any;
        return row && row.attempts >= 1 && /401/.test(row.last_error);
      }, 'rejected with 401 and kept for retry');
      assert.equal(handled, 0);
      assert.equal(await gw.store.outbox.pending('bot:strict'), 1);
      await v.socket.close();
    } finally {
      await app.stop();
    }
  });

  it('disabling [channels.api] stops bot routing: new conversations go to the human queue; enabling it brings the bot back', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    const bot = await recorder();
    try {
      await addBot(gw, 'router', bot.url, SECRET);
      const v1 = await connectVisitor(gw.publicUrl);
      await say(v1, 'to the bot');
      await eventually(() => bot.got.some((g) => g.body.event?.text === 'to the bot'), 'the bot got it');
      const toggle = async (on: boolean) => {
        const text = readFileSync(gw.configFile, 'utf8');
        writeFileSync(gw.configFile, text.includes('[channels.api]\nenabled =') ? text.replace(/\[channels\.api\]\nenabled = (true|false)/, `[channels.api]\nenabled = ${on}`)
          : text.replace('[[channels.api.bots]]', `[channels.api]\nenabled = ${on}\n\n[[channels.api.bots]]`));
        gw.config.reload();
        await eventually(() => gw.channels.isRunning('api') === on, `api ${on}`);
      };
      await toggle(false);
      const v2 = await connectVisitor(gw.publicUrl);
      await say(v2, 'my parcel is late');
      const conv2 = (await eventually(() => gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v2.visitorId }), 'conversation'))!;
      await eventually(async () => (await gw.store.getConversation(conv2.id))?.status === 'queued', `queued for a human (is ${(await gw.store.getConversation(conv2.id))?.status})`);
      assert.equal(bot.got.some((g) => g.body.event?.text === 'my parcel is late'), false);
      await toggle(true);
      const v3 = await connectVisitor(gw.publicUrl);
      await say(v3, 'bot again');
      await eventually(() => bot.got.some((g) => g.body.event?.text === 'bot again'), 'the bot is back');
      for (const v of [v1, v2, v3]) await v.socket.close();
    } finally {
      await bot.close();
    }
  });

  it('outgoing webhooks: conversation created / assigned / resolved and message created, signed', async () => {
    const hook = await recorder();
    gw = await startGateway(`[ratelimit]\ncustomer_quota = 0\n[[webhooks]]\nurl = "${hook.url}"\nsecret = "webhook-secret-1"\nevents = ["conversation.created", "conversation.assigned", "conversation.resolved", "message.created"]\n`);
    try {
      const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      const agent = await connectAgent(gw.workspaceUrl, token);
      const v = await connectVisitor(gw.publicUrl);
      await say(v, 'hi there');
      const c = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
      await json(`${gw.workspaceUrl}/api/conversations/${c.id}/close`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: {} });
      await eventually(() => hook.got.some((g) => g.body.type === 'conversation.resolved'), 'resolved webhook', 15_000);
      const types = hook.got.map((g) => g.body.type);
      assert.ok(types.indexOf('conversation.created') < types.indexOf('conversation.assigned'));
      assert.ok(types.includes('message.created'));
      assert.ok(types.indexOf('conversation.assigned') < types.indexOf('conversation.resolved'));
      const msg = hook.got.find((g) => g.body.type === 'message.created' && g.body.message.text === 'hi there');
      assert.ok(msg, 'the customer message');
      for (const g of hook.got) assert.ok(verifySlackSignature('webhook-secret-1', { signature: g.headers['x-slack-signature'] as string, timestamp: g.headers['x-slack-request-timestamp'] as string }, g.raw));
      await agent.close();
      await v.socket.close();
    } finally {
      await hook.close();
    }
  });
});
