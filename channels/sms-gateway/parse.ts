import type { InboundMessage } from '../../core/model/message.js';
import type { InboundFields } from './types.js';

export type Parsed =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'invalid'; reason: string };

/** The value at a dotted path (`data.items.0.id`), or undefined. */
export function at(v: unknown, path: string): unknown {
  let node = v;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
const NUMBER = /^\+?[\d-]{3,20}$/;

/** Pure: the provider's inbound body, read through the configured field mapping. Never throws. */
export function parse(raw: string, format: 'json' | 'form', fields: InboundFields, provider = 'default'): Parsed {
  if (typeof raw !== 'string') return { kind: 'invalid', reason: 'not a string' };
  let body: unknown;
  if (format === 'json') {
    try { body = JSON.parse(raw); } catch { return { kind: 'invalid', reason: 'not JSON' }; }
  } else {
    try { body = Object.fromEntries(new URLSearchParams(raw)); } catch { return { kind: 'invalid', reason: 'not a form' }; }
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { kind: 'invalid', reason: 'not an object' };
  const id = str(at(body, fields.id));
  const from = str(at(body, fields.from))?.replace(/\s/g, '');
  const text = str(at(body, fields.text));
  if (!id || id.length > 128) return { kind: 'invalid', reason: `${fields.id} (message id)` };
  if (!from || !NUMBER.test(from)) return { kind: 'invalid', reason: `${fields.from} (sender number)` };
  if (text === undefined) return { kind: 'invalid', reason: `${fields.text} (text)` };
  if (!text.trim()) return { kind: 'unsupported', reason: 'empty text' };
  return { kind: 'message', message: { ref: { channel: 'sms_gateway', account: provider, thread: from },
    customer: { externalId: from }, sourceId: id, content: { kind: 'text', text } } };
}
