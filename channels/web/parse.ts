import type { Content } from '../../core/model/message.js';
import type { VisitorFrame } from './types.js';

export type ParsedFrame =
  | { kind: 'frame'; frame: VisitorFrame }
  | { kind: 'invalid'; code: 'invalid_json' | 'validation_failed' | 'payload_too_large'; message: string; clientId?: string };

const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
const QUEUE = /^[a-z0-9_-]{1,40}$/;

/**
 * Pure parse of a raw widget frame. Never throws: anything malformed becomes `invalid`
 * with the catalogue code the socket sends back; the connection stays usable.
 */
export function parseVisitorFrame(raw: string, maxBytes: number): ParsedFrame {
  if (raw.length > maxBytes) return { kind: 'invalid', code: 'payload_too_large', message: `Frames are limited to ${maxBytes} bytes.` };
  let v: any;
  try {
    v = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', code: 'invalid_json', message: 'The frame is not valid JSON.' };
  }
  return parseVisitorObject(v);
}

/** The same checks on an already-parsed object (the HTTP send endpoint's JSON body). */
export function parseVisitorObject(v: any): ParsedFrame {
  if (!v || typeof v !== 'object' || typeof v.type !== 'string') return bad('A frame is an object with a "type".');
  switch (v.type) {
    case 'hello':
      if (typeof v.token !== 'string') return bad('hello.token is required');
      if (v.after !== undefined && !(Number.isInteger(v.after) && v.after >= 0)) return bad('hello.after must be a non-negative integer');
      if (v.queue !== undefined && !(typeof v.queue === 'string' && QUEUE.test(v.queue))) return bad('hello.queue must be a queue name');
      return { kind: 'frame', frame: { type: 'hello', token: v.token, after: v.after ?? 0, queue: v.queue } };
    case 'send': {
      if (typeof v.clientId !== 'string' || !CLIENT_ID.test(v.clientId)) return bad('send.clientId must be 8-64 characters of [A-Za-z0-9_-]');
      const hasText = typeof v.text === 'string';
      const hasAtt = Array.isArray(v.attachments);
      if (hasText === hasAtt) return bad('send needs either text or attachments', v.clientId);
      if (hasAtt && v.caption !== undefined && typeof v.caption !== 'string') return bad('send.caption must be a string', v.clientId);
      return { kind: 'frame', frame: { type: 'send', clientId: v.clientId, text: v.text, attachments: v.attachments, caption: v.caption } };
    }
    case 'typing':
      return { kind: 'frame', frame: { type: 'typing' } };
    case 'read':
      if (!Number.isInteger(v.seq) || v.seq < 0) return bad('read.seq must be a non-negative integer');
      return { kind: 'frame', frame: { type: 'read', seq: v.seq } };
    case 'ping':
      return { kind: 'frame', frame: { type: 'ping' } };
    default:
      return bad(`Unknown frame type "${String(v.type).slice(0, 20)}".`);
  }
}

function bad(message: string, clientId?: string): ParsedFrame {
  return { kind: 'invalid', code: 'validation_failed', message, clientId };
}

/** Text content from a send frame (attachments are resolved against the media store by the caller). */
export function textContent(text: string): Content {
  return { kind: 'text', text: text.normalize('NFC') };
}
