import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Attachment, Conversation, InboundMessage, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type OutboundStart, type OutboundTarget, type SendOptions, type SendResult } from '../contract.js';
import { KefuError } from '../../core/errors.js';
import { accountsOf, configSchema, type SmsAccount, type SmsConfig, type TwilioForm } from './types.js';
import { verifyTwilio } from './verify.js';
import { formParams, parse, type Parsed } from './parse.js';
import { fetchMedia, loadTwilio, TwilioApi } from './api.js';
import { isOptedOut, OPTED_OUT_TAG, setOptOut } from '../kit/opt-out.js';

export { segmentsOf } from './segments.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
export { OPTED_OUT_TAG };

/**
 * SMS and MMS through Twilio. Inbound: POST /channels/sms/twilio (Twilio's "A message comes
 * in" webhook), status callbacks on /channels/sms/twilio/status, both signed with
 * X-Twilio-Signature. Outbound: messages.create from the outbox. A conversation is keyed by
 * the sender the customer wrote to (a number, or the Messaging Service whose pool it belongs
 * to) and the customer's number, so replies leave from where the customer expects them.
 */
export class SmsChannel implements ChannelAdapter {
  readonly name = 'sms';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  private api = new TwilioApi(() => this.settings().api_base, () => this.settings().api_timeout_ms);

  /** Agents may text a contact's number first (from the first configured sender). */
  readonly startsOn = ['phone'] as const;

