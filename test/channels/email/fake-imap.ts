import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface StoredMail { uid: number; raw: Buffer }

/**
 * A small IMAP4rev1 server on 127.0.0.1 speaking only what imapflow uses to poll (CAPABILITY,
 * LOGIN, LIST, SELECT/EXAMINE with UIDVALIDITY/UIDNEXT, UID SEARCH, UID FETCH BODY.PEEK[], NOOP,
 * CLOSE, LOGOUT): dovecot would need an install step in .ci/run, which sessions may not edit.
 * Every command is logged (`commands`), so tests can see what the poller asked for; `failFetch`
 * makes the next UID FETCH answer NO (a server hiccup mid-poll); `down` makes it drop new
 * connections at once.
 */
export class FakeImap {
  readonly commands: string[] = [];
  readonly mails: StoredMail[] = [];
  uidValidity = 1000;
  user = 'support@shop.test';
  pass = 'imap-pass-1';
  failFetch = 0;
  down = false;
  port = 0;
  private nextUid = 1;
  private server: Server = createServer((s) => this.session(s));
  private sockets = new Set<Socket>();

  async listen(port = this.port): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server = createServer((s) => this.session(s));
  }

  add(raw: Buffer | string): number {
    const uid = this.nextUid++;
    this.mails.push({ uid, raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw) });
    return uid;
  }

  /**
   * The mailbox recreated: new UIDVALIDITY, UIDs start again at 1 (the old ones mean nothing now).
   * Open sessions are dropped, as servers do when a selected mailbox goes away (dovecot: BYE).
   */
  recreate(): void {
    this.uidValidity++; this.nextUid = 1; this.mails.length = 0;
    for (const s of this.sockets) { s.write('* BYE mailbox recreated\r\n'); s.destroy(); }
  }

  private session(socket: Socket): void {
    if (this.down) { socket.destroy(); return; }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    let authed = false;
    const send = (s: string | Buffer) => { if (!socket.destroyed) socket.write(s); };
    send('* OK [CAPABILITY IMAP4rev1] fake IMAP ready\r\n');
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const m = /^(\S+) (?:UID )?(\S+) ?(.*)$/i.exec(line);
        if (!m) { send('* BAD syntax\r\n'); continue; }
        const [, tag, verb, args] = m;
        const uidCmd = / UID /i.test(` ${line.split(' ').slice(1, 2).join(' ')} `);
        this.commands.push(line.replace(/^(\S+ LOGIN \S+) .*/i, '$1 ***'));
        const cmd = verb.toUpperCase();
        const ok = (text = `${cmd} completed`) => send(`${tag} OK ${text}\r\n`);
        if (cmd === 'CAPABILITY') { send('* CAPABILITY IMAP4rev1\r\n'); ok(); }
        else if (cmd === 'NOOP') ok();
        else if (cmd === 'LOGOUT') { send('* BYE bye\r\n'); ok(); socket.end(); }
        else if (cmd === 'LOGIN') {
          const [u, p] = [...args.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((x) => (x[1] ?? x[2]).replace(/\\(.)/g, '$1'));
          if (u === this.user && p === this.pass) { authed = true; send(`${tag} OK [CAPABILITY IMAP4rev1] logged in\r\n`); }
          else send(`${tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n`);
        } else if (!authed) send(`${tag} BAD log in first\r\n`);
        else if (cmd === 'SELECT' || cmd === 'EXAMINE') {
          send(`* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n* ${this.mails.length} EXISTS\r\n* 0 RECENT\r\n`);
          send(`* OK [UIDVALIDITY ${this.uidValidity}] UIDs valid\r\n* OK [UIDNEXT ${this.nextUid}] next UID\r\n`);
          ok(`[${cmd === 'EXAMINE' ? 'READ-ONLY' : 'READ-WRITE'}] ${cmd} completed`);
        } else if (cmd === 'CLOSE') ok();
        else if (cmd === 'LIST' || cmd === 'LSUB') {
          // imapflow asks for the delimiter ("") and then for the mailbox it opens.
          const name = /"([^"]*)"\s*$/.exec(args)?.[1] ?? '';
          send(name ? `* LIST (\\HasNoChildren) "/" "${name}"\r\n` : '* LIST (\\Noselect) "/" ""\r\n');
          ok();
        }
        else if (cmd === 'SEARCH' && uidCmd) {
          const set = /UID (\S+)/i.exec(args)?.[1] ?? '1:*';
          send(`* SEARCH${this.pick(set).map((x) => ` ${x.uid}`).join('')}\r\n`);
          ok();
        } else if (cmd === 'FETCH' && uidCmd) {
          if (this.failFetch > 0) { this.failFetch--; send(`${tag} NO [UNAVAILABLE] scripted failure\r\n`); continue; }
          for (const mail of this.pick(args.split(' ')[0])) {
            const seq = this.mails.indexOf(mail) + 1;
            // Only what was asked for: a size-only FETCH must not carry the body.
            if (!/BODY/i.test(args)) { send(`* ${seq} FETCH (UID ${mail.uid} RFC822.SIZE ${mail.raw.length})\r\n`); continue; }
            send(`* ${seq} FETCH (UID ${mail.uid} RFC822.SIZE ${mail.raw.length} BODY[] {${mail.raw.length}}\r\n`);
            send(mail.raw);
            send(')\r\n');
          }
          ok();
        } else send(`${tag} BAD ${cmd} not supported here\r\n`);
      }
    });
  }

  /** The mails a UID set names ("5", "3:7", "8:*", "1,4"); "*" is the largest UID, as in RFC 3501. */
  private pick(set: string): StoredMail[] {
    const max = this.mails.at(-1)?.uid ?? 0;
    const n = (x: string) => (x === '*' ? max : Number(x));
    return this.mails.filter((m) => set.split(',').some((r) => {
      const [a, b = a] = r.split(':');
      const [lo, hi] = [Math.min(n(a), n(b)), Math.max(n(a), n(b))];
      return m.uid >= lo && m.uid <= hi;
    }));
  }
}
