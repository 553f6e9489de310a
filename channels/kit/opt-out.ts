import type { Conversation } from '../../core/model/message.js';
import { ChannelError, type ChannelContext } from '../contract.js';

/** The tag the workspace badges (core/workspace/client/channel-view.ts keeps a copy: it is not bundled with this). */
export const OPTED_OUT_TAG = 'sms-opted-out';
const key = (customer: string) => `optout:${customer}`;

/**
 * SMS opt-out per customer number, shared by the Twilio and the generic gateway channels: the
 * flag lives in the channel's own state (each channel owns its senders), the tag on the
 * conversation so agents see why nothing goes out.
 */
export async function setOptOut(ctx: ChannelContext, customer: string, out: boolean, conv?: Conversation): Promise<void> {
  if (out) await ctx.state.set(key(customer), String(Date.now()));
  else await ctx.state.delete(key(customer));
  if (conv && out !== conv.tags.includes(OPTED_OUT_TAG)) {
    const tags = out ? [...conv.tags, OPTED_OUT_TAG] : conv.tags.filter((t) => t !== OPTED_OUT_TAG);
    await ctx.update(conv, { tags }, 'updated');
  }
}

export async function isOptedOut(ctx: ChannelContext, customer: string): Promise<boolean> {
  return (await ctx.state.get(key(customer))) !== undefined;
}

/** Permanent: the outbox shows it on the message at once instead of retrying or dropping it. */
export function optedOutError(channel: string, how: string): ChannelError {
  return new ChannelError(channel, `The customer has opted out (${how}); they must opt back in before we can send again.`, { retryable: false, code: 'opted_out' });
}

/** The whole text, trimmed and upper-cased, is the keyword (carriers and Twilio match it so). */
export function keywordOf(text: string, optOut: readonly string[], optIn: readonly string[]): 'opt_out' | 'opt_in' | undefined {
  const word = text.trim().toUpperCase();
  if (optOut.some((w) => w.trim().toUpperCase() === word)) return 'opt_out';
  if (optIn.some((w) => w.trim().toUpperCase() === word)) return 'opt_in';
  return undefined;
}
