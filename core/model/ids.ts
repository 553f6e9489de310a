import { randomBytes } from 'node:crypto';

/**
 * Time-sortable ids: 10 chars of millisecond time (Crockford base32) + 12 random chars.
 * Lexicographic order equals creation order within a process (monotonic counter on equal
 * milliseconds), which is what `ts`-style cursors and per-conversation resumes rely on.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
let lastTime = 0;
let lastPrefix = '';
const lastRandom = new Uint8Array(12);

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

// Every message mints one: the time part is encoded once per millisecond, the random part is one
// string built from char codes (the first version made ~25 small strings and arrays per id).
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
    lastPrefix = encodeTime(now);
    const bytes = randomBytes(12);
    for (let i = 0; i < 12; i++) lastRandom[i] = bytes[i] % 32;
    lastRandom[0] &= 0x0f; // headroom so increments never wrap the leading char
  }
  const r = lastRandom, c = CODES;
  return prefix + lastPrefix + String.fromCharCode(c[r[0]], c[r[1]], c[r[2]], c[r[3]], c[r[4]], c[r[5]], c[r[6]], c[r[7]], c[r[8]], c[r[9]], c[r[10]], c[r[11]]);
}

/** Unguessable opaque token (capabilities such as media URLs, session tokens). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
