/** Past this many out-of-order seqs the gap is taken as one the socket will never be sent (it began watching mid-way). */
const MAX_AHEAD = 200;

/**
 * The seqs one agent socket got of one conversation: every seq up to `upTo`, and those above it
 * that arrived past a gap (a live event lost between nodes while a later one came through). A
 * resync sends what follows `upTo` minus those, so a lost message arrives once and nothing twice.
 */
export class SeenSeqs {
  upTo = 0;
  private ahead = new Set<number>();

  has(seq: number): boolean { return seq <= this.upTo || this.ahead.has(seq); }

  add(seq: number): void {
    if (seq <= this.upTo) return;
    if (seq !== this.upTo + 1) {
      this.ahead.add(seq);
      if (this.ahead.size > MAX_AHEAD) this.skipGap();
      return;
    }
    this.upTo = seq;
    while (this.ahead.delete(this.upTo + 1)) this.upTo++;
  }

  private skipGap(): void {
    this.upTo = Math.max(this.upTo, ...this.ahead);
    this.ahead.clear();
  }
}
