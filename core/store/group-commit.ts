/**
 * Group commit: writes queue up for at most `intervalMs` and commit together in one
 * transaction (one fsync for many messages). If the batch transaction fails, each write is
 * retried alone so one bad write is rejected without taking its companions down with it.
 */
export interface Batcher {
  /** Runs `write` inside a transaction; resolves once that transaction has committed. */
  enqueue(write: () => void): Promise<void>;
  flush(): void;
  readonly pending: number;
}

interface Pending { write: () => void; resolve: () => void; reject: (err: unknown) => void }

export function createBatcher(
  transaction: (run: () => void) => void,
  intervalMs: number,
  onCommit?: (size: number, seconds: number) => void,
): Batcher {
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  function flush(): void {
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    const started = performance.now();
    try {
      transaction(() => { for (const p of batch) p.write(); });
      onCommit?.(batch.length, (performance.now() - started) / 1000);
      for (const p of batch) p.resolve();
    } catch {
      for (const p of batch) {
        try {
          transaction(p.write);
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  return {
    enqueue(write) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        if (timer === undefined) timer = intervalMs > 0 ? setTimeout(flush, intervalMs) : setImmediate(flush);
      });
    },
    flush() {
      if (timer !== undefined) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
      }
      flush();
    },
    get pending() { return queue.length; },
  };
}
