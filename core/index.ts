import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { ConfigSource } from '../config/load.js';
import type { KefuConfig } from '../config/schema.js';
import { ConversationBus } from './bus/conversation-bus.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';
import type { RateLimiter } from './ratelimit/rate-limiter.js';
import { defaultNodeId, singleNode, type Cluster } from './cluster/cluster.js';
import { bridgeBus } from './cluster/bus-bridge.js';
import { AgentPool } from './routing/agent-pool.js';
import { Assigner } from './routing/assigner.js';
import { shareRouting, sharedAssignment } from './routing/shared-routing.js';
import { AgentAccounts } from './auth/agents.js';
import { VisitorTokens } from './auth/visitor-token.js';
import { MediaService } from './http/media.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { UpgradeRouter } from './http/upgrade.js';
import { fromOwnOrigin } from './http/origin-guard.js';
import { setSocketSendBuffer } from './http/socket-send.js';
import { createPublicApp, publicHeaders } from './http/public-app.js';
import { lockDatabase } from './store/lock-file.js';
import { createWorkspaceApp } from './http/workspace-app.js';
import { AgentHub } from './workspace/agent-hub.js';
import { OutboxDispatcher } from './outbox/dispatcher.js';
import { ChannelRegistry } from '../channels/registry.js';
import { builtinChannels } from '../channels/builtin.js';
import type { WebChannel } from '../channels/web/index.js';
import type { ChannelAdapter } from '../channels/contract.js';
import { loadPlugins } from '../plugins/loader.js';
import type { GatewayApi } from '../plugins/contract.js';
import { resolveQueue } from './routing/queue-resolver.js';
import { applyConfigChange } from './config-reload.js';
import { ensureAdmin, ensureSecret } from './first-start.js';
import { ApiTokens } from '../channels/api/tokens.js';
import { ApiError } from '../channels/api/types.js';
import { KefuError } from './errors.js';
import { SlaMonitor } from './sla/monitor.js';
import { breachEvent, enqueueBreach } from './sla/notify.js';
import { ContactService } from './contacts/contact-service.js';
import { CsatService } from './csat/csat-service.js';
import { SurveyTokens } from './csat/survey-token.js';
import { ratingPageRoutes } from './csat/rating-page.js';
import { CsatTotals } from './csat/csat-totals.js';
import { SearchIndexer } from './search/indexer.js';
import { Search } from './search/search.js';
import { Snoozes } from './search/snooze.js';
import type { Conversation } from './model/message.js';

export interface GatewayOptions {
  config: ConfigSource;
  logger?: Logger;
  /** Print the generated admin login on first start (the CLI does; tests do not). */
  onAdminCreated?: (login: string, password: string) => void;
  /** Channels besides the built-in ones (embedding, tests), or instead of the built-in one of the same name; enabled by `[channels.<name>] enabled` like any other. */
  channels?: ChannelAdapter[];
  /** The clock of the outbox's retry timing and of the SLA clocks (tests move it instead of waiting). */
  now?: () => number;
}

export interface Gateway {
  readonly config: ConfigSource;
  readonly logger: Logger;
  readonly bus: ConversationBus;
  readonly store: Store;
  readonly accounts: AgentAccounts;
  readonly assigner: Assigner;
  readonly channels: ChannelRegistry;
  readonly outbox: OutboxDispatcher;
  readonly web: WebChannel;
  readonly media: MediaService;
  /** SLA clocks of the open conversations; `check()` re-evaluates them now (tests, after moving `now`). */
  readonly sla: SlaMonitor;
  /** Contacts and identities (core/contacts). */
  readonly contacts: ContactService;
  readonly csat: CsatService;
  /** Snoozed conversations; `check()` wakes the due ones now (tests, after moving `now`). */
  readonly snoozes: Snoozes;
  /** Feeds the search index; `idle()` resolves once what was stored is searchable. */
  readonly searchIndex: SearchIndexer;
  readonly publicPort: number;
  readonly workspacePort: number;
  stop(): Promise<void>;
}

