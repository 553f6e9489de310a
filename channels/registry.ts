import Router from '@koa/router';
import type { Logger } from 'pino';
import type { KefuConfig } from '../config/schema.js';
import type { ConversationBus } from '../core/bus/conversation-bus.js';
import type { BusEvents, Signal } from '../core/bus/events.js';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { KefuError } from '../core/errors.js';
import type { Conversation, Message } from '../core/model/message.js';
import type { MediaService } from '../core/http/media.js';
import type { UpgradeRouter } from '../core/http/upgrade.js';
import { JsonRoutes } from '../core/http/json-routes.js';
import type { OutboxDispatcher } from '../core/outbox/dispatcher.js';
import type { QueueStatus } from '../core/routing/assigner.js';
import type { ChannelAdapter, ChannelContext, ChannelProblem, HealthState, OutboundStart, OutboundTarget } from './contract.js';
import { ChannelOutbox, channelTarget } from './kit/channel-outbox.js';
import { publicUrlOf, readRawBody } from './kit/webhook.js';

export interface ChannelHealth { state: HealthState | 'stopped' | 'running'; detail?: string; since: number }

interface Entry {
  adapter: ChannelAdapter;
  running: boolean;
  abort?: AbortController;
  /** Undone on stop: listeners, outbox handlers. */
  cleanups: (() => void)[];
  health: ChannelHealth;
  /** Which start the entry is in: a context of an earlier start can no longer report. */
  generation: number;
}

export interface RegistryDeps {
  bus: ConversationBus; logger: Logger; config: () => KefuConfig; media: MediaService; upgrades: UpgradeRouter;
  dispatcher: OutboxDispatcher;
  /** Public answers' headers (core/http/public-app.ts), for the channels' hot JSON routes. */
  headers: (path: string) => Record<string, string>;
  metrics?: { sent(channel: string, result: string): void; health(channel: string, state: string): void };
}

/**
 * Knows every channel adapter, starts and stops them as config enables and disables them (also
 * on hot reload), mounts their routes behind a "running" check, and takes every outbound
 * message to the customer's channel: live for channels whose clients resume from the store
 * (web), through the durable outbox for channels that push to a vendor.
 */
export class ChannelRegistry {
  private entries = new Map<string, Entry>();
  /** Socket paths are registered with the upgrade router once; each start's handler replaces the last. */
  private sockets = new Map<string, (ws: WebSocket, req: IncomingMessage) => void>();
  readonly router = new Router();
  /** The channels' hot JSON endpoints; the public server asks these before Koa. */
  readonly json: JsonRoutes;
  readonly outbox: ChannelOutbox;

  constructor(private d: RegistryDeps) {
    this.json = new JsonRoutes(d.logger, d.headers);
    this.outbox = new ChannelOutbox({ bus: d.bus, dispatcher: d.dispatcher, running: () => this.runningPushers(), logger: d.logger,
      onResult: (ch, r) => d.metrics?.sent(ch, r) });
    d.dispatcher.register(this.outbox);
  }

  register(adapter: ChannelAdapter): void {
    if (this.entries.has(adapter.name)) throw new Error(`channel "${adapter.name}" is registered twice`);
    const entry: Entry = { adapter, running: false, cleanups: [], health: { state: 'stopped', since: Date.now() }, generation: 0 };
    this.entries.set(adapter.name, entry);
    const disabled = () => new KefuError('channel_disabled', `The ${adapter.name} channel is disabled.`);
    if (adapter.routes) {
      const sub = new Router();
      sub.use(async (ctx, next) => {
        // Router middleware runs for every request that reaches this router, so only this
        // channel's own paths are refused: a stopped channel must not shadow the ones after it.
        if (!entry.running && sub.match(ctx.path, ctx.method).route) throw disabled();
        await next();
      });
      adapter.routes(sub);
      this.router.use(sub.routes());
    }
    for (const [path, handler] of Object.entries(adapter.jsonRoutes?.() ?? {})) {
      this.json.post(path, () => this.d.config().server.max_body_bytes, (req) => {
        if (!entry.running) throw disabled();
        return handler(req);
      });
    }
  }

