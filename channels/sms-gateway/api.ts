import { ChannelError } from '../contract.js';
import { at } from './parse.js';
import type { GatewayConfig } from './types.js';

export interface Vars { to: string; text: string; id: string }

const fill = (s: string, v: Record<string, string>, encode = (x: string) => x) =>
  s.replace(/\{(to|text|template_id|id)\}/g, (_, k: string) => encode(v[k] ?? ''));

/** Pure: the configured request template with the variables filled in. */
export function buildRequest(c: GatewayConfig, vars: Vars): { url: string; method: string; headers: Record<string, string>; body?: string } {
  const v = { ...vars, template_id: c.template_id };
  const params = Object.fromEntries(Object.entries(c.template_params).map(([k, x]) => [k, typeof x === 'string' ? fill(x, v) : x]));
  const deep = (x: unknown): unknown => {
    if (x === '{params}') return params;
    if (typeof x === 'string') return fill(x, v);
    if (Array.isArray(x)) return x.map(deep);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, deep(y)]));
    return x;
  };
  const body = deep(c.send_body) as Record<string, unknown>;
  const headers = Object.fromEntries(Object.entries(c.send_headers).map(([k, x]) => [k, fill(x, v)]));
  const url = fill(c.send_url, v, encodeURIComponent);
  if (c.send_method === 'GET') {
    const u = new URL(url);
    for (const [k, x] of Object.entries(body)) u.searchParams.set(k, typeof x === 'string' ? x : JSON.stringify(x));
    return { url: u.toString(), method: 'GET', headers };
  }
  if (c.send_format === 'form') {
    const form = new URLSearchParams();
    for (const [k, x] of Object.entries(body)) form.set(k, typeof x === 'string' ? x : JSON.stringify(x));
    return { url, method: c.send_method, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form.toString() };
  }
  return { url, method: c.send_method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

const text = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * One send, errors mapped: network, 429 and 5xx retryable (Retry-After kept); other 4xx, and a
 * 2xx whose answer fails the success rule, permanent with the provider's code, unless that code
 * is one of `retry_codes`. Without a client-id field in `send_body` ({id}), at least once.
 */
export async function sendSms(c: GatewayConfig, vars: Vars): Promise<string> {
  const r = buildRequest(c, vars);
  let res: Response;
  try {
    res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body, redirect: 'error', signal: AbortSignal.timeout(c.timeout_ms) });
  } catch (err) {
    throw new ChannelError('sms_gateway', `provider unreachable: ${(err as Error).message}`, { retryable: true, code: 'unreachable' });
  }
  const raw = await res.text().catch(() => '');
  let answer: unknown;
  try { answer = JSON.parse(raw); } catch { answer = Object.fromEntries(new URLSearchParams(raw)); }
  const code = (c.error_code_path && text(at(answer, c.error_code_path))) || `http_${res.status}`;
  const message = (c.error_message_path && text(at(answer, c.error_message_path))) || raw.slice(0, 200) || `HTTP ${res.status}`;
  if (res.status === 429 || res.status >= 500) {
    const ra = Number(res.headers.get('retry-after'));
    throw new ChannelError('sms_gateway', message, { retryable: true, code, retryAfter: Number.isFinite(ra) && ra > 0 ? ra : undefined });
  }
  const ok = res.ok && (!c.success_path || text(at(answer, c.success_path)) === c.success_value);
  if (!ok) throw new ChannelError('sms_gateway', message, { retryable: c.retry_codes.includes(code), code });
  return (c.id_path && text(at(answer, c.id_path))) || `${c.provider}:${vars.id}`;
}
