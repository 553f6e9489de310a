import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { ConfigSource } from '../config/load.js';
import type { KefuConfig } from '../config/schema.js';
import { ConversationBus } from './bus/conversation-bus.js';
import { SqliteStore } from './store/sqlite-store.js';
import { GcraRateLimiter } from './ratelimit/rate-limiter.js';
import { AgentPool } from './routing/agent-pool.js';
import { Assigner } from './routing/assigner.js';
import { AgentAccounts } from './auth/agents.js';
import { VisitorTokens } from './auth/visitor-token.js';
import { MediaService } from './http/media.js';
import { createMetrics } from './http/metrics.js';
import { UpgradeRouter } from './http/upgrade.js';
import { fromOwnOrigin } from './http/origin-guard.js';
import { setSocketSendBuffer } from './http/socket-send.js';
import { createPublicApp } from './http/public-app.js';
import { lockDatabase } from './store/lock-file.js';
import { createWorkspaceApp } from './http/workspace-app.js';
import { AgentHub } from './workspace/agent-hub.js';
import { ChannelRegistry } from '../channels/registry.js';
import { WebChannel } from '../channels/web/index.js';
import { ApiChannel } from '../channels/api/index.js';
import { loadPlugins } from '../plugins/loader.js';
import type { GatewayApi } from '../plugins/contract.js';
import { randomToken } from './model/ids.js';
import { textOf } from './model/message.js';
import { resolveQueue } from './routing/queue-resolver.js';

export interface GatewayOptions {
  config: ConfigSource;
  logger?: Logger;
  /** Print the generated admin login on first start (the CLI does; tests do not). */
  onAdminCreated?: (login: string, password: string) => void;
}

export interface Gateway {
  readonly config: ConfigSource;
  readonly logger: Logger;
  readonly bus: ConversationBus;
  readonly store: SqliteStore;
  readonly accounts: AgentAccounts;
  readonly assigner: Assigner;
  readonly web: WebChannel;
  readonly publicPort: number;
  readonly workspacePort: number;
  stop(): Promise<void>;
}

