import type { IncomingMessage } from 'node:http';

/**
 * The address a request comes from, for per-address limits. `X-Forwarded-For` is believed only
 * from the reverse proxies the operator listed (`[server] trusted_proxies`): anyone else could
 * send a new made-up address with every request and never be limited. Walking the list from the
 * right, the first address that is not one of our proxies is the client.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normalize(req.socket.remoteAddress ?? '');
  if (trustedProxies.length === 0 || !trustedProxies.includes(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((h) => normalize(h.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.includes(hops[i])) return hops[i];
  return hops[0] ?? peer;
}

/** IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d; one client, one key. */
function normalize(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
