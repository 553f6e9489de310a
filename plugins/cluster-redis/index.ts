import type { Logger } from 'pino';
import type { KefuConfig } from '../../config/schema.js';
import { defaultNodeId, type Cluster } from '../../core/cluster/cluster.js';
import { RedisLink } from './connection.js';
import { RedisFanout } from './fanout.js';
import { Leases } from './leases.js';
import { RedisRateLimiter } from './rate-limit.js';
import { RedisSecrets } from './secrets.js';

/** How long start-up waits for Redis before going on not-ready (it becomes ready when Redis answers). */
const START_WAIT_MS = 5000;

/**
 * Cluster mode on Redis (`[cluster] mode = "redis"`, or `redis_url` set): the shared
 * implementations of core/cluster's interface. Loaded by core only in that mode, so a single
 * node never loads ioredis. What is shared so far: rate limits, leader leases (one holder per
 * vendor long connection), the WeChat access token, live delivery of bus events (fanout.ts). Not yet: queues,
 * presence (README "Cluster mode (in progress)").
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
  return {
    mode: 'redis', nodeId,
    ready: () => link.ready(),
    health: () => ({ mode: 'redis', node: nodeId, redis: link.ready() ? 'ready' : 'unreachable', nodes: config.nodes, leases: leases.holds() }),
    // Each limiter's owner closes it (the bus, a channel's VisitorLimits).
    limiters: (name, quota, burst) => new RedisRateLimiter(link, `${prefix}rl:${name}:`, quota, burst),
    leader: leases.leader,
    secrets: new RedisSecrets(link, leases, prefix, logger),
    fanout,
    async close() {
      await leases.close();
      await link.close();
    },
  };
}
