import { encrypt, signatureOf } from '../../../channels/feishu/verify.js';
import type { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';

/** Realistic ids: WSClient.start() silently does nothing for app ids not shaped like these. */
export const WS_APP = { id: 'cli_a1b2c3d4e5f60001', secret: 'ws-app-secret-1' };
export const HOOK_APP = { id: 'cli_a1b2c3d4e5f60002', secret: 'hook-app-secret-2', encryptKey: 'encrypt-key-0123', token: 'verify-token-2' };
export const TOKEN_APP = { id: 'cli_a1b2c3d4e5f60003', secret: 'token-app-secret-3', token: 'verify-token-3' };

/** The fake knows every app's secret, and one employee with a department. */
export function seed(fake: FakeFeishu): void {
  for (const a of [WS_APP, HOOK_APP, TOKEN_APP]) fake.secrets.set(a.id, a.secret);
  fake.users.set('ou_alice', { name: '王小丽', department_ids: ['od-sales'] });
  fake.departments.set('od-sales', '华东销售部');
}

/** `[channels.feishu]` with the three apps: a long connection, a webhook with an encrypt key, a webhook with only a token. */
export function feishuConfig(fake: FakeFeishu, extra = ''): string {
  return `[channels.feishu]
enabled = true
domain = "${fake.url}"
app_id = "${WS_APP.id}"
app_secret = "${WS_APP.secret}"
mode = "websocket"
contact_timeout_ms = 2000
${extra}
[[channels.feishu.apps]]
name = "hook"
app_id = "${HOOK_APP.id}"
app_secret = "${HOOK_APP.secret}"
mode = "webhook"
encrypt_key = "${HOOK_APP.encryptKey}"
verification_token = "${HOOK_APP.token}"

[[channels.feishu.apps]]
name = "plain"
app_id = "${TOKEN_APP.id}"
app_secret = "${TOKEN_APP.secret}"
mode = "webhook"
verification_token = "${TOKEN_APP.token}"
`;
}

let n = 0;
export const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++n).toString(36).padStart(4, '0')}`;

/** im.message.receive_v1 as Feishu pushes it (event v2). */
export function messageEvent(o: { app: string; text?: string; content?: object; type?: string; openId?: string; chatId?: string; chatType?: 'p2p' | 'group';
  messageId?: string; eventId?: string; mentions?: object[]; token?: string }) {
  const messageId = o.messageId ?? nextId('om_');
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? nextId('ev'), event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: o.token ?? '', app_id: o.app, tenant_key: 'tenant1' },
    event: {
      sender: { sender_id: { open_id: o.openId ?? 'ou_alice', union_id: 'on_1', user_id: 'u1' }, sender_type: 'user', tenant_key: 'tenant1' },
      message: { message_id: messageId, create_time: String(Date.now()), chat_id: o.chatId ?? 'oc_p2p_alice', chat_type: o.chatType ?? 'p2p',
        message_type: o.type ?? 'text', content: JSON.stringify(o.content ?? { text: o.text ?? 'hello' }), ...(o.mentions ? { mentions: o.mentions } : {}) },
    },
  };
}

/** card.action.trigger: a click on a kefu card button. */
export function cardEvent(o: { app: string; conversation: string; openId?: string; eventId?: string; token?: string; kefu?: string }) {
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? nextId('evc'), event_type: 'card.action.trigger', create_time: String(Date.now()), token: o.token ?? '', app_id: o.app, tenant_key: 'tenant1' },
    event: { operator: { open_id: o.openId ?? 'ou_alice', tenant_key: 'tenant1' }, token: 'c-card-update-token', host: 'im_message',
      action: { tag: 'button', value: { kefu: o.kefu ?? 'handoff', conversation: o.conversation } }, context: { open_message_id: 'om_card', open_chat_id: 'oc_p2p_alice' } },
  };
}

/**
 * Posts to the webhook as Feishu does: encrypted with the encrypt key and signed over the bytes
 * sent (`body` overrides them, e.g. other whitespace), or with only the token in the body.
 */
export async function feishuPost(publicUrl: string, app: string, event: object, o: { encryptKey?: string; body?: string; signature?: string; timestamp?: string; unsigned?: boolean } = {}) {
  const body = o.body ?? (o.encryptKey ? JSON.stringify({ encrypt: encrypt(o.encryptKey, JSON.stringify(event)) }) : JSON.stringify(event));
  const timestamp = o.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = 'n' + Math.random().toString(36).slice(2);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.encryptKey && !o.unsigned) {
    Object.assign(headers, { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': o.signature ?? signatureOf(timestamp, nonce, o.encryptKey, body) });
  }
  const res = await fetch(`${publicUrl}/channels/feishu/events/${app}`, { method: 'POST', body, headers });
  const text = await res.text();
  let parsed: any;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, body: parsed };
}
