/**
 * The one error catalogue. Every error a client can see has a stable `code`
 * from this table; the HTTP status is looked up only at the edge (http/, ws frames).
 * Add a code here before throwing it anywhere: clients and docs depend on them.
 */
export const ERROR_CATALOGUE = {
  bad_request: { status: 400, message: 'The request is malformed.' },
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  validation_failed: { status: 422, message: 'A field is missing or has the wrong type.' },
  payload_too_large: { status: 413, message: 'The body is larger than allowed.' },
  unsupported_media_type: { status: 415, message: 'This content type is not accepted here.' },
  invalid_image: { status: 415, message: 'The upload is not a supported image (png, jpeg, gif, webp).' },
  image_too_large: { status: 413, message: 'The image has more pixels than allowed.' },
  invalid_audio: { status: 415, message: 'The upload is not a supported audio recording (mp3, aac, m4a, wav, silk).' },
  unauthorized: { status: 401, message: 'Missing or invalid credentials.' },
  invalid_token: { status: 401, message: 'The token is invalid or expired.' },
  invalid_signature: { status: 403, message: 'The signature does not match.' },
  invalid_login_code: { status: 401, message: 'The WeChat login code is invalid, used or expired; call wx.login again.' },
  forbidden: { status: 403, message: 'Not allowed for this account.' },
  forbidden_origin: { status: 403, message: 'Not accepted from this origin.' },
  not_found: { status: 404, message: 'Not found.' },
  channel_disabled: { status: 404, message: 'This channel is disabled.' },
  conversation_not_found: { status: 404, message: 'No such conversation.' },
  agent_not_found: { status: 404, message: 'No such agent.' },
  agent_at_capacity: { status: 409, message: 'The agent has no free capacity.' },
  invalid_state: { status: 409, message: 'Not possible in the conversation\'s current state.' },
  conflict: { status: 409, message: 'Conflicts with existing data.' },
  channel_cannot_start: { status: 422, message: 'This channel cannot start a conversation: the customer must write first.' },
  identity_not_of_contact: { status: 422, message: 'This identity is not one of the contact\'s.' },
  conversation_exists: { status: 409, message: 'The contact already has a conversation there: reply in it.' },
  window_expired: { status: 409, message: 'The channel\'s reply window has closed: the customer must write first (WeChat: 48 hours after their last message).' },
  quota_exhausted: { status: 409, message: 'The channel allows no more messages until the customer writes again (WeChat: 5 per message, 2 after opening the chat).' },
  rate_limited: { status: 429, message: 'Too many messages; retry later.' },
  too_many_connections: { status: 429, message: 'Too many open connections for this visitor.' },
  unavailable: { status: 503, message: 'The gateway is shutting down or not ready.' },
  vendor_unavailable: { status: 502, message: 'The messaging vendor did not answer; retry later.' },
  workers_need_cluster: { status: 500, message: 'More than one worker needs cluster mode ([cluster] redis_url) and the MongoDB store ([store] driver = "mongodb").' },
  internal: { status: 500, message: 'Internal error.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class KefuError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra fields clients may rely on, e.g. `retryAfter` (seconds) for rate_limited. */
  readonly details?: Record<string, unknown>;
  /** Only exposed errors send their message to clients; internal ones send the catalogue text. */
  readonly expose: boolean;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'KefuError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
    this.expose = this.status < 500;
  }

  toJSON(): { code: ErrorCode; message: string } & Record<string, unknown> {
    return { code: this.code, message: this.expose ? this.message : ERROR_CATALOGUE[this.code].message, ...this.details };
  }
}

export function isKefuError(err: unknown): err is KefuError {
  return err instanceof KefuError;
}

/** Normalizes anything thrown into a KefuError; unknown errors become `internal`. */
export function toKefuError(err: unknown): KefuError {
  if (err instanceof KefuError) return err;
  const e = err as { status?: number; type?: string; expose?: boolean } | undefined;
  // raw-body and koa errors carry `type`/`status`; map the ones clients can cause.
  if (e?.type === 'entity.too.large' || e?.status === 413) return new KefuError('payload_too_large');
  if (e?.status === 415) return new KefuError('unsupported_media_type');
  if (e?.status === 400 && e.expose) return new KefuError('bad_request');
  return new KefuError('internal');
}
