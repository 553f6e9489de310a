import { z } from 'zod';
import { parseHours, validTimeZone } from '../core/routing/business-hours.js';
import { BREACH_ACTIONS, parseDuration } from '../core/sla/targets.js';

/**
 * The whole configuration. Keys marked (restart) are read once at start; everything else
 * is hot-reloaded: the running node swaps in the new validated object atomically.
 */
const port = z.number().int().min(0).max(65535);

const pluginEntry = z.object({
  /** Built-in plugin folder name under plugins/, or an npm package name. */
  name: z.string().min(1),
  enabled: z.boolean().default(true),
  options: z.record(z.string(), z.unknown()).default({}),
}).strict();

const duration = z.string().superRefine((d, ctx) => {
  try { parseDuration(d); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); }
});

/** A queue's SLA, counted in its business hours (core/sla). Absent, or no target set: no SLA. */
const slaSpec = z.object({
  first_response: duration.optional(),
  next_response: duration.optional(),
  resolution: duration.optional(),
  /** raise_priority: the conversation's priority goes up to raise_to; notify: the `sla.breached` webhook. */
  on_breach: z.array(z.enum(BREACH_ACTIONS)).default(['notify']),
  raise_to: z.number().int().min(0).max(100).default(10),
}).strict();

const csatSpec = z.object({
  enabled: z.boolean().default(false),
  /** The question, on every channel (the widget's and the mini-program's card, Feishu's card, the mail, the rating page). */
  question: z.string().min(1).max(500).default('How would you rate the help you got?'),
  /** Added after the question where the answer is typed (SMS, WeChat, wechaty; DingTalk and e-mail carry links instead). */
  reply_hint: z.string().max(500).default('Reply with a number from 1 (poor) to 5 (excellent); you may add a comment after it.'),
  /** Seconds after the resolution before the survey is sent (a customer still typing a last thank-you is not interrupted). */
  delay_s: z.number().min(0).max(7 * 86400).default(60),
  /** Sent after a rating (channels that show events as text). */
  thanks: z.string().max(500).default('Thank you for your feedback!'),
  /** How long after the answer its comment may still be changed on the rating page, in seconds. */
  comment_window_s: z.number().int().min(0).max(30 * 86400).default(86400),
}).strict().prefault({});

const queueSpec = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -'),
  label: z.string().default(''),
  /** Higher is more urgent (strict-priority order, ties in the weighted strategy). */
  priority: z.number().int().min(0).max(100).default(0),
  /** Share of freed agent capacity at peak, relative to the other queues' weights. */
  weight: z.number().min(0.01).max(1000).default(1),
  /** The longest a conversation should wait here; aging serves it before then. */
  max_wait_s: z.number().min(1).default(600),
  /** Intents (from the AI plugin) that send a conversation here. */
  intents: z.array(z.string()).default([]),
  /** Case-insensitive substrings of the first message that send a conversation here. */
  keywords: z.array(z.string()).default([]),
  /** "mon-fri 09:00-18:00; sat 10:00-16:00" in [routing] timezone; empty = always open. */
  hours: z.string().default('').superRefine((h, ctx) => {
    try { parseHours(h); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); }
  }),
  closed_notice: z.string().default('We are closed right now ({hours}). Your message is kept and an agent will answer when we open.'),
  sla: slaSpec.optional(),

  /** The satisfaction survey asked once a conversation of this queue is resolved (core/csat). */
  csat: csatSpec,
}).strict();

const DEFAULT_QUEUES = [
  { name: 'after_sales', label: '售后投诉', priority: 3, weight: 8, max_wait_s: 120, intents: ['售后投诉', '退换货'], keywords: ['投诉', '退款', '坏了', 'complaint', 'refund', 'broken'] },
  { name: 'order', label: '订单查询', priority: 2, weight: 4, max_wait_s: 300, intents: ['订单查询', '物流', '支付', '发票'], keywords: ['订单', '物流', '快递', 'order', 'shipping', 'delivery'] },
  { name: 'product', label: '商品咨询', priority: 1, weight: 2, max_wait_s: 600, intents: ['商品咨询', '优惠'], keywords: ['价格', '有货', 'price', 'stock'] },
  { name: 'general', label: '其他', priority: 0, weight: 1, max_wait_s: 900 },
].map((q) => queueSpec.parse(q));

