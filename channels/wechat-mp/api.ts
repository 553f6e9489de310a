import { ChannelError } from '../contract.js';
import { parseIdentity, parseTranscript } from './parse.js';
import type { AsrConfig, SpeechToText, WechatIdentity } from './types.js';

const CHANNEL = 'wechat_mp';
/** WeChat's answers meaning "this code is no good": the device must call wx.login again. */
export const BAD_CODE = new Set([40029, 40163, 41008]);
/** Meaning the AppID/AppSecret in the config are wrong: an admin must fix them. */
export const BAD_CREDENTIALS = new Set([40013, 40125, 41002, 41004]);

/**
 * One jscode2session call: a wx.login code → the user's openid (and unionid when the app is
 * bound to an open platform account). The AppSecret travels only in this request's query
 * string, which is never logged; errors carry WeChat's errcode, never the URL.
 */
export async function jscode2session(base: string, appid: string, secret: string, code: string, timeoutMs: number): Promise<WechatIdentity> {
  const url = new URL(`${base.replace(/\/$/, '')}/sns/jscode2session`);
  url.search = new URLSearchParams({ appid, secret, js_code: code, grant_type: 'authorization_code' }).toString();
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    throw new ChannelError(CHANNEL, `jscode2session unreachable (${(err as Error).name})`, { retryable: true, code: 'unreachable' });
  }
  if (!res.ok) throw new ChannelError(CHANNEL, `jscode2session answered HTTP ${res.status}`, { retryable: res.status === 429 || res.status >= 500, code: `http_${res.status}` });
  const p = parseIdentity(text);
  if (p.kind === 'identity') return p.identity;
  if (p.kind === 'invalid') throw new ChannelError(CHANNEL, `jscode2session answer unreadable (${p.reason})`, { retryable: true, code: 'bad_answer' });
  // 45011: the user's per-minute quota; -1: "system busy".
  const retryable = p.errcode === 45011 || p.errcode === -1;
  throw new ChannelError(CHANNEL, `${p.errcode} ${p.errmsg}`.trim(), { retryable, code: String(p.errcode), retryAfter: p.errcode === 45011 ? 60 : undefined });
}

/**
 * The `asr = { provider = "http" }` provider: the recording is POSTed as is (Content-Type = its
 * type, X-Language, Bearer token when set) and the answer is `{ "text": "…" }`. One attempt.
 */
export class HttpSpeechToText implements SpeechToText {
  constructor(private settings: () => AsrConfig) {}

  async transcribe(audio: Buffer, mime: string, opts: { lang: string; signal: AbortSignal }): Promise<string | undefined> {
    const s = this.settings();
    const headers: Record<string, string> = { 'content-type': mime, 'x-language': opts.lang };
    if (s.token) headers.authorization = `Bearer ${s.token}`;
    let res: Response;
    try {
      res = await fetch(s.url, { method: 'POST', headers, body: audio, signal: opts.signal });
    } catch (err) {
      throw new ChannelError(CHANNEL, `speech-to-text unreachable (${(err as Error).name})`, { retryable: true, code: 'asr_unreachable' });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new ChannelError(CHANNEL, `speech-to-text answered HTTP ${res.status}`, { retryable: res.status >= 500, code: `asr_http_${res.status}` });
    return parseTranscript(text);
  }
}
