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

  /** The client says it has every seq up to `seq` (an 'open' after it). */
  hasUpTo(seq: number): void {
    if (seq <= this.upTo) return;
    this.upTo = seq;
    for (const s of this.ahead) if (s <= seq) this.ahead.delete(s);
    while (this.ahead.delete(this.upTo + 1)) this.upTo++;
  }

  private skipGap(): void {
    this.hasUpTo(Math.max(...this.ahead));
  }
}