  get(name: string): ChannelAdapter | undefined { return this.entries.get(name)?.adapter; }
  isRunning(name: string): boolean { return this.entries.get(name)?.running ?? false; }

  /** The running channels an agent can start a conversation on, with the identity kinds each writes to. */
  starters(): { channel: string; kinds: readonly string[] }[] {
    return [...this.entries].filter(([, e]) => e.running && e.adapter.startsOn?.length && e.adapter.outboundTarget)
      .map(([channel, e]) => ({ channel, kinds: e.adapter.startsOn! }));
  }

  /** The target of an agent-started conversation; refuses a channel that is unknown, stopped or cannot start one. */
  async outboundTarget(channel: string, t: OutboundStart): Promise<OutboundTarget> {
    const e = this.entries.get(channel);
    if (!e) throw new KefuError('validation_failed', `No channel "${channel}".`);
    if (!e.adapter.outboundTarget || !e.adapter.startsOn?.includes(t.kind)) {
      throw new KefuError('channel_cannot_start', `The ${channel} channel cannot start a conversation with a ${t.kind || 'such'} identity.`);
    }
    if (!e.running) throw new KefuError('channel_disabled', `The ${channel} channel is disabled.`);
    return e.adapter.outboundTarget(t);
  }

  /** Per channel: running, stopped, or what its vendor connection last reported. */
  health(): Record<string, ChannelHealth> {
    return Object.fromEntries([...this.entries].map(([n, e]) => [n, e.health]));
  }

  /** Per running channel that reports any: the items an admin must look at. One channel failing
   *  to answer is logged and left out, so it cannot hide the others' problems. */
  async problems(): Promise<Record<string, ChannelProblem[]>> {
    const out: Record<string, ChannelProblem[]> = {};
    await Promise.all([...this.entries].map(async ([n, e]) => {
      if (!e.running || !e.adapter.problems) return;
      try { out[n] = await e.adapter.problems(); } catch (err) { this.d.logger.warn({ err, channel: n }, 'channel problems unreadable'); }
    }));
    return out;
  }

  /** Dismisses one problem of a running channel; false when the channel or the item is unknown. */
  async dismissProblem(channel: string, id: string): Promise<boolean> {
    const e = this.entries.get(channel);
    if (!e?.running || !e.adapter.dismissProblem) return false;
    return e.adapter.dismissProblem(id);
  }

  /**
   * The outbox target for an outbound message, when its channel pushes to a vendor (enabled or
   * not: it waits). A channel that is not registered at all (its plugin failed to load) is
   * treated as one that pushes: the send waits, visible as queued, rather than vanishing.
   */
  deliverTo(conv: Conversation, msg: Message): string | undefined {
    if (msg.private) return undefined;
    const adapter = this.entries.get(conv.ref.channel)?.adapter;
    return !adapter || adapter.pushes ? channelTarget(conv.ref.channel) : undefined;
  }

  private reconciling: Promise<void> = Promise.resolve();

  /**
   * Starts enabled channels and stops disabled ones; safe to call on every config change. Calls
   * run one after another: two quick reloads must not stop a channel while its start is still
   * running (it would come up again after its stop, holding its port).
   */
  reconcile(): Promise<void> {
    const next = this.reconciling.then(() => this.reconcileNow());
    this.reconciling = next.catch(() => undefined);
    return next;
  }

  private async reconcileNow(): Promise<void> {
    const channels = this.d.config().channels as Record<string, { enabled?: boolean } | undefined>;
    for (const [name, e] of this.entries) {
      const want = channels[name]?.enabled ?? false;
      if (want && !e.running) await this.start(name, e);
      else if (!want && e.running) await this.stop(name, e);
      else if (e.running) {
        // A reload that breaks the channel's own slice stops it (visible in health and the log)
        // rather than leaving it running on values its schema refuses.
        const problem = this.configProblem(name, e.adapter);
        if (problem) {
          this.d.logger.error({ channel: name, problem }, 'channel config invalid after reload; stopping the channel');
          await this.stop(name, e, `config: ${problem}`);
        } else e.adapter.reconfigure?.();
      }
    }
  }

