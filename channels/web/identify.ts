import { KefuError } from '../../core/errors.js';
import type { Fact } from '../../core/contacts/identity-keys.js';
import { emailKey, phoneKey, shopKey } from '../../core/contacts/identity-keys.js';
import { shopVisitorId, signatureMatches } from '../../core/contacts/identify-signature.js';

/** What `kefu.identify()` claims, checked: the facts to record and, when the id is signed, the visitor all the user's devices share. */
export interface IdentifyClaims {
  facts: Fact[];
  name?: string;
  /** Only from a signed identify: an unsigned page must not make itself look like a VIP. */
  attributes?: Record<string, string>;
  /** Set when the shop's signature over the id checked out. */
  sharedVisitorId?: string;
}

const text = (v: unknown, max: number, what: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string') throw new KefuError('validation_failed', `${what} must be a string`);
  if (v.length > max) throw new KefuError('validation_failed', `${what} is longer than ${max} characters`);
  return v;
};

/**
 * Pure check of an identify body against `[channels.web] identity_secret`. A signature that is
 * present but wrong is refused (invalid_signature): a shop with a misconfigured secret must find
 * out at once rather than see every customer silently unverified. Without one, everything is
 * recorded as unverified: shown to agents, never linked by itself.
 */
export function checkIdentify(body: Record<string, unknown>, secret: string | undefined): IdentifyClaims {
  const id = text(body.id, 200, 'id');
  const name = text(body.name, 100, 'name');
  const email = text(body.email, 254, 'email');
  const phone = text(body.phone, 32, 'phone');
  const signed = (message: string, field: string): boolean => {
    if (body[field] === undefined || body[field] === null || body[field] === '') return false;
    if (!signatureMatches(secret, message, body[field])) {
      throw new KefuError('invalid_signature', secret ? `${field} does not match.` : `${field} given, but [channels.web] identity_secret is not configured.`);
    }
    return true;
  };
  const facts: Fact[] = [];
  let sharedVisitorId: string | undefined;
  if (id) {
    const verified = signed(id, 'signature');
    facts.push({ key: shopKey(id), verified });
    if (verified) sharedVisitorId = shopVisitorId(id);
  } else if (body.signature) throw new KefuError('validation_failed', 'signature signs the id: give the id too');
  if (email) {
    const key = emailKey(email);
    if (!key) throw new KefuError('validation_failed', 'email is not an e-mail address');
    facts.push({ key, verified: signed(key, 'email_signature') });
  }
  if (phone) {
    const key = phoneKey(phone);
    if (!key) throw new KefuError('validation_failed', 'phone must be in international format (+8613800138000)');
    facts.push({ key, verified: signed(key, 'phone_signature') });
  }
  let attributes: Record<string, string> | undefined;
  if (body.attributes !== undefined && sharedVisitorId) {
    const a = body.attributes;
    if (!a || typeof a !== 'object' || Array.isArray(a)) throw new KefuError('validation_failed', 'attributes must be an object');
    attributes = {};
    for (const [k, v] of Object.entries(a).slice(0, 50)) { const s = text(v, 200, `attributes.${k}`); if (s !== undefined) attributes[k] = s; }
  }
  return { facts, name, attributes, sharedVisitorId };
}