/** Wires the parts together and starts listening. Wiring only: behaviour lives in the parts. */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const source = opts.config;
  const cfg = (): KefuConfig => source.current;
  const c0 = cfg();
  const logger = opts.logger ?? pino({ level: c0.log.level, base: { svc: 'kefu' } });
  let ready = false;

  let metrics: ReturnType<typeof createMetrics> | undefined;
  const memory = c0.store.path === ':memory:';
  const dbPath = memory ? ':memory:' : resolve(c0.store.path);
  const unlock = memory ? () => {} : lockDatabase(dbPath);
  const store = new SqliteStore({ path: dbPath, commitIntervalMs: c0.store.commit_interval_ms, synchronous: c0.store.synchronous,
    writer: c0.store.writer,
    onCommit: (n, s) => metrics?.commit(n, s) });
  const secret = await ensureSecret(store);
  const limiter = new GcraRateLimiter(c0.ratelimit.customer_quota, c0.ratelimit.burst);
  const media = new MediaService(store, resolve(c0.store.media_dir), () => cfg().server.max_upload_bytes, () => cfg().server.max_image_pixels);
  await media.init();
  setSocketSendBuffer(c0.server.socket_send_buffer_bytes);
  const publicUpgrades = new UpgradeRouter();
  // The workspace socket carries every conversation: only the workspace's own pages may open it.
  const workspaceUpgrades = new UpgradeRouter({ accept: (req) => fromOwnOrigin(req.headers, cfg().server.workspace_origins) });

  let registry: ChannelRegistry;
  const bus = new ConversationBus({
    store, limiter, logger,
    chooseQueue: (conv, ctx) => resolveQueue(cfg().routing, {
      hint: ctx.inbound?.hints?.queue, intent: conv.intent?.label ?? ctx.message.intent?.label, text: textOf(ctx.message.content),
    }),
    limits: () => ({ maxTextChars: cfg().server.max_text_chars, defaultQueue: cfg().routing.default_queue }),
    sendOut: (m, c) => registry.sendOut(m, c),
  });
  const pool = new AgentPool(() => cfg().routing.agents);
  const assigner = new Assigner({ bus, pool, logger, routing: () => cfg().routing,
    onQueueStatus: (conv, status) => registry.queueStatus(conv, status) });
  const accounts = new AgentAccounts(store, () => cfg().routing.default_capacity, () => cfg().auth.session_ttl_h * 3600_000);
  const web = new WebChannel({ tokens: new VisitorTokens(secret, c0.auth.visitor_ttl_d * 86400), agentsOnline: () => pool.onlineCount() });
  const hub = new AgentHub({ bus, accounts, assigner, pool, media, logger,
    onPresence: (n) => web.presence(n) });
  metrics = createMetrics({ waiting: () => assigner.waitingCount(), visitorSockets: () => web.connectionCount,
    agentSockets: () => hub.connectionCount, agentsOnline: () => pool.onlineCount() });
  registry = new ChannelRegistry({ bus, logger, config: cfg, media, upgrades: publicUpgrades, onSent: (ch) => metrics!.messageOut(ch) });
  registry.register(web);
  const apiChannel = new ApiChannel({ bus, media, maxTextChars: () => cfg().server.max_text_chars,
    handoff: async (conv, by) => {
      if (conv.status === 'queued' || conv.status === 'assigned') return;
      await bus.send({ conversationId: conv.id, from: { id: 'system', role: 'system', name: 'kefu' },
        content: { kind: 'event', event: 'handoff', refId: by.id, text: cfg().ai.handoff_notice } });
      await bus.updateConversation(conv, { status: 'queued', priority: Math.max(conv.priority, cfg().ai.handoff_priority),
        queuedAt: new Date(), assigneeId: undefined }, 'queued');
    } });
  registry.register(apiChannel);

  bus.on('message', (m, c) => { if (m.direction === 'inbound') metrics!.messageIn(c.ref.channel); });
  bus.on('rejected', (code, channel) => metrics!.rejected(code, channel));
  bus.on('signal', (s) => { if (s.from.role !== 'customer') registry.typing(s).catch((err) => logger.warn({ err }, 'typing relay failed')); });

  const services = new Map<string, unknown>();
  const api: GatewayApi = {
    logger, bus, config: cfg,
    use(stage, fn) { bus.use(stage, fn); return api; },
    on(event, fn) { bus.on(event, fn as never); return api; },
    send: (req) => bus.send(req),
    addChannel: (adapter) => registry.register(adapter),
    provide(name, impl) {
      if (services.has(name)) throw new Error(`service "${name}" is provided twice`);
      services.set(name, impl);
    },
    service: <T>(name: string) => services.get(name) as T | undefined,
    agentsOnline: () => pool.onlineCount(),
    onConfigChange: (fn) => { source.on('change', (next) => fn(next)); },
  };
  const { teardowns } = await loadPlugins(c0, api);
  await assigner.restore();
  await ensureAdmin(accounts, opts.onAdminCreated);
  await registry.reconcile();
  workspaceUpgrades.add('/ws/agent', (ws, req) => void hub.accept(ws, req));

  source.on('change', (next, prev) => {
    const restart = ConfigSource.restartNeeded(next, prev);
    if (restart.length) logger.warn({ keys: restart }, 'config changed keys that need a restart; they keep their old values until then');
    if (next.ratelimit.customer_quota !== prev.ratelimit.customer_quota || next.ratelimit.burst !== prev.ratelimit.burst) {
      limiter.configure(next.ratelimit.customer_quota, next.ratelimit.burst);
    }
    if (JSON.stringify(next.routing) !== JSON.stringify(prev.routing)) {
      assigner.reconfigure();
      hub.broadcastAgents();
    }
    logger.level = next.log.level;
    setSocketSendBuffer(next.server.socket_send_buffer_bytes);
    registry.reconcile().catch((err) => logger.error({ err }, 'channel reconcile failed'));
    logger.info('config reloaded');
  });
  source.on('invalid', (err) => logger.error({ err: err.message }, 'config file invalid; keeping the previous config'));
  source.watch();

  const publicApp = createPublicApp({ logger, channels: registry, media }).callback();
  // The channels' hot JSON endpoints first (no Koa on the per-message path), then Koa.
  const publicServer = createServer((req, res) => { if (!registry.json.serve(req, res)) void publicApp(req, res); });
  const workspaceServer = createServer(createWorkspaceApp({ bus, accounts, assigner, hub, media, metrics, logger,
    sessionTtlMs: () => cfg().auth.session_ttl_h * 3600_000, ready: () => ready,
    origins: () => cfg().server.workspace_origins, trustedProxies: () => cfg().server.trusted_proxies }).callback());
  publicUpgrades.attach(publicServer);
  workspaceUpgrades.attach(workspaceServer);
  await listen(publicServer, c0.server.public_port, c0.server.host);
  await listen(workspaceServer, c0.server.workspace_port, c0.server.workspace_host);
  ready = true;

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    ready = false;
    source.close();
    const deadline = Date.now() + cfg().server.shutdown_timeout_ms;
    // Stop accepting, tell clients to come back (1012), drain in-flight work, then close the store.
    const closed = Promise.all([closeServer(publicServer), closeServer(workspaceServer)]);
    await registry.stopAll();
    hub.closeAll();
    publicUpgrades.close();
    workspaceUpgrades.close();
    await Promise.race([Promise.all([bus.idle(), closed]), sleep(Math.max(0, deadline - Date.now()))]);
    publicServer.closeAllConnections();
    workspaceServer.closeAllConnections();
    for (const t of teardowns.reverse()) await t();
    assigner.close();
    limiter.close();
    await store.close();
    unlock();
  })());

  return {
    config: source, logger, bus, store, accounts, assigner, web, stop,
    publicPort: (publicServer.address() as AddressInfo).port,
    workspacePort: (workspaceServer.address() as AddressInfo).port,
  };
}

async function ensureSecret(store: SqliteStore): Promise<Buffer> {
  let s = await store.getMeta('visitor_secret');
  if (!s) {
    s = randomBytes(32).toString('base64url');
    await store.setMeta('visitor_secret', s);
  }
  return Buffer.from(s, 'base64url');
}

async function ensureAdmin(accounts: AgentAccounts, announce?: (login: string, password: string) => void): Promise<void> {
  if (await accounts.any()) return;
  const password = process.env.KEFU_ADMIN_PASSWORD || randomToken(12);
  await accounts.create({ login: 'admin', name: 'Admin', password, role: 'admin' });
  announce?.('admin', process.env.KEFU_ADMIN_PASSWORD ? '(from KEFU_ADMIN_PASSWORD)' : password);
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
