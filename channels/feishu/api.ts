import type { Readable } from 'node:stream';
import type * as Lark from '@larksuiteoapi/node-sdk';
import { ChannelError } from '../contract.js';
import { sdkDomain, type FeishuApp } from './types.js';

export type LarkSdk = typeof Lark;
type Client = InstanceType<LarkSdk['Client']>;

let sdk: Promise<LarkSdk> | undefined;
/** The SDK, loaded at first use (start() warms it): a disabled channel never loads its 100k lines. */
export function loadLark(): Promise<LarkSdk> {
  sdk ??= import('@larksuiteoapi/node-sdk').then((m) => ((m as unknown as { default?: LarkSdk }).default ?? m) as LarkSdk);
  return sdk;
}

/**
 * The SDK's logger, kept quiet and safe: it logs whole axios errors (request bodies with the app
 * secret, Authorization headers), so only its strings and errors' messages reach our log, at debug.
 */
export function sdkLogger(log: (msg: string) => void) {
  const line = (...args: unknown[]) => {
    const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : '')).filter(Boolean).join(' ').slice(0, 500);
    if (text) log(text);
  };
  return { error: line, warn: line, info: () => {}, debug: () => {}, trace: () => {} };
}

/** Feishu's codes for "later": rate limits and its internal errors (the rest are permanent). */
const RETRY_CODES = new Set([99991400, 99991401, 1000004, 1000005, 230020, 11232, 99991663, 99991661]);

/** Any failure of one SDK call → ChannelError: token failures as `auth_failed`, 429/5xx/network retryable, Feishu's code kept. */
export function apiError(err: unknown, what: string): ChannelError {
  if (err instanceof ChannelError) return err;
  const e = err as { message?: string; response?: { status?: number; data?: { code?: number; msg?: string }; headers?: Record<string, string> }; config?: { url?: string }; code?: string };
  const msg = String(e?.message ?? err);
  if (/tenant_access_token/.test(msg) || /tenant_access_token/.test(e?.config?.url ?? '')) {
    const detail = e?.response?.data?.msg ?? msg.replace(/^failed to get tenant_access_token,?\s*/, '');
    return new ChannelError('feishu', `tenant_access_token refused: ${detail}`.slice(0, 300), { retryable: true, code: 'auth_failed' });
  }
  const res = e?.response;
  if (!res) return new ChannelError('feishu', `Feishu unreachable (${what}): ${e?.code ?? msg}`.slice(0, 300), { retryable: true, code: 'unreachable' });
  const status = res.status ?? 0;
  const code = res.data?.code;
  const reset = Number(res.headers?.['x-ogw-ratelimit-reset']);
  const retryable = status === 429 || status >= 500 || (code !== undefined && RETRY_CODES.has(code));
  return new ChannelError('feishu', `${what}: ${res.data?.msg ?? `HTTP ${status}`}`.slice(0, 300), {
    retryable, code: code !== undefined ? String(code) : `http_${status}`, retryAfter: status === 429 && reset > 0 ? reset : undefined });
}

/** An answer with HTTP 200 whose body says no (`code` ≠ 0). */
function checked<T extends { code?: number; msg?: string }>(res: T, what: string): T {
  if (res && typeof res === 'object' && (res.code ?? 0) !== 0) {
    throw new ChannelError('feishu', `${what}: ${res.msg ?? 'refused'}`.slice(0, 300), { retryable: RETRY_CODES.has(res.code!), code: String(res.code) });
  }
  return res;
}

export interface OutboundMessage { chatId: string; replyTo?: string; msgType: 'text' | 'post' | 'image' | 'interactive'; content: string; uuid: string }

/**
 * One SDK Client per app (its own token cache: the SDK's default cache is one module-global map
 * keyed by app id, shared by every client in the process). Every call is one attempt.
 */
export class FeishuApi {
  private clients = new Map<string, Client>();
  constructor(private timeoutMs: () => number, private log: (msg: string) => void) {}

  async client(app: FeishuApp): Promise<Client> {
    const key = `${app.app_id}\u0000${app.app_secret}\u0000${app.domain}\u0000${this.timeoutMs()}`;
    let c = this.clients.get(key);
    if (!c) {
      const lark = await loadLark();
      const timeout = this.timeoutMs();
      const http = lark.defaultHttpInstance as unknown as Lark.HttpInstance;
      // The SDK's own axios instance (its interceptors unwrap answers), with a time-out on every call.
      const withTimeout: Lark.HttpInstance = {
        request: (o) => http.request({ timeout, ...o }),
        get: (u, o) => http.get(u, { timeout, ...o }), delete: (u, o) => http.delete(u, { timeout, ...o }),
        head: (u, o) => http.head(u, { timeout, ...o }), options: (u, o) => http.options(u, { timeout, ...o }),
        post: (u, d, o) => http.post(u, d, { timeout, ...o }), put: (u, d, o) => http.put(u, d, { timeout, ...o }),
        patch: (u, d, o) => http.patch(u, d, { timeout, ...o }),
      };
      for (const old of [...this.clients.keys()]) if (old.startsWith(`${app.app_id}\u0000`)) this.clients.delete(old);
      c = new lark.Client({ appId: app.app_id, appSecret: app.app_secret, domain: sdkDomain(app.domain, lark.Domain) as Lark.Domain,
        cache: new lark.DefaultCache(), httpInstance: withTimeout, logger: sdkLogger(this.log), loggerLevel: lark.LoggerLevel.warn });
      this.clients.set(key, c);
    }
    return c;
  }

