import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { ChannelContext } from '../../../channels/contract.js';
import type { Message } from '../../../core/model/message.js';
import { markSent, trackSocket, VisitorResync } from '../../../channels/web/visitor-resync.js';
import { webScope } from '../../../channels/web/visitor-socket.js';

/** Enough of a ws for sendAll: records the seqs of the message frames it was given. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  seqs: number[] = [];
  send(data: string, cb?: () => void): void {
    this.seqs.push(JSON.parse(data).message.seq);
    if (cb) setImmediate(cb);
  }
}

const message = (seq: number): Message => ({
  id: `m${seq}`, seq, conversationId: 'c1', direction: 'outbound', from: { role: 'agent', name: 'Ann' },
  content: { kind: 'text', text: `t${seq}` }, sentAt: new Date(0),
} as unknown as Message);

function fakeContext(lastSeq: number, reads: number[][]): ChannelContext {
  return {
    logger: { warn: () => {} },
    history: async (_ref: unknown, after: number, limit = 100) => {
      const messages: Message[] = [];
      for (let s = after + 1; s <= lastSeq && messages.length < limit; s++) messages.push(message(s));
      reads.push(messages.map((m) => m.seq));
      return { messages };
    },
  } as unknown as ChannelContext;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('web channel: visitor sockets resync from the store', () => {
  it('sends each open socket only what it was not sent, in pages, and nothing on a second resync', async () => {
    const reads: number[][] = [];
    const caughtUp = new FakeSocket();
    const gapped = new FakeSocket();
    const closed = new FakeSocket();
    const beforeHello = new FakeSocket();
    trackSocket(caughtUp as unknown as WebSocket, 0);
    for (const s of range(1, 3)) markSent(caughtUp as unknown as WebSocket, s);
    trackSocket(gapped as unknown as WebSocket, 2);
    markSent(gapped as unknown as WebSocket, 5);
    trackSocket(closed as unknown as WebSocket, 0);
    closed.readyState = 3;
    const sockets = new Map([['v1', new Set([caughtUp, gapped, closed, beforeHello] as unknown as WebSocket[])]]);
    const resync = new VisitorResync(fakeContext(250, reads), sockets, webScope);

    await resync.request();
    assert.deepEqual(caughtUp.seqs, range(4, 250));
    assert.deepEqual(gapped.seqs, [3, 4, ...range(6, 250)], 'the seq it got past the gap is not sent again');
    assert.deepEqual(closed.seqs, []);
    assert.deepEqual(beforeHello.seqs, [], 'a socket that has not said hello gets its history from the welcome');
    assert.deepEqual(reads.map((r) => r.length), [100, 100, 48], 'one read for all of a visitor\'s sockets, paged');

    caughtUp.seqs = [];
    gapped.seqs = [];
    await resync.request();
    assert.deepEqual([caughtUp.seqs, gapped.seqs], [[], []], 'a second resync sends nothing twice');
  });

  it('a resync asked for while one runs runs once more after it, not alongside', async () => {
    const reads: number[][] = [];
    const ws = new FakeSocket();
    trackSocket(ws as unknown as WebSocket, 0);
    const resync = new VisitorResync(fakeContext(3, reads), new Map([['v1', new Set([ws as unknown as WebSocket])]]), webScope);
    await Promise.all([resync.request(), resync.request(), resync.request()]);
    assert.deepEqual(ws.seqs, [1, 2, 3]);
    assert.equal(reads.length, 2, 'the first run and one more for the requests made meanwhile');
  });
});
