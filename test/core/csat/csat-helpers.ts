import { eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, json, loginAgent, type FrameSocket } from '../../helpers/clients.js';
import type { Csat } from '../../../core/model/message.js';

/** The queue `general` with a survey `delay_s` after resolution, and `extra` TOML after it. */
export function csatConfig(delayS = 60, extra = ''): string {
  return `[routing]\ndefault_queue = "general"\n[[routing.queues]]\nname = "general"\n[routing.queues.csat]\nenabled = true\ndelay_s = ${delayS}\ncomment_window_s = 3600\n${extra}`;
}

/** A settable clock for the gateway's outbox and surveys. */
export function fakeClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance(ms: number) { t += ms; } };
}

/** Closes a conversation as its agent does in the workspace. */
export async function closeConversation(gw: TestGateway, agentToken: string, conversationId: string): Promise<void> {
  const r = await json(`${gw.workspaceUrl}/api/conversations/${conversationId}/close`, { method: 'POST', headers: { Authorization: `Bearer ${agentToken}` }, json: {} });
  if (r.status !== 200) throw new Error(`close failed: ${JSON.stringify(r.body)}`);
}

/** Lets the survey fall due on the fake clock and the outbox send it. */
export async function surveyDue(gw: TestGateway, clock: ReturnType<typeof fakeClock>, ms: number, conversationId: string): Promise<void> {
  clock.advance(ms);
  await eventually(async () => {
    await gw.outbox.pump();
    return (await gw.store.getConversation(conversationId))?.csat?.state === 'asked';
  }, 'the survey to be asked');
  await gw.outbox.pump();
}

/** The conversation's survey record once it has a rating. */
export async function rated(gw: TestGateway, conversationId: string): Promise<Csat> {
  return eventually<Csat | undefined>(async () => {
    const c = (await gw.store.getConversation(conversationId))?.csat;
    return c?.state === 'answered' ? c : undefined;
  }, 'the rating to be stored') as Promise<Csat>;
}

/**
 * The common story on any channel: the customer writes (through the vendor's fake), the admin
 * agent, online in the workspace, gets the conversation, answers over the agent socket and closes
 * it; the survey falls due. Returns the conversation id once the survey is asked.
 */
export async function agentClosesAfterReply(gw: TestGateway, clock: ReturnType<typeof fakeClock>, customerWrites: () => Promise<unknown>,
  delayMs = 60_000): Promise<string> {
  const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  const agent = await connectAgent(gw.workspaceUrl, token);
  try {
    await customerWrites();
    const id = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation.id;
    const clientId = cid();
    agent.send({ type: 'send', conversationId: id, clientId, text: 'Your parcel arrives tomorrow.' });
    await agent.wait((f) => f.type === 'ack' && f.clientId === clientId);
    await gw.outbox.pump();
    await closeConversation(gw, token, id);
    await surveyDue(gw, clock, delayMs, id);
    return id;
  } finally {
    await agent.close();
  }
}

export const SURVEY_TEXT = /1 \(poor\) to 5 \(excellent\)/;

const rateSeen = new WeakMap<FrameSocket, Set<string>>();
/**
 * A new web visitor writes, `agent` (the admin's socket, online) gets the conversation and closes
 * it, the survey falls due (61 s on the clock of `csatConfig(60)`), and with `rating` the visitor
 * answers with the digit. Returns the conversation id.
 */
export async function webRated(gw: TestGateway, clock: ReturnType<typeof fakeClock>, agentToken: string, agent: FrameSocket, rating?: number): Promise<string> {
  const seen = rateSeen.get(agent) ?? new Set<string>();
  rateSeen.set(agent, seen);
  const v = await connectVisitor(gw.publicUrl);
  try {
    v.socket.send({ type: 'send', clientId: cid(), text: 'Where is my parcel?' });
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned' && !seen.has(f.conversation.id))).conversation;
    seen.add(conv.id);
    await closeConversation(gw, agentToken, conv.id);
    await surveyDue(gw, clock, 61_000, conv.id);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat');
    if (rating !== undefined) {
      const clientId = cid();
      v.socket.send({ type: 'send', clientId, text: String(rating) });
      await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
      await rated(gw, conv.id);
    }
    return conv.id;
  } finally {
    await v.socket.close();
  }
}
