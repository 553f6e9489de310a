import type { Logger } from 'pino';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Message } from '../model/message.js';
import type { Store } from '../store/store.js';
import type { SearchDoc } from '../store/search-store.js';
import { INDEX_FORMAT, searchableText, tokens } from './segment.js';

const CURSOR = 'search:cursor';
/** segment.ts INDEX_FORMAT of the words in the index. */
const FORMAT = 'search:format';
const PAGE = 500;
/**
 * A batch is written this long after its first message (or at once at BATCH_MAX): one index
 * write per tick cost a store transaction of its own per tick, and measured under load (bench
 * text-ws) that doubled the CPU per message. An agent's search lags the chat by this much.
 */
const BATCH_MS = 200;
const BATCH_MAX = 500;
/** The cursor (a store write) moves at most this often; a crash re-reads at most this much more. */
const CURSOR_EVERY_MS = 2000;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The creation time in a message id (model/ids.ts: a letter, then 10 chars of base32 milliseconds). */
export function idTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(1, 11)) ms = ms * 32 + Math.max(0, ALPHABET.indexOf(ch));
  return ms;
}

export interface IndexerOptions {
  bus: ConversationBus;
  store: Store;
  logger: Logger;
  /**
   * How far before the cursor a catch-up starts reading again. Ids are minted before their commit, so a
   * message can become durable after a later-minted one was indexed; the margin covers that window
   * (and a pipeline that held a message back). Re-indexing is an upsert: the margin costs reads only.
   */
  marginMs?: number;
  /** false: nothing is indexed (`[search] index`); the cursor stays, so turning it back on catches up. */
  enabled?: boolean;
}

/**
 * Feeds the search index after messages are stored, never in the message's own commit: the bus's
 * `message` event (stored inbound after its pipeline, stored outbound, edits and deletions) queues
 * the message, and the batch is segmented and written one tick later. The cursor (the newest
 * message id indexed, in meta) moves in the writes after the batch's, so after a crash a catch-up
 * from the cursor, less the margin, finds every message that was stored but not yet indexed.
 * Measured: jieba cuts a 60-character mixed message in ~6.5 µs on this machine.
 */
export class SearchIndexer {
  private queued: Message[] = [];
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  private cursor = '';
  /** Newest id the live path indexed; the cursor takes it only once the catch-up is done (else a crash could skip the older ones). */
  private liveNewest = '';
  private caughtUp = false;
  private failed = false;
  private catching: Promise<unknown> = Promise.resolve();
  private closed = false;
  private timer?: NodeJS.Timeout;
  private cursorAt = 0;
  private readonly onMessage = (m: Message) => {
    if (this.closed) return;
    this.queued.push(m);
    if (this.queued.length >= BATCH_MAX) { clearTimeout(this.timer); this.scheduled = true; setImmediate(() => this.drain()); return; }
    if (!this.scheduled) { this.scheduled = true; this.timer = setTimeout(() => this.drain(), BATCH_MS); this.timer.unref(); }
  };

  constructor(private o: IndexerOptions) {
    if (o.enabled !== false) o.bus.on('message', this.onMessage);
  }

  /** Indexes what a previous run stored but did not index (the first start after an upgrade: every message). Runs in the background. */
  catchUp(now = Date.now()): Promise<number> {
    if (this.o.enabled === false) return Promise.resolve(0);
    const run = this.readBack(now);
    this.catching = run.catch(() => {});
    return run;
  }

  private async readBack(now: number): Promise<number> {
    this.cursor = (await this.o.store.getMeta(CURSOR)) ?? '';
    // An index written by an older segmenter lacks words the current one makes: the history is indexed again, overwriting.
    const stale = this.cursor !== '' && (await this.o.store.getMeta(FORMAT)) !== INDEX_FORMAT;
    if (stale) this.o.logger.info({ format: INDEX_FORMAT }, 'search: the index format changed; re-indexing the history in the background');
    let from = new Date(this.cursor && !stale ? Math.max(0, idTime(this.cursor) - (this.o.marginMs ?? 60_000)) : 0);
    const to = new Date(now + 60_000);
    let after = '';
    let n = 0;
    while (!this.closed) {
      const page = await this.o.store.listMessagesBetween(from, to, after, PAGE);
      if (page.length === 0) break;
      await this.write(page, stale ? undefined : 'missing');
      if (!stale) await this.advance(page[page.length - 1].id);
      n += page.length;
      after = page[page.length - 1].id;
      if (page.length < PAGE) break;
      from = new Date(idTime(after));
    }
    if (this.closed) return n;
    // Only once all of it is rewritten: a crash halfway re-indexes from the start again.
    if (stale || !this.cursor) await this.o.store.setMeta(FORMAT, INDEX_FORMAT);
    this.caughtUp = true;
    await this.advance(after > this.liveNewest ? after : this.liveNewest);
    return n;
  }

  /** Resolves once everything queued so far is indexed, and a catch-up under way has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await this.catching;
    if (this.scheduled) { clearTimeout(this.timer); this.drain(); }
    while (this.scheduled || this.queued.length) {
      await new Promise((r) => setImmediate(r));
      await this.running;
    }
    await this.running;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.o.bus.off('message', this.onMessage);
  }

  private drain(): void {
    if (!this.scheduled && this.queued.length === 0) return;
    this.scheduled = false;
    const batch = this.queued.splice(0);
    this.running = this.running.then(async () => {
      await this.write(batch);
      for (const m of batch) if (m.id > this.liveNewest) this.liveNewest = m.id;
      if (this.caughtUp && !this.failed && Date.now() - this.cursorAt >= CURSOR_EVERY_MS) await this.advance(this.liveNewest);
    }).catch((err) => {
      // The cursor stays where it is for the rest of this run, so the next start indexes this batch again.
      this.failed = true;
      this.o.logger.error({ err, messages: batch.length }, 'search indexing failed; the next start catches up');
    });
  }

  private async write(batch: Message[], only?: 'missing'): Promise<void> {
    const put: SearchDoc[] = [];
    const gone: string[] = [];
    for (const m of batch) {
      const words = tokens(searchableText(m), 'index');
      if (words.length) put.push({ messageId: m.id, conversationId: m.conversationId, sentAt: m.sentAt.getTime(), tokens: words });
      else if (m.editedAt) gone.push(m.id); // deleted, or edited down to nothing searchable
    }
    await Promise.all([put.length ? this.o.store.search.put(put, only) : undefined, gone.length ? this.o.store.search.remove(gone) : undefined]);
  }

  private async advance(id: string): Promise<void> {
    if (id <= this.cursor) return;
    this.cursor = id;
    this.cursorAt = Date.now();
    await this.o.store.setMeta(CURSOR, id);
  }
}
