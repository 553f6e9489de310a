import { createHash, randomBytes } from 'node:crypto';
import type { ChannelState } from '../contract.js';
import type { InboundMail } from './parse.js';
import type { TicketInfo } from './types.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I: read aloud over the phone
const MAX_REFS = 20;

/**
 * Tickets in ctx.state: `ticket:<id>` → who and how to thread, `mid:<Message-ID>` → ticket (ours
 * and the customer's, so any reply in the thread finds its ticket). Updates to one ticket are
 * serialized, so an inbound mail and a reply going out at once do not lose each other's ids.
 */
export class Tickets {
  private chains = new Map<string, Promise<unknown>>();
  constructor(private state: ChannelState, private ownDomain: () => string) {}

  static newId(): string {
    return `T${[...randomBytes(9)].map((b) => ALPHABET[b % 32]).join('')}`;
  }

  /** A ticket id that is always the same for one key (an agent's start request, retried). */
  static idFor(key: string): string {
    return `T${[...createHash('sha256').update(`ticket:${key}`).digest().subarray(0, 9)].map((b) => ALPHABET[b % 32]).join('')}`;
  }

  /** Our Message-ID for an outbound message: stable per message, so a retried send keeps it. */
  ourMessageId(messageId: string, ticket: string): string { return `kefu.${messageId}.${ticket}@${this.ownDomain()}`; }

  async info(ticket: string): Promise<TicketInfo | undefined> {
    const raw = await this.state.get(`ticket:${ticket}`);
    return raw ? (JSON.parse(raw) as TicketInfo) : undefined;
  }

  /** Read-modify-write of one ticket, one at a time. */
  update(ticket: string, fn: (t: TicketInfo | undefined) => TicketInfo): Promise<TicketInfo> {
    const run = (this.chains.get(ticket) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      const next = fn(await this.info(ticket));
      next.references = next.references.slice(-MAX_REFS);
      await this.state.set(`ticket:${ticket}`, JSON.stringify(next));
      return next;
    });
    this.chains.set(ticket, run);
    void run.finally(() => { if (this.chains.get(ticket) === run) this.chains.delete(ticket); }).catch(() => undefined);
    return run;
  }

  /** The ticket a mail with this Message-ID was already filed under, if any. */
  async ticketOf(messageId: string): Promise<string | undefined> {
    const t = await this.state.get(`mid:${messageId.toLowerCase()}`);
    return t && (await this.info(t)) ? t : undefined;
  }

  remember(messageId: string, ticket: string): Promise<void> { return this.state.set(`mid:${messageId.toLowerCase()}`, ticket); }

  /**
   * The ticket a mail belongs to, in this order and never by subject alone: a Message-ID of the
   * ticket in In-Reply-To/References → the plus-address support+<ticket>@ → the subject tag
   * [#T…], only when the sender is that ticket's customer (a stranger quoting someone else's tag
   * gets a ticket of their own) → none (a new ticket).
   */
  async find(mail: InboundMail, supportAddress: string, envelopeTo: string[]): Promise<string | undefined> {
    const own = new RegExp(`^kefu\\.[^.@]+\\.(T[${ALPHABET}]{9})@${escape(this.ownDomain())}$`, 'i');
    for (const id of mail.parents) {
      const t = (await this.state.get(`mid:${id.toLowerCase()}`)) ?? own.exec(id)?.[1]?.toUpperCase();
      if (t && (await this.info(t))) return t;
    }
    const [local, domain] = supportAddress.toLowerCase().split('@');
    const plus = new RegExp(`^${escape(local)}\\+(t[${ALPHABET.toLowerCase()}]{9})@${escape(domain)}$`);
    for (const rcpt of [...envelopeTo, ...mail.recipients]) {
      const t = plus.exec(rcpt.toLowerCase())?.[1]?.toUpperCase();
      if (t && (await this.info(t))) return t;
    }
    for (const m of mail.subject.matchAll(/\[#(T[A-Z0-9]{9})\]/gi)) {
      const t = m[1].toUpperCase();
      if ((await this.info(t))?.email === mail.from) return t;
    }
    return undefined;
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
