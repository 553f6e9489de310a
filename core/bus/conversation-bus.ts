import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import { newId } from '../model/ids.js';
import { textOf, type Content, type Conversation, type ConversationRef, type InboundMessage, type Message, type Participant } from '../model/message.js';
import { DuplicateSource, type Store } from '../store/store.js';
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import { compose, type Middleware, type PipelineContext, type Stage, STAGES } from './pipeline.js';
import type { BusEvents, ConversationChange, Signal } from './events.js';
import { validateContent } from './validate-content.js';
import { Coalescer } from './coalescer.js';
import { ArrivalOrder, type Turn } from './arrival-order.js';

/** Typing and read signals per conversation, each way: at most one a second (the latest read seq wins). */
const SIGNAL_INTERVAL_MS = 1000;

/** Conversation meta stays small: it is one JSON column read with every conversation and sent with every list. */
export const MAX_META_KEYS = 20;
export const MAX_META_VALUE = 500;
const MAX_META_KEY = 64;

/**
 * Merges inbound meta into a conversation's (a '' value removes its key); returns the new map, or
 * undefined when nothing changed, so the caller saves only on a change. Over-long values are cut and
 * keys past the cap dropped rather than the message rejected: a customer's long subject line must
 * not lose their mail.
 */
export function mergeMeta(current: Record<string, string> | undefined, patch: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!patch) return undefined;
  const next: Record<string, string> = { ...current };
  let changed = false;
  for (const [k, raw] of Object.entries(patch)) {
    if (typeof raw !== 'string' || !k || k.length > MAX_META_KEY) continue;
    if (raw === '') {
      if (k in next) { delete next[k]; changed = true; }
      continue;
    }
    const v = raw.length > MAX_META_VALUE ? raw.slice(0, MAX_META_VALUE) : raw;
    if (next[k] === v) continue;
    if (!(k in next) && Object.keys(next).length >= MAX_META_KEYS) continue;
    next[k] = v;
    changed = true;
  }
  return changed ? next : undefined;
}

export type IngestResult = { status: 'accepted' | 'duplicate'; message: Message; conversation: Conversation };

export interface OutboundRequest {
  conversationId: string;
  from: Participant;
  content: Content;
  /** Client-generated id: resending the same one returns the stored message (idempotent). */
  clientId?: string;
  private?: boolean;
  /** Reply in a thread: the root message's id. */
  threadId?: string;
}

export interface BusOptions {
  store: Store;
  limiter: RateLimiter;
  logger: Logger;
  limits: () => { maxTextChars: number; defaultQueue: string };
  /** The queue for a conversation about to wait for a human (routing's resolver). */
  chooseQueue?: (conv: Conversation, hints: { queue?: string; intent?: string; text?: string }) => string;
  /** Hands a stored outbound message to the customer's channel (wired to the channel registry); `edited` for edits and deletions. */
  sendOut: (msg: Message, conv: Conversation, edited?: boolean) => Promise<void>;
  /** The outbox target of an outbound message whose channel pushes to a vendor: its send is written in the message's commit. */
  deliverTo?: (conv: Conversation, msg: Message) => string | undefined;
}

/**
 * The conversation bus: the one path every message takes. It owns per-conversation seq
 * allocation, dedupe, rate limiting and the stage pipeline; it never knows a vendor.
 */
export class ConversationBus extends EventEmitter<BusEvents> {
  private middleware = new Map<Stage, Middleware[]>(STAGES.map((s) => [s, []]));
  private runners = new Map<Stage, (ctx: PipelineContext) => Promise<void>>();
  /** In-flight writes by conversation+sourceId, so a retry racing its original is a duplicate. */
  private inflight = new Map<string, Promise<IngestResult>>();
  /** Post-ingest processing is chained per conversation to keep stage order = seq order. */
  private tails = new Map<string, Promise<void>>();
  private creating = new Map<string, Promise<Conversation>>();
  /** Seqs follow arrival order per conversation and direction (arrival-order.ts); a message's place, until it is written. */
  private order = new ArrivalOrder();
  private turns = new WeakMap<Message, Turn>();
  // A trailing signal is emitted from a timer: a listener that throws must not become an uncaught exception.
  private signals = new Coalescer<Signal>(SIGNAL_INTERVAL_MS, (_key, s) => {
    try { this.emit('signal', s); } catch (err) { this.opts.logger.error({ err }, 'signal listener failed'); }
  });

  constructor(private opts: BusOptions) {
    super();
    this.setMaxListeners(50);
    this.rebuild();
  }

  get store(): Store { return this.opts.store; }

