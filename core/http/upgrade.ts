import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Routes HTTP upgrades by path to WebSocket handlers. `maxPayload` bounds every frame so a
 * single client cannot make the server buffer megabytes; unknown paths get a plain 404.
 */
export class UpgradeRouter {
  private handlers = new Map<string, { wss: WebSocketServer; onConnection: (ws: WebSocket, req: IncomingMessage) => void; allowed?: () => boolean }>();

  /** `accept` refuses a handshake before any handler sees it (the workspace port's origin check); `headers` go on every 101 answer. */
  constructor(private opts: { maxPayload?: number; accept?: (req: IncomingMessage) => boolean; headers?: Record<string, string> } = {}) {}

  add(path: string, onConnection: (ws: WebSocket, req: IncomingMessage) => void, allowed?: () => boolean): void {
    if (this.handlers.has(path)) throw new Error(`WebSocket path ${path} is already taken`);
    // perMessageDeflate off: per-socket zlib state costs ~300 kB and most frames are tiny.
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxPayload ?? 256 * 1024, perMessageDeflate: false, clientTracking: false });
    const extra = Object.entries(this.opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
    if (extra.length) wss.on('headers', (headers) => { headers.push(...extra); });
    this.handlers.set(path, { wss, onConnection, allowed });
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Until ws takes the socket over, nothing else listens for its errors (a reset mid-handshake).
      socket.on('error', () => socket.destroy());
      const path = (req.url ?? '/').split('?')[0];
      const h = this.handlers.get(path);
      if (!h || (h.allowed && !h.allowed())) return refuse(socket, '404 Not Found');
      if (this.opts.accept && !this.opts.accept(req)) return refuse(socket, '403 Forbidden');
      h.wss.handleUpgrade(req, socket, head, (ws) => h.onConnection(ws, req));
    });
  }

  close(): void {
    for (const h of this.handlers.values()) h.wss.close();
  }
}

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