  private setHealth(name: string, e: Entry, state: ChannelHealth['state'], detail?: string): void {
    if (e.health.state !== state || e.health.detail !== detail) e.health = { state, detail, since: Date.now() };
    this.d.metrics?.health(name, state);
  }

  private async start(name: string, e: Entry): Promise<void> {
    const problem = this.configProblem(name, e.adapter);
    if (problem) {
      this.d.logger.error({ channel: name, problem }, 'channel config invalid; the channel stays stopped');
      this.setHealth(name, e, 'stopped', `config: ${problem}`);
      return;
    }
    e.abort = new AbortController();
    e.generation++;
    try {
      e.running = true; // before start(): its routes, sockets and middleware must work from the first request
      await e.adapter.start(this.context(name, e, e.abort.signal));
      if (e.health.state === 'stopped') this.setHealth(name, e, 'running');
      this.d.logger.info({ channel: name }, 'channel started');
      if (e.adapter.pushes) this.d.dispatcher.kick(); // sends that waited while it was stopped
    } catch (err) {
      // A failed start leaves nothing behind: as if it had never been started.
      this.d.logger.error({ err, channel: name }, 'channel failed to start');
      await this.stop(name, e, `failed to start: ${(err as Error).message}`);
    }
  }

  private async stop(name: string, e: Entry, why?: string): Promise<void> {
    e.running = false;
    e.abort?.abort();
    for (const undo of e.cleanups.splice(0)) undo();
    try {
      await e.adapter.stop();
    } catch (err) {
      this.d.logger.error({ err, channel: name }, 'channel failed to stop cleanly');
    }
    this.setHealth(name, e, 'stopped', why);
    this.d.logger.info({ channel: name }, 'channel stopped');
  }

  async stopAll(): Promise<void> {
    for (const [name, e] of this.entries) if (e.running) await this.stop(name, e);
  }

  private configProblem(name: string, adapter: ChannelAdapter): string | undefined {
    if (!adapter.configSchema) return undefined;
    const r = adapter.configSchema.safeParse((this.d.config().channels as Record<string, unknown>)[name] ?? {});
    return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.') || name}: ${i.message}`).join('; ');
  }

  private runningPushers(): Map<string, ChannelAdapter> {
    const out = new Map<string, ChannelAdapter>();
    for (const [name, e] of this.entries) if (e.running && e.adapter.pushes) out.set(name, e.adapter);
    return out;
  }

  private context(name: string, e: Entry, signal: AbortSignal): ChannelContext {
    const { bus, logger, config, media, upgrades } = this.d;
    const store = bus.store;
    const log = logger.child({ channel: name });
    const generation = e.generation;
    return {
      logger: log, signal, config, media, store,
      ingest: (m) => bus.ingest(m),
      send: (req) => bus.send(req),
      edit: (msg, patch) => bus.editMessage(msg, patch),
      update: (conv, patch, change) => bus.updateConversation(conv, patch, change),
      use: (stage, fn) => {
        // Channel hooks run ahead of plugins': a bot the operator wired to a channel wins over the
        // built-in one. Removed on stop, so a restart adds it once again, not twice.
        bus.use(stage, fn, { first: true });
        e.cleanups.push(() => bus.unuse(stage, fn));
      },
      on: <E extends keyof BusEvents>(event: E, fn: (...args: BusEvents[E]) => void) => {
        const listener = fn as never;
        bus.on(event, listener);
        e.cleanups.push(() => bus.off(event, listener));
      },
      async signalEvent(ref, event, seq) {
        const conv = await store.findConversationByRef(ref);
        if (conv) bus.signal({ conversationId: conv.id, from: conv.customer, event, seq });
      },
      async history(ref, afterSeq, limit = 200) {
        const conversation = await store.findConversationByRef(ref);
        if (!conversation) return { messages: [] };
        const messages = (await store.listMessages(conversation.id, { afterSeq, limit })).filter((m) => !m.private);
        return { conversation, messages };
      },
      websocket: (path, onConnection) => {
        // The path is registered once; a later start's handler (with that start's state) takes over.
        const known = this.sockets.has(path);
        this.sockets.set(path, onConnection);
        if (!known) upgrades.add(path, (ws, req) => this.sockets.get(path)!(ws, req), () => this.isRunning(name));
      },
      state: {
        get: (key) => store.channelState.get(name, key),
        set: (key, value) => store.channelState.set(name, key, value),
        delete: (key) => store.channelState.delete(name, key),
      },
      reportHealth: (state, detail) => {
        if (!e.running || e.generation !== generation) return;
        if (state !== e.health.state) log[state === 'connected' ? 'info' : 'warn']({ state, detail }, 'channel health');
        this.setHealth(name, e, state, detail);
      },
      deliveryStatus: (vendorId, state, error) => this.outbox.status(name, vendorId, state, error),
      rawBody: (koa, limit) => readRawBody(koa, limit ?? config().server.max_body_bytes),
      publicUrl: (koa) => publicUrlOf(koa, config().server.public_url),
      rejectSignature: (detail) => { throw new KefuError('invalid_signature', detail ?? 'The signature does not match.'); },
      outbox: {
        add: async (target, key, payload) => {
          await store.outbox.add([{ target, orderingKey: key, payload: JSON.stringify(payload) }]);
          this.d.dispatcher.kick();
        },
        handle: (h) => { e.cleanups.push(this.d.dispatcher.register(h)); },
      },
    };
  }

