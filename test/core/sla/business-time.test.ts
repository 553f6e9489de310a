import assert from 'node:assert/strict';
import { isOpen, parseHours } from '../../../core/routing/business-hours.js';
import { addBusiness, businessBetween, openSpans, spansBetween } from '../../../core/sla/business-time.js';

const M = 60_000;
const H = 60 * M;
/** Wall time in Shanghai (UTC+8 all year) → UTC ms. 2026-12-07 is a Monday. */
const sh = (d: number, h: number, mi = 0) => Date.UTC(2026, 11, d, h - 8, mi);
const TZ = 'Asia/Shanghai';
const WEEKDAYS = parseHours('mon-fri 09:00-18:00');

describe('sla business time: open time only counts while the queue is open', () => {
  it('an always-open queue counts wall time', () => {
    const s = parseHours('');
    assert.equal(addBusiness(s, TZ, sh(7, 3), 15 * M), sh(7, 3, 15));
    assert.equal(businessBetween(s, TZ, sh(5, 0), sh(7, 0)), 48 * H);
  });

  it('before opening, the clock starts at the opening', () => {
    assert.equal(addBusiness(WEEKDAYS, TZ, sh(7, 7), 15 * M), sh(7, 9, 15));
  });

  it('over a night: 15 minutes from 17:55 end at 09:10 the next morning', () => {
    assert.equal(addBusiness(WEEKDAYS, TZ, sh(7, 17, 55), 15 * M), sh(8, 9, 10));
    assert.equal(businessBetween(WEEKDAYS, TZ, sh(7, 17, 55), sh(8, 9, 10)), 15 * M);
  });

  it('over a weekend: Friday 17:50 plus 15 minutes is Monday 09:05', () => {
    assert.equal(addBusiness(WEEKDAYS, TZ, sh(4, 17, 50), 15 * M), sh(7, 9, 5));
    assert.equal(businessBetween(WEEKDAYS, TZ, sh(4, 17), sh(7, 10)), 2 * H);
    // Nothing counts from Friday night to Monday morning.
    assert.equal(businessBetween(WEEKDAYS, TZ, sh(4, 19), sh(7, 8)), 0);
  });

  it('a window that wraps past midnight counts until its close the next day', () => {
    const nights = parseHours('daily 22:00-06:00');
    assert.equal(addBusiness(nights, TZ, sh(7, 5, 50), 20 * M), sh(7, 22, 10));
    assert.equal(businessBetween(nights, TZ, sh(7, 21), sh(8, 7)), 8 * H);
  });

  it('the time zone is the queue\'s: the same instant is open in one and closed in another', () => {
    const from = Date.UTC(2026, 11, 7, 2, 0); // 10:00 in Shanghai, 02:00 in London
    assert.equal(addBusiness(WEEKDAYS, TZ, from, 30 * M), from + 30 * M);
    assert.equal(addBusiness(WEEKDAYS, 'Europe/London', from, 30 * M), Date.UTC(2026, 11, 7, 9, 30));
  });

  it('across a daylight-saving change (New York, 8 March 2026) the opening stays at 09:00 local', () => {
    const friday = Date.UTC(2026, 2, 6, 21, 30); // Fri 16:30 EST
    const due = addBusiness(parseHours('mon-fri 09:00-17:00'), 'America/New_York', friday, H);
    assert.equal(due, Date.UTC(2026, 2, 9, 13, 30)); // Mon 09:30 EDT
  });

  it('a schedule that never opens makes nothing due, and one open round the clock does not loop', () => {
    assert.equal(addBusiness(parseHours('mon 09:00-09:00'), TZ, sh(7, 8), M), Infinity);
    const allDay = parseHours('daily 00:00-24:00');
    assert.equal(addBusiness(allDay, TZ, sh(1, 12), 30 * 24 * H), sh(1, 12) + 30 * 24 * H);
  });

  it('spans until due are clipped and merged where windows touch', () => {
    assert.deepEqual(spansBetween(WEEKDAYS, TZ, sh(4, 17), sh(7, 10)), [[sh(4, 17), sh(4, 18)], [sh(7, 9), sh(7, 10)]]);
    const touching = parseHours('mon-fri 09:00-12:00; mon-fri 12:00-18:00');
    assert.deepEqual(spansBetween(touching, TZ, sh(7, 8), sh(7, 20)), [[sh(7, 9), sh(7, 18)]]);
  });

  it('agrees with routing\'s isOpen minute by minute (several schedules, zones, and starts)', () => {
    const cases: [string, string][] = [['mon-fri 09:00-18:00', TZ], ['mon-fri 09:00-12:30; mon-fri 13:30-18:00; sat 10:00-16:00', TZ],
      ['daily 22:00-06:00', 'Europe/Berlin'], ['mon-fri 09:00-17:00', 'America/New_York'], ['sun,wed 00:00-24:00', 'Asia/Kolkata']];
    let seed = 7;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    for (const [hours, tz] of cases) {
      const s = parseHours(hours);
      for (let i = 0; i < 3; i++) {
        // Around the March DST change in Europe and America, minute-aligned.
        const from = Math.floor((Date.UTC(2026, 2, 5) + rnd() * 5 * 24 * H) / M) * M;
        const to = from + Math.floor(rnd() * 3 * 24 * 60) * M;
        let open = 0;
        for (let t = from; t < to; t += M) if (isOpen(s, t, tz)) open += M;
        assert.equal(businessBetween(s, tz, from, to), open, `${hours} in ${tz} from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`);
        if (open > 0) assert.ok(addBusiness(s, tz, from, open) <= to, 'the due time of that much open time is within the range');
      }
    }
  });

  it('open spans come in order and never overlap', () => {
    const s = parseHours('mon-fri 08:00-20:00; daily 19:00-02:00');
    let prev = -Infinity;
    let n = 0;
    for (const [a, b] of openSpans(s, TZ, sh(1, 0))) {
      assert.ok(a > prev && b > a, `span ${n}`);
      prev = b;
      if (++n > 30) break;
    }
  });
});