  /** Fetches (or reuses) the tenant access token: how a webhook app learns its credentials work. */
  async checkToken(app: FeishuApp): Promise<void> {
    const c = await this.client(app);
    try { await c.tokenManager.getTenantAccessToken(); } catch (err) { throw apiError(err, 'token'); }
  }

  /** The bot's own open_id (to tell an @-mention of it in a group from one of someone else). */
  async botOpenId(app: FeishuApp): Promise<string | undefined> {
    const c = await this.client(app);
    let res: { code?: number; msg?: string; bot?: { open_id?: string } };
    try { res = await c.request({ method: 'GET', url: '/open-apis/bot/v3/info' }); } catch (err) { throw apiError(err, 'bot info'); }
    return checked(res, 'bot info').bot?.open_id;
  }

  /**
   * im.v1.message.reply (to the customer's message, in groups) or create (into the chat). `uuid`
   * makes Feishu drop a repeat of the same send within an hour, so a retried attempt after a lost
   * answer does not show the message twice.
   */
  async send(app: FeishuApp, m: OutboundMessage): Promise<string> {
    const c = await this.client(app);
    const data = { msg_type: m.msgType, content: m.content, uuid: m.uuid };
    let res: { code?: number; msg?: string; data?: { message_id?: string } };
    try {
      res = m.replyTo
        ? await c.im.v1.message.reply({ path: { message_id: m.replyTo }, data })
        : await c.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: m.chatId, ...data } });
    } catch (err) { throw apiError(err, m.replyTo ? 'message.reply' : 'message.create'); }
    const id = checked(res, 'send').data?.message_id;
    if (!id) throw new ChannelError('feishu', 'send: no message_id in the answer', { retryable: true, code: 'bad_answer' });
    return id;
  }

  /** im.v1.image.create (type message): the image_key a message refers to. */
  async uploadImage(app: FeishuApp, data: Buffer): Promise<string> {
    const c = await this.client(app);
    let res: { image_key?: string } | null;
    try { res = await c.im.v1.image.create({ data: { image_type: 'message', image: data } }); } catch (err) { throw apiError(err, 'image upload'); }
    if (!res?.image_key) throw new ChannelError('feishu', 'image upload: no image_key in the answer', { retryable: true, code: 'bad_answer' });
    return res.image_key;
  }

  /** contact.v3.user.get: the employee's name and department ids. */
  async user(app: FeishuApp, openId: string): Promise<{ name?: string; departmentIds: string[] }> {
    const c = await this.client(app);
    try {
      const res = checked(await c.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id', department_id_type: 'open_department_id' } }), 'user');
      const u = res.data?.user;
      return { name: typeof u?.name === 'string' ? u.name : undefined, departmentIds: (u?.department_ids ?? []).filter((d): d is string => typeof d === 'string').slice(0, 5) };
    } catch (err) { throw apiError(err, 'contact user'); }
  }

  async departmentName(app: FeishuApp, departmentId: string): Promise<string | undefined> {
    const c = await this.client(app);
    try {
      const res = checked(await c.contact.v3.department.get({ path: { department_id: departmentId }, params: { department_id_type: 'open_department_id' } }), 'department');
      return res.data?.department?.name;
    } catch (err) { throw apiError(err, 'contact department'); }
  }

  /** im.v1.messageResource.get: an image the customer sent, within `maxBytes`. */
  async image(app: FeishuApp, messageId: string, key: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
    const c = await this.client(app);
    let stream: Readable;
    // The budget covers waiting for the answer too, not only reading it (the call's own time-out is longer).
    const late = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new Error('image download timed out'));
      signal.addEventListener('abort', () => reject(new Error('image download timed out')), { once: true });
    });
    late.catch(() => {});
    try {
      const req = c.im.v1.messageResource.get({ path: { message_id: messageId, file_key: key }, params: { type: 'image' } });
      req.then((r) => { if (signal.aborted) r.getReadableStream().destroy(); }, () => {});
      const res = await Promise.race([req, late]);
      stream = res.getReadableStream();
    } catch (err) { throw apiError(err, 'image download'); }
    stream.on('error', () => {}); // read below; an error after an abort must not go unhandled
    const chunks: Buffer[] = [];
    let size = 0;
    const abort = () => stream.destroy(new Error('image download timed out'));
    signal.addEventListener('abort', abort, { once: true });
    try {
      for await (const chunk of stream) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) { stream.destroy(); throw new Error('image too large'); }
        chunks.push(chunk as Buffer);
      }
    } finally { signal.removeEventListener('abort', abort); }
    return Buffer.concat(chunks);
  }

  close(): void { this.clients.clear(); }
}
