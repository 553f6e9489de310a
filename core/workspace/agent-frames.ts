/** Frames the workspace sends over /ws/agent, parsed without throwing. */
export type AgentFrame =
  | { type: 'open'; conversationId: string; after: number }
  | { type: 'leave'; conversationId: string }
  | { type: 'send'; conversationId: string; clientId: string; text?: string; attachments?: { mediaId: string }[]; caption?: string; private?: boolean }
  | { type: 'typing'; conversationId: string; seq?: number }
  | { type: 'read'; conversationId: string; seq?: number }
  | { type: 'status'; status: 'online' | 'away' }
  | { type: 'ping' };

export type ParsedAgentFrame =
  | { kind: 'frame'; frame: AgentFrame }
  | { kind: 'invalid'; code: 'invalid_json' | 'validation_failed' | 'payload_too_large'; message: string; clientId?: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX = 256 * 1024;

export function parseAgentFrame(raw: string): ParsedAgentFrame {
  if (raw.length > MAX) return { kind: 'invalid', code: 'payload_too_large', message: 'Frame too large.' };
  let v: any;
  try { v = JSON.parse(raw); } catch { return { kind: 'invalid', code: 'invalid_json', message: 'The frame is not valid JSON.' }; }
  if (!v || typeof v !== 'object') return bad('A frame is an object with a "type".');
  const convOk = typeof v.conversationId === 'string' && ID.test(v.conversationId);
  switch (v.type) {
    case 'ping': return ok({ type: 'ping' });
    case 'status':
      return v.status === 'online' || v.status === 'away' ? ok({ type: 'status', status: v.status }) : bad('status must be online or away');
    case 'open':
      if (!convOk) return bad('conversationId is required');
      if (v.after !== undefined && !(Number.isInteger(v.after) && v.after >= 0)) return bad('after must be a non-negative integer');
      return ok({ type: 'open', conversationId: v.conversationId, after: v.after ?? 0 });
    case 'leave':
      return convOk ? ok({ type: 'leave', conversationId: v.conversationId }) : bad('conversationId is required');
    case 'typing':
    case 'read':
      return convOk ? ok({ type: v.type, conversationId: v.conversationId, seq: Number.isInteger(v.seq) ? v.seq : undefined }) : bad('conversationId is required');
    case 'send': {
      if (typeof v.clientId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(v.clientId)) return bad('clientId must be 8-64 characters of [A-Za-z0-9_-]');
      if (!convOk) return bad('conversationId is required', v.clientId);
      if ((typeof v.text === 'string') === Array.isArray(v.attachments)) return bad('send needs either text or attachments', v.clientId);
      return ok({ type: 'send', conversationId: v.conversationId, clientId: v.clientId, text: v.text, attachments: v.attachments,
        caption: typeof v.caption === 'string' ? v.caption : undefined, private: v.private === true });
    }
    default: return bad('Unknown frame type.');
  }
}

const ok = (frame: AgentFrame): ParsedAgentFrame => ({ kind: 'frame', frame });
const bad = (message: string, clientId?: string): ParsedAgentFrame => ({ kind: 'invalid', code: 'validation_failed', message, clientId });
