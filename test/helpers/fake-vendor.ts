import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '../fixtures/channels/fakepush/verify.js';

export type Answer = 'ok' | { status: number; code?: string; message?: string; retryAfter?: number } | 'hang';

/**
 * The fake push channel's vendor: a real HTTP server on 127.0.0.1 whose send API answers from a
 * script (then 'ok' once the script is used up) and records everything it accepted, with the
 * idempotency key it was sent.
 */
export class FakeVendor {
  readonly accepted: { id: string; to: string; text: string; key: string }[] = [];
  readonly attempts: { to: string; text: string; key: string; answer: string }[] = [];
  script: Answer[] = [];
  /** A vendor that is down answers 503 to everything until it is up again. */
  down = false;
  /** Called with the id of an accepted message before the vendor answers (a vendor whose status callback beats its own answer). */
  beforeAnswer?: (id: string) => Promise<void>;
  private server: Server;
  private n = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        const key = String(req.headers['idempotency-key'] ?? '');
        const answer: Answer = this.down ? { status: 503, code: 'down', message: 'vendor is down' } : this.script.shift() ?? 'ok';
        this.attempts.push({ to: body.to, text: body.text, key, answer: typeof answer === 'string' ? answer : String(answer.status) });
        if (answer === 'hang') return; // never answers (the client's timeout decides)
        if (answer === 'ok') {
          // The vendor honours idempotency keys: the same key is the same message.
          const known = this.accepted.find((a) => a.key === key && key);
          const id = known?.id ?? `V${++this.n}`;
          if (!known) this.accepted.push({ id, to: body.to, text: body.text, key });
          const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
          if (this.beforeAnswer && !known) void this.beforeAnswer(id).then(answer, answer); else answer();
          return;
        }
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
        res.writeHead(answer.status, headers).end(JSON.stringify({ code: answer.code, message: answer.message }));
      });
    });
  }

  listen(): Promise<this> {
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => r(this)));
  }

  get url(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/send`; }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Posts a signed event to the fake channel's webhook, as the vendor would. */
export async function vendorPost(publicUrl: string, secret: string, event: object, o: { timestamp?: number; signature?: string } = {}) {
  const body = JSON.stringify(event);
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const res = await fetch(`${publicUrl}/channels/fakepush/webhook`, { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-fake-timestamp': ts, 'x-fake-signature': o.signature ?? sign(secret, ts, body) } });
  return { status: res.status, body: await res.json().catch(() => undefined) as any };
}

export const fakepushConfig = (vendor: FakeVendor, secret = 'fake-secret-1') =>
  `[channels.fakepush]\nenabled = true\napi_url = "${vendor.url}"\nsecret = "${secret}"\n`;
