import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ZodType } from 'zod';
import type { JsonHandler } from '../core/http/json-routes.js';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Conversation, ConversationRef, InboundMessage, Message } from '../core/model/message.js';
import type { IngestResult, OutboundRequest } from '../core/bus/conversation-bus.js';
import type { BusEvents, ConversationChange, Signal } from '../core/bus/events.js';
import type { Middleware, Stage } from '../core/bus/pipeline.js';
import type { MediaService } from '../core/http/media.js';
import type { KefuConfig } from '../config/schema.js';
import type { QueueStatus } from '../core/routing/assigner.js';
import type { Store } from '../core/store/store.js';
import type { DeliveryState } from '../core/model/delivery.js';
import type { OutboxHandler } from '../core/outbox/dispatcher.js';

/**
 * The channel contract. An adapter turns one vendor's traffic into InboundMessages and sends
 * Messages back out. Keep adapters lean: verify signatures first (`verify.ts`, which imports
 * nothing of the adapter), parse raw payloads with pure functions (`parse.ts`), make the
 * vendor's calls in `api.ts`, and let the kit own storage, ids, dedupe, rate limits, routing,
 * retries, ordering, cursors and health.
 *
 * Three kinds of channel, one kit (docs/channels.md):
 * - webhook channels mount `routes()`; `ctx.rawBody()` gives the exact bytes for signatures,
 *   `ctx.publicUrl()` the URL the vendor signed, `ctx.rejectSignature()` the 403;
 * - long-connection channels open their vendor stream in `start()` with `reconnect()` from
 *   channels/kit/reconnect.ts on `ctx.signal`, and say how it is going with `ctx.reportHealth`;
 * - polling channels keep their cursor in `ctx.state`.
 *
 * Lifecycle: the registry calls start() when the channel is enabled (at boot or on hot
 * reload) and stop() when it is disabled or the gateway shuts down; `ctx.signal` aborts on
 * stop, and everything registered through `ctx` (middleware, listeners, routes, sockets,
 * outbox handlers) stops working with it. start → stop → start registers nothing twice.
 */
export interface ChannelAdapter {
  readonly name: string;
  /**
   * True when outbound messages go to a vendor (SMS, e-mail, WeChat, …): every send is then
   * recorded in the durable outbox in the same commit as its message and delivered from there
   * (in order per conversation, retried, its state shown to the agent). False or absent: the
   * channel shows messages live and its clients resume from the store (the web widget).
   */
  readonly pushes?: boolean;
  /**
   * A live channel whose customers may have several clients open (widget tabs): a customer's
   * message stored on another node (cluster mode) is passed to `send` too, so the customer's
   * clients on this node show it. The channel echoes on its own node itself.
   */
  readonly echoes?: boolean;
  /** This channel's `[channels.<name>]` config, checked before start and on every reload (an
   *  invalid slice keeps or puts the channel stopped, with the problem in its health). */
  readonly configSchema?: ZodType;
  start(ctx: ChannelContext): Promise<void>;
  stop(): Promise<void>;
  /** Public-port HTTP routes (webhooks, widget endpoints). Mounted once; while the channel is
   *  stopped they answer 404 `channel_disabled`. */
  routes?(router: Router): void;
  /** Hot JSON POST endpoints (path → handler), served ahead of Koa with the same body rules,
   *  errors and headers: for the few paths every message takes (core/http/json-routes.ts). */
  jsonRoutes?(): Record<string, JsonHandler>;
  /**
   * Delivers one outbound message: one attempt, no retries of its own (the outbox retries).
   * Resolves with the vendor's id; throws ChannelError (retryable or not, with the vendor's
   * code and Retry-After) on failure. Called for every non-private outbound message, events
   * (assigned, resolved, notice) included: a channel that cannot show a kind returns
   * `{ sourceId: '', skipped: true }`. `idempotencyKey` (the message id) goes to vendors that
   * accept one, so a crash between their accepting and our recording does not send twice.
   */
  send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult>;
  /** Called on every hot reload while the channel runs (new credentials, bots, limits). */
  reconfigure?(): void;
  /** Optional capabilities: present only when the channel really supports them. */
  typing?(conv: Conversation, signal: Signal): Promise<void>;
  /** Shows a waiting customer their place in line and the estimated wait. */
  queueStatus?(conv: Conversation, status: QueueStatus): Promise<void>;
  /**
   * Agent-started conversations: the identity kinds (`email`, `phone`) this channel can write to
   * first, without the customer having written. Absent: it cannot (the web widget reaches a
   * visitor only while their page is open; WeChat and DingTalk only within their reply windows).
   */
  readonly startsOn?: readonly string[];
  /**
   * Where a conversation started by an agent goes: the ref and customer id for the identity's
   * `value` (an address, an E.164 number), with whatever the channel keeps to send there (an
   * e-mail ticket with its subject). `key` is stable per start request, so a retried start finds
   * the same ref. Nothing is sent here: the first message goes through the outbox like any reply.
   */
  outboundTarget?(t: OutboundStart): Promise<OutboundTarget>;
  /** What an admin must look at by hand (a mail that could not be read, kept as a file): shown in
   *  the workspace's Queues view, so nothing the channel could not take is lost silently. */
  problems?(): Promise<ChannelProblem[]>;
  /** An admin has dealt with a problem: it leaves the list (its kept file stays). False if unknown. */
  dismissProblem?(id: string): Promise<boolean>;
}

