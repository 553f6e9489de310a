import type { WebSocket } from 'ws';

/** Close code for a client that stopped reading: it reconnects and resumes from its last seq. */
export const SLOW_CONSUMER_CLOSE = 4008;

let maxBuffered = 4 * 1024 * 1024;

/** `[server] socket_send_buffer_bytes`, set at start and on reload. */
export function setSocketSendBuffer(bytes: number): void { maxBuffered = bytes; }

/**
 * Sends a frame unless the peer has stopped reading. A socket whose peer does not read keeps
 * every frame we send in memory (+112 MB in 30 s for one paused widget): past the cap the
 * socket is closed with 4008, and terminated if even the close frame cannot get out. Nothing
 * is lost: every frame that matters is a stored message the client resumes from.
 */
export function sendBounded(ws: WebSocket, data: string, cb?: (err?: Error) => void): boolean {
  if (ws.readyState !== 1) { cb?.(); return false; }
  if (ws.bufferedAmount > maxBuffered) {
    ws.close(SLOW_CONSUMER_CLOSE, 'send buffer full');
    setTimeout(() => ws.terminate(), 2000).unref();
    cb?.();
    return false;
  }
  ws.send(data, cb);
  return true;
}

/** Sends frames and resolves once they have left for the kernel or the socket is gone: paged replays hold one page at a time. */
export function sendAll(ws: WebSocket, frames: string[]): Promise<void> {
  return new Promise((resolve) => {
    if (frames.length === 0) return resolve();
    const done = () => { ws.off('close', done); resolve(); };
    ws.once('close', done);
    // The cap is checked once, before the page: a page is bounded by its caller, and a client
    // that keeps up must not be taken for a slow one because one page is larger than the cap.
    if (!sendBounded(ws, frames[0], frames.length === 1 ? done : undefined)) return done();
    for (let i = 1; i < frames.length; i++) ws.send(frames[i], i === frames.length - 1 ? done : undefined);
  });
}