  /** Adds middleware to a stage; `first` puts it ahead of what is there (e.g. an explicitly configured bot before the built-in one). */
  use(stage: Stage, fn: Middleware, opts: { first?: boolean } = {}): this {
    if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    const list = this.middleware.get(stage);
    if (!list) throw new TypeError(`unknown stage "${stage}"`);
    if (opts.first) list.unshift(fn); else list.push(fn);
    this.rebuild();
    return this;
  }

  /** Removes middleware added with use() (a channel that stops takes its middleware with it). */
  unuse(stage: Stage, fn: Middleware): this {
    const list = this.middleware.get(stage);
    const i = list?.indexOf(fn) ?? -1;
    if (i >= 0) { list!.splice(i, 1); this.rebuild(); }
    return this;
  }

  private rebuild(): void {
    const core: Record<Stage, (ctx: PipelineContext) => Promise<void> | void> = {
      ingest: (ctx) => this.persist(ctx),
      classify: () => {},
      decide: () => {},
      route: (ctx) => { if (!ctx.handled) return this.queueForHuman(ctx); },
      deliver: (ctx) => { this.emit('message', ctx.message, ctx.conversation); },
      send: (ctx) => this.persist(ctx, this.opts.deliverTo?.(ctx.conversation, ctx.message)),
    };
    for (const s of STAGES) this.runners.set(s, compose(this.middleware.get(s)!, core[s]));
  }

  /** Accepts an inbound message; resolves once it is durable (or known as a duplicate). */
  async ingest(inbound: InboundMessage): Promise<IngestResult> {
    // Taken before the first await: the conversation is not known yet, its ref is.
    const turn = this.order.take(`in\u0000${inbound.ref.channel}\u0000${inbound.ref.account}\u0000${inbound.ref.thread}`);
    try {
      validateContent(inbound.content, this.opts.limits().maxTextChars);
      const conv = await this.conversationFor(inbound);
      const result = await this.dedupe(conv, inbound.sourceId, async () => {
        const taken = this.opts.limiter.take(conv.customer.id);
        const wait = typeof taken === 'number' ? taken : await taken;
        if (wait > 0 && !inbound.keepOverQuota) throw new KefuError('rate_limited', `Message quota exceeded; retry in ${wait}s.`, { retryAfter: wait });
        const message: Message = {
          id: newId('M'), seq: 0, conversationId: conv.id, sourceId: inbound.sourceId, direction: 'inbound',
          from: conv.customer, content: inbound.content, sentAt: inbound.sentAt ?? new Date(),
        };
        const ctx: PipelineContext = { stage: 'ingest', message, conversation: conv, inbound, handled: false, state: {} };
        this.turns.set(message, turn);
        await this.runners.get('ingest')!(ctx);
        this.after(conv.id, () => this.processInbound(ctx, wait > 0));
        return message;
      });
      return result;
    } catch (err) {
      if (err instanceof KefuError) this.emit('rejected', err.code, inbound.ref.channel);
      throw err;
    } finally {
      turn.done();
    }
  }

  /** Stores an outbound message (agent, bot or system) and sends it to the customer's channel. */
  async send(req: OutboundRequest): Promise<IngestResult> {
    validateContent(req.content, this.opts.limits().maxTextChars);
    const turn = this.order.take(`out\u0000${req.conversationId}`);
    let result: IngestResult;
    let conv: Conversation;
    try {
      const found = await this.opts.store.getConversation(req.conversationId);
      if (!found) throw new KefuError('conversation_not_found');
      conv = found;
      result = await this.dedupe(conv, req.clientId, async () => {
        const message: Message = {
          id: newId('M'), seq: 0, conversationId: conv.id, sourceId: req.clientId, direction: 'outbound',
          from: req.from, content: req.content, sentAt: new Date(), private: req.private || undefined, threadId: req.threadId,
        };
        this.turns.set(message, turn);
        await this.runners.get('send')!({ stage: 'send', message, conversation: conv, handled: false, state: {} });
        return message;
      });
    } finally {
      turn.done();
    }
    if (result.status === 'accepted') {
      this.emit('message', result.message, conv);
      // Private notes stay inside; the adapter decides which event kinds its channel can show.
      if (!result.message.private) {
        this.opts.sendOut(result.message, conv).catch((err) => this.opts.logger.error({ err, conversationId: conv.id }, 'outbound send failed'));
      }
    }
    return result;
  }

