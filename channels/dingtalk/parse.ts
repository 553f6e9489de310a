import type { ConversationRef } from '../../core/model/message.js';
import type { ReplyRoute, RobotMessage } from './types.js';

/** A file the message carries, fetched with messageFiles/download before the message is stored. */
export interface Download { code: string; name?: string }

export interface RobotInbound {
  msgId: string;
  robotCode: string;
  ref: ConversationRef;
  customer: { externalId: string; name?: string };
  staffId?: string;
  text: string;
  downloads: Download[];
  route: ReplyRoute;
  meta: Record<string, string>;
  sentAt?: Date;
}

export type Parsed =
  | { kind: 'message'; message: RobotInbound }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'invalid'; reason: string };

const ID = /^[\w+/=.:$-]{1,160}$/;
const CODE = /^[\w+/=.-]{1,2048}$/;

const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length <= max ? v : undefined);

/**
 * Pure: a robot callback's JSON (the stream CALLBACK frame's `data`, or the HTTP-mode body) →
 * what it means. Never throws. One-to-one chats are keyed by the sender; in a group each asker
 * gets a conversation of their own (`g:<openConversationId>:<sender>`), replies going back to
 * the group with an @ of them.
 */
export function parseRobot(raw: string, fallbackRobotCode = ''): Parsed {
  let v: Partial<RobotMessage>;
  try { v = JSON.parse(raw); } catch { return { kind: 'invalid', reason: 'not JSON' }; }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { kind: 'invalid', reason: 'not an object' };
  const msgId = str(v.msgId, 160);
  if (!msgId || !ID.test(msgId)) return { kind: 'invalid', reason: 'msgId' };
  const cid = str(v.conversationId, 160);
  if (!cid || !ID.test(cid)) return { kind: 'invalid', reason: 'conversationId' };
  if (v.conversationType !== '1' && v.conversationType !== '2') return { kind: 'invalid', reason: 'conversationType' };
  const staffId = str(v.senderStaffId, 64) && ID.test(v.senderStaffId!) ? v.senderStaffId : undefined;
  const senderId = str(v.senderId, 160) && ID.test(v.senderId!) ? v.senderId : undefined;
  const sender = staffId ?? senderId;
  if (!sender) return { kind: 'invalid', reason: 'sender' };
  const robotCode = str(v.robotCode, 128) && ID.test(v.robotCode!) ? v.robotCode! : fallbackRobotCode;
  if (!robotCode) return { kind: 'invalid', reason: 'robotCode' };
  const group = v.conversationType === '2';
  // Only messages that @ the robot are meant for it (a robot allowed to read all group chatter gets the rest too).
  if (group && v.isInAtList === false) return { kind: 'unsupported', reason: 'group message without an @ of the robot' };

  const body = bodyOf(v);
  if (body.kind === 'unsupported') return body;
  const webhook = str(v.sessionWebhook, 2000) && /^https?:\/\//.test(v.sessionWebhook!) && URL.canParse(v.sessionWebhook!) ? v.sessionWebhook : undefined;
  const expires = typeof v.sessionWebhookExpiredTime === 'number' && Number.isFinite(v.sessionWebhookExpiredTime) ? v.sessionWebhookExpiredTime : undefined;
  const name = str(v.senderNick, 1000)?.slice(0, 100) || undefined;
  const meta: Record<string, string> = {};
  if (group) meta.group = str(v.conversationTitle, 1000)?.slice(0, 200) || cid;
  const at = typeof v.createAt === 'number' && Number.isFinite(v.createAt) && v.createAt > 0 ? new Date(v.createAt) : undefined;
  return { kind: 'message', message: {
    msgId, robotCode, staffId,
    ref: { channel: 'dingtalk', account: robotCode, thread: group ? `g:${cid}:${sender}` : `u:${sender}` },
    customer: { externalId: sender, name },
    text: body.text, downloads: body.downloads,
    route: { robotCode, staffId, openConversationId: group ? cid : undefined, sessionWebhook: webhook, sessionExpiresAt: expires },
    meta, sentAt: at && !Number.isNaN(at.getTime()) ? at : undefined,
  } };
}

/** The message's text and files, by msgtype; kinds with nothing to show are unsupported. */
function bodyOf(v: Partial<RobotMessage>): { kind: 'body'; text: string; downloads: Download[] } | { kind: 'unsupported'; reason: string } {
  const c = v.content && typeof v.content === 'object' ? v.content : {};
  const code = (x: unknown) => (typeof x === 'string' && CODE.test(x) ? x : undefined);
  const name = str(c.fileName, 300)?.replace(/[\\/\u0000-\u001f]/g, '_');
  let text = '';
  const downloads: Download[] = [];
  switch (v.msgtype) {
    case 'text':
      // A group message keeps a space where the robot's @ was cut out.
      text = typeof v.text?.content === 'string' ? v.text.content.trim() : '';
      break;
    case 'picture': {
      const d = code(c.downloadCode) ?? code(c.pictureDownloadCode);
      if (d) downloads.push({ code: d, name: 'picture.png' });
      break;
    }
    case 'richText': {
      const parts = Array.isArray(c.richText) ? c.richText.slice(0, 50) : [];
      const lines: string[] = [];
      for (const p of parts) {
        if (!p || typeof p !== 'object') continue;
        if (typeof p.text === 'string') lines.push(p.text);
        const d = code(p.downloadCode) ?? code(p.pictureDownloadCode);
        if (d && p.type === 'picture' && downloads.length < 10) downloads.push({ code: d, name: `picture-${downloads.length + 1}.png` });
      }
      text = lines.join('').trim();
      break;
    }
    case 'audio': {
      const d = code(c.downloadCode);
      if (d) downloads.push({ code: d, name: 'voice.amr' });
      text = typeof c.recognition === 'string' && c.recognition.trim() ? `[voice] ${c.recognition.trim()}` : '[voice]';
      break;
    }
    case 'video':
    case 'file': {
      const d = code(c.downloadCode);
      if (d) downloads.push({ code: d, name: name ?? (v.msgtype === 'video' ? 'video.mp4' : 'file') });
      break;
    }
    default:
      return { kind: 'body', text: cannotShow(v.msgtype), downloads };
  }
  if (!text && downloads.length === 0) {
    // A text that was only the robot's @ says nothing; anything else the customer sent must reach the agent.
    return v.msgtype === 'text' ? { kind: 'unsupported', reason: 'empty text message' } : { kind: 'body', text: cannotShow(v.msgtype), downloads };
  }
  return { kind: 'body', text, downloads };
}

function cannotShow(msgtype: unknown): string {
  const named = typeof msgtype === 'string' && /^[A-Za-z_]{1,40}$/.test(msgtype) ? `A "${msgtype}" message` : 'A message of a kind kefu does not know';
  return `[${named}: kefu cannot show it]`;
}
