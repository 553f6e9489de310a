import { SeenSeqs } from '../workspace/seen-seqs.js';

/** A gap may be a late copy still on its way (two nodes' publishes keep no order between them): this long before it counts. */
const GRACE_MS = 1000;
/** Conversations followed at once; the least recently heard of is forgotten first (it starts afresh if heard of again). */
const MAX_CONVERSATIONS = 20_000;

/**
 * Cluster mode: notices a message this node never heard of. A node killed after storing (and
 * acknowledging) a message but before publishing it leaves a hole in the seqs the others hear of
 * that conversation; a later message (from any node) shows it. A hole still open after the grace
 * asks for a resync (the same one as after a Redis outage: every socket gets from the store what
 * it has not had, once), at most one per grace period however many holes a dead node left.
 * A seq that was never used (a refused write hands its seq back unless a later one was taken)
 * costs one needless resync.
 */
export class SeqGaps {
  private seen = new Map<string, { seqs: SeenSeqs; top: number }>();
  /** Conversations with a hole, checked when the grace is over. */
  private holes = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private resync: () => void, private graceMs = GRACE_MS) {}

  saw(conversationId: string, seq: number): void {
    let c = this.seen.get(conversationId);
    if (c) this.seen.delete(conversationId);
    else {
      c = { seqs: new SeenSeqs(), top: 0 };
      c.seqs.hasUpTo(seq - 1); // what came before this node heard of it is not a hole
      if (this.seen.size >= MAX_CONVERSATIONS) this.seen.delete(this.seen.keys().next().value!);
    }
    this.seen.set(conversationId, c);
    const hole = seq > c.seqs.upTo + 1;
    c.seqs.add(seq);
    c.top = Math.max(c.top, seq);
    if (!hole) return;
    this.holes.add(conversationId);
    this.check();
  }

  close(): void { clearTimeout(this.timer); }

  private check(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      let open = false;
      for (const id of this.holes) {
        const c = this.seen.get(id);
        if (c && c.top > c.seqs.upTo) { open = true; c.seqs.hasUpTo(c.top); }
      }
      this.holes.clear();
      if (open) this.resync();
    }, this.graceMs);
    this.timer.unref();
  }
}
