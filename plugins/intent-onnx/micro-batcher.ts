/**
 * Collects texts that arrive in the same tick and scores them in one model run: under load,
 * many messages share one onnxruntime call; alone, a message waits for nothing (setImmediate).
 */
export class MicroBatcher<T> {
  private pending: { text: string; resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private run: (texts: string[]) => Promise<T[]>, private max: () => number) {}

  score(text: string): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      if (this.pending.length >= this.max()) this.flush();
      else if (!this.scheduled) { this.scheduled = true; setImmediate(() => this.flush()); }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.max());
      this.run(batch.map((p) => p.text)).then(
        (out) => batch.forEach((p, i) => p.resolve(out[i])),
        (err) => batch.forEach((p) => p.reject(err)),
      );
    }
  }
}
