import type { Logger } from 'pino';
import type { KefuConfig } from '../../config/schema.js';
import { defaultNodeId, type Cluster } from '../../core/cluster/cluster.js';
import { RedisLink } from './connection.js';
import { RedisFanout } from './fanout.js';
import { Leases } from './leases.js';
import { RedisRateLimiter } from './rate-limit.js';
import { RedisSecrets } from './secrets.js';
import { RedisPresence } from './presence.js';
import { KefuError } from '../../core/errors.js';

/** How long start-up waits for Redis before going on not-ready (it becomes ready when Redis answers). */
const START_WAIT_MS = 5000;
/** How long a node waits for a cluster lock (an assignment) before answering `unavailable`. */
const LOCK_WAIT_MS = 5000;

/**
 * Cluster mode on Redis (`[cluster] mode = "redis"`, or `redis_url` set): the shared
 * implementations of core/cluster's interface. Loaded by core only in that mode, so a single
 * node never loads ioredis. What is shared so far: rate limits, leader leases (one holder per
 * vendor long connection), the WeChat access token, live delivery of bus events (fanout.ts), agent
 * presence (presence.ts), and the lock every assignment takes (core/routing/shared-routing.ts).
 */
export async function openRedisCluster(o: { config: KefuConfig['cluster']; logger: Logger }): Promise<Cluster> {
  const { config, logger } = o;
  const nodeId = defaultNodeId(config.node_id);
  const prefix = config.key_prefix;
  const link = await RedisLink.open(config.redis_url, logger);
  if (!(await link.whenReady(START_WAIT_MS))) logger.error({ node: nodeId }, 'redis unreachable at start: not ready until it answers');
  const leases = new Leases(link, { prefix, nodeId, ttlMs: config.lease_ttl_ms, logger });
  const fanout = new RedisFanout(link, { prefix, nodeId, logger });
  await fanout.start();
  const presence = new RedisPresence(link, { prefix, nodeId, logger });
  return {
    mode: 'redis', nodeId,
    ready: () => link.ready(),
    health: () => ({ mode: 'redis', node: nodeId, redis: link.ready() ? 'ready' : 'unreachable', nodes: config.nodes, leases: leases.holds() }),
    // Each limiter's owner closes it (the bus, a channel's VisitorLimits).
    limiters: (name, quota, burst) => new RedisRateLimiter(link, `${prefix}rl:${name}:`, quota, burst),
    leader: leases.leader,
    secrets: new RedisSecrets(link, leases, prefix, logger),
    fanout,
    presence,
    async exclusive(name, fn) {
      const lock = await leases.lock(name, LOCK_WAIT_MS).catch((err: Error) => {
        logger.warn({ lock: name, err: err.message }, 'cluster lock not taken');
        throw new KefuError('unavailable', 'Another node holds this; retry in a moment.');
      });
      try { return await fn(); } finally { await lock.release(); }
    },
    async close() {
      await presence.close();
      await leases.close();
      await link.close();
    },
  };
}
