import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { safeEqual } from '../../core/auth/passwords.js';

/**
 * WeChat's push signatures and safe-mode (AES) envelope. Imports nothing of the adapter: the
 * token, key, query values and bytes come in as arguments.
 */

/** sha1 over the parts sorted as strings and joined: `signature` (token, timestamp, nonce) and `msg_signature` (…, Encrypt). */
export function signatureOf(...parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

function checked(expected: string, given: string | undefined): boolean {
  return typeof given === 'string' && given.length === 40 && safeEqual(expected, given.toLowerCase());
}

/** URL verification and plain-mode pushes: `signature` over token, timestamp and nonce. */
export function verifySignature(token: string, timestamp: string | undefined, nonce: string | undefined, signature: string | undefined): boolean {
  if (!token || !timestamp || !nonce) return false;
  return checked(signatureOf(token, timestamp, nonce), signature);
}

/** Safe mode: `msg_signature` over token, timestamp, nonce and the body's Encrypt. */
export function verifyMsgSignature(token: string, timestamp: string | undefined, nonce: string | undefined, encrypt: string, msgSignature: string | undefined): boolean {
  if (!token || !timestamp || !nonce || !encrypt) return false;
  return checked(signatureOf(token, timestamp, nonce, encrypt), msgSignature);
}

/** The 32-byte AES key an EncodingAESKey stands for (43 base64 characters plus the "=" WeChat drops). */
function keyOf(encodingAesKey: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new Error('EncodingAESKey must decode to 32 bytes');
  return key;
}

/** WeChat pads to 32-byte blocks (PKCS#7 with K = 32), not AES's 16: the padding is done by hand. */
const BLOCK = 32;

/**
 * Opens a safe-mode Encrypt: AES-256-CBC, IV = the key's first 16 bytes, plaintext
 * random(16) ‖ length(4, big-endian) ‖ message ‖ appid. Undefined when anything is off
 * (bad base64, padding, length, or a different appid): the caller answers 403 then.
 */
export function decrypt(encodingAesKey: string, encrypt: string, appid: string): string | undefined {
  try {
    const key = keyOf(encodingAesKey);
    const data = Buffer.from(encrypt, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) return undefined;
    const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    d.setAutoPadding(false);
    const plain = Buffer.concat([d.update(data), d.final()]);
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > BLOCK || pad > plain.length) return undefined;
    const body = plain.subarray(0, plain.length - pad);
    if (body.length < 20) return undefined;
    const len = body.readUInt32BE(16);
    if (20 + len > body.length) return undefined;
    const from = body.subarray(20 + len).toString('utf8');
    if (!safeEqual(from, appid)) return undefined;
    return body.subarray(20, 20 + len).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The reverse of decrypt (for encrypted answers and for tests playing WeChat); `random` is 16 bytes. */
export function encrypt(encodingAesKey: string, message: string, appid: string, random: Buffer = randomBytes(16)): string {
  const key = keyOf(encodingAesKey);
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  const body = Buffer.concat([random.subarray(0, 16), len, msg, Buffer.from(appid, 'utf8')]);
  const pad = BLOCK - (body.length % BLOCK);
  const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), c.final()]).toString('base64');
}

/**
 * A plain-mode signature covers the URL only, and URLs land in access logs: each signed URL is
 * bound to the first body it came with, so a copied URL cannot carry another one. WeChat's own
 * retries send the same body and pass. An entry is kept as long as its timestamp can be accepted.
 * Per process: in a cluster a copy sent to another node is still limited by the timestamp window.
 */
export class SignedUrls {
  private seen = new Map<string, { digest: string; at: number }>();

  constructor(private keepMs: number) {}

  /** True when `body` may come with this signed URL: its first use, or the same body again. */
  bind(url: string, body: string, nowMs: number): boolean {
    for (const [k, v] of this.seen) {
      if (nowMs - v.at <= this.keepMs) break; // kept in the order they came
      this.seen.delete(k);
    }
    const digest = createHash('sha256').update(body).digest('hex');
    const known = this.seen.get(url);
    if (known) return safeEqual(known.digest, digest);
    this.seen.set(url, { digest, at: nowMs });
    return true;
  }
}
