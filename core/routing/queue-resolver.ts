import type { KefuConfig } from '../../config/schema.js';

/**
 * A conversation's queue, in order: the entry point (widget data-queue, API field), the intent
 * (when the AI plugin scored one), keyword rules on the message, else the default queue.
 */
export function resolveQueue(routing: KefuConfig['routing'], input: { hint?: string; intent?: string; text?: string }): string {
  const queues = routing.queues;
  if (input.hint && queues.some((q) => q.name === input.hint)) return input.hint;
  if (input.intent) {
    const byIntent = queues.find((q) => q.intents.includes(input.intent!));
    if (byIntent) return byIntent.name;
  }
  if (input.text) {
    const lower = input.text.toLowerCase();
    // Most urgent queue first, so "订单坏了要投诉" lands in after_sales rather than order.
    const ranked = [...queues].sort((a, b) => b.priority - a.priority);
    const byKeyword = ranked.find((q) => q.keywords.some((k) => k && lower.includes(k.toLowerCase())));
    if (byKeyword) return byKeyword.name;
  }
  return routing.default_queue;
}
