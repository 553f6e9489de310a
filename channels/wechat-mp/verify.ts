import { createHmac } from 'node:crypto';

/**
 * The visitor id of a mini-program user: an HMAC of appid and openid under the channel's own
 * key. The same user always gets the same id (so the same conversation and history), and the
 * openid never appears in ids, tokens or URLs. Imports nothing of the adapter.
 */
export function visitorIdFor(key: Buffer, appid: string, openid: string): string {
  return `v${createHmac('sha256', key).update(`visitor\n${appid}\n${openid}`).digest('base64url').slice(0, 32)}`;
}

/**
 * The key visitor tokens of this channel are signed with: its own (web widget tokens are not
 * accepted here, nor these there) and tied to the appid, so another mini-program's tokens fail.
 */
export function tokenKeyFor(key: Buffer, appid: string): Buffer {
  return createHmac('sha256', key).update(`token\n${appid}`).digest();
}
