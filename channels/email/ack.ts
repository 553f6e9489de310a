import type { ChannelState } from '../contract.js';

export const DEFAULT_ACK_TEXT = [
  '您好，我们已收到您的邮件（工单号 {ticket}：{subject}）。客服会尽快回复；如需补充信息，直接回复本邮件即可。',
  '',
  'Hello, we have received your e-mail (ticket {ticket}: {subject}). An agent will answer soon; to add anything, simply reply to this mail.',
].join('\n');

export function ackText(template: string | undefined, ticket: string, subject: string): string {
  return (template ?? DEFAULT_ACK_TEXT).replaceAll('{ticket}', ticket).replaceAll('{subject}', subject.trim() || '—');
}

const HOUR_MS = 3_600_000;

/**
 * Acknowledgements per sender address in the last hour, in ctx.state (`ack-rate:<address>`),
 * so a restart does not reset the count a mail storm would otherwise exploit. Takes are
 * serialized: two mails from one sender at once must not both slip under the limit.
 */
export class AckLimiter {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private state: ChannelState, private now: () => number = Date.now) {}

  /** True (and counted) when `sender` may get one more acknowledgement this hour. */
  take(sender: string, perHour: number): Promise<boolean> {
    const run = this.chain.catch(() => undefined).then(async () => {
      const key = `ack-rate:${sender.toLowerCase()}`;
      const now = this.now();
      const recent = (JSON.parse((await this.state.get(key)) ?? '[]') as number[]).filter((t) => now - t < HOUR_MS);
      if (recent.length >= perHour) return false;
      await this.state.set(key, JSON.stringify([...recent, now]));
      return true;
    });
    this.chain = run;
    return run;
  }
}
