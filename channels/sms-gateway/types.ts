import { z } from 'zod';

/** A dotted path into a JSON answer or body (`data.msgId`, `result.0.code`), or a form field's name. */
const path = z.string().regex(/^[\w$-]+(\.[\w$-]+)*$/);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * `[channels.sms_gateway]`: any HTTP SMS provider (the kind that posts 上行短信 replies to a URL
 * and sends from an approved template), described by config instead of code.
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  /** Names the provider; it is the conversations' account (`sms_gateway:<provider>:<number>`). */
  provider: z.string().regex(/^[a-z0-9_-]{1,40}$/).default('default'),

  /** Inbound (POST /channels/sms-gateway/inbound): the body's format and where each field is. */
  inbound_format: z.enum(['json', 'form']).default('json'),
  inbound_fields: z.object({ id: path, from: path, text: path }).strict(),
  /** HMAC over the raw body (with `timestamp_header`: over `<timestamp>.<body>`), in `hmac_header`. */
  hmac_secret: z.string().min(8),
  hmac_header: z.string().min(1).default('X-Signature'),
  hmac_algorithm: z.enum(['sha256', 'sha1', 'sha512']).default('sha256'),
  hmac_encoding: z.enum(['hex', 'base64']).default('hex'),
  /** Text before the digest in the header, e.g. `sha256=`. */
  hmac_prefix: z.string().default(''),
  /** A header carrying the send time (seconds): signed too, and refused when more than 5 min off. */
  timestamp_header: z.string().default(''),
  /** What the provider expects back once the message is stored. */
  inbound_answer: z.string().default('{"code":0}'),
  inbound_answer_type: z.string().default('application/json'),

  /** Outbound: the provider's send API. */
  send_url: z.string().url(),
  send_method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  send_format: z.enum(['json', 'form']).default('json'),
  /** Header values may use the variables too (e.g. a signature the provider computes, see README). */
  send_headers: z.record(z.string(), z.string()).default({}),
  /**
   * The body; string values may hold {to} {text} {template_id} {id} (the message id: pass it
   * where the provider dedupes on a client id); a value of exactly "{params}" becomes the
   * template parameters (an object in JSON, a JSON string in a form).
   */
  send_body: z.record(z.string(), z.unknown()).default({ to: '{to}', text: '{text}' }),
  template_id: z.string().default(''),
  template_params: z.record(z.string(), scalar).default({}),
  /** The answer means success when the value at `success_path` equals `success_value`. */
  success_path: path.optional(),
  success_value: z.string().default('0'),
  /** Where the provider's message id, error code and error text are in its answer. */
  id_path: path.optional(),
  error_code_path: path.optional(),
  error_message_path: path.optional(),
  /** Provider error codes that mean "try again later" (throttling), though the HTTP status is 200. */
  retry_codes: z.array(z.string()).default([]),
  timeout_ms: z.number().int().min(100).max(120_000).default(10_000),

  /**
   * Delivery receipts (状态报告, POST /channels/sms-gateway/receipt, signed like inbound; the body
   * in `receipt_format`, else `inbound_format`; a JSON array is a batch). Unset: the route answers 404. `id` is the provider's
   * message id as `id_path` read it from the send answer (without `id_path`: kefu's {id}).
   */
  receipt_format: z.enum(['json', 'form']).optional(),
  receipt_fields: z.object({ id: path, status: path, code: path.optional(), message: path.optional() }).strict().optional(),
  /** Status values meaning delivered / failed; any other (interim states) is ignored. */
  receipt_delivered: z.array(z.string()).default(['DELIVRD', '0']),
  receipt_failed: z.array(z.string()).default(['UNDELIV', 'EXPIRED', 'REJECTD', 'DELETED']),
  receipt_answer: z.string().default('{"code":0}'),
  receipt_answer_type: z.string().default('application/json'),

  /** Whole-message keywords (trimmed, case-insensitive) that opt the sender out of SMS, or back in. */
  opt_out_keywords: z.array(z.string().min(1)).default(['TD', 'T', '退订', 'STOP', 'UNSUBSCRIBE']),
  opt_in_keywords: z.array(z.string().min(1)).default(['START', '订阅']),
}).strict();
export type GatewayConfig = z.infer<typeof configSchema>;
export type InboundFields = GatewayConfig['inbound_fields'];
export type ReceiptFields = NonNullable<GatewayConfig['receipt_fields']>;