  /**
   * Runs `create` at most once per (conversation, sourceId): a retry racing its original, or
   * arriving after it was stored, gets the stored message back as a duplicate. The in-flight
   * map is checked and filled synchronously, so no await can slip between the two.
   */
  private dedupe(conv: Conversation, sourceId: string | undefined, create: () => Promise<Message>): Promise<IngestResult> {
    if (!sourceId) return create().then((message) => ({ status: 'accepted', message, conversation: conv }));
    const key = `${conv.id}\u0000${sourceId}`;
    const pending = this.inflight.get(key);
    if (pending) return pending.then((r) => ({ ...r, status: 'duplicate' as const }));
    const p = (async (): Promise<IngestResult> => {
      const stored = await this.opts.store.findMessageBySource(conv.id, sourceId);
      if (stored) return { status: 'duplicate', message: stored, conversation: conv };
      try {
        return { status: 'accepted', message: await create(), conversation: conv };
      } catch (err) {
        // Another node on the same store stored it between the lookup and the insert.
        const first = err instanceof DuplicateSource && await this.opts.store.findMessageBySource(conv.id, sourceId);
        if (!first) throw err;
        return { status: 'duplicate', message: first, conversation: conv };
      }
    })();
    this.inflight.set(key, p);
    const clear = () => { this.inflight.delete(key); };
    p.then(clear, clear);
    return p;
  }

  /**
   * Edits or deletes a stored message (same id and seq). A deletion replaces the content with a
   * `deleted` event: the text is gone, the place in the conversation stays. Everyone who saw the
   * message gets the new version (a `message` event with the same id).
   */
  async editMessage(msg: Message, patch: { content?: Content; deleted?: boolean }): Promise<Message> {
    const conv = await this.opts.store.getConversation(msg.conversationId);
    if (!conv) throw new KefuError('conversation_not_found');
    if (msg.deleted) throw new KefuError('invalid_state', 'The message is deleted.');
    if (patch.content) validateContent(patch.content, this.opts.limits().maxTextChars);
    const next: Message = { ...msg, editedAt: new Date(),
      content: patch.deleted ? { kind: 'event', event: 'deleted' } : patch.content ?? msg.content, deleted: patch.deleted || undefined };
    await this.opts.store.updateMessage(next);
    this.emit('message', next, conv);
    if (!next.private) this.opts.sendOut(next, conv, true).catch((err) => this.opts.logger.error({ err, conversationId: conv.id }, 'outbound update failed'));
    return next;
  }

  /** Relays a typing/read signal, coalesced per conversation, side and kind; nothing is stored. */
  signal(s: Signal): void {
    this.signals.push(`${s.conversationId}|${s.from.role === 'customer' ? 'c' : 's'}|${s.event}`, s);
  }

  /** Applies a state change to a conversation, stores it, and announces it. */
  async updateConversation(conv: Conversation, patch: Partial<Conversation>, change: ConversationChange): Promise<Conversation> {
    Object.assign(conv, patch, { updatedAt: new Date() });
    await this.opts.store.saveConversation(conv);
    this.emit('conversation', conv, change);
    return conv;
  }

  /**
   * The one hand-off to a human: the route stage's default for every message no bot handled,
   * and a bot's explicit request (`kefu.handoff`, at a raised priority with a notice to the
   * customer). The queue is resolved the same way in both (entry point, intent, keywords).
   * The router listens for 'queued'.
   */
  async handOff(conv: Conversation, o: { hints?: { queue?: string; intent?: string; text?: string }; priority?: number;
    notice?: { from: Participant; text: string; refId?: string } } = {}): Promise<void> {
    if (conv.status === 'queued' || conv.status === 'assigned') return;
    if (o.notice) {
      await this.send({ conversationId: conv.id, from: o.notice.from, content: { kind: 'event', event: 'handoff', refId: o.notice.refId, text: o.notice.text } });
    }
    const queue = this.opts.chooseQueue?.(conv, { intent: conv.intent?.label, ...o.hints }) ?? conv.queue;
    await this.updateConversation(conv, { status: 'queued', queue, queuedAt: new Date(), assigneeId: undefined,
      priority: Math.max(conv.priority, o.priority ?? 0) }, 'queued');
  }

  private queueForHuman(ctx: PipelineContext): Promise<void> {
    return this.handOff(ctx.conversation, { hints: { queue: ctx.inbound?.hints?.queue, intent: ctx.conversation.intent?.label ?? ctx.message.intent?.label,
      text: textOf(ctx.message.content) } });
  }