/** Everything a gateway is made of, wired together and not yet started. */
interface Parts {
  source: ConfigSource; cfg: () => KefuConfig; logger: Logger; unlock: () => void;
  store: Store; cluster: Cluster; limiter: RateLimiter; media: MediaService; bus: ConversationBus; pool: AgentPool; assigner: Assigner;
  accounts: AgentAccounts; hub: AgentHub; sla: SlaMonitor; contacts: ContactService; snoozes: Snoozes; indexer: SearchIndexer; metrics: Metrics; registry: ChannelRegistry; dispatcher: OutboxDispatcher; web: WebChannel;
  publicUpgrades: UpgradeRouter; workspaceUpgrades: UpgradeRouter; publicServer: Server; workspaceServer: Server; csat: CsatService; csatTotals: CsatTotals;
  ready: { value: boolean }; teardowns: (() => void | Promise<void>)[];
}

/** Builds, starts and listens; `stop()` undoes it in reverse. */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const p = await build(opts);
  await start(p, opts);
  let stopping: Promise<void> | undefined;
  return {
    config: p.source, logger: p.logger, bus: p.bus, store: p.store, accounts: p.accounts, assigner: p.assigner,
    channels: p.registry, outbox: p.dispatcher, web: p.web, media: p.media, sla: p.sla, contacts: p.contacts, csat: p.csat, snoozes: p.snoozes, searchIndex: p.indexer,
    publicPort: (p.publicServer.address() as AddressInfo).port,
    workspacePort: (p.workspaceServer.address() as AddressInfo).port,
    stop: () => (stopping ??= stop(p)),
  };
}

