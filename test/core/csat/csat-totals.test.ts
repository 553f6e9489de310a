import assert from 'node:assert/strict';
import { CsatTotals } from '../../../core/csat/csat-totals.js';
import type { Conversation, Csat } from '../../../core/model/message.js';

const H = 3_600_000;
/** A local noon, so "today" and "six days ago" are plain calendar days whatever TZ the tests run in. */
const NOON = new Date(2026, 5, 15, 12, 0, 0).getTime();

function conv(id: string, queue: string, agent: string | undefined, csat?: Partial<Csat>): Conversation {
  return { id, queue, assigneeId: agent, status: 'resolved', csat: csat && { state: 'asked', dueAt: new Date(0), ...csat } } as unknown as Conversation;
}
const asked = (at: number): Partial<Csat> => ({ state: 'asked', askedAt: new Date(at) });
const answered = (askedAt: number, at: number, rating: number): Partial<Csat> => ({ state: 'answered', askedAt: new Date(askedAt), answeredAt: new Date(at), rating });

describe('CSAT totals for the supervisor view (fake clock)', () => {
  let t: number;
  let totals: CsatTotals;
  beforeEach(() => { t = NOON; totals = new CsatTotals(() => t); });

  it('counts per queue and per agent: answered, average, share of 4–5, asked, response rate', () => {
    totals.notice(conv('a', 'sales', 'ann', answered(NOON - 3 * H, NOON - 2 * H, 5)));
    totals.notice(conv('b', 'sales', 'bob', answered(NOON - 3 * H, NOON - H, 2)));
    totals.notice(conv('c', 'sales', 'ann', asked(NOON - H)));
    totals.notice(conv('d', 'billing', 'ann', answered(NOON - H, NOON - H, 4)));
    const { today } = totals.summary();
    assert.deepEqual(today.queues, [
      { queue: 'billing', asked: 1, answered: 1, average: 4, csatPct: 100, responsePct: 100 },
      { queue: 'sales', asked: 3, answered: 2, average: 3.5, csatPct: 50, responsePct: 67 },
    ]);
    assert.deepEqual(today.agents, [
      { agentId: 'ann', asked: 3, answered: 2, average: 4.5, csatPct: 100, responsePct: 67 },
      { agentId: 'bob', asked: 1, answered: 1, average: 2, csatPct: 0, responsePct: 100 },
    ]);
  });

  it('window edges: local midnight starts today, the seventh day back is in the week, the eighth is not', () => {
    const midnight = new Date(2026, 5, 15).getTime();
    const sixDaysBack = new Date(2026, 5, 9).getTime();
    totals.notice(conv('today', 'q', 'ann', answered(midnight, midnight, 5)));
    totals.notice(conv('yesterday', 'q', 'ann', answered(midnight - 1, midnight - 1, 1)));
    totals.notice(conv('day7', 'q', 'ann', answered(sixDaysBack, sixDaysBack, 3)));
    totals.notice(conv('day8', 'q', 'ann', answered(sixDaysBack - 1, sixDaysBack - 1, 3)));
    let s = totals.summary();
    assert.equal(s.today.queues[0].answered, 1);
    assert.equal(s.today.queues[0].average, 5);
    assert.equal(s.week.queues[0].answered, 3);
    assert.equal(s.week.queues[0].average, 3);
    // A day later, yesterday's ratings leave "today" and the oldest leaves the week.
    t += 24 * H;
    s = totals.summary();
    assert.deepEqual(s.today.queues, []);
    assert.equal(s.week.queues[0].answered, 2);
    assert.deepEqual([s.week.queues[0].average, s.week.queues[0].csatPct], [3, 50]);
  });

  it('a survey asked yesterday and answered today counts asked in the week only, answered in both; response rate follows', () => {
    totals.notice(conv('x', 'q', 'ann', asked(NOON - 24 * H)));
    assert.deepEqual(totals.summary().week.queues[0], { queue: 'q', asked: 1, answered: 0, average: null, csatPct: null, responsePct: 0 });
    totals.notice(conv('x', 'q', 'ann', answered(NOON - 24 * H, NOON, 4)));
    const s = totals.summary();
    assert.deepEqual(s.today.queues[0], { queue: 'q', asked: 0, answered: 1, average: 4, csatPct: 100, responsePct: null });
    assert.deepEqual(s.week.queues[0], { queue: 'q', asked: 1, answered: 1, average: 4, csatPct: 100, responsePct: 100 });
  });

  it('the same change twice counts once; a rating stays with its queue and agent after a reopen and transfer', () => {
    const c = conv('a', 'sales', 'ann', answered(NOON - H, NOON - H, 5));
    totals.notice(c);
    totals.notice(c);
    totals.notice(conv('a', 'billing', undefined, answered(NOON - H, NOON - H, 5)));
    assert.deepEqual(totals.summary().today.queues.map((q) => [q.queue, q.answered]), [['sales', 1]]);
    assert.deepEqual(totals.summary().today.agents.map((a) => a.agentId), ['ann']);
  });

  it('ignores conversations without a survey or only scheduled, and drops one whose survey was withdrawn', () => {
    totals.notice(conv('none', 'q', 'ann'));
    totals.notice(conv('later', 'q', 'ann', { state: 'scheduled' }));
    totals.notice(conv('w', 'q', 'ann', asked(NOON - H)));
    assert.equal(totals.summary().today.queues[0].asked, 1);
    totals.notice(conv('w', 'q', 'ann'));
    assert.deepEqual(totals.summary().today.queues, []);
  });

  it('rebuilds from the store with one bounded query of resolved conversations, skipping older ones', async () => {
    const seen: unknown[] = [];
    const truncated = await totals.restore(async (q) => {
      seen.push(q);
      return [conv('new', 'q', 'ann', answered(NOON - H, NOON - H, 4)), conv('old', 'q', 'ann', answered(NOON - 30 * 24 * H, NOON - 30 * 24 * H, 1))];
    });
    assert.equal(truncated, false);
    assert.deepEqual(seen, [{ status: ['resolved'], updatedSince: new Date(2026, 5, 9), limit: 20_000 }]);
    assert.deepEqual(totals.summary().week.queues.map((x) => [x.answered, x.average]), [[1, 4]]);
  });
});