  private async persist(ctx: PipelineContext, deliverTo?: string): Promise<void> {
    const turn = this.turns.get(ctx.message);
    if (turn) await turn.ready;
    const conv = ctx.conversation;
    ctx.message.seq = ++conv.lastSeq;
    conv.lastMessageAt = ctx.message.sentAt;
    if (!ctx.message.private && ctx.message.content.kind !== 'event') conv.waitingOn = ctx.message.direction === 'inbound' ? 'agent' : 'customer';
    const written = this.opts.store.appendMessage(ctx.message, conv, deliverTo);
    // The seq is taken (SQLite: just above; MongoDB: in its per-conversation write queue, in call order): the next may go.
    turn?.done();
    await written;
  }

  private async processInbound(ingested: PipelineContext, overQuota = false): Promise<void> {
    const ctx = ingested;
    for (const stage of overQuota ? ['route', 'deliver'] as const : ['classify', 'decide', 'route', 'deliver'] as const) {
      try {
        await this.runners.get(stage)!(Object.assign(ctx, { stage }));
      } catch (err) {
        // The message is already durable; a failing plugin must not stop it reaching a human.
        this.opts.logger.error({ err, stage, messageId: ctx.message.id }, 'pipeline stage failed');
      }
    }
  }

  private after(conversationId: string, task: () => Promise<void>): void {
    const prev = this.tails.get(conversationId) ?? Promise.resolve();
    const next = prev.then(task, task);
    this.tails.set(conversationId, next);
    next.then(() => { if (this.tails.get(conversationId) === next) this.tails.delete(conversationId); });
  }

  /**
   * A conversation an agent starts on a channel the customer has not written on (the side
   * panel's "write by e-mail / SMS"): created as a customer's first message would create it, with
   * nothing sent yet; the first message is an ordinary send(). `created: false` when the ref
   * already has one (a retried start, or an SMS number the customer texted before).
   */
  async openConversation(t: { ref: ConversationRef; customer: { externalId: string; name?: string }; meta?: Record<string, string>; queue?: string }):
    Promise<{ conversation: Conversation; created: boolean }> {
    const existing = await this.opts.store.findConversationByRef(t.ref);
    if (existing) return { conversation: existing, created: false };
    const key = `${t.ref.channel}\u0000${t.ref.account}\u0000${t.ref.thread}`;
    let creating = this.creating.get(key);
    const mine = !creating;
    if (!creating) {
      creating = this.createConversation({ ref: t.ref, customer: t.customer, meta: t.meta, hints: { queue: t.queue }, content: { kind: 'text', text: '' } });
      this.creating.set(key, creating);
      creating.finally(() => this.creating.delete(key)).catch(() => {});
    }
    return { conversation: await creating, created: mine };
  }

  /** Resolves once every accepted message has gone through all stages (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  private async conversationFor(inbound: InboundMessage): Promise<Conversation> {
    const existing = await this.opts.store.findConversationByRef(inbound.ref);
    if (existing) {
      if (inbound.customer.name && existing.customer.name !== inbound.customer.name) existing.customer.name = inbound.customer.name;
      const meta = mergeMeta(existing.meta, inbound.meta);
      if (meta) {
        existing.meta = Object.keys(meta).length ? meta : undefined;
        await this.updateConversation(existing, {}, 'updated');
      }
      return existing;
    }
    // Two first messages racing must create one conversation.
    const key = `${inbound.ref.channel}\u0000${inbound.ref.account}\u0000${inbound.ref.thread}`;
    let creating = this.creating.get(key);
    if (!creating) {
      creating = this.createConversation(inbound);
      this.creating.set(key, creating);
      creating.finally(() => this.creating.delete(key)).catch(() => {});
    }
    return creating;
  }

  private async createConversation(inbound: InboundMessage): Promise<Conversation> {
    const now = new Date();
    const conv: Conversation = {
      id: newId('C'), ref: inbound.ref,
      customer: { id: `${inbound.ref.channel}:${inbound.customer.externalId}`, role: 'customer', name: inbound.customer.name },
      status: 'pending', queue: inbound.hints?.queue || this.opts.limits().defaultQueue, priority: 0, aiWeight: 1,
      createdAt: now, updatedAt: now, lastSeq: 0, tags: [],
    };
    const meta = mergeMeta(undefined, inbound.meta);
    if (meta && Object.keys(meta).length) conv.meta = meta;
    try {
      await this.opts.store.saveConversation(conv);
    } catch (err) {
      // Another node on the same store created it first (a shared store refuses a second one): that one is it.
      const first = err instanceof KefuError && err.code === 'conflict' && await this.opts.store.findConversationByRef(inbound.ref);
      if (!first) throw err;
      return first;
    }
    this.emit('conversation', conv, 'created');
    return conv;
  }
}
