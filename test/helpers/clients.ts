import WebSocket from 'ws';

/** A WebSocket that buffers frames so tests can wait for the one they expect. */
export class FrameSocket {
  readonly frames: any[] = [];
  private waiters: { pred: (f: any) => boolean; resolve: (f: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  closed?: { code: number; reason: string };

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const parsed = JSON.parse(d.toString());
      // The agent socket may group frames of one tick into a batch frame.
      for (const f of parsed.type === 'batch' ? parsed.frames : [parsed]) {
        this.frames.push(f);
        for (const w of [...this.waiters]) if (w.pred(f)) { clearTimeout(w.timer); this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(f); }
      }
    });
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<FrameSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const fs = new FrameSocket(ws);
      ws.once('open', () => resolve(fs));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void { this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)); }

  /** Next frame (already received or future) matching pred; `from` skips earlier ones. */
  wait(pred: (f: any) => boolean, timeoutMs = 10_000): Promise<any> {
    const hit = this.frames.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame matched within ${timeoutMs}ms; got ${JSON.stringify(this.frames.slice(-5)).slice(0, 600)}`)), timeoutMs);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  close(): Promise<void> {
    return new Promise((r) => { if (this.ws.readyState === WebSocket.CLOSED) return r(); this.ws.once('close', () => r()); this.ws.close(); });
  }
}

export async function json(url: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) { headers.set('content-type', 'application/json'); body = JSON.stringify(init.json); }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed: any;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface Visitor { token: string; visitorId: string; socket: FrameSocket }

export async function visitorSession(publicUrl: string, token?: string): Promise<{ token: string; visitorId: string }> {
  const r = await json(`${publicUrl}/v1/visitor/session`, { method: 'POST', json: token ? { token } : {} });
  if (r.status !== 200) throw new Error(`session failed: ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function connectVisitor(publicUrl: string, token?: string, after = 0, queue?: string): Promise<Visitor> {
  const s = await visitorSession(publicUrl, token);
  const socket = await FrameSocket.open(publicUrl.replace('http', 'ws') + '/ws/visitor');
  socket.send({ type: 'hello', token: s.token, after, queue });
  await socket.wait((f) => f.type === 'welcome');
  return { ...s, socket };
}

export async function loginAgent(workspaceUrl: string, login: string, password: string): Promise<string> {
  const r = await json(`${workspaceUrl}/api/login`, { method: 'POST', json: { login, password } });
  if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

export async function connectAgent(workspaceUrl: string, token: string): Promise<FrameSocket> {
  const s = await FrameSocket.open(workspaceUrl.replace('http', 'ws') + '/ws/agent', { Authorization: `Bearer ${token}` });
  await s.wait((f) => f.type === 'welcome');
  return s;
}

let n = 0;
/**
 * A visitor sends text (or a whole send frame) over the widget socket; resolves with the ack,
 * throws on an error frame. The same helper for every test that has a visitor write in.
 */
export async function say(v: Visitor, frame: string | Record<string, unknown>): Promise<any> {
  const clientId = cid();
  v.socket.send({ type: 'send', clientId, ...(typeof frame === 'string' ? { text: frame } : frame) });
  const ack = await v.socket.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
  if (ack.type !== 'ack') throw new Error(`the send was refused: ${JSON.stringify(ack)}`);
  return ack;
}

export const cid = () => `client${Date.now().toString(36)}${(n++).toString(36).padStart(4, '0')}`;

/** Smallest valid PNG (1×1). */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
