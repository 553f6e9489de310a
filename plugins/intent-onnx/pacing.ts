/** Night pacing: how long the bot waits before replying at `now` (ms), in the given time zone. */
export function pacingDelayMs(now: number, p: { enabled: boolean; from: string; to: string; delay_s: number }, tz: string): number {
  if (!p.enabled || p.delay_s <= 0) return 0;
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(now).map((x) => [x.type, x.value]));
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const from = toMin(p.from), to = toMin(p.to);
  const inside = from <= to ? minute >= from && minute < to : minute >= from || minute < to;
  return inside ? p.delay_s * 1000 : 0;
}
