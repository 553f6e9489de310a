/**
 * A queue's SLA policy: the three targets (business-time durations) and what a breach does.
 * The config keeps the strings people wrote ("15m", "1h30m"); they are parsed here, strictly.
 */
export const TARGETS = ['first_response', 'next_response', 'resolution'] as const;
export type TargetName = (typeof TARGETS)[number];

export const BREACH_ACTIONS = ['raise_priority', 'notify'] as const;
export type BreachAction = (typeof BREACH_ACTIONS)[number];

export interface SlaPolicy {
  targets: Partial<Record<TargetName, number>>;
  onBreach: ReadonlySet<BreachAction>;
  raiseTo: number;
}

const UNIT_MS: Record<string, number> = { h: 3600_000, m: 60_000, s: 1000 };
const MAX_MS = 90 * 24 * 3600_000;

/**
 * "15m", "1h", "1h30m", "90s" → ms. Days are refused on purpose: a "day" of business hours is
 * ambiguous (24 open hours, or one opening day?), so a target says its hours ("48h").
 */
export function parseDuration(text: string): number {
  const t = text.trim();
  const m = t.match(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/);
  if (!m || !t) {
    if (/^\d+\s*d$/.test(t)) throw new Error(`"${text}": write days as hours of business time ("${Number.parseInt(t, 10) * 24}h" or "${Number.parseInt(t, 10) * 9}h")`);
    throw new Error(`"${text}" is not a duration like "15m", "1h" or "1h30m"`);
  }
  const ms = Number(m[1] ?? 0) * UNIT_MS.h + Number(m[2] ?? 0) * UNIT_MS.m + Number(m[3] ?? 0) * UNIT_MS.s;
  if (ms <= 0) throw new Error(`"${text}": a target must be longer than zero`);
  if (ms > MAX_MS) throw new Error(`"${text}": longer than 90 days (2160h)`);
  return ms;
}

/** The queue's `sla` table (already validated by the config schema) → policy; undefined when the queue has no target. */
export function policyOf(spec: { first_response?: string; next_response?: string; resolution?: string; on_breach: readonly BreachAction[]; raise_to: number } | undefined): SlaPolicy | undefined {
  if (!spec) return undefined;
  const targets: SlaPolicy['targets'] = {};
  for (const t of TARGETS) if (spec[t]) targets[t] = parseDuration(spec[t]!);
  if (Object.keys(targets).length === 0) return undefined;
  return { targets, onBreach: new Set(spec.on_breach), raiseTo: spec.raise_to };
}