export interface OutboundStart {
  kind: string;
  value: string;
  name?: string;
  subject?: string;
  key: string;
}

export interface OutboundTarget {
  ref: ConversationRef;
  externalId: string;
  meta?: Record<string, string>;
}

export interface ChannelProblem {
  id: string;
  /** ms since epoch. */
  at: number;
  reason: string;
  /** The kept raw input (e.g. the .eml), downloadable from the workspace's /media/<id>. */
  mediaId?: string;
  name?: string;
  /** A login QR code an admin must scan (wechaty): its payload, and a PNG of it drawn on the
   *  server as a data: URL (the workspace shows the picture; no QR service on the network). */
  qr?: { payload: string; image?: string };
}

export interface SendOptions {
  idempotencyKey: string;
  /** 1-based. */
  attempt: number;
  /** Aborted when the outbox gives the attempt up as a timeout (pass it to fetch / the SDK). */
  signal?: AbortSignal;
}

export interface SendResult {
  sourceId: string;
  /** True when the channel has no way to show this kind of message (not an error). */
  skipped?: boolean;
}

export type HealthState = 'connected' | 'connecting' | 'auth_failed' | 'degraded';

export interface ChannelContext {
  readonly logger: Logger;
  /** Aborted when the channel stops. */
  readonly signal: AbortSignal;
  /** The current config (hot-reloaded): read it at use, do not cache it. */
  config(): KefuConfig;
  /** Hands a parsed inbound message to the bus; resolves once it is durable. Throws KefuError
   *  (rate_limited, validation_failed, …) when rejected; nothing is stored then. */
  ingest(m: InboundMessage): Promise<IngestResult>;
  /** Relays typing/read from the customer; nothing is stored. */
  signalEvent(ref: ConversationRef, event: 'typing' | 'read', seq?: number): Promise<void>;
  /** History for a customer-side resume (after `afterSeq`), scoped to the ref. */
  history(ref: ConversationRef, afterSeq: number, limit?: number): Promise<{ conversation?: Conversation; messages: Message[] }>;
  /** Uploaded media: validated, stored, referenced by attachments. */
  readonly media: MediaService;
  /** Adds pipeline middleware (e.g. a bot channel taking conversations in `decide`), ahead of
   *  plugin middleware; removed when the channel stops. */
  use(stage: Stage, fn: Middleware): void;
  /** Listens to the bus while the channel runs (removed on stop). */
  on<E extends keyof BusEvents>(event: E, fn: (...args: BusEvents[E]) => void): void;
  /** Accepts WebSocket upgrades on the public port under `path` while the channel runs. */
  websocket(path: string, onConnection: (ws: WebSocket, req: IncomingMessage) => void): void;

  /** A small durable key-value store of this channel's own (cursors, UIDs, access tokens). */
  readonly state: ChannelState;
  /** Tells `/readyz`, `/metrics` and the supervisor view how the vendor connection is doing. */
  reportHealth(state: HealthState, detail?: string): void;
  /** A vendor's status callback: the message this channel sent as `vendorId` was delivered, read or failed. */
  deliveryStatus(vendorId: string, state: Extract<DeliveryState, 'delivered' | 'read' | 'failed'>, error?: { code: string; message: string }): Promise<void>;
  /** The exact request body (for signatures), read within `[server] max_body_bytes` unless `limit` says otherwise. */
  rawBody(koa: Context, limit?: number): Promise<Buffer>;
  /** The URL the vendor called, as it signed it: `[server] public_url` (behind proxies) + path + query string. */
  publicUrl(koa: Context): string;
  /** Throws the catalogue's `invalid_signature` (403). Call it when verify.ts says no. */
  rejectSignature(detail?: string): never;

  /** Conversation work a bot-facing channel does (the Slack-compatible API): reads, bot sends, edits, state changes. */
  readonly store: Store;
  send(req: OutboundRequest): Promise<IngestResult>;
  edit(msg: Message, patch: { content?: Message['content']; deleted?: boolean }): Promise<Message>;
  update(conv: Conversation, patch: Partial<Conversation>, change: ConversationChange): Promise<Conversation>;
  /** The shared outbox for deliveries of the channel's own (bot events, webhooks). */
  readonly outbox: { add(target: string, key: string, payload: object): Promise<void>; handle(h: OutboxHandler): void };
}

export interface ChannelState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * A failed vendor call. `code` is the vendor's own error code (kept with the failed message and
 * shown to the agent), `retryable` says whether trying again can help, `retryAfter` (seconds)
 * is the vendor's Retry-After when it gave one.
 */
export class ChannelError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfter?: number;
  /** The vendor's own text, as the agent sees it (the Error message adds the channel name for logs). */
  readonly detail: string;

  constructor(readonly channel: string, message: string, opts: { retryable: boolean; code?: string; retryAfter?: number }) {
    super(`${channel}: ${message}`);
    this.detail = message;
    this.name = 'ChannelError';
    this.code = opts.code ?? (opts.retryable ? 'vendor_unavailable' : 'vendor_rejected');
    this.retryable = opts.retryable;
    this.retryAfter = opts.retryAfter;
  }
}
