import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { safeEqual } from '../../core/auth/passwords.js';

/**
 * Feishu's webhook crypto, checked here over the exact bytes received. The SDK's own check
 * hashes JSON.stringify of the parsed body, so a body whose whitespace or escaping differs
 * from what it re-serializes fails there although Feishu signed it correctly.
 * Imports nothing of the adapter (the conformance suite checks).
 */

/** X-Lark-Signature: sha256 hex of timestamp + nonce + encrypt key + raw body. */
export function signatureOf(timestamp: string, nonce: string, encryptKey: string, body: Buffer | string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey).update(body).digest('hex');
}

export interface SignedHeaders { timestamp?: string; nonce?: string; signature?: string }

/** True when the signature matches the raw body and the timestamp is within `maxSkewS` of now (0: any time). */
export function verifySignature(encryptKey: string, h: SignedHeaders, body: Buffer, nowS: number, maxSkewS: number): boolean {
  if (!encryptKey || !h.timestamp || !h.nonce || !h.signature) return false;
  if (!/^\d{1,12}$/.test(h.timestamp) || h.nonce.length > 128) return false;
  if (maxSkewS > 0 && Math.abs(nowS - Number(h.timestamp)) > maxSkewS) return false;
  return safeEqual(signatureOf(h.timestamp, h.nonce, encryptKey, body), h.signature.toLowerCase());
}

/** The verification token an unencrypted event carries, compared in constant time. */
export function tokenMatches(expected: string, got: unknown): boolean {
  return expected.length > 0 && typeof got === 'string' && safeEqual(expected, got);
}

/**
 * Whether a webhook request comes from Feishu. With an encrypt key every request is signed over
 * its raw bytes, except the console's url_verification, which only decrypts (only a holder of the
 * key can make it) and carries the token. Without one, the verification token in the body is all
 * there is (the SDK checks nothing then).
 */
export function authentic(app: { encrypt_key: string; verification_token: string }, h: SignedHeaders, raw: Buffer,
  body: { challenge: boolean; encrypted: boolean; token?: string }, nowS: number, maxSkewS: number): boolean {
  if (!app.encrypt_key) return tokenMatches(app.verification_token, body.token);
  if (h.signature) return verifySignature(app.encrypt_key, h, raw, nowS, maxSkewS);
  return body.challenge && body.encrypted && (!app.verification_token || tokenMatches(app.verification_token, body.token));
}

const keyOf = (encryptKey: string) => createHash('sha256').update(encryptKey).digest();

/** `{"encrypt": …}` → the JSON text inside: base64(IV ‖ AES-256-CBC(sha256(key), PKCS#7)). Undefined when it does not decrypt. */
export function decrypt(encryptKey: string, encrypted: string): string | undefined {
  try {
    const buf = Buffer.from(encrypted, 'base64');
    if (buf.length < 32 || buf.length % 16 !== 0) return undefined;
    const d = createDecipheriv('aes-256-cbc', keyOf(encryptKey), buf.subarray(0, 16));
    return Buffer.concat([d.update(buf.subarray(16)), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The inverse of `decrypt`, as Feishu does it (tests and fakes post with it). */
export function encrypt(encryptKey: string, plain: string): string {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', keyOf(encryptKey), iv);
  return Buffer.concat([iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
}
