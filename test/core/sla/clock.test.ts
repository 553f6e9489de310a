import assert from 'node:assert/strict';
import { parseHours } from '../../../core/routing/business-hours.js';
import { nextChange, slaClocks, slaView, type Hours, type Turn, type TurnKind } from '../../../core/sla/clock.js';
import { insertTurn, receivedAt, turnOf } from '../../../core/sla/timeline.js';
import { newId } from '../../../core/model/ids.js';
import type { Message } from '../../../core/model/message.js';
import { parseDuration, policyOf, type SlaPolicy, type TargetName } from '../../../core/sla/targets.js';

const M = 60_000;
const H = 60 * M;
/** Shanghai wall time (UTC+8) on December 2026 day `d` (7 = Monday) → ms: the fake clock. */
const sh = (d: number, h: number, mi = 0) => Date.UTC(2026, 11, d, h - 8, mi);
const OFFICE: Hours = { schedule: parseHours('mon-fri 09:00-18:00'), tz: 'Asia/Shanghai' };
const policy = (t: Partial<Record<TargetName, string>>): SlaPolicy =>
  policyOf({ ...t, on_breach: ['notify'], raise_to: 10 })!;
const P = policy({ first_response: '15m', next_response: '1h', resolution: '4h' });

let seq = 0;
const turn = (kind: TurnKind, at: number): Turn => ({ seq: ++seq, at, kind });
const clock = (start: number, turns: Turn[], now: number, p = P, hours = OFFICE) =>
  Object.fromEntries(slaClocks({ start, turns }, p, hours, now).map((c) => [c.target, c]));