  /**
   * Where an agent's first text goes: the first account's Messaging Service, else its first
   * number; the conversation is keyed as if the customer had texted that sender, so their answer
   * lands in it. A number that texted STOP is refused here rather than failing in the outbox.
   */
  async outboundTarget(t: OutboundStart): Promise<OutboundTarget> {
    if (!/^\+[1-9]\d{6,14}$/.test(t.value)) throw new KefuError('validation_failed', `${t.value} is not an E.164 number.`);
    const account = accountsOf(this.settings())[0];
    const sender = account?.messaging_service_sid ?? account?.numbers[0];
    if (!sender) throw new KefuError('channel_cannot_start', 'No sender: configure [channels.sms] numbers or messaging_service_sid.');
    if (await this.optedOut(t.value)) throw new KefuError('invalid_state', 'The customer has opted out (texted STOP); they must text START first.');
    return { ref: { channel: 'sms', account: sender, thread: t.value }, externalId: t.value };
  }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    await loadTwilio(); // a broken install fails the start (visible in health), not the first send
  }

  async stop(): Promise<void> { this.ctx = undefined; this.api.close(); }

  private settings(): SmsConfig {
    return configSchema.parse(this.ctx!.config().channels.sms);
  }

  /** The account a webhook belongs to: by `To` number, by Messaging Service (pool numbers are not listed), by our number as `From` (status callbacks), by AccountSid. */
  private accountFor(f: TwilioForm): SmsAccount | undefined {
    const all = accountsOf(this.settings());
    return all.find((a) => a.numbers.includes(f.To))
      ?? all.find((a) => a.messaging_service_sid && a.messaging_service_sid === f.MessagingServiceSid)
      ?? all.find((a) => a.numbers.includes(f.From))
      ?? all.find((a) => a.account_sid === f.AccountSid);
  }

  /** The sending account for a conversation's sender key (a number or an MG… service). */
  private accountOfSender(sender: string): SmsAccount | undefined {
    const all = accountsOf(this.settings());
    return all.find((a) => a.messaging_service_sid === sender) ?? all.find((a) => a.numbers.includes(sender));
  }

  /** Reads and checks a Twilio webhook: the form, its account, the signature; 403 otherwise. */
  private async verified(koa: Context): Promise<{ account: SmsAccount; raw: string }> {
    const ctx: ChannelContext = this.ctx!;
    const raw = (await ctx.rawBody(koa)).toString('utf8');
    const params = formParams(raw);
    const account = this.accountFor(params);
    if (!account) return ctx.rejectSignature('no configured Twilio account matches this request');
    const ok = await verifyTwilio(account.auth_token, koa.get('x-twilio-signature') || undefined, ctx.publicUrl(koa), params,
      koa.get('x-twilio-webhooks-signature-settings') || undefined);
    if (!ok) ctx.rejectSignature();
    return { account, raw };
  }

  routes(router: Router): void {
    router.post('/channels/sms/twilio', async (koa) => {
      const { account, raw } = await this.verified(koa);
      const event = parse(raw);
      if (event.kind === 'invalid') { koa.status = 400; koa.body = { ok: false, ignored: event.reason }; return; }
      if (event.kind === 'message') await this.inbound(event, account);
      else if (event.kind === 'status') await this.ctx!.deliveryStatus(event.vendorId, event.state, event.error);
      // Answered only now: the message is durable (Twilio does not retry after a 200).
      koa.type = 'text/xml';
      koa.body = EMPTY_TWIML;
    });
    router.post('/channels/sms/twilio/status', async (koa) => {
      const { raw } = await this.verified(koa);
      const event = parse(raw);
      if (event.kind === 'status') await this.ctx!.deliveryStatus(event.vendorId, event.state, event.error);
      koa.status = event.kind === 'invalid' ? 400 : 204;
    });
  }

  private async inbound(p: Extract<Parsed, { kind: 'message' }>, account: SmsAccount): Promise<void> {
    const ctx = this.ctx!;
    const sender = account.messaging_service_sid && p.messagingServiceSid === account.messaging_service_sid ? p.messagingServiceSid : p.to;
    const ref = { channel: 'sms', account: sender, thread: p.from };
    // A redelivery (same MessageSid) is stored once by ingest; skip refetching its media too.
    const known = await ctx.store.findConversationByRef(ref);
    if (known && await ctx.store.findMessageBySource(known.id, p.sid)) return;
    const attachments = await this.mediaOf(p, account);
    const missing = p.media.length - attachments.length;
    const note = missing > 0 ? `[${missing} attachment${missing > 1 ? 's' : ''} could not be fetched from Twilio]` : '';
    const caption = [p.body, note].filter(Boolean).join('\n');
    const m: InboundMessage = { ref, customer: { externalId: p.from }, sourceId: p.sid, keepOverQuota: true,
      content: attachments.length ? { kind: 'media', attachments, caption: caption || undefined } : { kind: 'text', text: caption } };
    const r = await ctx.ingest(m);
    // The keyword message itself is kept (above); Twilio has blocked or unblocked the sender by now.
    if (p.keyword && r.status === 'accepted') await this.setOptOut(p.from, p.keyword === 'opt_out', r.conversation);
  }

  private async mediaOf(p: Extract<Parsed, { kind: 'message' }>, account: SmsAccount): Promise<Attachment[]> {
    const ctx = this.ctx!;
    const s = this.settings();
    // In parallel: Twilio gives the webhook about 15 s, and an MMS has up to 10 media.
    const got = await Promise.allSettled(p.media.slice(0, s.max_media).map(async (m, i) => {
      const { data } = await fetchMedia(m.url, account, s.media_base, ctx.media.maxBytes(), s.media_timeout_ms);
      const ext = m.contentType.split('/')[1]?.replace(/[^a-z0-9]/gi, '').slice(0, 8);
      return ctx.media.storeBuffer(data, `mms-${i + 1}${ext ? `.${ext}` : ''}`, `sms:${p.from}`);
    }));
    const out: Attachment[] = [];
    for (const [i, r] of got.entries()) {
      if (r.status === 'fulfilled') out.push(r.value);
      // One bad medium must not lose the message: it is stored with a note instead.
      else ctx.logger.warn({ err: (r.reason as Error)?.message, sid: p.sid, index: i }, 'MMS media not fetched');
    }
    return out;
  }

  /** Records STOP/START per customer number and shows it on the conversation (a tag agents see). */
  private async setOptOut(customer: string, out: boolean, conv?: Conversation): Promise<void> {
    await setOptOut(this.ctx!, customer, out, conv);
  }

  /** Whether the customer at `number` has texted STOP (and not START since). */
  async optedOut(number: string): Promise<boolean> {
    return isOptedOut(this.ctx!, number);
  }

  async send(msg: Message, conv: Conversation, _opts: SendOptions): Promise<SendResult> {
    // _opts.idempotencyKey is not used: Twilio's messages.create takes none (at least once; see api.ts).
    if (msg.content.kind === 'event' && !msg.content.text) return { sourceId: '', skipped: true };
    const base = this.ctx!.config().server.public_url.replace(/\/$/, '');
    // Images go as MMS: Twilio fetches them from our public media URLs (unguessable ids), so
    // only with a public_url; otherwise, and for other files, the text says what was attached.
    const images = msg.content.kind === 'media' && base ? msg.content.attachments.filter((x) => x.kind === 'image').slice(0, 10) : [];
    const mediaUrl = images.map((x) => `${base}/media/${x.mediaId}`);
    const text = msg.content.kind === 'media' && images.length === msg.content.attachments.length ? msg.content.caption ?? '' : textOf(msg.content);
    if (!text && !mediaUrl.length) return { sourceId: '', skipped: true };
    const to = conv.ref.thread;
    if (await this.optedOut(to)) {
      throw new ChannelError('sms', 'The customer has opted out (texted STOP); they must text START before we can send again.', { retryable: false, code: 'opted_out' });
    }
    const account = this.accountOfSender(conv.ref.account);
    if (!account) throw new ChannelError('sms', `No configured Twilio account sends as ${conv.ref.account}.`, { retryable: false, code: 'no_account' });
    const viaService = conv.ref.account.startsWith('MG');
    try {
      const sid = await this.api.send(account, { to, body: text, mediaUrl, ...(viaService ? { messagingServiceSid: conv.ref.account } : { from: conv.ref.account }),
        // Without a public URL Twilio has nowhere to report to: the message then stays "sent".
        statusCallback: base ? `${base}/channels/sms/twilio/status` : undefined });
      return { sourceId: sid };
    } catch (err) {
      // Twilio knows of an opt-out we missed (STOP to another of our numbers, or before kefu).
      if (err instanceof ChannelError && err.code === '21610') await this.setOptOut(to, true, await this.ctx!.store.getConversation(conv.id) ?? conv);
      throw err;
    }
  }
}
