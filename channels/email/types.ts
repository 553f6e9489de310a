import { z } from 'zod';

/** The SMTP relay replies go out through (the provider's submission server). */
const relaySchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when offered. */
  secure: z.boolean().default(false),
  /** Never upgrade with STARTTLS (only for a relay on loopback or a trusted LAN). */
  ignore_tls: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  /** Connection, greeting and socket time-out: a hanging relay must not hold a ticket's line. */
  timeout_ms: z.number().int().min(100).default(15_000),
}).strict();

/** `[channels.email.imap]`: polling an existing mailbox, for companies that cannot forward. */
const imapSchema = z.object({
  host: z.string().min(1),
  /** 993 with secure = true (TLS from the first byte); 143 plain, upgraded with STARTTLS when offered. */
  port: z.number().int().min(1).max(65535).default(993),
  secure: z.boolean().default(true),
  user: z.string().min(1),
  pass: z.string().default(''),
  mailbox: z.string().min(1).default('INBOX'),
  /** Seconds between polls; every poll fetches everything after the UID cursor, however much. */
  poll_s: z.number().min(0.05).max(3600).default(60),
  /** Connection, greeting and socket time-out. */
  timeout_ms: z.number().int().min(100).default(30_000),
}).strict();

/** `[channels.email]`: the support mailbox, the built-in SMTP listener, the relay for replies. */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  /** The support address: From of every reply, and the base of plus-addresses (support+T…@). */
  address: z.string().email(),
  from_name: z.string().min(1).max(100).default('Support'),
  /** Further recipients the listener accepts: full addresses, or "@example.com" for a whole domain. */
  mailboxes: z.array(z.string().regex(/^([^@\s]+@|@)[^@\s]+\.[^@\s]+$/)).default([]),
  /** The built-in SMTP listener (the MX, or where the provider forwards to); 0 = any free port. */
  smtp_host: z.string().default('0.0.0.0'),
  smtp_port: z.number().int().min(0).max(65535).default(2525),
  /** Largest mail accepted (bytes); bigger ones get 552 before their data is kept. */
  max_bytes: z.number().int().min(1024).default(25 * 1024 * 1024),
  /** PEM files; with both, the listener offers STARTTLS, without them it offers no TLS at all. */
  tls_key: z.string().optional(),
  tls_cert: z.string().optional(),
  /** Domain of our Message-IDs (default: the address's domain); mail carrying it is our own. */
  message_id_domain: z.string().optional(),
  /**
   * Shared secret of `POST /channels/email/inbound` (a provider posting raw RFC 822 mail), sent as
   * `Authorization: Bearer <secret>`; unset, the route refuses everything (403).
   */
  inbound_secret: z.string().min(16).optional(),
  /** Acknowledge each new ticket by mail (once per ticket, never for automatic mail). */
  ack: z.boolean().default(true),
  /** At most this many acknowledgements per sender address per hour (a mail storm gets no storm back). */
  ack_per_sender_hour: z.number().int().min(0).default(3),
  /** The acknowledgement's text; {ticket} and {subject} are filled in. Default: Chinese, then English. */
  ack_text: z.string().min(1).max(4000).optional(),
  /** A reply to a resolved ticket within this many days reopens it; later, it starts a new ticket that links the old one. */
  reopen_days: z.number().min(0).default(14),
  relay: relaySchema,
  imap: imapSchema.optional(),
}).strict().refine((c) => !c.tls_key === !c.tls_cert, { message: 'tls_key and tls_cert go together' });
export type EmailConfig = z.infer<typeof configSchema>;

/** One attachment of a parsed mail, as mailparser gives it (bytes already decoded). */
export interface MailPart {
  filename?: string;
  contentType: string;
  content: Buffer;
  /** Content-ID of an inline image that the HTML shows as cid:… */
  cid?: string;
  inline: boolean;
}

/** What parse.ts reads from mailparser's ParsedMail (kept structural: tests build it by hand too). */
export interface MailInput {
  headerLines: { key: string; line: string }[];
  from?: { value: { address?: string; name?: string }[] };
  to?: { value: { address?: string }[] } | { value: { address?: string }[] }[];
  cc?: { value: { address?: string }[] } | { value: { address?: string }[] }[];
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string | string[];
  text?: string;
  html?: string | false;
  date?: Date;
  attachments: { filename?: string; contentType: string; content: Buffer; cid?: string; contentDisposition?: string; related?: boolean }[];
}

/** What we keep per ticket in ctx.state (`ticket:<id>`): who it is with and how to thread replies. */
export interface TicketInfo {
  email: string;
  name?: string;
  subject: string;
  /** Message-IDs of the ticket, oldest first (capped): our References chain. */
  references: string[];
  /** The customer's last Message-ID: what our next reply is In-Reply-To. */
  lastInbound?: string;
  /** The customer's last new text, quoted under our reply. */
  lastText?: string;
  /** The acknowledgement was sent (or decided against): never a second one. */
  acked?: boolean;
  /** The resolved ticket this one follows (a reply that came after reopen_days). */
  follows?: string;
}
