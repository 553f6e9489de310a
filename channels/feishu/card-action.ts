import type { Conversation, Participant } from '../../core/model/message.js';
import type { ChannelContext } from '../contract.js';
import type { Parsed } from './parse.js';
import type { FeishuApp } from './types.js';

/**
 * A click on one of kefu's card buttons (转人工, or a survey rating): only the conversation's own
 * customer can press them, and each click counts once (Feishu re-pushes). A rating becomes the
 * customer's reply "<n>", stored and deduped on the event id like any message, and recorded by
 * core/csat before Feishu is answered; it is taken only while the survey is open, so a late click
 * cannot reopen a conversation with a stray digit. Resolves to the toast Feishu shows.
 */
export async function cardAction(ctx: ChannelContext, app: FeishuApp, p: Extract<Parsed, { kind: 'card_action' }>,
  o: { handoff: (conv: Conversation, by: Participant) => Promise<void>; handoffToast: string }): Promise<object> {
  const conv = await ctx.store.getConversation(p.conversationId);
  const mine = conv && conv.ref.channel === 'feishu' && conv.ref.account === app.app_id && conv.customer.id === `feishu:${p.openId}`;
  const rating = /^csat:([1-5])$/.exec(p.action)?.[1];
  if (conv && mine && rating) {
    if (conv.status !== 'resolved' || conv.csat?.state !== 'asked') return { toast: { type: 'info', content: '本次评价已结束 · This survey is closed.' } };
    await ctx.ingest({ ref: conv.ref, customer: { externalId: p.openId }, sourceId: `card:${p.eventId}`, content: { kind: 'text', text: rating } });
    return { toast: { type: 'success', content: '感谢您的评价 · Thank you for your rating!' } };
  }
  if (!conv || !mine || p.action !== 'handoff') return { toast: { type: 'error', content: 'This button is not for you.' } };
  const seen = `card:${p.eventId}`;
  if (!(await ctx.state.get(seen))) {
    await o.handoff(conv, conv.customer);
    await ctx.state.set(seen, String(Date.now()));
  }
  return { toast: { type: 'success', content: o.handoffToast } };
}
