import type Router from '@koa/router';
import type { Conversation, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import type { ChannelAdapter, ChannelContext, SendOptions, SendResult } from '../contract.js';
import { configSchema, type GatewayConfig } from './types.js';
import { verify } from './verify.js';
import { parse } from './parse.js';
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

  routes(router: Router): void {
    router.post('/channels/sms-gateway/inbound', async (koa) => {
      const ctx = this.ctx!;
      const c = this.settings();
      const body = await ctx.rawBody(koa);
      const ok = verify({ secret: c.hmac_secret, algorithm: c.hmac_algorithm, encoding: c.hmac_encoding, prefix: c.hmac_prefix }, body,
        koa.get(c.hmac_header) || undefined,
        { timestamp: c.timestamp_header ? koa.get(c.timestamp_header) : undefined, requireTimestamp: !!c.timestamp_header, nowS: Math.floor(Date.now() / 1000) });
      if (!ok) ctx.rejectSignature();
      const event = parse(body.toString('utf8'), c.inbound_format, c.inbound_fields, c.provider);
      if (event.kind === 'invalid') { koa.status = 400; koa.body = { ok: false, ignored: event.reason }; return; }
      if (event.kind === 'message') await ctx.ingest(event.message); // durable before the provider hears "ok"
      koa.type = c.inbound_answer_type;
      koa.body = c.inbound_answer;
    });
  }

  async send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult> {
    if (msg.content.kind === 'event' && !msg.content.text) return { sourceId: '', skipped: true };
    const text = textOf(msg.content);
    if (!text) return { sourceId: '', skipped: true };
    return { sourceId: await sendSms(this.settings(), { to: conv.ref.thread, text, id: opts.idempotencyKey }) };
  }
}
