import { randomBytes } from 'node:crypto';

/**
 * Time-sortable ids: 10 chars of millisecond time (Crockford base32) + 12 random chars.
 * Lexicographic order equals creation order within a process (monotonic counter on equal
 * milliseconds), which is what `ts`-style cursors and per-conversation resumes rely on.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** The time part of ids minted at `ms`: ids of that millisecond sort after it, earlier ones before. */
export function idTimePrefix(ms: number): string {
  return encodeTime(ms);
}

export function newId(prefix = ''): string {
  const now = Date.now();
  if (now === lastTime) {
    // Increment the random part so ids minted in the same millisecond stay ordered.
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      if (lastRandom[i] < 31) { lastRandom[i]++; break; }
      lastRandom[i] = 0;
    }
  } else {
    lastTime = now;
    const bytes = randomBytes(12);
    lastRandom = Array.from(bytes, (b) => b % 32);
    lastRandom[0] &= 0x0f; // headroom so increments never wrap the leading char
  }
  return prefix + encodeTime(now) + lastRandom.map((n) => ALPHABET[n]).join('');
}

/** Unguessable opaque token (capabilities such as media URLs, session tokens). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
