/**
 * Collects texts and scores them in few model runs: texts that arrive in the same tick go in one
 * run, and texts that arrive while a run is in progress wait for it and go together in the next.
 * Under load many messages (and POST /v1/intent requests) share one onnxruntime call; alone, a
 * text waits for nothing but the next tick (setImmediate). One run at a time costs no
 * parallelism: onnxruntime-node runs a session on the main thread anyway.
 */
export class MicroBatcher<T> {
  private pending: { text: string; resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private running = false;

  constructor(private run: (texts: string[]) => Promise<T[]>, private max: () => number) {}

  score(text: string): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      if (this.running) return; // the run in progress flushes when it ends
      if (this.pending.length >= this.max()) this.flush();
      else if (!this.scheduled) { this.scheduled = true; setImmediate(() => this.flush()); }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.running || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.max());
    this.running = true;
    let out: Promise<T[]>;
    try { out = this.run(batch.map((p) => p.text)); } catch (err) { out = Promise.reject(err); }
    out.then(
      (res) => batch.forEach((p, i) => p.resolve(res[i])),
      (err) => batch.forEach((p) => p.reject(err)),
    ).finally(() => {
      this.running = false;
      this.flush();
    });
  }
}