  /**
   * Outbound, after the message is stored: a push channel's send was recorded with the message
   * (`deliverTo`) and now goes out from the outbox; a live channel shows it at once, and a
   * failure there costs nothing, since its clients resume from the store.
   */
  async sendOut(msg: Message, conv: Conversation, edited = false): Promise<void> {
    const e = this.entries.get(conv.ref.channel);
    if (!e || e.adapter.pushes) {
      // Vendors keep what they were sent: an edit or deletion is not sent again (docs/channels.md).
      if (!edited && !msg.private) this.outbox.queued(msg, conv.ref.channel);
      if (!e) this.d.logger.warn({ channel: conv.ref.channel, messageId: msg.id }, 'no such channel is registered; the message waits in the outbox');
      return;
    }
    if (!e.running) return;
    const res = await e.adapter.send(msg, conv, { idempotencyKey: msg.id, attempt: 1 });
    if (!res.skipped) this.d.metrics?.sent(conv.ref.channel, 'sent');
  }

  /**
   * A message stored on another node (cluster mode), for this node's live sockets: a channel
   * that pushes to a vendor is left out, its send went into the outbox on the producing node.
   */
  async deliverRemote(msg: Message, conv: Conversation): Promise<void> {
    const e = this.entries.get(conv.ref.channel);
    if (msg.private || !e?.running || e.adapter.pushes) return;
    if (msg.direction !== 'outbound' && !(e.adapter.echoes && msg.from.role === 'customer')) return;
    await e.adapter.send(msg, conv, { idempotencyKey: msg.id, attempt: 1 });
  }

  /** Typing from another node, for the live channels only (a vendor was told by the producing node). */
  async typingRemote(signal: Signal): Promise<void> {
    const conv = await this.d.bus.store.getConversation(signal.conversationId);
    const e = conv && this.entries.get(conv.ref.channel);
    if (!e || e.adapter.pushes || signal.from.role === 'customer') return;
    if (e.running && e.adapter.typing) await e.adapter.typing(conv!, signal);
  }

  queueStatus(conv: Conversation, status: QueueStatus): void {
    const e = this.entries.get(conv.ref.channel);
    if (e?.running && e.adapter.queueStatus) {
      e.adapter.queueStatus(conv, status).catch((err) => this.d.logger.warn({ err }, 'queue status relay failed'));
    }
  }

  async typing(signal: Signal): Promise<void> {
    const conv = await this.d.bus.store.getConversation(signal.conversationId);
    if (!conv || signal.from.role === 'customer') return;
    const e = this.entries.get(conv.ref.channel);
    if (e?.running && e.adapter.typing) await e.adapter.typing(conv, signal);
  }
}