describe('sla clocks (business hours, fake clock)', () => {
  it('first response runs from the start and counts only open time', () => {
    const c = clock(sh(7, 9), [turn('customer', sh(7, 9))], sh(7, 9, 5));
    assert.equal(c.first_response.state, 'running');
    assert.equal(c.first_response.dueAt, sh(7, 9, 15));
    assert.equal(c.first_response.leftMs, 10 * M);
    assert.equal(c.next_response, undefined, 'no next-response clock before the first reply');
    assert.equal(c.resolution.state, 'running');
    assert.equal(c.resolution.dueAt, sh(7, 13));
  });

  it('over a night: written at 17:55, it is due at 09:10 and still has 10 minutes at midnight', () => {
    const c = clock(sh(7, 17, 55), [turn('customer', sh(7, 17, 55))], sh(8, 0));
    assert.equal(c.first_response.dueAt, sh(8, 9, 10));
    assert.equal(c.first_response.leftMs, 10 * M);
  });

  it('over a weekend: written Friday 17:58, due Monday 09:13; a breach only once Monday passes it', () => {
    const start = sh(4, 17, 58);
    const turns = [turn('customer', start)];
    assert.equal(clock(start, turns, sh(6, 12)).first_response.state, 'running');
    const late = clock(start, turns, sh(7, 9, 13));
    assert.equal(late.first_response.state, 'breached');
    assert.equal(late.first_response.dueAt, sh(7, 9, 13));
  });

  it('a reply in time is met; a late one stays breached with when it came', () => {
    const start = sh(7, 10);
    const met = clock(start, [turn('customer', start), turn('reply', sh(7, 10, 14))], sh(7, 12));
    assert.equal(met.first_response.state, 'met');
    assert.equal(met.first_response.stoppedAt, sh(7, 10, 14));
    const late = clock(start, [turn('customer', start), turn('reply', sh(7, 10, 20))], sh(7, 12));
    assert.equal(late.first_response.state, 'breached');
    assert.equal(late.first_response.stoppedAt, sh(7, 10, 20));
  });

  it('which messages move a clock: public customer messages, agent and bot replies, the resolution; no notice or note', () => {
    const msg = (o: Partial<Message>): Message => ({ id: newId('M'), seq: 1, conversationId: 'C1', direction: 'outbound', from: { id: 'a1', role: 'agent' },
      content: { kind: 'text', text: 'x' }, sentAt: new Date(0), ...o });
    assert.equal(turnOf(msg({ direction: 'inbound', from: { id: 'c', role: 'customer' } })), 'customer');
    assert.equal(turnOf(msg({})), 'reply');
    assert.equal(turnOf(msg({ from: { id: 'bot', role: 'bot' } })), 'reply');
    assert.equal(turnOf(msg({ private: true })), undefined, 'a private note is no reply');
    assert.equal(turnOf(msg({ from: { id: 'system', role: 'system' }, content: { kind: 'event', event: 'notice', text: 'We are closed' } })), undefined);
    assert.equal(turnOf(msg({ from: { id: 'system', role: 'system' }, content: { kind: 'event', event: 'resolved' } })), 'resolved');
    // The gateway's receive time, from the id, not a vendor's sentAt.
    const before = Date.now();
    const m = msg({ sentAt: new Date(0) });
    assert.ok(receivedAt(m) >= before && receivedAt(m) <= Date.now());
  });

  it('after a reply the next-response clock is paused; the customer\'s next message starts it, and more messages do not restart it', () => {
    const start = sh(7, 10);
    const base = [turn('customer', start), turn('reply', sh(7, 10, 5))];
    const paused = clock(start, base, sh(7, 15));
    assert.equal(paused.next_response.state, 'paused');
    assert.equal(paused.next_response.dueAt, undefined);
    const asked = [...base, turn('customer', sh(7, 15)), turn('customer', sh(7, 15, 40))];
    const running = clock(start, asked, sh(7, 15, 50));
    assert.equal(running.next_response.state, 'running');
    assert.equal(running.next_response.startedAt, sh(7, 15));
    assert.equal(running.next_response.dueAt, sh(7, 16));
    assert.equal(running.next_response.leftMs, 10 * M);
    // Asked at 17:30: half an hour today, half an hour tomorrow from 09:00.
    const evening = clock(start, [...base, turn('customer', sh(7, 17, 30))], sh(7, 20));
    assert.equal(evening.next_response.dueAt, sh(8, 9, 30));
    assert.equal(evening.next_response.leftMs, 30 * M);
  });

  it('resolution is paused while waiting on the customer and resumes with their message', () => {
    const start = sh(7, 9);
    const turns = [turn('customer', start), turn('reply', sh(7, 9, 10)), turn('customer', sh(7, 11))];
    const waiting = clock(start, turns.slice(0, 2), sh(7, 17));
    assert.equal(waiting.resolution.state, 'paused');
    assert.equal(waiting.resolution.leftMs, 4 * H - 10 * M);
    const resumed = clock(start, turns, sh(7, 11, 30));
    assert.equal(resumed.resolution.state, 'running');
    assert.equal(resumed.resolution.leftMs, 4 * H - 40 * M);
    assert.equal(resumed.resolution.dueAt, sh(7, 14, 50));
  });

  it('resolution falls due at the instant the open time spent waiting on the agent reaches the target', () => {
    const start = sh(7, 9);
    const turns = [turn('customer', start), turn('reply', sh(7, 12)), turn('customer', sh(7, 16)), turn('reply', sh(7, 17, 30))];
    const c = clock(start, turns, sh(7, 18));
    assert.equal(c.resolution.state, 'breached');
    assert.equal(c.resolution.dueAt, sh(7, 17), '3 h in the morning + 1 h from 16:00');
    assert.equal(c.resolution.stoppedAt, undefined, 'still open: an active breach');
  });

  it('resolving stops every clock; a reopened conversation starts a next-response cycle and continues its resolution clock', () => {
    const start = sh(7, 9);
    const turns = [turn('customer', start), turn('reply', sh(7, 9, 5)), turn('customer', sh(7, 10)), turn('reply', sh(7, 10, 30)), turn('resolved', sh(7, 11))];
    const done = clock(start, turns, sh(8, 12));
    assert.equal(done.first_response.state, 'met');
    assert.equal(done.next_response.state, 'met');
    assert.equal(done.resolution.state, 'met');
    assert.equal(done.resolution.stoppedAt, sh(7, 11));
    assert.equal(nextChange(Object.values(done)), Infinity, 'nothing runs after the resolution');
    const reopened = clock(start, [...turns, turn('customer', sh(8, 10))], sh(8, 10, 20));
    assert.equal(reopened.next_response.state, 'running');
    assert.equal(reopened.next_response.dueAt, sh(8, 11));
    // 5 min + 30 min spent before, 20 min since the reopening.
    assert.equal(reopened.resolution.leftMs, 4 * H - 55 * M);
  });

  it('the queue\'s time zone decides: the same conversation is due at different instants in Shanghai and London', () => {
    const start = Date.UTC(2026, 11, 7, 2); // Monday 10:00 in Shanghai, 02:00 in London
    const p = policy({ first_response: '30m' });
    const turns = [turn('customer', start)];
    assert.equal(clock(start, turns, start, p).first_response.dueAt, start + 30 * M);
    assert.equal(clock(start, turns, start, p, { schedule: OFFICE.schedule, tz: 'Europe/London' }).first_response.dueAt, Date.UTC(2026, 11, 7, 9, 30));
  });

  it('only configured targets have clocks', () => {
    const c = clock(sh(7, 9), [turn('customer', sh(7, 9)), turn('reply', sh(7, 9, 1))], sh(7, 10), policy({ next_response: '1h' }));
    assert.deepEqual(Object.keys(c), ['next_response']);
  });

  it('the view carries the open spans until due, so the workspace counts down over nights without the schedule', () => {
    const start = sh(7, 17, 55);
    const clocks = slaClocks({ start, turns: [turn('customer', start)] }, policy({ first_response: '15m' }), OFFICE, sh(7, 18, 30));
    const v = slaView(clocks, OFFICE, sh(7, 18, 30));
    assert.deepEqual(v.targets[0].spans, [[sh(8, 9), sh(8, 9, 10)]]);
    assert.equal(v.at, sh(7, 18, 30));
  });

  it('events arriving out of seq order are kept in seq order, and compaction changes no clock', () => {
    const turns: Turn[] = [];
    insertTurn(turns, { seq: 2, at: sh(7, 9, 1), kind: 'reply' }); // a bot's answer is announced first
    insertTurn(turns, { seq: 1, at: sh(7, 9, 1), kind: 'customer' });
    assert.deepEqual(turns.map((t) => t.seq), [1, 2]);
    assert.equal(insertTurn(turns, { seq: 2, at: 0, kind: 'reply' }), false, 'a repeat is ignored');
    // A long exchange: the compacted list gives the same clocks as the full one.
    const full: Turn[] = [];
    const compact: Turn[] = [];
    let t = sh(7, 9);
    for (let i = 1; i <= 200; i++) {
      t += 7 * M;
      const x: Turn = { seq: i, at: t, kind: i % 5 === 0 ? 'reply' : 'customer' };
      full.push(x);
      insertTurn(compact, { ...x });
    }
    assert.ok(compact.length < full.length / 2, `compacted to ${compact.length}`);
    const p = policy({ first_response: '15m', next_response: '20m', resolution: '40h' });
    const always: Hours = { schedule: parseHours(''), tz: 'Asia/Shanghai' };
    assert.deepEqual(slaClocks({ start: sh(7, 9), turns: compact }, p, always, t + H), slaClocks({ start: sh(7, 9), turns: full }, p, always, t + H));
  });
});

describe('sla targets in config', () => {
  it('parses durations strictly', () => {
    assert.equal(parseDuration('15m'), 15 * M);
    assert.equal(parseDuration('1h30m'), 90 * M);
    assert.equal(parseDuration('90s'), 90_000);
    for (const bad of ['', '15', '15 m', '1.5h', 'm', '0m', '1m1h', '-5m', '3000h']) assert.throws(() => parseDuration(bad), Error, bad);
    assert.throws(() => parseDuration('2d'), /48h/, 'days are refused with a hint');
  });

  it('a queue without targets has no policy', () => {
    assert.equal(policyOf(undefined), undefined);
    assert.equal(policyOf({ on_breach: ['notify'], raise_to: 10 }), undefined);
    assert.deepEqual(policy({ resolution: '24h' }).targets, { resolution: 24 * H });
  });
});
