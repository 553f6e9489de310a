import { at } from './parse.js';
import type { ReceiptFields } from './types.js';

export interface Receipt { id: string; state: 'delivered' | 'failed'; error?: { code: string; message: string } }
export type ParsedReceipts = { kind: 'receipts'; receipts: Receipt[]; ignored: number } | { kind: 'invalid'; reason: string };

// Providers send the status as a string, a number (0) or a boolean (Aliyun's `success`): compare as text.
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

export interface ReceiptRule { fields: ReceiptFields; delivered: readonly string[]; failed: readonly string[] }

/**
 * Pure: a receipt body through the configured mapping. A JSON array is a batch (Aliyun posts
 * SmsReport so). Entries without an id or with an interim status are counted as ignored, not
 * refused: the provider would otherwise resend the whole batch. Never throws.
 */
export function parseReceipts(raw: string, format: 'json' | 'form', rule: ReceiptRule): ParsedReceipts {
  let body: unknown;
  if (format === 'json') {
    try { body = JSON.parse(raw); } catch { return { kind: 'invalid', reason: 'not JSON' }; }
  } else {
    body = Object.fromEntries(new URLSearchParams(raw));
  }
  const items = Array.isArray(body) ? body : [body];
  if (!items.length || items.some((x) => !x || typeof x !== 'object' || Array.isArray(x))) return { kind: 'invalid', reason: 'not an object' };
  const receipts: Receipt[] = [];
  for (const item of items) {
    const id = str(at(item, rule.fields.id));
    const status = str(at(item, rule.fields.status))?.trim();
    if (!id || id.length > 128 || status === undefined) continue;
    if (rule.delivered.includes(status)) { receipts.push({ id, state: 'delivered' }); continue; }
    if (!rule.failed.includes(status)) continue;
    const code = (rule.fields.code && str(at(item, rule.fields.code))) || status;
    const message = (rule.fields.message && str(at(item, rule.fields.message))) || `The provider reported ${status}.`;
    receipts.push({ id, state: 'failed', error: { code, message } });
  }
  if (items.length === 1 && !receipts.length && !str(at(items[0], rule.fields.id))) return { kind: 'invalid', reason: `${rule.fields.id} (message id)` };
  return { kind: 'receipts', receipts, ignored: items.length - receipts.length };
}
