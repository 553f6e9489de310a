import Router from '@koa/router';
import type { Logger } from 'pino';
import type { KefuConfig } from '../config/schema.js';
import type { ConversationBus } from '../core/bus/conversation-bus.js';
import type { Signal } from '../core/bus/events.js';
import { KefuError } from '../core/errors.js';
import type { Conversation, Message } from '../core/model/message.js';
import type { MediaService } from '../core/http/media.js';
import type { UpgradeRouter } from '../core/http/upgrade.js';
import { JsonRoutes } from '../core/http/json-routes.js';
import { publicHeaders } from '../core/http/public-app.js';
import type { QueueStatus } from '../core/routing/assigner.js';
import { ChannelError, type ChannelAdapter, type ChannelContext } from './contract.js';

interface Entry { adapter: ChannelAdapter; running: boolean; abort?: AbortController; routesMounted: boolean }

const RETRY_DELAYS_MS = [200, 1000, 5000];

/**
 * Knows every channel adapter, starts/stops them as config enables/disables them (also on
 * hot reload), mounts their public routes behind an "enabled" check, and sends outbound
 * messages through the channel the customer used.
 */
export class ChannelRegistry {
  private entries = new Map<string, Entry>();
  private hooked = new Set<unknown>();
  readonly router = new Router();
  /** The channels' hot JSON endpoints; the public server asks these before Koa. */
  readonly json: JsonRoutes;

  constructor(private deps: {
    bus: ConversationBus; logger: Logger; config: () => KefuConfig; media: MediaService; upgrades: UpgradeRouter;
    onSent?: (channel: string) => void;
  }) {
    this.json = new JsonRoutes(deps.logger, publicHeaders);
  }

  register(adapter: ChannelAdapter): void {
    if (this.entries.has(adapter.name)) throw new Error(`channel "${adapter.name}" is registered twice`);
    const entry: Entry = { adapter, running: false, routesMounted: false };
    this.entries.set(adapter.name, entry);
    if (adapter.routes) {
      const sub = new Router();
      sub.use(async (ctx, next) => {
        if (!entry.running) throw new KefuError('not_found', `The ${adapter.name} channel is disabled.`);
        await next();
      });
      adapter.routes(sub);
      this.router.use(sub.routes());
      entry.routesMounted = true;
    }
    for (const [path, handler] of Object.entries(adapter.jsonRoutes?.() ?? {})) {
      this.json.post(path, () => this.deps.config().server.max_body_bytes, (req) => {
        if (!entry.running) throw new KefuError('not_found', `The ${adapter.name} channel is disabled.`);
        return handler(req);
      });
    }
  }

  get(name: string): ChannelAdapter | undefined { return this.entries.get(name)?.adapter; }
  isRunning(name: string): boolean { return this.entries.get(name)?.running ?? false; }

  /** Starts enabled channels and stops disabled ones; safe to call on every config change. */
  async reconcile(): Promise<void> {
    const channels = this.deps.config().channels as Record<string, { enabled?: boolean } | undefined>;
    for (const [name, e] of this.entries) {
      const want = channels[name]?.enabled ?? false;
      if (want && !e.running) await this.start(name, e);
      else if (!want && e.running) await this.stop(name, e);
      else if (e.running) e.adapter.reconfigure?.();
    }
  }

  private async start(name: string, e: Entry): Promise<void> {
    e.abort = new AbortController();
    try {
      await e.adapter.start(this.context(name, e.abort.signal));
      e.running = true;
      this.deps.logger.info({ channel: name }, 'channel started');
    } catch (err) {
      this.deps.logger.error({ err, channel: name }, 'channel failed to start');
    }
  }

  private async stop(name: string, e: Entry): Promise<void> {
    e.running = false;
    e.abort?.abort();
    try {
      await e.adapter.stop();
    } catch (err) {
      this.deps.logger.error({ err, channel: name }, 'channel failed to stop cleanly');
    }
    this.deps.logger.info({ channel: name }, 'channel stopped');
  }

  async stopAll(): Promise<void> {
    for (const [name, e] of this.entries) if (e.running) await this.stop(name, e);
  }

  private context(name: string, signal: AbortSignal): ChannelContext {
    const { bus, logger, config, media, upgrades } = this.deps;
    const registered = new Set<string>();
    const hooked = this.hooked;
    return {
      use(stage, fn) {
        // A channel restarted after a disable must not stack the same middleware twice.
        if (hooked.has(fn)) return;
        hooked.add(fn);
        // Channel hooks run ahead of plugins': a bot the operator wired to a channel wins over the built-in one.
        bus.use(stage, fn, { first: true });
      },
      logger: logger.child({ channel: name }),
      signal,
      config,
      media,
      ingest: (m) => bus.ingest(m),
      async signalEvent(ref, event, seq) {
        const conv = await bus.store.findConversationByRef(ref);
        if (conv) bus.signal({ conversationId: conv.id, from: conv.customer, event, seq });
      },
      async history(ref, afterSeq, limit = 200) {
        const conversation = await bus.store.findConversationByRef(ref);
        if (!conversation) return { messages: [] };
        const messages = (await bus.store.listMessages(conversation.id, { afterSeq, limit })).filter((m) => !m.private);
        return { conversation, messages };
      },
      websocket: (path, onConnection) => {
        // Start may run again after a disable/enable cycle: the path stays registered once.
        if (registered.has(path)) return;
        registered.add(path);
        try {
          upgrades.add(path, onConnection, () => this.isRunning(name));
        } catch { /* registered by an earlier start of the same channel */ }
      },
    };
  }

  /** Outbound: the customer's channel delivers; transient failures are retried with backoff. */
  async sendOut(msg: Message, conv: Conversation): Promise<void> {
    const e = this.entries.get(conv.ref.channel);
    if (!e || !e.running) {
      this.deps.logger.warn({ channel: conv.ref.channel, messageId: msg.id }, 'channel not running; message kept in the store only');
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await e.adapter.send(msg, conv);
        if (!res.skipped) this.deps.onSent?.(conv.ref.channel);
        return;
      } catch (err) {
        const retryable = !(err instanceof ChannelError) || err.retryable;
        if (!retryable || attempt >= RETRY_DELAYS_MS.length) throw err;
        await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  queueStatus(conv: Conversation, status: QueueStatus): void {
    const e = this.entries.get(conv.ref.channel);
    if (e?.running && e.adapter.queueStatus) {
      e.adapter.queueStatus(conv, status).catch((err) => this.deps.logger.warn({ err }, 'queue status relay failed'));
    }
  }

  async typing(signal: Signal): Promise<void> {
    const conv = await this.deps.bus.store.getConversation(signal.conversationId);
    if (!conv || signal.from.role === 'customer') return;
    const e = this.entries.get(conv.ref.channel);
    if (e?.running && e.adapter.typing) await e.adapter.typing(conv, signal);
  }
}