/** Wiring only: every part gets what it needs; nothing listens, nothing is loaded or started. */
async function build(opts: GatewayOptions): Promise<Parts> {
  const source = opts.config;
  const cfg = (): KefuConfig => source.current;
  const c0 = cfg();
  const logger = opts.logger ?? pino({ level: c0.log.level, base: { svc: 'kefu' } });
  const mongo = c0.store.driver === 'mongodb';
  const memory = c0.store.path === ':memory:';
  const dbPath = memory ? ':memory:' : resolve(c0.store.path);
  // A shared MongoDB has no file to lock: several gateways are meant to use it at once.
  const unlock = memory || mongo ? () => {} : lockDatabase(dbPath);
  let metrics: Metrics | undefined;
  // The driver is loaded only when configured: an SQLite gateway never reads it from disk.
  const store: Store = mongo
    ? await (await import('./store/mongo-store.js')).MongoStore.open({ url: c0.store.url, database: c0.store.database })
    : new SqliteStore({ path: dbPath, commitIntervalMs: c0.store.commit_interval_ms, synchronous: c0.store.synchronous,
      writer: c0.store.writer, onCommit: (n, s) => metrics?.commit(n, s) });
  // Cluster mode loads ioredis (through the plugin) only when configured, like the MongoDB driver.
  const cluster: Cluster = c0.cluster.mode === 'redis'
    ? await (await import('../plugins/cluster-redis/index.js')).openRedisCluster({ config: c0.cluster, logger: logger.child({ part: 'cluster' }) })
    : singleNode(defaultNodeId(c0.cluster.node_id));
  const limiter = cluster.limiters('customer', c0.ratelimit.customer_quota, c0.ratelimit.burst);
  const media = new MediaService(store, resolve(c0.store.media_dir), () => cfg().server.max_upload_bytes, () => cfg().server.max_image_pixels);
  // Cluster mode: every answer names the node (worker) that gave it, for operators behind a balancer (and the tests).
  const nodeHeader: Record<string, string> = cluster.mode === 'redis' ? { 'X-Kefu-Node': cluster.nodeId } : {};
  const publicUpgrades = new UpgradeRouter({ headers: nodeHeader });
  // The workspace socket carries every conversation: only the workspace's own pages may open it.
  const workspaceUpgrades = new UpgradeRouter({ accept: (req) => fromOwnOrigin(req.headers, cfg().server.workspace_origins), headers: nodeHeader });
  const dispatcher = new OutboxDispatcher({ outbox: store.outbox, logger: logger.child({ part: 'outbox' }), now: opts.now });

  // The registry and the bus need each other (the bus hands stored messages to channels, the
  // channels ingest into the bus): the bus gets functions of the registry made right below.
  let registry: ChannelRegistry | undefined;
  const channels = () => registry!;
  const bus = new ConversationBus({
    store, limiter, logger,
    chooseQueue: (_conv, h) => resolveQueue(cfg().routing, { hint: h.queue, intent: h.intent, text: h.text ?? '' }),
    limits: () => ({ maxTextChars: cfg().server.max_text_chars, defaultQueue: cfg().routing.default_queue }),
    sendOut: (m, c, edited) => channels().sendOut(m, c, edited),
    deliverTo: (c, m) => channels().deliverTo(c, m),
  });
  const pool = new AgentPool(() => cfg().routing.agents);
  const assigner = new Assigner({ bus, pool, logger, routing: () => cfg().routing, shared: sharedAssignment(cluster, bus),
    onQueueStatus: (conv, status) => channels().queueStatus(conv, status) });
  const now = opts.now ?? Date.now;
  const sla = new SlaMonitor({ bus, config: cfg, logger: logger.child({ part: 'sla' }), now,
    notify: async (b, conv, policy) => {
      if (await enqueueBreach(store.outbox, cfg().webhooks, conv.id, breachEvent(b, conv, policy.targets[b.target], now()))) dispatcher.kick();
    } });
  const contacts = new ContactService({ store, logger: logger.child({ part: 'contacts' }), attributeKeys: () => cfg().contacts.attributes });
  // Derived data, off the message path: a missed event is made good when the side panel asks.
  bus.on('conversation', (c, change) => {
    if (change === 'created' || change === 'updated') contacts.notice(c).catch((err) => logger.error({ err, conversationId: c.id }, 'contact update failed'));
  });
  const snoozes = new Snoozes({ bus, logger: logger.child({ part: 'snooze' }), now });
  const indexer = new SearchIndexer({ bus, store, logger: logger.child({ part: 'search' }), enabled: c0.search.index });
  const csatTotals = new CsatTotals(now);
  bus.on('conversation', (c) => csatTotals.notice(c));
  bus.on('remote:conversation', (c) => csatTotals.notice(c));
  const accounts = new AgentAccounts(store, () => cfg().routing.default_capacity, () => cfg().auth.session_ttl_h * 3600_000);
  const hub = new AgentHub({ bus, accounts, assigner, pool, media, logger, sla, snoozes, csat: () => csatTotals.summary(), onPresence: (n) => web.presence(n), channelHealth: () => channels().health() });
  metrics = createMetrics({ waiting: () => assigner.waitingCount(), visitorSockets: () => web.connectionCount,
    agentSockets: () => hub.connectionCount, agentsOnline: () => pool.onlineCount(), outbox: () => store.outbox.depth() });
  registry = new ChannelRegistry({ bus, logger, config: cfg, media, upgrades: publicUpgrades, dispatcher, headers: publicHeaders,
    metrics: { sent: (ch, r) => { metrics!.sent(ch, r); if (r === 'sent') metrics!.messageOut(ch); }, health: (ch, s) => metrics!.health(ch, s) } });
  const secret = await ensureSecret(store);
  const { web, adapters } = builtinChannels({
    visitorTokens: new VisitorTokens(secret, c0.auth.visitor_ttl_d * 86400),
    agentsOnline: () => pool.onlineCount(),
    tokens: store.tokens, media, maxTextChars: () => cfg().server.max_text_chars, contacts,
    handoff: (conv, by) => bus.handOff(conv, { priority: cfg().ai.handoff_priority,
      notice: { from: { id: 'system', role: 'system', name: 'kefu' }, refId: by.id, text: cfg().ai.handoff_notice } }),
    cluster,
  });
  // A channel passed in replaces the built-in one of its name (an embedder's configured instance, a test's fake puppet).
  const given = new Set((opts.channels ?? []).map((a) => a.name));
  for (const a of [...adapters.filter((b) => !given.has(b.name)), ...(opts.channels ?? [])]) registry.register(a);

  bus.on('message', (m, c) => { if (m.direction === 'inbound') metrics!.messageIn(c.ref.channel); });
  bus.on('rejected', (code, channel) => metrics!.rejected(code, channel));
  bus.on('signal', (s) => { if (s.from.role !== 'customer') registry!.typing(s).catch((err) => logger.warn({ err }, 'typing relay failed')); });
  const teardowns: (() => void)[] = [];
  if (cluster.fanout) {
    teardowns.push(bridgeBus(bus, cluster.fanout, cluster.nodeId));
    bus.on('remote:message', (m, c) => { registry!.deliverRemote(m, c).catch((err) => logger.warn({ err }, 'remote delivery failed')); });
    bus.on('remote:signal', (s) => { registry!.typingRemote(s).catch((err) => logger.warn({ err }, 'typing relay failed')); });
  }

  const surveyTokens = new SurveyTokens(secret);
  let publicServer: Server | undefined;
  const csat = new CsatService({ bus, dispatcher, tokens: surveyTokens, config: cfg, logger: logger.child({ part: 'csat' }), now: opts.now,
    // Without [server] public_url, survey links name the public port only when it listens on loopback
    // (tests, a try on one machine): an address the customer cannot reach is no link at all.
    listeningUrl: () => {
      const a = publicServer?.address() as AddressInfo | null | undefined;
      if (!a || !/^(127\.|::1$)/.test(a.address)) return undefined;
      return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    } });

  const ready = { value: false };
  const publicApp = createPublicApp({ logger, routes: registry.router.routes() as never, media,
    pages: [ratingPageRoutes({ csat, tokens: surveyTokens, store }).routes() as never] }).callback();
  // The channels' hot JSON endpoints first (no Koa on the per-message path), then Koa.
  const named = (res: ServerResponse) => { for (const [k, v] of Object.entries(nodeHeader)) res.setHeader(k, v); };
  publicServer = createServer((req, res) => { named(res); if (!registry!.json.serve(req, res)) void publicApp(req, res); });
  const workspaceApp = createWorkspaceApp({ bus, accounts, assigner, hub, media, metrics, logger,
    sessionTtlMs: () => cfg().auth.session_ttl_h * 3600_000, ready: () => ready.value && cluster.ready(), cluster: () => cluster.health(),
    origins: () => cfg().server.workspace_origins, trustedProxies: () => cfg().server.trusted_proxies,
    channels: { health: () => registry!.health(), retry: (id) => registry!.outbox.retry(id), problems: () => registry!.problems(),
      dismissProblem: (channel, id) => registry!.dismissProblem(channel, id) },
    contacts: { service: contacts, attributeKeys: () => cfg().contacts.attributes,
      starters: { list: () => registry!.starters(), target: (channel, t) => registry!.outboundTarget(channel, t) },
      hasRoom: (id) => { const s = pool.get(id); return !s || pool.hasRoom(s); } },
    search: { search: new Search(store, (t, n) => customersMatching(store, contacts, t, n)), snoozes } }).callback();
  const workspaceServer = createServer((req, res) => { named(res); void workspaceApp(req, res); });
  publicUpgrades.attach(publicServer);
  workspaceUpgrades.attach(workspaceServer);
  workspaceUpgrades.add('/ws/agent', (ws, req) => void hub.accept(ws, req));
  return { source, cfg, logger, unlock, store, cluster, limiter, media, bus, pool, assigner, accounts, hub, sla, contacts, snoozes, indexer, metrics, registry, dispatcher, web,
    publicUpgrades, workspaceUpgrades, publicServer, workspaceServer, csat, csatTotals, ready, teardowns };
}

