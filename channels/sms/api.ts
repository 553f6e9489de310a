import type RequestClientType from 'twilio/lib/base/RequestClient.js';
import { ChannelError } from '../contract.js';
import { errorText } from './parse.js';
import type { SmsAccount } from './types.js';

type Twilio = typeof import('twilio');
type Client = ReturnType<Twilio>;

let sdk: Promise<Twilio> | undefined;
/** The SDK, loaded at first use (start() warms it): a disabled channel never loads it. */
export function loadTwilio(): Promise<Twilio> {
  sdk ??= import('twilio').then((m) => (m as unknown as { default: Twilio }).default);
  return sdk;
}

/**
 * The SDK's own RequestClient (its axios transport, Basic auth and form encoding all run), with
 * two changes: with `base` set every call goes there instead of *.twilio.com (the SDK has no
 * base-URL option; region/edge only rename hosts), and a non-2xx answer is thrown as a
 * ChannelError here, where the Retry-After header is still at hand (RestException drops it).
 */
async function requestClient(base: string, timeoutMs: number): Promise<RequestClientType> {
  const twilio = await loadTwilio();
  class KefuRequestClient extends twilio.RequestClient {
    override async request<T>(opts: RequestClientType.RequestOptions<T>) {
      let uri = opts.uri;
      if (base) { const u = new URL(opts.uri); uri = `${base.replace(/\/$/, '')}/${u.hostname.split('.')[0]}${u.pathname}${u.search}`; }
      let res;
      try {
        res = await super.request<T>({ ...opts, uri, timeout: timeoutMs, allowRedirects: false });
      } catch (err) {
        throw new ChannelError('sms', `Twilio unreachable: ${(err as Error).message}`, { retryable: true, code: 'unreachable' });
      }
      if (res.statusCode >= 200 && res.statusCode < 300) return res;
      throw restError(res.statusCode, res.body, res.headers as Record<string, string | undefined>);
    }
  }
  // autoRetry stays off: the outbox retries, in order, visibly (docs/channels.md §5).
  return new KefuRequestClient({ timeout: timeoutMs, autoRetry: false });
}

/** Twilio's error answer → ChannelError: 429/5xx retryable (Retry-After kept), other 4xx permanent with Twilio's code. */
export function restError(status: number, body: unknown, headers: Record<string, string | undefined>): ChannelError {
  let b = body as { code?: number | string; message?: string } | undefined;
  if (typeof body === 'string') { try { b = JSON.parse(body); } catch { b = undefined; } }
  const code = b?.code !== undefined ? String(b.code) : `http_${status}`;
  const retryable = status === 429 || status >= 500;
  const ra = Number(headers['retry-after']);
  const message = retryable ? (b?.message ?? `HTTP ${status}`) : errorText(code, b?.message ?? `HTTP ${status}`);
  return new ChannelError('sms', message, { retryable, code, retryAfter: Number.isFinite(ra) && ra > 0 ? ra : undefined });
}

/** One SDK client per account and base; the RequestClient keeps its connections. */
export class TwilioApi {
  private clients = new Map<string, Client>();
  constructor(private base: () => string, private timeoutMs: () => number) {}

  private async client(a: SmsAccount): Promise<Client> {
    const key = `${a.account_sid}:${a.auth_token}:${this.base()}:${this.timeoutMs()}`;
    let c = this.clients.get(key);
    if (!c) {
      const twilio = await loadTwilio();
      c = twilio(a.account_sid, a.auth_token, { httpClient: await requestClient(this.base(), this.timeoutMs()) });
      this.clients.set(key, c);
    }
    return c;
  }

  /**
   * messages.create, one attempt. Twilio has no idempotency key for it (no header, no field): a
   * crash after Twilio accepted and before kefu recorded the SID sends the text again on the
   * next attempt. Delivery is therefore at least once.
   */
  async send(a: SmsAccount, m: { to: string; from?: string; messagingServiceSid?: string; body: string; mediaUrl?: string[]; statusCallback?: string }): Promise<string> {
    const client = await this.client(a);
    const sender = m.messagingServiceSid ? { messagingServiceSid: m.messagingServiceSid } : { from: m.from! };
    const msg = await client.messages.create({ to: m.to, ...(m.body ? { body: m.body } : {}), ...sender, ...(m.mediaUrl?.length ? { mediaUrl: m.mediaUrl } : {}),
      ...(m.statusCallback ? { statusCallback: m.statusCallback } : {}) });
    return msg.sid;
  }

  close(): void { this.clients.clear(); }
}

/**
 * Fetches one MMS medium: only from `mediaBase`'s origin, with the account's Basic credentials
 * (Twilio requires them when media auth is on, Chatwoot #8774), within `maxBytes` and
 * `timeoutMs`. Twilio answers with a redirect to its CDN: that hop and any after it are
 * followed without the credentials (the CDN URL is signed), over https or within `mediaBase`.
 */
export async function fetchMedia(url: string, a: SmsAccount, mediaBase: string, maxBytes: number, timeoutMs: number): Promise<{ data: Buffer; type: string }> {
  const origin = new URL(mediaBase).origin;
  if (new URL(url).origin !== origin) throw new Error(`media not on ${origin}`);
  const signal = AbortSignal.timeout(timeoutMs);
  let next = url;
  let auth: string | undefined = 'Basic ' + Buffer.from(`${a.account_sid}:${a.auth_token}`).toString('base64');
  for (let hop = 0; hop < 4; hop++) {
    const res = await fetch(next, { headers: auth ? { authorization: auth } : {}, redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      const to = new URL(res.headers.get('location')!, next);
      if (to.origin !== origin && to.protocol !== 'https:') throw new Error('media redirect to a non-https URL');
      auth = undefined; // the credentials are for Twilio's API host only, never a redirect target
      next = to.toString();
      await res.body?.cancel();
      continue;
    }
    if (!res.ok) throw new Error(`media HTTP ${res.status}`);
    if (Number(res.headers.get('content-length')) > maxBytes) { await res.body?.cancel(); throw new Error('media too large'); }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > maxBytes) throw new Error('media too large');
      chunks.push(Buffer.from(chunk));
    }
    return { data: Buffer.concat(chunks), type: res.headers.get('content-type') ?? '' };
  }
  throw new Error('media: too many redirects');
}
