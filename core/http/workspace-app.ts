import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { AgentAccounts } from '../auth/agents.js';
import { publicAgent } from '../auth/agents.js';
import type { Assigner } from '../routing/assigner.js';
import type { AgentHub } from '../workspace/agent-hub.js';
import type { AgentRecord } from '../store/store.js';
import { SESSION_COOKIE, sessionToken } from '../workspace/views.js';
import { readJson, str } from './body.js';
import { withDeliveries } from '../model/delivery.js';
import { koaErrorLogger, errorMiddleware, securityHeaders } from './error-middleware.js';
import type { MediaService } from './media.js';
import type { Metrics } from './metrics.js';
import { serveAsset } from './static-assets.js';
import { GcraRateLimiter } from '../ratelimit/rate-limiter.js';
import { clientAddress } from './client-address.js';
import { originGuard } from './origin-guard.js';
import { CannedReplies, mountCannedRoutes } from '../canned/canned-replies.js';
import type { ContactService } from '../contacts/contact-service.js';
import { mountContactRoutes } from '../contacts/contact-routes.js';
import type { Starters } from '../contacts/outbound-start.js';
import { mountSearchRoutes, type SearchRouteDeps } from '../search/search-routes.js';

export interface WorkspaceDeps {
  bus: ConversationBus; accounts: AgentAccounts; assigner: Assigner; hub: AgentHub; media: MediaService; metrics: Metrics;
  logger: Logger; sessionTtlMs: () => number; ready: () => boolean;
  /** Cluster mode's state for /readyz (mode, node, whether Redis answers, leases held). */
  cluster?: () => Record<string, unknown>;
  /** `[server] workspace_origins` and `trusted_proxies`, read at use (hot reload). */
  origins: () => readonly string[]; trustedProxies: () => readonly string[];
  /** Channel health (readyz, supervisor view) and the Retry of a failed delivery. */
  channels: { health(): Record<string, unknown>; retry(messageId: string): Promise<void>;
    /** Per channel, what an admin must look at by hand (e.g. mails kept as unprocessable). */
    problems(): Promise<Record<string, unknown[]>>; dismissProblem(channel: string, id: string): Promise<boolean> };
  /** Contacts of the side panel (core/contacts) and the custom attribute keys agents may edit. */
  contacts: { service: ContactService; attributeKeys: () => readonly string[];
    /** The channels that can write first (agent-started conversations on another identity). */
    starters?: Starters; hasRoom?: (agentId: string) => boolean };
  /** Search, labels and snooze (core/search). */
  search?: Omit<SearchRouteDeps, 'bus' | 'view'>;
}

const STATUSES = new Set(['bot', 'queued', 'assigned', 'pending', 'resolved']);

