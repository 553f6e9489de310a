import { eventually, type TestGateway } from '../../helpers/gateway.js';
import { json } from '../../helpers/clients.js';
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
