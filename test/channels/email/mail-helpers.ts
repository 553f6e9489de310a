import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/mail/', import.meta.url));
export const RELAY_USER = 'kefu';
export const RELAY_PASS = 'relay-pass-1';

/** A hand-written fixture mail with its {{PLACEHOLDERS}} filled in. */
export function fixture(name: string, vars: Record<string, string> = {}): Buffer {
  let text = readFileSync(`${FIXTURES}${name}`, 'latin1');
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{{${k}}}`, v);
  return Buffer.from(text, 'latin1');
}

/**
 * The provider's SMTP relay, on 127.0.0.1: AUTH required, no STARTTLS (smtp-server's built-in
 * certificate has expired), every accepted mail parsed with mailparser. `script` answers the next
 * MAIL FROMs with SMTP codes; `down` refuses connections with 421; `close`/`listen` make it really go away.
 */
export class Relay {
  readonly received: ParsedMail[] = [];
  script: number[] = [];
  down = false;
  port = 0;
  private server = this.make();

  private make() {
    const server = new SMTPServer({
      logger: false, authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: true, disabledCommands: ['STARTTLS'],
      onConnect: (_s, cb) => (this.down ? cb(Object.assign(new Error('Service not available'), { responseCode: 421 })) : cb()),
      onAuth: (auth, _s, cb) => (auth.username === RELAY_USER && auth.password === RELAY_PASS ? cb(null, { user: RELAY_USER }) : cb(new Error('Invalid username or password'))),
      onMailFrom: (_a, _s, cb) => {
        const code = this.script.shift();
        cb(code ? Object.assign(new Error(`${code} scripted failure`), { responseCode: code }) : undefined);
      },
      onData: (stream, _s, cb) => {
        simpleParser(stream).then((m) => { this.received.push(m); cb(); }, cb);
      },
    });
    server.on('error', () => undefined);
    return server;
  }

  async listen(port = this.port): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server = this.make();
  }

  /** The replies, without the mails kefu sends by itself (none today: notices are not mailed). */
  texts(): string[] { return this.received.map((m) => (m.text ?? '').split('\n\n')[0].trim()); }
}

/** `ack = false` unless `extra` sets it: the older tests count the relay's mails as agents' replies only. */
export function emailConfig(relayPort: number, extra = ''): string {
  const ack = /^ack\s*=/m.test(extra) ? '' : 'ack = false\n';
  return `[channels.email]\nenabled = true\naddress = "support@shop.test"\nsmtp_host = "127.0.0.1"\nsmtp_port = 0\nmax_bytes = 200000\nmailboxes = ["help@shop.test"]\n${ack}${extra}` +
    `\n[channels.email.relay]\nhost = "127.0.0.1"\nport = ${relayPort}\nignore_tls = true\nuser = "${RELAY_USER}"\npass = "${RELAY_PASS}"\ntimeout_ms = 3000\n`;
}

const client = (port: number) => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });

/** Delivers a raw mail to kefu's SMTP listener the way an MTA would. */
export async function deliverRaw(port: number, raw: Buffer, from = 'sender@example.test', to = ['support@shop.test']) {
  const t = client(port);
  try { return await t.sendMail({ envelope: { from, to }, raw }); } finally { t.close(); }
}

/** A customer's mail, composed by nodemailer (the way a mail client builds one). */
export async function deliver(port: number, mail: SendMailOptions) {
  const t = client(port);
  try { return await t.sendMail({ to: 'support@shop.test', ...mail }); } finally { t.close(); }
}
