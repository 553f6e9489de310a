import type { ImapFlow as ImapFlowType } from 'imapflow';
import type { ChannelContext } from '../contract.js';
import { keepConnected, type Connection } from '../kit/reconnect.js';
import type { EmailConfig } from './types.js';

type ImapConfig = NonNullable<EmailConfig['imap']>;
type ImapLib = { ImapFlow: typeof ImapFlowType };
/** Where the poller is in one mailbox: UIDs mean nothing without their UIDVALIDITY. */
export interface ImapCursor { uidValidity: string; lastUid: number }

export const cursorKey = (c: ImapConfig) => `imap:${c.user}@${c.host}/${c.mailbox}`;

/**
 * Polls one mailbox (read-only: EXAMINE, BODY.PEEK, so the humans sharing it see nothing change).
 * Each poll takes every UID after the cursor, oldest first, however many (catching up after
 * downtime); the cursor moves past a mail only once `receive` resolved (the mail is durable, or
 * kept as unprocessable), so a crash or a refused mail means it is fetched again, and the
 * Message-ID dedupe downstream stores it once. A poll that fails closes the connection: health
 * goes `degraded` (or `auth_failed`) in /readyz and keepConnected reconnects with backoff.
 * A first start (no cursor) begins at UIDNEXT: the mailbox's old mail is not turned into tickets.
 */
export class ImapPoller {
  private abort = new AbortController();
  constructor(private ctx: ChannelContext, private config: () => ImapConfig | undefined, private receive: (raw: Buffer) => Promise<void>,
    private maxBytes: () => number, private tooBig: (id: string, reason: string) => Promise<void>) {}

  stop(): void { this.abort.abort(); }

  run(lib: ImapLib): Promise<void> {
    const signal = AbortSignal.any([this.ctx.signal, this.abort.signal]);
    return keepConnected({ signal, report: (state, detail) => { if (!signal.aborted) this.ctx.reportHealth(state, detail && `IMAP: ${detail}`); },
      connect: (s) => this.connect(lib, s) });
  }

  private async connect(lib: ImapLib, signal: AbortSignal): Promise<Connection> {
    const c = this.config();
    if (!c) throw new Error('no [channels.email.imap]');
    const client = new lib.ImapFlow({ host: c.host, port: c.port, secure: c.secure, auth: { user: c.user, pass: c.pass }, logger: false,
      disableAutoIdle: true, connectionTimeout: c.timeout_ms, greetingTimeout: c.timeout_ms, socketTimeout: Math.max(c.timeout_ms, c.poll_s * 2000) });
    client.on('error', (err: Error) => this.ctx.logger.warn({ err }, 'e-mail: IMAP connection error'));
    const abort = () => client.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await client.connect();
      await client.mailboxOpen(c.mailbox, { readOnly: true });
    } catch (err) {
      signal.removeEventListener('abort', abort);
      client.close();
      const e = err as Error & { authenticationFailed?: boolean };
      throw Object.assign(new Error(e.authenticationFailed ? `login refused for ${c.user}` : e.message), { auth: !!e.authenticationFailed });
    }
    const closed = this.loop(client, c, signal).finally(() => { signal.removeEventListener('abort', abort); client.close(); });
    return { closed, close: () => client.close() };
  }

  private async loop(client: ImapFlowType, c: ImapConfig, signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted && client.usable) {
        await this.pollOnce(client, c, signal);
        await sleep(c.poll_s * 1000, signal);
        // NOOP gets the server to tell us of new mail (EXISTS) and proves the connection is alive.
        if (!signal.aborted) await client.noop();
      }
    } catch (err) {
      if (!signal.aborted) this.ctx.logger.warn({ err }, 'e-mail: IMAP poll failed; reconnecting');
      throw err;
    }
  }

  /** One pass: everything after the cursor, oldest first, the cursor saved after each mail. */
  async pollOnce(client: ImapFlowType, c: ImapConfig, signal: AbortSignal): Promise<number> {
    const box = client.mailbox;
    if (!box) throw new Error(`mailbox ${c.mailbox} is not open`);
    const key = cursorKey(c);
    const validity = String(box.uidValidity);
    const saved = JSON.parse((await this.ctx.state.get(key)) ?? 'null') as ImapCursor | null;
    let cursor: ImapCursor;
    if (saved?.uidValidity === validity) cursor = saved;
    else {
      // No cursor: start now. Another UIDVALIDITY: the mailbox was rebuilt, old UIDs are void, read it all again
      // (Message-IDs already taken map back to their tickets and are stored once).
      cursor = { uidValidity: validity, lastUid: saved ? 0 : Math.max(0, box.uidNext - 1) };
      await this.ctx.state.set(key, JSON.stringify(cursor));
      if (saved) this.ctx.logger.warn({ was: saved.uidValidity, now: validity }, 'e-mail: IMAP UIDVALIDITY changed; rescanning the mailbox');
    }
    const found = await client.search({ uid: `${cursor.lastUid + 1}:*` }, { uid: true });
    // "n:*" also names the highest UID when it is below n (RFC 3501): keep only the new ones.
    const uids = (found || []).filter((u) => u > cursor.lastUid).sort((a, b) => a - b);
    let taken = 0;
    for (const uid of uids) {
      if (signal.aborted) break;
      // The size first: a mail over max_bytes is never pulled into memory. It stays in the mailbox
      // (read-only), and admins see it under Needs attention instead of a line in a log.
      const head = await client.fetchOne(String(uid), { uid: true, size: true }, { uid: true });
      if (head && head.size !== undefined && head.size > this.maxBytes()) {
        this.ctx.logger.error({ uid, size: head.size }, 'e-mail: IMAP mail over max_bytes left in the mailbox');
        await this.tooBig(`imap:${validity}:${uid}`, `${c.mailbox} UID ${uid}: ${head.size} bytes, over max_bytes (${this.maxBytes()}); left in the mailbox`);
        taken++;
      } else {
        const msg = head && await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        if (msg && msg.source) {
          await this.receive(msg.source); // throws: the cursor stays, the mail is fetched again
          taken++;
        }
      }
      cursor = { uidValidity: validity, lastUid: uid };
      await this.ctx.state.set(key, JSON.stringify(cursor));
    }
    return taken;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
