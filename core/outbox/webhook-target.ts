import { createHash } from 'node:crypto';

/**
 * The outbox target of a `[[webhooks]]` entry, named by its URL, not its place in the list:
 * removing one above it must not send its queue elsewhere. The API channel's handler delivers
 * (and signs) every target of this name, whoever enqueued it (its own events, SLA breaches).
 */
export function webhookTarget(url: string): string {
  return `webhook:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}
