import { ChannelError } from '../contract.js';
import type { ApiAnswer, CustomMessage } from './types.js';

/** Answers meaning "this access_token is no good": the caller refreshes once and tries again. */
export const TOKEN_ERRORS = new Set([40001, 42001, 40014]);

/** WeChat's errcode → a ChannelError the outbox acts on, with a text the agent can act on. */
export function apiError(errcode: number, errmsg: string): ChannelError {
  const say = (code: string, text: string, retryable = false, retryAfter?: number) =>
    new ChannelError('wechat', `${text} (WeChat ${errcode}: ${errmsg})`, { retryable, code, retryAfter });
  switch (errcode) {
    case 45015: return say('window_expired', 'The reply window has closed: the customer must write again first.');
    case 45047: return say('quota_exhausted', 'No more messages allowed until the customer writes again.');
    case 40001: case 42001: case 40014: return say('token_invalid', 'The access token was refused even after a refresh.', true);
    case -1: return say('system_busy', 'WeChat is busy.', true);
    case 45009: case 45011: return say(String(errcode), 'The account is over its API call quota.', true, 60);
    case 61004: case 40164: return say(String(errcode), "This server's IP is not in the account's API IP allow-list (开发 → 基本配置).");
    case 40013: case 40125: case 40243: return say(String(errcode), 'The AppID or AppSecret is wrong or frozen.');
    case 40003: return say(String(errcode), 'The customer id (openid) is not valid for this account.');
    case 40007: return say(String(errcode), 'WeChat does not know this media_id (temporary media expire after 3 days).');
    case 43004: return say(String(errcode), 'The customer does not follow the account.');
    case 48001: return say(String(errcode), 'The account has no permission for this API.');
    default: return say(String(errcode), 'WeChat refused the call.');
  }
}

/**
 * One API call: JSON answer, errcode checked. Network errors, time-outs, 5xx and unreadable
 * answers can be retried; an errcode is mapped by apiError. The access token is in the URL, so
 * nothing here puts the URL in an error.
 */
async function call(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<ApiAnswer> {
  let res: Response;
  const limit = AbortSignal.timeout(timeoutMs);
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: signal ? AbortSignal.any([signal, limit]) : limit });
  } catch (err) {
    throw new ChannelError('wechat', `WeChat unreachable: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}`, { retryable: true, code: 'unreachable' });
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 500 || res.status === 429) throw new ChannelError('wechat', `WeChat answered HTTP ${res.status}`, { retryable: true, code: `http_${res.status}` });
  let answer: ApiAnswer;
  try { answer = JSON.parse(text) as ApiAnswer; } catch {
    throw new ChannelError('wechat', `WeChat answered HTTP ${res.status} without JSON`, { retryable: true, code: 'bad_answer' });
  }
  if (answer.errcode) throw apiError(answer.errcode, String(answer.errmsg ?? '').slice(0, 200));
  if (!res.ok) throw new ChannelError('wechat', `WeChat answered HTTP ${res.status}`, { retryable: false, code: `http_${res.status}` });
  return answer;
}

/** Reads a body within `maxBytes` (a declared length over it fails before reading). */
async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  if (Number(res.headers.get('content-length')) > maxBytes) { await res.body?.cancel(); throw new Error('image too large'); }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new Error('image too large');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** A host on the allow-list: itself or a subdomain of an entry. */
export function allowedHost(url: string, hosts: string[]): boolean {
  let u: URL;
  try { u = new URL(url); } catch { return false; }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
  const host = u.hostname.toLowerCase();
  return hosts.some((h) => host === h.toLowerCase() || host.endsWith(`.${h.toLowerCase()}`));
}

/** A customer's picture by PicUrl: WeChat's image hosts only, no redirects, within size and time. */
export async function fetchPicture(url: string, hosts: string[], maxBytes: number, timeoutMs: number): Promise<Buffer> {
  if (!allowedHost(url, hosts)) throw new Error('PicUrl is not on a WeChat media host');
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) { await res.body?.cancel(); throw new Error(`PicUrl HTTP ${res.status}`); }
  return readLimited(res, maxBytes);
}

/** The WeChat server API (no SDK exists): token, customer-service send, temporary media. One attempt per call. */
export class WechatApi {
  constructor(private base: () => string, private timeoutMs: () => number) {}

  private url(path: string, query: Record<string, string>): string {
    return `${this.base().replace(/\/$/, '')}${path}?${new URLSearchParams(query)}`;
  }

  /**
   * POST /cgi-bin/stable_token with force_refresh false: every holder of the account's
   * credentials gets the same token, and a refresh here does not cut off another server's.
   */
  async stableToken(appid: string, secret: string): Promise<{ token: string; expiresIn: number }> {
    const a = await call(this.url('/cgi-bin/stable_token', {}), { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credential', appid, secret, force_refresh: false }) }, this.timeoutMs());
    if (typeof a.access_token !== 'string' || !a.access_token) throw new ChannelError('wechat', 'WeChat gave no access_token', { retryable: true, code: 'bad_answer' });
    return { token: a.access_token, expiresIn: Number(a.expires_in) > 0 ? Number(a.expires_in) : 7200 };
  }

  async send(token: string, msg: CustomMessage, signal?: AbortSignal): Promise<void> {
    await call(this.url('/cgi-bin/message/custom/send', { access_token: token }), { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg) }, this.timeoutMs(), signal);
  }

  /** Temporary media (kept by WeChat for 3 days), as custom/send's image needs. */
  async uploadImage(token: string, data: Buffer, name: string, mime: string, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('media', new Blob([data], { type: mime }), name);
    const a = await call(this.url('/cgi-bin/media/upload', { access_token: token, type: 'image' }), { method: 'POST', body: form }, this.timeoutMs(), signal);
    if (typeof a.media_id !== 'string' || !a.media_id) throw new ChannelError('wechat', 'WeChat gave no media_id', { retryable: true, code: 'bad_answer' });
    return a.media_id;
  }

  /** A customer's picture by MediaId (cgi-bin/media/get): binary, or a JSON error. */
  async getMedia(token: string, mediaId: string, maxBytes: number, timeoutMs: number): Promise<Buffer> {
    const res = await fetch(this.url('/cgi-bin/media/get', { access_token: token, media_id: mediaId }), { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok || type.includes('json') || type.startsWith('text/')) {
      const a = (await res.json().catch(() => ({}))) as ApiAnswer;
      throw a.errcode ? apiError(a.errcode, String(a.errmsg ?? '')) : new Error(`media/get HTTP ${res.status}`);
    }
    return readLimited(res, maxBytes);
  }
}
