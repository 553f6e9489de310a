import type { IncomingMessage } from 'node:http';

/**
 * The address a request comes from, for per-address limits. `X-Forwarded-For` is believed only
 * from the reverse proxies the operator listed (`[server] trusted_proxies`): anyone else could
 * send a new made-up address with every request and never be limited. Walking the list from the
 * right, the first address that is not one of our proxies is the client.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normalize(req.socket.remoteAddress ?? '');
  if (trustedProxies.length === 0 || !trustedProxies.includes(peer)) return limitKey(peer);
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((h) => normalize(h.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.includes(hops[i])) return limitKey(hops[i]);
  return limitKey(hops[0] ?? peer);
}

/**
 * What per-address limits count by: an IPv4 address as it is, an IPv6 address by its /64 (one
 * subscriber gets a whole /64, so counting single addresses would give an attacker 2^64 fresh ones).
 */
export function limitKey(address: string): string {
  if (!address.includes(':')) return address;
  const [head, tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => (g || '0').toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d; one client, one key. */
function normalize(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