export const configSchema = z.object({
  server: z.object({
    host: z.string().default('0.0.0.0'), // (restart)
    public_port: port.default(8000), // (restart)
    workspace_host: z.string().default('0.0.0.0'), // (restart)
    workspace_port: port.default(9000), // (restart)
    /** Public base URL the widget snippet and links use; derived from the request when empty. */
    public_url: z.string().default(''),
    max_body_bytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
    max_upload_bytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(5 * 1024 * 1024),
    max_text_chars: z.number().int().min(1).max(100_000).default(4000),
    /** Largest image accepted, in pixels (width × height, read from the header before anything decodes it). */
    max_image_pixels: z.number().int().min(1).max(1_000_000_000).default(50_000_000),
    /** Origins besides the workspace's own that may make state-changing requests and open sockets on the workspace port. */
    workspace_origins: z.array(z.string().url()).default([]),
    /** Addresses of reverse proxies in front of kefu: only their X-Forwarded-For is believed (for per-address limits). */
    trusted_proxies: z.array(z.string().min(1)).default([]),
    /** A socket whose unsent data passes this many bytes (a client that stopped reading) is closed; it resumes on reconnect. */
    socket_send_buffer_bytes: z.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
    shutdown_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  }).strict().prefault({}),
  store: z.object({
    /** sqlite: one embedded file (path); mongodb: a shared MongoDB (url, database), for several gateways later. */
    driver: z.enum(['sqlite', 'mongodb']).default('sqlite'), // (restart)
    path: z.string().default('./data/kefu.db'), // (restart)
    /** mongodb: the connection string; it may carry credentials, so it is never logged. */
    url: z.string().default(''), // (restart)
    database: z.string().regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'a MongoDB database name: no / \\ . space " $ * < > : | ?, at most 63 characters').default('kefu'), // (restart)
    media_dir: z.string().default('./data/media'), // (restart)
    /** Group commit: longest a write waits for companions before the batch commits. */
    commit_interval_ms: z.number().min(0).max(100).default(2),
    /** full = fsync every commit (survives power loss); normal = survives process crashes. */
    synchronous: z.enum(['full', 'normal']).default('full'), // (restart)
    /** thread: commits run on a writer thread (the event loop never waits on the disk); inline: on the main thread. */
    writer: z.enum(['thread', 'inline']).default('thread'), // (restart)
  }).strict().refine((st) => st.driver !== 'mongodb' || /^mongodb(\+srv)?:\/\//.test(st.url),
    { message: 'driver = "mongodb" needs url = "mongodb://…" (or mongodb+srv://…)', path: ['url'] }).prefault({}),
  cluster: z.object({
    /** single: one node, all state in-process. redis: nodes share Redis (plugins/cluster-redis). Unset: redis when redis_url is set. */
    mode: z.enum(['single', 'redis']).optional(), // (restart)
    /** redis://[:password@]host:port/db (rediss:// for TLS); may carry a password, so it is never logged. */
    redis_url: z.string().default(''), // (restart)
    /** This node's name in leases and logs; empty: <hostname>-<pid>. Unique per process. */
    node_id: z.string().regex(/^[A-Za-z0-9._:-]{0,100}$/, 'letters, digits, . _ : -').default(''), // (restart)
    /** The nodes' public addresses (informational for now: /readyz and the logs show them). */
    nodes: z.array(z.string().min(1)).default([]),
    /** Prefix of every Redis key kefu writes, so several kefu deployments may share one Redis. */
    key_prefix: z.string().regex(/^[A-Za-z0-9._:{}-]{1,64}$/, 'letters, digits, . _ : { } -').default('kefu:'), // (restart)
    /** A leader lease (vendor long connection, WeChat token refresh) lapses this long after its holder stops renewing. */
    lease_ttl_ms: z.number().int().min(1000).max(120_000).default(10_000), // (restart)
    /** Gateway processes on this machine (`kefu start --workers N` wins): a supervising primary forks them, sharing the ports. >1 needs redis_url and the MongoDB store. */
    workers: z.number().int().min(1).max(64).default(1), // (restart)
  }).strict().transform((c) => ({ ...c, mode: c.mode ?? (c.redis_url ? 'redis' as const : 'single' as const) }))
    .refine((c) => c.mode !== 'redis' || /^rediss?:\/\//.test(c.redis_url),
      { message: 'mode = "redis" needs redis_url = "redis://…" (or rediss://…)', path: ['redis_url'] }).prefault({}),
  ai: z.object({
    /** Intent scoring and bot answers (plugins/intent-onnx). */
    enabled: z.boolean().default(true),
    /** Created from the shipped default model on first start; replace the file to hot-swap. */
    model_path: z.string().default('./data/model.onnx'),
    /** Minimum intent score for the bot to answer; below it the conversation goes to a human. */
    threshold: z.number().min(0).max(1).default(0.6),
    bot_name: z.string().default('小助手 (bot)'),
    /** Requests for a human in a row before the bot steps aside and the conversation is queued. */
    handoff_after: z.number().int().min(1).max(10).default(3),
    /** Conversation priority within its queue after a hand-off (waits ahead of priority 0). */
    handoff_priority: z.number().int().min(0).max(100).default(1),
    handoff_keywords: z.array(z.string()).default(['转人工', '找人工', '人工客服', '人工服务', '真人', '人工', 'real person', 'human agent', 'talk to a human', 'representative']),
    handoff_reply: z.string().default('我是智能助手，很乐意帮您。请直接描述您的问题；如需人工客服，请再说一次「转人工」。/ I am a bot; tell me your question, or say "human" again to reach a person.'),
    handoff_notice: z.string().default('正在为您转接人工客服，请稍候… / Connecting you to a human agent…'),
    /** Product-term synonyms applied before scoring (hot-reloaded): canonical = [variants]. */
    synonyms: z.string().default('./config/synonyms.toml'),
    /** Most texts scored in one onnxruntime run when many arrive at once. */
    batch_max: z.number().int().min(1).max(1024).default(64),
    /** intent → reply. Variables: {name} (customer), {intent}, {bot}. An intent without a reply goes to a human. */
    answers: z.record(z.string(), z.string()).default({}),
    pacing: z.object({
      enabled: z.boolean().default(false),
      /** HH:MM–HH:MM in [routing] timezone; may wrap past midnight. */
      from: z.string().regex(/^\d{2}:\d{2}$/).default('00:00'),
      to: z.string().regex(/^\d{2}:\d{2}$/).default('06:00'),
      delay_s: z.number().min(0).max(600).default(5),
    }).strict().prefault({}),
  }).strict().prefault({}),
  ratelimit: z.object({
    /** Messages per customer per minute, across channels; 0 disables. */
    customer_quota: z.number().int().min(0).default(60),
    /** Extra messages a customer may send at once before the per-minute rate applies. */
    burst: z.number().int().min(0).default(10),
    /** Customer messages per client address per minute (plus address_burst), all visitors of the address together; 0 disables. */
    address_quota: z.number().int().min(0).default(600),
    address_burst: z.number().int().min(0).default(100),
    /** New visitor sessions per client address per minute (plus sessions_burst); 0 disables. */
    sessions_per_min: z.number().int().min(0).default(20),
    sessions_burst: z.number().int().min(0).default(20),
    /** Uploads per visitor and per client address per minute (plus 10 at once), checked before the body is read; 0 disables. */
    uploads_per_min: z.number().int().min(0).default(30),
    /** WebSocket hello frames (each replays history) per visitor per minute (plus 10 at once); 0 disables. */
    hellos_per_min: z.number().int().min(0).default(30),
    /** Open widget sockets per client address, hello or not (offices and carrier NAT share one); 0 disables. */
    sockets_per_address: z.number().int().min(0).default(1000),
    /** Open widget sockets per visitor (tabs, devices); the next one is refused with too_many_connections. */
    sockets_per_visitor: z.number().int().min(1).max(1000).default(20),
  }).strict().prefault({}),
  routing: z.object({
    default_queue: z.string().min(1).default('general'),
    default_capacity: z.number().int().min(1).max(1000).default(5),
    /** Seconds an agent may be disconnected before their conversations go back to the queue. */
    disconnect_grace_s: z.number().min(0).default(60),
    /** Seconds an agent has to answer a newly assigned conversation before it is re-queued; 0 = off. */
    answer_timeout_s: z.number().min(0).default(0),
    /** weighted (ours: weights + aging), priority (strict), fifo (one line). */
    strategy: z.enum(['weighted', 'priority', 'fifo']).default('weighted'),
    /** A waiting conversation past this fraction of its queue's max_wait is served first. */
    aging: z.number().min(0.1).max(1).default(0.8),
    timezone: z.string().refine(validTimeZone, 'not an IANA time zone').default('Asia/Shanghai'),
    queues: z.array(queueSpec).min(1).default(DEFAULT_QUEUES),
    /** Per-agent overrides by login, applied live: capacity and the queues they serve. */
    agents: z.record(z.string(), z.object({ capacity: z.number().int().min(1).max(1000).optional(), skills: z.array(z.string()).optional() }).strict()).default({}),
  }).strict().prefault({}).superRefine((r, ctx) => {
    const names = r.queues.map((q) => q.name);
    if (!names.includes(r.default_queue)) ctx.addIssue({ code: 'custom', path: ['default_queue'], message: `"${r.default_queue}" is not one of the queues (${names.join(', ')})` });
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['queues'], message: 'queue names must be unique' });
  }),
  auth: z.object({
    /** Agent session lifetime in hours. */
    session_ttl_h: z.number().min(1).max(24 * 90).default(24 * 7),
    /** Visitor token lifetime in days. */
    visitor_ttl_d: z.number().min(1).max(3650).default(365),
  }).strict().prefault({}),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict().prefault({}),
  search: z.object({
    /** The full-text index of messages (core/search); off, the workspace search finds customers and label lists only. */
    index: z.boolean().default(true),
  }).strict().prefault({}),
  channels: z.object({
    web: z.object({
      enabled: z.boolean().default(true),
      /** The widget's title, greeting and colour; unset, the widget uses its own in the visitor's locale. data-* attributes override them. */
      title: z.string().min(1).max(100).optional(),
      welcome: z.string().min(1).max(1000).optional(),
      offline_notice: z.string().default('No agent is online right now. Leave your message and we will answer here as soon as we are back.'),
      color: z.string().regex(/^#[0-9a-fA-F]{3,8}$/).optional(),
      /** Signs `kefu.identify()`: the shop's backend sends HMAC-SHA256(identity_secret, user id), hex; unset, every identify is unverified. */
      identity_secret: z.string().min(16).optional(),
    }).strict().prefault({}),
    api: z.object({
      /** The Slack-compatible Web API under /api/ and the Events API to bots (channels/api). */
      enabled: z.boolean().default(true),
      /** API calls per token per minute (plus burst); over it: HTTP 429 with Retry-After. */
      rate_per_min: z.number().int().min(0).default(1200),
      burst: z.number().int().min(0).default(100),
      bots: z.array(z.object({
        name: z.string().regex(/^[a-z0-9_-]{1,40}$/),
        /** The token the bot calls kefu with (xoxb-…); kept here like a Slack app's config. */
        token: z.string().min(16),
        /** Signs the events kefu sends to the bot (X-Slack-Signature). */
        signing_secret: z.string().min(8),
        events_url: z.string().url(),
        /** Conversations this bot serves: by queue, by intent, or all. */
        queues: z.array(z.string()).default([]),
        intents: z.array(z.string()).default([]),
        all: z.boolean().default(false),
      }).strict()).default([]),
    }).strict().prefault({}),
  }).catchall(z.object({ enabled: z.boolean().default(true) }).passthrough()).prefault({}),
  contacts: z.object({
    /** Custom contact attributes agents may edit and `kefu.identify({ attributes })` may set; others are dropped. */
    attributes: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/)).max(50).default([]),
  }).strict().prefault({}),
  /** Outgoing webhooks for integrators, signed like Slack events. */
  webhooks: z.array(z.object({
    url: z.string().url(),
    secret: z.string().min(8),
    events: z.array(z.enum(['conversation.created', 'conversation.assigned', 'conversation.resolved', 'message.created', 'message.delivery', 'sla.breached'])).min(1),
  }).strict()).default([]),
  /** Default when the key is absent: the built-in offline notice. An explicit list replaces it. */
  plugins: z.array(pluginEntry).default([{ name: 'offline-notice', enabled: true, options: {} }, { name: 'intent-onnx', enabled: true, options: {} }]),
}).strict();

export type KefuConfig = z.infer<typeof configSchema>;

/** Keys whose change needs a restart; hot reload logs a warning when they differ. */
export const RESTART_KEYS = [
  'server.host', 'server.public_port', 'server.workspace_host', 'server.workspace_port',
  'store.driver', 'store.path', 'store.url', 'store.database', 'store.media_dir', 'store.synchronous', 'store.writer',
  'cluster.mode', 'cluster.redis_url', 'cluster.node_id', 'cluster.key_prefix', 'cluster.lease_ttl_ms', 'cluster.workers',
  'search.index',
] as const;
