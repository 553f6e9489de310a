import type { Conversation, InboundMessage, Message } from '../model/message.js';

/**
 * Stages every message passes, in order. Inbound: ingest → classify → decide → route → deliver.
 * Outbound (agent/bot replies): send. Plugins add middleware to a stage with `use(stage, fn)`;
 * the core's own step is the innermost one, so plugin middleware runs around it (koa-style):
 * code before `await next()` sees the message before the core step, code after sees its result.
 *
 * - ingest: before the message is stored. Throw a KefuError to reject it (nothing is stored).
 * - classify: set `ctx.message.intent` / conversation intent (intent plugins).
 * - decide: decide bot or human; set `ctx.handled = true` when a bot took the message.
 * - route: core queues the conversation for an agent unless handled.
 * - deliver: core pushes the message to agents; plugins may mirror it elsewhere.
 * - send: before an outbound message is stored; throw to refuse it.
 */
export const STAGES = ['ingest', 'classify', 'decide', 'route', 'deliver', 'send'] as const;
export type Stage = (typeof STAGES)[number];

export interface PipelineContext {
  readonly stage: Stage;
  message: Message;
  conversation: Conversation;
  /** The adapter's inbound message (inbound stages only). */
  inbound?: InboundMessage;
  /** True once a bot answered; route then leaves the conversation with the bot. */
  handled: boolean;
  /** Scratch space for plugins to pass data between stages. */
  state: Record<string, unknown>;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: PipelineContext, next: Next) => Promise<void> | void;


/** Composes middleware around a core step; calling next() twice is a programming error. */
export function compose(middleware: readonly Middleware[], core: (ctx: PipelineContext) => Promise<void> | void) {
  return function run(ctx: PipelineContext): Promise<void> {
    let index = -1;
    function dispatch(i: number): Promise<void> {
      if (i <= index) return Promise.reject(new Error('next() called multiple times'));
      index = i;
      try {
        const fn = i < middleware.length ? middleware[i] : core;
        return Promise.resolve(i < middleware.length ? (fn as Middleware)(ctx, () => dispatch(i + 1)) : (fn as typeof core)(ctx));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return dispatch(0);
  };
}
