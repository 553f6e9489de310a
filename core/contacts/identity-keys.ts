import type { Conversation } from '../model/message.js';

/**
 * What a conversation proves about its customer. Decided here, once, for every channel:
 *
 * | key | from | verified |
 * |---|---|---|
 * | the customer id (`web:v…`, `sms:+1…`, `email:…`, `feishu:ou_…`) | every conversation | yes, except e-mail (From is forgeable) |
 * | `phone:<E.164>` | an inbound SMS (`sms`, `sms_gateway`) | yes: the carrier delivered it from that number (not in a conversation an agent started) |
 * | `email:<lower-cased>` | an inbound mail's sender | no: anyone can write any From |
 * | `wechat_unionid:<id>` | WeChat (mini-program, service account) meta | yes: WeChat's own login |
 * | `shop:<user id>`, `email:`, `phone:` | `kefu.identify()` | the id when signed; e-mail and phone only with their own signature |
 *
 * Only verified keys link contacts by themselves; the rest are suggestions for an agent.
 */
export interface Fact { key: string; verified: boolean }

const E164 = /^\+[1-9]\d{6,14}$/;

export function emailKey(raw: string): string | undefined {
  const v = raw.trim().toLowerCase();
  return v.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? `email:${v}` : undefined;
}

/** Only numbers already in E.164: guessing a country for a national number would be a guess. */
export function phoneKey(raw: string): string | undefined {
  const v = raw.replace(/[\s().-]/g, '');
  return E164.test(v) ? `phone:${v}` : undefined;
}

export function shopKey(id: string): string { return `shop:${id}`; }

const SMS_CHANNELS = new Set(['sms', 'sms_gateway']);
const FORGEABLE_ADDRESSES = new Set(['email']);

/** Whether the channel itself vouches for the customer id (a visitor token, a vendor's signed webhook…). */
export function addressVerified(conv: Conversation): boolean {
  return !FORGEABLE_ADDRESSES.has(conv.ref.channel);
}

/** The keys a conversation carries besides its customer id (see the table above). */
export function factsOf(conv: Conversation): Fact[] {
  const out: Fact[] = [];
  const external = conv.customer.id.slice(conv.customer.id.indexOf(':') + 1);
  if (SMS_CHANNELS.has(conv.ref.channel)) {
    const k = phoneKey(external);
    // A conversation an agent started (core/contacts/outbound-start.ts) was written to the number, not from it: no proof.
    if (k) out.push({ key: k, verified: !conv.meta?.started });
  }
  const mail = conv.meta?.email ?? (conv.ref.channel === 'email' ? external : undefined);
  if (mail) {
    const k = emailKey(mail);
    if (k && k !== conv.customer.id) out.push({ key: k, verified: false });
  }
  const unionid = conv.meta?.wechat_unionid;
  if (unionid && /^[\w-]{6,64}$/.test(unionid)) out.push({ key: `wechat_unionid:${unionid}`, verified: true });
  return out;
}

/** Names a channel makes up for a customer it knows nothing about ("Visitor 3F2A"): never a contact's name, never a match. */
export function isPlaceholderName(name: string | undefined): boolean {
  return !name || /^(Visitor|WeChat user) [A-Z0-9_-]{4}$/.test(name) || /^\+?\d[\d\s-]*$/.test(name);
}
