import type { Logger } from 'pino';
import type { KefuConfig } from '../../config/schema.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Middleware } from '../bus/pipeline.js';
import { textOf, type Conversation, type Csat, type Participant } from '../model/message.js';
import { exponentialBackoff, type OutboxDispatcher, type OutboxHandler } from '../outbox/dispatcher.js';
import { cleanComment, parseRatingReply, type Rating } from './rating.js';
import type { SurveyTokens } from './survey-token.js';

/** The outbox target of scheduled surveys: one item per conversation, held until the survey is due. */
export const CSAT_TARGET = 'csat';
const SYSTEM: Participant = { id: 'system', role: 'system', name: 'kefu' };
/** A second rating reply this soon after the first is a double tap, not a new message. */
const REPEAT_MS = 10 * 60_000;

export type CsatSpec = KefuConfig['routing']['queues'][number]['csat'];
export type AnswerResult = 'recorded' | 'comment_updated' | 'closed';

export interface CsatOptions {
  bus: ConversationBus;
  dispatcher: OutboxDispatcher;
  tokens: SurveyTokens;
  config: () => KefuConfig;
  logger: Logger;
  /** The public port's own address when it is loopback, for links while `[server] public_url` is unset (tests, a try on one machine). */
  listeningUrl: () => string | undefined;
  now?: () => number;
}

/**
 * Satisfaction surveys. A conversation resolved in a queue with `csat.enabled` gets one survey,
 * ever: an outbox item held until `delay_s` after the resolution (durable: a restart before then
 * still asks), then a `csat` event the customer's channel shows natively or as its text. Answers
 * come as a reply starting with a digit 1–5 while the conversation is still resolved (SMS, WeChat,
 * the widget's and cards' buttons send one) or from the signed rating page (`rating-page.ts`).
 * A rating reply is stored as the customer's message but does not reopen the conversation.
 */
export class CsatService {
  private readonly now: () => number;
  private locks = new Map<string, Promise<unknown>>();
  private warnedNoLink = false;