async function start(p: Parts, opts: GatewayOptions): Promise<void> {
  const { cfg, logger, source } = p;
  await p.media.init();
  setSocketSendBuffer(cfg().server.socket_send_buffer_bytes);
  const services = new Map<string, unknown>();
  const apiTokens = new ApiTokens(p.store.tokens, () => cfg().channels.api.bots);
  const api: GatewayApi = {
    logger, bus: p.bus, config: cfg,
    use(stage, fn) { p.bus.use(stage, fn); return api; },
    on(event, fn) { p.bus.on(event, fn as never); return api; },
    send: (req) => p.bus.send(req),
    addChannel: (adapter) => p.registry.register(adapter),
    provide(name, impl) {
      if (services.has(name)) throw new Error(`service "${name}" is provided twice`);
      services.set(name, impl);
    },
    service: <T>(name: string) => services.get(name) as T | undefined,
    agentsOnline: () => p.pool.onlineCount(),
    publicJson: (path, handler) => p.registry.json.post(path, () => cfg().server.max_body_bytes, handler),
    apiCaller: (authorization) => apiTokens.authenticate(authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined)
      .catch((e) => { throw e instanceof ApiError ? new KefuError(e.error === 'not_authed' ? 'unauthorized' : 'invalid_token') : e; }),
    onConfigChange: (fn) => { source.on('change', (next) => fn(next)); },
  };
  p.teardowns.push(...(await loadPlugins(cfg(), api)).teardowns);
  // After the plugins: its ingest and decide steps go first, ahead of any bot's.
  p.teardowns.push(p.csat.start());
  await p.assigner.restore();
  p.teardowns.push(shareRouting({ cluster: p.cluster, bus: p.bus, assigner: p.assigner, pool: p.pool, logger: logger.child({ part: 'routing' }) }));
  await p.sla.restore();
  await p.snoozes.restore();
  if (await p.csatTotals.restore((q) => p.store.listConversations(q))) logger.warn('csat: more resolved conversations this week than the supervisor totals read at start; the latest count only once they change again');
  // In the background: the first start after an upgrade indexes every stored message.
  void p.indexer.catchUp().then((n) => { if (n) logger.info({ messages: n }, 'search index caught up'); },
    (err) => logger.error({ err }, 'search catch-up failed; the next start tries again'));
  await ensureAdmin(p.accounts, opts.onAdminCreated);
  p.dispatcher.start();
  await p.registry.reconcile();

  source.on('change', (next, prev) => applyConfigChange(next, prev, { logger, limiter: p.limiter, assigner: p.assigner, hub: p.hub, sla: p.sla, registry: p.registry }));
  source.on('invalid', (err) => logger.error({ err: err.message }, 'config file invalid; keeping the previous config'));
  source.watch();

  await listen(p.publicServer, cfg().server.public_port, cfg().server.host);
  await listen(p.workspaceServer, cfg().server.workspace_port, cfg().server.workspace_host);
  p.ready.value = true;
}

