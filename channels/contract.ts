import type Router from '@koa/router';
import type { JsonHandler } from '../core/http/json-routes.js';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Conversation, ConversationRef, InboundMessage, Message } from '../core/model/message.js';
import type { IngestResult } from '../core/bus/conversation-bus.js';
import type { Signal } from '../core/bus/events.js';
import type { Middleware, Stage } from '../core/bus/pipeline.js';
import type { MediaService } from '../core/http/media.js';
import type { KefuConfig } from '../config/schema.js';
import type { QueueStatus } from '../core/routing/assigner.js';

/**
 * The channel contract. An adapter turns one vendor's traffic into InboundMessages and sends
 * Messages back out. Keep adapters lean: verify signatures first (in a module that does not
 * import the adapter), parse raw payloads with pure functions, and let the core own storage,
 * ids, dedupe, rate limits and routing.
 *
 * Lifecycle: the registry calls start() when the channel is enabled (at boot or on hot
 * reload) and stop() when it is disabled or the gateway shuts down. Long connections
 * (vendor streams, sockets) live between the two; `ctx.signal` aborts on stop.
 */
export interface ChannelAdapter {
  readonly name: string;
  start(ctx: ChannelContext): Promise<void>;
  stop(): Promise<void>;
  /** Public-port HTTP routes (webhooks, widget endpoints). Registered once; the registry
   *  answers 404 channel_disabled for a channel that is currently disabled. */
  routes?(router: Router): void;
  /** Hot JSON POST endpoints (path → handler), served ahead of Koa with the same body rules,
   *  errors and headers: for the few paths every message takes (core/http/json-routes.ts). */
  jsonRoutes?(): Record<string, JsonHandler>;
  /** Delivers an outbound message; resolves with the vendor's id. Throws ChannelError on failure.
   *  Called for every non-private outbound message including events (assigned, resolved,
   *  notice): an adapter that cannot show an event kind returns { sourceId: '' , skipped: true }. */
  send(msg: Message, conv: Conversation): Promise<SendResult>;
  /** Called on every hot reload while the channel runs (new credentials, bots, limits). */
  reconfigure?(): void;
  /** Optional capabilities: present only when the channel really supports them. */
  typing?(conv: Conversation, signal: Signal): Promise<void>;
  /** Shows a waiting customer their place in line and the estimated wait. */
  queueStatus?(conv: Conversation, status: QueueStatus): Promise<void>;
}

export interface SendResult {
  sourceId: string;
  /** True when the channel has no way to show this kind of message (not an error). */
  skipped?: boolean;
}

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
  /** Adds pipeline middleware (e.g. a bot channel taking conversations in `decide`); registered once per process,
   *  ahead of plugin middleware (a bot wired to a channel wins over the built-in bot). */
  use(stage: Stage, fn: Middleware): void;
  /** Accepts WebSocket upgrades on the public port under `path`. */
  websocket(path: string, onConnection: (ws: WebSocket, req: IncomingMessage) => void): void;
}

export class ChannelError extends Error {
  constructor(readonly channel: string, message: string, readonly retryable: boolean) {
    super(`${channel}: ${message}`);
    this.name = 'ChannelError';
  }
}
