import type { WebSocket } from 'ws';
import type { ChannelContext } from '../contract.js';
import { SeenSeqs } from '../../core/workspace/seen-seqs.js';
import { sendAll } from '../../core/http/socket-send.js';
import { toVisitorMessage } from './types.js';
import type { VisitorScope } from './visitor-socket.js';

/** Messages per resync page, as for a resume: one page in memory per visitor at a time. */
const PAGE = 100;
/** Visitors resynced at once: after a Redis outage every node does this for every open socket. */
const PARALLEL = 8;

/** What each open visitor socket was sent of its conversation; a socket without an entry has not said hello. */
const sent = new WeakMap<WebSocket, SeenSeqs>();

export function trackSocket(ws: WebSocket, after: number): void {
  const seen = new SeenSeqs();
  seen.hasUpTo(after);
  sent.set(ws, seen);
}

/** The one cost the live path pays: a seq mark, so a resync does not send it again. */
export function markSent(ws: WebSocket, seq: number): void {
  sent.get(ws)?.add(seq);
}

/**
 * After events from other nodes may have been lost (cluster mode, Redis came back), every open
 * socket gets from the store what followed the last seq it had, minus what it got out of order.
 * One resync at a time per channel; a request meanwhile runs once more after it.
 */
export class VisitorResync {
  private running?: Promise<void>;
  private again = false;

  constructor(private ctx: ChannelContext, private sockets: Map<string, Set<WebSocket>>, private scope: VisitorScope) {}

  request(): Promise<void> {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      do { this.again = false; await this.all(); } while (this.again);
    })().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async all(): Promise<void> {
    const ids = [...this.sockets.keys()];
    const worker = async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        try { await this.visitor(id); } catch (err) { this.ctx.logger.warn({ err }, 'visitor resync failed'); }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }

  private async visitor(visitorId: string): Promise<void> {
    const open = [...(this.sockets.get(visitorId) ?? [])].filter((ws) => ws.readyState === 1 && sent.has(ws));
    if (open.length === 0) return;
    const ref = this.scope.ref(visitorId);
    let cursor = Math.min(...open.map((ws) => sent.get(ws)!.upTo));
    for (;;) {
      const page = (await this.ctx.history(ref, cursor, PAGE)).messages;
      for (const ws of open) {
        const seen = sent.get(ws)!;
        const fresh = page.filter((m) => !seen.has(m.seq));
        for (const m of fresh) seen.add(m.seq);
        if (ws.readyState === 1) await sendAll(ws, fresh.map((m) => JSON.stringify({ type: 'message', message: toVisitorMessage(m) })));
      }
      if (page.length < PAGE) return;
      cursor = page[page.length - 1].seq;
    }
  }
}
