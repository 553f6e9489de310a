/** What a shop passes to `window.kefu.identify()`; the signatures come from the shop's backend (see README). */
export interface IdentifyInput {
  id?: string | number; name?: string; email?: string; phone?: string; attributes?: Record<string, string>;
  signature?: string; email_signature?: string; phone_signature?: string;
}

/** The server's answer: a new token when the signed id moves this browser to the user's shared visitor. */
export interface IdentifyAnswer { verified: boolean; visitorId: string; token?: string }

const FIELDS = ['id', 'name', 'email', 'phone', 'attributes', 'signature', 'email_signature', 'phone_signature'] as const;

/** One POST /v1/visitor/identify; rejects with the server's message (a wrong signature says so). */
export async function postIdentify(origin: string, token: string, input: IdentifyInput): Promise<IdentifyAnswer> {
  if (!input || typeof input !== 'object') throw new TypeError('kefu.identify() takes an object');
  const body: Record<string, unknown> = {};
  for (const k of FIELDS) if (input[k] !== undefined) body[k] = input[k];
  const res = await fetch(`${origin}/v1/visitor/identify`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok || !answer.ok) throw new Error(answer?.error?.message ?? `identify failed (${res.status})`);
  return { verified: !!answer.verified, visitorId: answer.visitorId, token: answer.token };
}