/** Stop accepting, tell clients to come back (1012), drain in-flight work, then close the store. */
async function stop(p: Parts): Promise<void> {
  p.ready.value = false;
  p.source.close();
  const deadline = Date.now() + p.cfg().server.shutdown_timeout_ms;
  const closed = Promise.all([closeServer(p.publicServer), closeServer(p.workspaceServer)]);
  await p.registry.stopAll();
  p.dispatcher.stop();
  p.hub.closeAll();
  p.publicUpgrades.close();
  p.workspaceUpgrades.close();
  await Promise.race([Promise.all([p.bus.idle(), p.dispatcher.idle(), closed]), sleep(Math.max(0, deadline - Date.now()))]);
  p.publicServer.closeAllConnections();
  p.workspaceServer.closeAllConnections();
  for (const t of p.teardowns.reverse()) await t();
  p.assigner.close();
  p.sla.close();
  p.snoozes.close();
  // Closed first: a catch-up still reading the history stops at its page; what was queued is written.
  p.indexer.close();
  await p.indexer.idle();
  p.limiter.close();
  // After the channels stopped (their leases are released) and before the store goes.
  await p.cluster.close();
  await p.store.close();
  p.unlock();
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => { server.off('error', rej); res(); });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((res) => server.close(() => res()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Search's customers: the contacts found (name, company, identity), then the names conversations carry; each conversation once. */
async function customersMatching(store: Store, contacts: ContactService, text: string, limit: number): Promise<Conversation[]> {
  const out = new Map<string, Conversation>();
  for (const c of [...await contacts.conversationsMatching(text, limit), ...await store.search.customers(text, limit)]) out.set(c.id, c);
  return [...out.values()].slice(0, limit);
}
