import { ChannelError } from '../contract.js';
import type { EmailConfig } from './types.js';

export type Nodemailer = Pick<typeof import('nodemailer'), 'createTransport'>;

export interface OutgoingMail {
  from: string;
  replyTo: string;
  to: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references: string[];
  text: string;
  html: string;
  headers: Record<string, string>;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

/**
 * One attempt to hand a mail to the relay; every failure mapped to ChannelError. Permanent: bad
 * credentials (EAUTH) and 5xx answers, with the SMTP code kept for the agent; everything else
 * (4xx, refused or dropped connections, time-outs) can be tried again by the outbox.
 */
export async function sendMail(nodemailer: Nodemailer, relay: EmailConfig['relay'], mail: OutgoingMail): Promise<void> {
  const transport = nodemailer.createTransport({
    host: relay.host, port: relay.port, secure: relay.secure, ignoreTLS: relay.ignore_tls,
    auth: relay.user ? { user: relay.user, pass: relay.pass ?? '' } : undefined,
    connectionTimeout: relay.timeout_ms, greetingTimeout: relay.timeout_ms, socketTimeout: relay.timeout_ms,
    disableFileAccess: true, disableUrlAccess: true,
  });
  try {
    await transport.sendMail({
      from: mail.from, replyTo: mail.replyTo, to: mail.to, subject: mail.subject, messageId: `<${mail.messageId}>`,
      inReplyTo: mail.inReplyTo ? `<${mail.inReplyTo}>` : undefined, references: mail.references.map((r) => `<${r}>`),
      text: mail.text, html: mail.html, headers: mail.headers, attachments: mail.attachments,
    });
  } catch (err) {
    throw mapError(err as Error & { code?: string; responseCode?: number; response?: string });
  } finally {
    transport.close();
  }
}

export function mapError(e: Error & { code?: string; responseCode?: number; response?: string }): ChannelError {
  const text = (e.response ?? e.message ?? 'SMTP error').slice(0, 300);
  if (e.code === 'EAUTH') return new ChannelError('email', text, { retryable: false, code: e.responseCode ? `smtp_${e.responseCode}` : 'EAUTH' });
  if (e.responseCode && e.responseCode >= 500) return new ChannelError('email', text, { retryable: false, code: `smtp_${e.responseCode}` });
  if (e.responseCode && e.responseCode >= 400) return new ChannelError('email', text, { retryable: true, code: `smtp_${e.responseCode}` });
  return new ChannelError('email', text, { retryable: true, code: e.code ?? 'unreachable' });
}
