import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8AARGDiPwMAHfAD/aAzCYkAAAAASUVORK5CYII=', 'base64');
export const ACCOUNTS = {
  main: { sid: `AC${'1'.repeat(32)}`, token: 'main-auth-token-1', number: '+15550001111' },
  pool: { sid: `AC${'2'.repeat(32)}`, token: 'pool-auth-token-2', service: `MG${'a'.repeat(32)}` },
};
/** What the gateway's public URL is configured as: a proxy in front of it, as in production. */
export const PUBLIC = 'https://kefu.example.com';

export type Answer = 'ok' | { status: number; code?: number; message?: string; retryAfter?: number };
export interface Created { sid: string; account: string; To: string; From?: string; MessagingServiceSid?: string; Body: string; MediaUrl: string[]; StatusCallback?: string }

/**
 * A fake Twilio REST API on 127.0.0.1: messages.create (checking Basic auth and the form the
 * real SDK sends) answering from a script, and MMS media behind Basic auth that redirect to a
 * "CDN" path which must be fetched without credentials.
 */
export class FakeTwilio {
  readonly created: Created[] = [];
  readonly attempts: { To: string; Body: string; answer: string }[] = [];
  readonly mediaRequests: { path: string; auth?: string }[] = [];
  readonly rejectedAuth: string[] = [];
  script: Answer[] = [];
  down = false;
  private server: Server;
  private n = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString(), res));
    });
  }

  private handle(req: IncomingMessage, body: string, res: import('node:http').ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, v: object, h: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...h }).end(JSON.stringify(v));
    if (req.method === 'GET' && url.pathname.startsWith('/cdn/')) {
      this.mediaRequests.push({ path: url.pathname, auth: req.headers.authorization });
      if (req.headers.authorization) return json(400, { message: 'the CDN URL is signed; credentials must not be sent' });
      return res.writeHead(200, { 'content-type': 'image/png' }).end(url.pathname.includes('big') ? Buffer.alloc(200_000, 1) : PNG);
    }
    const m = /^\/(?:api\/)?2010-04-01\/Accounts\/(AC\w{32})\/(Messages\.json|Messages\/\w+\/Media\/(\w+))$/.exec(url.pathname);
    const account = Object.values(ACCOUNTS).find((a) => a.sid === m?.[1]);
    const auth = account && `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString('base64')}`;
    if (!m || !account) return json(404, { code: 20404, message: 'not found' });
    if (req.headers.authorization !== auth) { this.rejectedAuth.push(url.pathname); return json(401, { code: 20003, message: 'Authenticate' }); }
    if (req.method === 'GET' && m[3]) {
      this.mediaRequests.push({ path: url.pathname, auth: req.headers.authorization });
      return res.writeHead(307, { location: `/cdn/${m[3]}` }).end();
    }
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-www-form-urlencoded') return json(400, { code: 20001, message: 'form expected' });
    const f = Object.fromEntries(new URLSearchParams(body)) as Record<string, string>;
    const answer: Answer = this.down ? { status: 503, message: 'Service Unavailable' } : this.script.shift() ?? 'ok';
    this.attempts.push({ To: f.To, Body: f.Body, answer: typeof answer === 'string' ? answer : String(answer.status) });
    const media = new URLSearchParams(body).getAll('MediaUrl');
    if (!f.To || (!f.Body && !media.length) || (!f.From && !f.MessagingServiceSid)) return json(400, { code: 21604, message: 'To, Body and From/MessagingServiceSid are required' });
    if (answer !== 'ok') {
      return json(answer.status, { code: answer.code ?? answer.status, message: answer.message ?? 'error', status: answer.status },
        answer.retryAfter ? { 'retry-after': String(answer.retryAfter) } : {});
    }
    const sid = `SM${String(++this.n).padStart(32, '0')}`;
    this.created.push({ sid, account: account.sid, To: f.To, From: f.From, MessagingServiceSid: f.MessagingServiceSid, Body: f.Body ?? '', MediaUrl: media, StatusCallback: f.StatusCallback });
    json(201, { sid, account_sid: account.sid, to: f.To, from: f.From ?? null, body: f.Body, status: 'queued', messaging_service_sid: f.MessagingServiceSid ?? null });
  }

  listen(): Promise<this> { return new Promise((r) => this.server.listen(0, '127.0.0.1', () => r(this))); }
  get base(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`; }
  mediaUrl(account: string, sid: string, media: string): string { return `${this.base}/2010-04-01/Accounts/${account}/Messages/${sid}/Media/${media}`; }
  close(): Promise<void> { this.server.closeAllConnections(); return new Promise((r) => this.server.close(() => r())); }
}

/** `[channels.sms]` for a test gateway against `fake` (after `[channels.sms]\nenabled = true`). */
export const smsConfigBody = (fake: FakeTwilio, extra = '') => `account_sid = "${ACCOUNTS.main.sid}"
auth_token = "${ACCOUNTS.main.token}"
numbers = ["${ACCOUNTS.main.number}"]
api_base = "${fake.base}"
media_base = "${fake.base}"
${extra}
[[channels.sms.accounts]]
name = "pool"
account_sid = "${ACCOUNTS.pool.sid}"
auth_token = "${ACCOUNTS.pool.token}"
messaging_service_sid = "${ACCOUNTS.pool.service}"

[server]
public_url = "${PUBLIC}"
`;
export const smsConfig = (fake: FakeTwilio, extra = '') => `[channels.sms]\nenabled = true\n${smsConfigBody(fake, extra)}`;

let seq = 0;
export const messageSid = (prefix = 'SM') => `${prefix}${(Date.now().toString(16) + String(++seq).padStart(6, '0')).padStart(32, 'f')}`;

/** An inbound webhook as Twilio would post it, signed with twilio's own function over `PUBLIC` + path. */
export async function twilioPost(gatewayUrl: string, params: Record<string, string>, o: { path?: string; token?: string; signature?: string | null; signedUrl?: string; tamper?: Record<string, string> } = {}) {
  const path = o.path ?? '/channels/sms/twilio';
  const signedUrl = o.signedUrl ?? `${PUBLIC}${path}`;
  const sig = o.signature === undefined ? twilio.getExpectedTwilioSignature(o.token ?? ACCOUNTS.main.token, signedUrl, params) : o.signature;
  const sent = { ...params, ...o.tamper };
  const res = await fetch(`${gatewayUrl}${path}`, { method: 'POST', body: new URLSearchParams(sent).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sig === null ? {} : { 'x-twilio-signature': sig }) } });
  const text = await res.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* TwiML */ }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body };
}

/** A customer's text to our main number (or the pool service). */
export function inbound(from: string, text: string, o: { sid?: string; pool?: boolean; extra?: Record<string, string> } = {}): Record<string, string> {
  const a = o.pool ? ACCOUNTS.pool : ACCOUNTS.main;
  const sid = o.sid ?? messageSid();
  return { MessageSid: sid, SmsSid: sid, AccountSid: a.sid, From: from,
    To: o.pool ? '+15550009999' : ACCOUNTS.main.number, Body: text, NumMedia: '0', NumSegments: '1', SmsStatus: 'received', ApiVersion: '2010-04-01',
    ...(o.pool ? { MessagingServiceSid: ACCOUNTS.pool.service } : {}), ...o.extra };
}