/** Port 9000: agent workspace UI and API, admin API, health and metrics. Keep it inside your network. */
export function createWorkspaceApp(d: WorkspaceDeps): Koa {
  const app = new Koa();
  app.proxy = false;
  // With its SLA clocks: the hub knows them.
  const publicConversation = (c: Parameters<AgentHub['view']>[0]) => d.hub.view(c);
  const router = new Router();
  const uiCsp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'";

  router.get('/healthz', (ctx) => { ctx.body = { ok: true }; });
  router.get('/readyz', (ctx) => {
    // A vendor connection in trouble does not make the node unready (a balancer would pull it
    // for every channel): it is reported here, in /metrics and in the supervisor view.
    // The cluster's shared state unreachable does make it unready (core/cluster/cluster.ts).
    const ok = d.ready();
    ctx.status = ok ? 200 : 503;
    ctx.body = { ok, channels: d.channels.health(), cluster: d.cluster?.() };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = d.metrics.registry.contentType;
    ctx.body = await d.metrics.text();
  });
  router.get('/', (ctx) => serveAsset(ctx, 'workspace.html', { maxAge: 0, csp: uiCsp }));
  router.get('/workspace.js', (ctx) => serveAsset(ctx, 'workspace.js', { maxAge: 300 }));

  // Password guessing is slowed: only FAILED attempts count, per (login, address) pair (10 at
  // once, then 6 a minute) and per address over all logins (30, then 20 a minute). Nothing is
  // counted per login alone: whoever knows a login could otherwise lock its owner out from
  // everywhere. A whole office logging in behind one address is never held up by successes.
  const pairLimiter = new GcraRateLimiter(6, 10);
  const addressLimiter = new GcraRateLimiter(20, 30);
  router.post('/api/login', async (ctx) => {
    const body = await readJson(ctx, 4096);
    const address = clientAddress(ctx.req, d.trustedProxies());
    const pair = `${address}|${String(body.login ?? '').slice(0, 64).toLowerCase()}`;
    // Taken before the password is checked (concurrent guesses must not all be let through while
    // scrypt runs), given back when it was right.
    const wait = Math.max(pairLimiter.peek(pair), addressLimiter.peek(address));
    if (wait > 0) throw new KefuError('rate_limited', `Too many failed logins; retry in ${wait}s.`, { retryAfter: wait });
    pairLimiter.take(pair);
    addressLimiter.take(address);
    const session = await d.accounts.login(str(body, 'login', { required: true, max: 64 })!, str(body, 'password', { required: true, max: 1024 })!);
    pairLimiter.refund(pair);
    addressLimiter.refund(address);
    const { token, agent } = session;
    ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', maxAge: d.sessionTtlMs(), overwrite: true });
    ctx.body = { ok: true, token, agent: publicAgent(agent) };
  });

  // Everything below needs a session.
  const authed = new Router({ prefix: '/api' });
  authed.use(async (ctx, next) => {
    ctx.state.agent = await d.accounts.authenticate(sessionToken(ctx.get('cookie'), ctx.get('authorization')));
    // An agent who works over HTTP only (no workspace socket yet) can still claim and reply.
    d.assigner.know(ctx.state.agent);
    await next();
  });
  const me = (ctx: Koa.Context) => ctx.state.agent as AgentRecord;
  const admin = (ctx: Koa.Context) => { if (me(ctx).role !== 'admin') throw new KefuError('forbidden'); };
  mountCannedRoutes(authed, new CannedReplies(d.bus.store.channelState), me);
  mountContactRoutes(authed, { contacts: d.contacts.service, store: d.bus.store, conversationView: publicConversation, attributeKeys: d.contacts.attributeKeys, me,
    start: d.contacts.starters && { bus: d.bus, starters: d.contacts.starters, claim: (c, agentId) => d.assigner.claim(c, agentId),
      hasRoom: d.contacts.hasRoom } });
  if (d.search) mountSearchRoutes(authed, { ...d.search, bus: d.bus, view: publicConversation }, me);
  const conversation = async (id: string) => {
    const c = await d.bus.store.getConversation(id);
    if (!c) throw new KefuError('conversation_not_found');
    return c;
  };

  authed.post('/logout', async (ctx) => {
    const token = sessionToken(ctx.get('cookie'), ctx.get('authorization'));
    if (token) await d.accounts.logout(token);
    ctx.cookies.set(SESSION_COOKIE, '', { maxAge: 0 });
    ctx.body = { ok: true };
  });
  authed.get('/me', (ctx) => { ctx.body = { ok: true, agent: publicAgent(me(ctx)) }; });
  authed.get('/agents', (ctx) => { ctx.body = { ok: true, agents: d.hub.agentList() }; });
  authed.get('/supervisor', (ctx) => { ctx.body = { ok: true, queues: d.assigner.supervisorView(), channels: d.channels.health(), sla: d.hub.slaSummary(), csat: d.hub.csatSummary() }; });
  // Admins only: the kept raw inputs can hold anyone's mail, not just a conversation's own customer.
  authed.get('/channels/problems', async (ctx) => {
    admin(ctx);
    ctx.body = { ok: true, channels: await d.channels.problems() };
  });
  authed.post('/channels/problems/dismiss', async (ctx) => {
    admin(ctx);
    const b = await readJson(ctx, 1024);
    if (!await d.channels.dismissProblem(str(b, 'channel', { required: true, max: 40 })!, str(b, 'id', { required: true, max: 100 })!)) throw new KefuError('not_found', 'No such problem.');
    ctx.body = { ok: true };
  });
  authed.post('/agents', async (ctx) => {
    admin(ctx);
    const b = await readJson(ctx, 4096);
    const capacity = b.capacity === undefined ? undefined : Number(b.capacity);
    if (capacity !== undefined && !(Number.isInteger(capacity) && capacity >= 1 && capacity <= 1000)) throw new KefuError('validation_failed', 'capacity must be 1-1000');
    const role = b.role === 'admin' ? 'admin' : 'agent';
    const a = await d.accounts.create({ login: str(b, 'login', { required: true })!, name: str(b, 'name', { max: 100 }), password: str(b, 'password', { required: true, max: 1024 })!, role, capacity });
    ctx.status = 201;
    ctx.body = { ok: true, agent: publicAgent(a) };
  });

  authed.get('/conversations', async (ctx) => {
    const status = String(ctx.query.status ?? 'queued,assigned,pending,bot').split(',').filter((s) => STATUSES.has(s));
    const mine = ctx.query.mine === '1';
    const list = await d.bus.store.listConversations({ status: status as never, assigneeId: mine ? me(ctx).id : undefined, limit: 500 });
    ctx.body = { ok: true, conversations: list.map(publicConversation) };
  });
  authed.get('/conversations/:id', async (ctx) => {
    ctx.body = { ok: true, conversation: publicConversation(await conversation(ctx.params.id)) };
  });
  authed.get('/conversations/:id/messages', async (ctx) => {
    const c = await conversation(ctx.params.id);
    const after = ctx.query.after !== undefined ? Number(ctx.query.after) : undefined;
    const before = ctx.query.before !== undefined ? Number(ctx.query.before) : undefined;
    for (const v of [after, before]) if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new KefuError('validation_failed', 'after/before must be non-negative integers');
    const limit = Math.min(Number(ctx.query.limit ?? 100) || 100, 500);
    ctx.body = { ok: true, messages: await withDeliveries(d.bus.store.outbox, await d.bus.store.listMessages(c.id, { afterSeq: after, beforeSeq: before, limit })) };
  });
  authed.post('/conversations/:id/messages', async (ctx) => {
    const c = await conversation(ctx.params.id);
    const b = await readJson(ctx, 64 * 1024);
    const text = str(b, 'text', { required: true })!;
    const clientId = str(b, 'clientId', { max: 64 });
    if (b.private !== true && (c.status !== 'assigned' || c.assigneeId !== me(ctx).id)) await d.assigner.claim(c, me(ctx).id);
    const res = await d.bus.send({ conversationId: c.id, clientId, private: b.private === true, content: { kind: 'text', text },
      from: { id: me(ctx).id, role: 'agent', name: me(ctx).name } });
    ctx.status = res.status === 'accepted' ? 201 : 200;
    ctx.body = { ok: true, message: res.message };
  });
  // Retry of a message whose delivery to the customer's vendor failed: back at the head of its conversation's line.
  authed.post('/messages/:id/retry', async (ctx) => {
    const m = await d.bus.store.getMessage(ctx.params.id);
    if (!m) throw new KefuError('not_found', 'No such message.');
    const c = await conversation(m.conversationId);
    if (c.assigneeId && c.assigneeId !== me(ctx).id && me(ctx).role !== 'admin') throw new KefuError('forbidden', 'Only the assigned agent or an admin can retry it.');
    await d.channels.retry(m.id);
    ctx.body = { ok: true };
  });
  authed.post('/conversations/:id/claim', async (ctx) => {
    const c = await conversation(ctx.params.id);
    await d.assigner.claim(c, me(ctx).id);
    ctx.body = { ok: true, conversation: publicConversation(c) };
  });
  authed.post('/conversations/:id/close', async (ctx) => {
    const c = await conversation(ctx.params.id);
    if (c.assigneeId !== me(ctx).id && me(ctx).role !== 'admin' && c.status === 'assigned') throw new KefuError('forbidden', 'Only the assigned agent or an admin can close it.');
    await d.assigner.resolve(c, { id: me(ctx).id, role: 'agent', name: me(ctx).name });
    ctx.body = { ok: true, conversation: publicConversation(c) };
  });
  authed.post('/conversations/:id/transfer', async (ctx) => {
    const c = await conversation(ctx.params.id);
    const b = await readJson(ctx, 4096);
    if (c.assigneeId !== me(ctx).id && me(ctx).role !== 'admin') throw new KefuError('forbidden', 'Only the assigned agent or an admin can transfer it.');
    const queue = str(b, 'queue', { max: 40 });
    await d.assigner.transfer(c, queue ? `queue:${queue}` : str(b, 'agentId', { required: true, max: 64 })!);
    ctx.body = { ok: true, conversation: publicConversation(c) };
  });
  authed.post('/conversations/:id/requeue', async (ctx) => {
    const c = await conversation(ctx.params.id);
    if (c.assigneeId !== me(ctx).id && me(ctx).role !== 'admin') throw new KefuError('forbidden');
    if (c.status !== 'assigned') throw new KefuError('invalid_state', 'Only an assigned conversation can go back to the queue.');
    await d.assigner.requeue(c, { returned: true });
    ctx.body = { ok: true, conversation: publicConversation(c) };
  });
  authed.post('/uploads', async (ctx) => {
    const attachment = await d.media.acceptImageUpload(ctx, me(ctx).id);
    ctx.status = 201;
    ctx.body = { ok: true, attachment };
  });
  router.get('/media/:id', async (ctx) => {
    const agent = await d.accounts.authenticate(sessionToken(ctx.get('cookie'), ctx.get('authorization')));
    await d.media.serve(ctx, ctx.params.id, { admin: agent.role === 'admin' });
  });

  app.on('error', koaErrorLogger(d.logger));
  app.use(errorMiddleware(d.logger));
  app.use(securityHeaders());
  app.use(originGuard(d.origins));
  app.use(router.routes()).use(router.allowedMethods());
  app.use(authed.routes()).use(authed.allowedMethods());
  return app;
}