  constructor(private o: CsatOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Wires the service to the bus and the outbox; returns what undoes it. */
  start(): () => void {
    const { bus } = this.o;
    const onConversation = (conv: Conversation, change: string) => {
      if (change === 'resolved') this.schedule(conv).catch((err) => this.o.logger.error({ err, conversationId: conv.id }, 'csat: scheduling the survey failed'));
    };
    bus.on('conversation', onConversation);
    bus.use('ingest', this.takeRating, { first: true });
    bus.use('decide', this.keepResolved, { first: true });
    const unregister = this.o.dispatcher.register(this.handler);
    return () => {
      bus.off('conversation', onConversation);
      bus.unuse('ingest', this.takeRating);
      bus.unuse('decide', this.keepResolved);
      unregister();
    };
  }

  spec(queue: string): CsatSpec | undefined {
    return this.o.config().routing.queues.find((q) => q.name === queue)?.csat;
  }

  /** The rating page of a conversation, or undefined when there is no public address to link to. */
  link(conversationId: string): string | undefined {
    const base = (this.o.config().server.public_url || this.o.listeningUrl() || '').replace(/\/+$/, '');
    if (!base && !this.warnedNoLink) {
      this.warnedNoLink = true;
      this.o.logger.warn('csat: [server] public_url is not set, so surveys go without the rating page link (reply digits and buttons still work)');
    }
    return base ? `${base}/csat/${this.o.tokens.make(conversationId)}` : undefined;
  }

  private async schedule(conv: Conversation): Promise<void> {
    if (conv.csat) return; // at most once: scheduled, asked or answered before
    const spec = this.spec(conv.queue);
    if (!spec?.enabled) return;
    const dueAt = this.now() + Math.round(spec.delay_s * 1000);
    // The outbox item first: should the gateway stop in between, the item alone still asks.
    await this.o.bus.store.outbox.add([{ target: CSAT_TARGET, orderingKey: conv.id, payload: conv.id, notBefore: dueAt }]);
    await this.o.bus.updateConversation(conv, { csat: { state: 'scheduled', dueAt: new Date(dueAt) } }, 'updated');
    this.o.dispatcher.kick();
  }

  private handler: OutboxHandler = {
    targets: () => [CSAT_TARGET],
    deliver: async (item) => ({ ok: true, skipped: !(await this.serialized(item.payload, () => this.ask(item.payload))) }),
    backoffMs: exponentialBackoff(2000, 600_000),
    maxAttempts: 16,
  };

  /** Sends a due survey; false when there is nothing to ask (already asked, reopened, turned off). */
  private async ask(conversationId: string): Promise<boolean> {
    const { bus } = this.o;
    const conv = await bus.store.getConversation(conversationId);
    if (!conv || conv.csat?.state === 'answered') return false;
    const spec = this.spec(conv.queue);
    const clientId = `csat:${conv.id}`;
    if (conv.csat?.state === 'asked') {
      // Marked asked but stopped before the send (a crash in between): send it now, once.
      if (await bus.store.findMessageBySource(conv.id, clientId)) return false;
    } else {
      if (conv.status !== 'resolved' || !spec?.enabled) {
        // Reopened before the survey was due (or the queue stopped asking): the next resolution schedules it again.
        if (conv.csat) await bus.updateConversation(conv, { csat: undefined }, 'updated');
        return false;
      }
      // Asked before it is sent, so the customer's quick answer always finds the survey open.
      await bus.updateConversation(conv, { csat: { state: 'asked', dueAt: conv.csat?.dueAt ?? new Date(this.now()), askedAt: new Date(this.now()) } }, 'updated');
    }
    const { question, reply_hint: hint } = spec ?? this.spec(this.o.config().routing.default_queue) ?? { question: 'How would you rate the help you got?', reply_hint: '' };
    const url = this.link(conv.id);
    // `text` is what channels without a survey of their own send: the question, how to answer, the page.
    const text = [hint ? `${question} ${hint}` : question, url].filter(Boolean).join('\n');
    await bus.send({ conversationId: conv.id, from: SYSTEM, clientId,
      content: { kind: 'event', event: 'csat', text, survey: { question, ...(url ? { url } : {}) } } });
    return true;
  }

  /**
   * Records an answer. The first one sets the rating; later ones (the page, within the queue's
   * `comment_window_s`) may only change the comment. Serialized per conversation, so a page
   * answer racing a reply digit counts once.
   */
  answer(conversationId: string, r: Rating, via: 'reply' | 'page'): Promise<AnswerResult> {
    return this.serialized(conversationId, async () => {
      const conv = await this.o.bus.store.getConversation(conversationId);
      const c = conv?.csat;
      if (!conv || !c || c.state === 'scheduled') return 'closed';
      const now = this.now();
      if (c.state === 'asked') {
        const next: Csat = { ...c, state: 'answered', rating: r.rating, comment: cleanComment(r.comment), answeredAt: new Date(now), via };
        await this.o.bus.updateConversation(conv, { csat: next }, 'updated');
        return 'recorded';
      }
      if (via === 'page' && this.commentOpen(conv, now) && r.rating === c.rating) {
        await this.o.bus.updateConversation(conv, { csat: { ...c, comment: cleanComment(r.comment) } }, 'updated');
        return 'comment_updated';
      }
      return 'closed';
    });
  }

  /** Whether an answered survey's comment may still change. */
  commentOpen(conv: Conversation, now = this.now()): boolean {
    const c = conv.csat;
    const windowS = this.spec(conv.queue)?.comment_window_s ?? 0;
    return c?.state === 'answered' && !!c.answeredAt && now - c.answeredAt.getTime() < windowS * 1000;
  }

  /**
   * `ingest`, outermost: a customer's reply to an open survey that reads as a rating is recorded
   * before the vendor is acknowledged (the message itself is stored as usual). A second rating
   * reply right after the first (a double tap) is marked too, so it does not reopen the
   * conversation either; it changes nothing.
   */
  private takeRating: Middleware = async (ctx, next) => {
    const conv = ctx.conversation;
    const c = conv.csat;
    const repeat = c?.state === 'answered' && !!c.answeredAt && this.now() - c.answeredAt.getTime() < REPEAT_MS;
    const open = conv.status === 'resolved' && (c?.state === 'asked' || repeat);
    const r = open && ctx.message.direction === 'inbound' ? parseRatingReply(textOf(ctx.message.content)) : undefined;
    if (!r) return next();
    // The intent of "5" says nothing about the conversation: CSAT by intent keeps the one it had.
    const intent = conv.intent;
    await next();
    conv.intent = intent;
    try {
      ctx.state.csat = await this.answer(conv.id, r, 'reply');
    } catch (err) {
      // The message is stored; losing the rating must not make the vendor send it again.
      this.o.logger.error({ err, conversationId: conv.id }, 'csat: recording a rating failed');
      ctx.state.csat = 'closed';
    }
    // Set already here: bots in `decide` (the API channel's, the AI's) skip handled messages, wherever they sit.
    ctx.handled = true;
  };

  /** `decide`, first: a rating reply is answered with the thanks, and no bot or queue sees it. */
  private keepResolved: Middleware = async (ctx, next) => {
    const res = ctx.state.csat as AnswerResult | undefined;
    if (!res) return next();
    const thanks = this.spec(ctx.conversation.queue)?.thanks;
    if (res === 'recorded' && thanks) {
      await this.o.bus.send({ conversationId: ctx.conversation.id, from: SYSTEM, clientId: `csat-thanks:${ctx.conversation.id}`,
        content: { kind: 'event', event: 'notice', text: thanks } });
    }
  };

  private serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(task, task);
    const tail = run.catch(() => {});
    this.locks.set(key, tail);
    void tail.then(() => { if (this.locks.get(key) === tail) this.locks.delete(key); });
    return run;
  }
}
