import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Conversation, InboundMessage, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import type { ChannelAdapter, ChannelContext, SendOptions, SendResult } from '../contract.js';
import { isOptedOut, keywordOf, optedOutError, setOptOut } from '../kit/opt-out.js';
import { configSchema, type GatewayConfig } from './types.js';
import { verify } from './verify.js';
import { parse } from './parse.js';
import { parseReceipts } from './receipt.js';
import { sendSms } from './api.js';

/**
 * A generic HTTP SMS gateway: for providers without an SDK of their own (Chinese SMS platforms
 * that push replies to a URL and send from approved templates). The provider's fields, its
 * signature and its send request are all config (types.ts). A separate channel from `sms`
 * (Twilio): its own config section, conversations and outbox line, so either runs alone.
 */
export class SmsGatewayChannel implements ChannelAdapter {
  readonly name = 'sms_gateway';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;

  async start(ctx: ChannelContext): Promise<void> { this.ctx = ctx; }
  async stop(): Promise<void> { this.ctx = undefined; }

  private settings(): GatewayConfig {
    return configSchema.parse(this.ctx!.config().channels.sms_gateway);
  }

  /** The raw body, once its HMAC (and timestamp) checks out; 403 otherwise. */
  private async verified(koa: Context, c: GatewayConfig): Promise<Buffer> {
    const ctx = this.ctx!;
    const body = await ctx.rawBody(koa);
    const ok = verify({ secret: c.hmac_secret, algorithm: c.hmac_algorithm, encoding: c.hmac_encoding, prefix: c.hmac_prefix }, body,
      koa.get(c.hmac_header) || undefined,
      { timestamp: c.timestamp_header ? koa.get(c.timestamp_header) : undefined, requireTimestamp: !!c.timestamp_header, nowS: Math.floor(Date.now() / 1000) });
    if (!ok) ctx.rejectSignature();
    return body;
  }

  routes(router: Router): void {
    router.post('/channels/sms-gateway/inbound', async (koa) => {
      const c = this.settings();
      const body = await this.verified(koa, c);
      const event = parse(body.toString('utf8'), c.inbound_format, c.inbound_fields, c.provider);
      if (event.kind === 'invalid') { koa.status = 400; koa.body = { ok: false, ignored: event.reason }; return; }
      if (event.kind === 'message') await this.inbound(event.message, c); // durable before the provider hears "ok"
      koa.type = c.inbound_answer_type;
      koa.body = c.inbound_answer;
    });
    router.post('/channels/sms-gateway/receipt', async (koa) => {
      const c = this.settings();
      if (!c.receipt_fields) { koa.status = 404; koa.body = { ok: false, ignored: 'receipt_fields is not configured' }; return; }
      const body = await this.verified(koa, c);
      const event = parseReceipts(body.toString('utf8'), c.receipt_format ?? c.inbound_format, { fields: c.receipt_fields, delivered: c.receipt_delivered, failed: c.receipt_failed });
      if (event.kind === 'invalid') { koa.status = 400; koa.body = { ok: false, ignored: event.reason }; return; }
      for (const r of event.receipts) {
        // Without id_path the send kept `<provider>:<kefu id>`, and such providers report that {id} back.
        await this.ctx!.deliveryStatus(c.id_path ? r.id : `${c.provider}:${r.id}`, r.state, r.error);
      }
      koa.type = c.receipt_answer_type;
      koa.body = c.receipt_answer;
    });
  }

  private async inbound(m: InboundMessage, c: GatewayConfig): Promise<void> {
    const ctx = this.ctx!;
    const number = m.ref.thread;
    const keyword = m.content.kind === 'text' ? keywordOf(m.content.text, c.opt_out_keywords, c.opt_in_keywords) : undefined;
    // Recorded before ingest: the offline notice (or a bot) that ingest triggers must already
    // see the opt-out, or one message would still reach a customer who just texted 退订.
    if (keyword) await setOptOut(ctx, number, keyword === 'opt_out');
    // Providers do not redeliver a refused 上行短信: over the quota it is kept, without the bot.
    const r = await ctx.ingest({ ...m, keepOverQuota: true }); // the keyword message itself is kept
    if (keyword && r.status === 'accepted' && r.conversation) await setOptOut(ctx, number, keyword === 'opt_out', r.conversation);
  }

  async send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult> {
    if (msg.content.kind === 'event' && !msg.content.text) return { sourceId: '', skipped: true };
    const text = textOf(msg.content);
    if (!text) return { sourceId: '', skipped: true };
    // Unlike Twilio, these providers do not block opted-out numbers themselves: kefu must.
    if (await isOptedOut(this.ctx!, conv.ref.thread)) throw optedOutError('sms_gateway', 'texted an unsubscribe keyword such as TD or 退订');
    return { sourceId: await sendSms(this.settings(), { to: conv.ref.thread, text, id: opts.idempotencyKey }) };
  }
}
