import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '../../../channels/sms-gateway/verify.js';

export type ProviderAnswer = 'ok' | { status?: number; code: string; message?: string };
export const SECRET = 'gateway-secret-1';

/**
 * A fake HTTP SMS provider shaped like the template-based platforms: JSON send API with a
 * bearer key, `{ Code: "OK", BizId }` on success and `{ Code, Message }` (HTTP 200) otherwise.
 */
export class FakeProvider {
  readonly requests: { headers: Record<string, string | string[] | undefined>; body: any; url: string }[] = [];
  readonly accepted: { to: string; text: string; outId: string }[] = [];
  script: ProviderAnswer[] = [];
  down = false;
  private server: Server;
  private n = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const json = (status: number, v: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        let body: any;
        try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch { return json(400, { Code: 'isv.INVALID_JSON' }); }
        this.requests.push({ headers: req.headers, body, url: req.url ?? '' });
        if (req.headers.authorization !== 'Bearer test-key') return json(401, { Code: 'InvalidAccessKeyId', Message: 'bad key' });
        const answer: ProviderAnswer = this.down ? { status: 503, code: 'ServiceUnavailable' } : this.script.shift() ?? 'ok';
        if (answer !== 'ok') return json(answer.status ?? 200, { Code: answer.code, Message: answer.message ?? answer.code });
        const text = JSON.parse(body.templateParam ? JSON.stringify(body.templateParam) : '{}').content;
        // A provider that dedupes on the client's outId, as the good ones do.
        if (!this.accepted.some((a) => a.outId === body.outId)) this.accepted.push({ to: body.phoneNumbers, text, outId: body.outId });
        json(200, { Code: 'OK', Message: 'OK', BizId: `B${++this.n}` });
      });
    });
  }

  listen(): Promise<this> { return new Promise((r) => this.server.listen(0, '127.0.0.1', () => r(this))); }
  get url(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms/send`; }
  close(): Promise<void> { this.server.closeAllConnections(); return new Promise((r) => this.server.close(() => r())); }
}

/** `[channels.sms_gateway]` after its `enabled = true` line. */
export const gatewayConfigBody = (p: FakeProvider) => `provider = "acme"
inbound_format = "form"
inbound_fields = { id = "msgid", from = "mobile", text = "content" }
hmac_secret = "${SECRET}"
hmac_header = "X-Acme-Sign"
hmac_encoding = "base64"
timestamp_header = "X-Acme-Timestamp"
inbound_answer = "SUCCESS"
inbound_answer_type = "text/plain"
send_url = "${p.url}"
send_headers = { Authorization = "Bearer test-key", "X-Request-Id" = "{id}" }
send_body = { phoneNumbers = "{to}", signName = "客服", templateCode = "{template_id}", templateParam = "{params}", outId = "{id}" }
template_id = "SMS_123456"
template_params = { content = "{text}" }
success_path = "Code"
success_value = "OK"
id_path = "BizId"
error_code_path = "Code"
error_message_path = "Message"
retry_codes = ["isv.BUSINESS_LIMIT_CONTROL"]
receipt_format = "json"
receipt_fields = { id = "bizId", status = "report.status", code = "report.errCode", message = "report.errMsg" }
receipt_delivered = ["DELIVRD", "0"]
receipt_failed = ["UNDELIV", "REJECTD"]
receipt_answer = '{"code":0,"msg":"received"}'
`;
export const gatewayConfig = (p: FakeProvider) => `[channels.sms_gateway]\nenabled = true\n${gatewayConfigBody(p)}`;

const RULE = { secret: SECRET, algorithm: 'sha256' as const, encoding: 'base64' as const, prefix: '' };
type SignOptions = { secret?: string; timestamp?: number; unsigned?: boolean };

async function signedPost(url: string, body: string, contentType: string, o: SignOptions) {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': contentType, 'x-acme-timestamp': ts };
  if (!o.unsigned) headers['x-acme-sign'] = sign({ ...RULE, secret: o.secret ?? SECRET }, body, ts);
  const res = await fetch(url, { method: 'POST', body, headers });
  const text = await res.text();
  let parsed: any = text;
  try { parsed = JSON.parse(text); } catch { /* the configured plain answer */ }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: parsed };
}

/** The provider posting a customer's reply (上行短信), signed as configured above. */
export function providerPost(gatewayUrl: string, fields: Record<string, string>, o: SignOptions = {}) {
  return signedPost(`${gatewayUrl}/channels/sms-gateway/inbound`, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', o);
}

/** The provider posting delivery receipts (状态报告) as JSON (`raw` as is: a broken body), signed the same way. */
export function providerReceipt(gatewayUrl: string, body: unknown, o: SignOptions & { raw?: string } = {}) {
  return signedPost(`${gatewayUrl}/channels/sms-gateway/receipt`, o.raw ?? JSON.stringify(body), 'application/json', o);
}
