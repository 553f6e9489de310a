/**
 * Business hours: "mon-fri 09:00-18:00; sat 10:00-16:00" (days: mon…sun, ranges, "daily";
 * a close before the open wraps past midnight). Empty = always open. Evaluated in an IANA
 * time zone with Intl, so no tz database ships with kefu.
 */
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface Schedule { always: boolean; windows: { days: Set<number>; open: number; close: number }[]; text: string }

export function parseHours(text: string): Schedule {
  const t = text.trim();
  if (!t) return { always: true, windows: [], text: '' };
  const windows = t.split(';').map((part) => {
    const m = part.trim().toLowerCase().match(/^([a-z,\- ]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/);
    if (!m) throw new Error(`"${part.trim()}" is not like "mon-fri 09:00-18:00"`);
    const days = new Set<number>();
    for (const spec of m[1].split(',').map((s) => s.trim())) {
      if (spec === 'daily') { DAYS.forEach((_, i) => days.add(i)); continue; }
      const [a, b] = spec.split('-').map((d) => DAYS.indexOf(d.trim()));
      if (a < 0 || (spec.includes('-') && b < 0)) throw new Error(`unknown day in "${spec}"`);
      for (let d = a; ; d = (d + 1) % 7) { days.add(d); if (!spec.includes('-') || d === b) break; }
    }
    const open = Number(m[2]) * 60 + Number(m[3]);
    const close = Number(m[4]) * 60 + Number(m[5]);
    if (open > 24 * 60 || close > 24 * 60 || Number(m[3]) > 59 || Number(m[5]) > 59) throw new Error(`bad time in "${part.trim()}"`);
    return { days, open, close };
  });
  return { always: false, windows, text: t };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(ms: number, tz: string): { day: number; minute: number } {
  let f = formatters.get(tz);
  if (!f) formatters.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  const parts = Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
  return { day: DAYS.indexOf(parts.weekday.toLowerCase().slice(0, 3)), minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

export function isOpen(s: Schedule, ms: number, tz: string): boolean {
  if (s.always) return true;
  const { day, minute } = localParts(ms, tz);
  const yesterday = (day + 6) % 7;
  return s.windows.some((w) => w.open <= w.close
    ? w.days.has(day) && minute >= w.open && minute < w.close
    : (w.days.has(day) && minute >= w.open) || (w.days.has(yesterday) && minute < w.close));
}

export function validTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
}
