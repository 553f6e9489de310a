import type { EpochReport } from './trainer.js';

/** Where progress goes: process.stderr, or a test's buffer. */
export interface ProgressOut { write(s: string): unknown; isTTY?: boolean }

/** `35 ms`, `1.5 s`, `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 0.9995) return `${Math.round(s * 1000)} ms`;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  const min = Math.round(total / 60);
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/** One epoch as a line; the time left is the mean epoch time so far × the epochs left. */
export function progressLine(r: EpochReport): string {
  const mean = r.seconds / Math.max(1, r.epoch);
  const left = r.epoch >= r.epochs ? 'done' : `${formatDuration(mean * (r.epochs - r.epoch))} left`;
  const valid = r.validAccuracy === undefined ? '' : `  valid ${(100 * r.validAccuracy).toFixed(2)}%`;
  return `epoch ${String(r.epoch).padStart(String(r.epochs).length)}/${r.epochs}  loss ${r.loss.toFixed(4)}${valid}  ${formatDuration(mean)}/epoch  ${left}`;
}

/**
 * `kefu train`'s progress: on a terminal one line rewritten in place; anywhere else (CI logs,
 * a file) one line per epoch, since a carriage return there just piles the lines up unreadably.
 */
export class TrainProgress {
  private open = false;

  constructor(private out: ProgressOut) {}

  epoch(r: EpochReport): void {
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K  ${progressLine(r)}`);
      this.open = true;
    } else {
      this.out.write(`  ${progressLine(r)}\n`);
    }
  }

  /** Ends the rewritten line, so what follows starts on its own. */
  end(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}
