import type { Logger } from 'pino';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Cluster } from '../cluster/cluster.js';
import type { AgentPool } from './agent-pool.js';
import type { Assigner, SharedAssignment } from './assigner.js';

const LOCK = 'assign';

/**
 * What the Assigner needs in cluster mode: a cluster-wide lock and the shared store's copy for
 * every change of hands. Absent on a single node (the Assigner then changes hands directly).
 */
export function sharedAssignment(cluster: Cluster, bus: ConversationBus): SharedAssignment | undefined {
  const { exclusive, presence } = cluster;
  if (!exclusive || !presence) return undefined;
  return {
    exclusive: <T>(fn: () => Promise<T>) => exclusive.call(cluster, LOCK, fn) as Promise<T>,
    reread: (id) => bus.store.reread?.(id) ?? bus.store.getConversation(id),
    presenceChanged: () => presence.changed(),
  };
}

/**
 * Routing across nodes, the least code that keeps one node's rules exact: every node keeps the
 * same queues and loads (its own events and the other nodes' `remote:conversation`), and only
 * the holder of the 'assigner' lease assigns automatically, with weights and aging exactly as on
 * one node. Claims, transfers and re-queues run on whichever node the agent uses; all of them
 * take the cluster lock and check the shared store (Assigner.guarded), so a conversation is never
 * given to two agents and no agent gets more than their capacity, whoever acts. Presence comes
 * from every node (cluster.presence). A new lease holder reads the queues again from the store;
 * so does every node after a Redis reconnect (events may have been missed).
 * Returns the stop function.
 */
export function shareRouting(o: { cluster: Cluster; bus: ConversationBus; assigner: Assigner; pool: AgentPool; logger: Logger }): () => Promise<void> {
  const { cluster, bus, assigner, pool, logger } = o;
  const presence = cluster.presence;
  if (!presence || !cluster.exclusive) return async () => {};
  const ctl = new AbortController();
  void assigner.setLeading(false);

  bus.on('remote:conversation', (conv, change) => assigner.track(conv, change));
  bus.on('resync', () => { assigner.reload().catch((err) => logger.warn({ err }, 'routing reload after resync failed')); });

  // An agent created on another node since this one started: read the agents, then apply again.
  let last = new Map<string, 'online' | 'away'>();
  let loading: Promise<void> | undefined;
  const learnAgents = () => {
    loading ??= bus.store.listAgents().then((all) => { for (const a of all) pool.upsert(a); assigner.setRemotePresence(last, () => {}); })
      .catch((err) => logger.warn({ err }, 'reading agents failed')).finally(() => { loading = undefined; });
  };
  presence.onChange((others) => { last = others; assigner.setRemotePresence(others, learnAgents); });
  presence.start(() => assigner.localPresence());

  void (async () => {
    while (!ctl.signal.aborted) {
      const lease = await cluster.leader('assigner', ctl.signal);
      if (lease.signal.aborted) continue;
      logger.info({ node: cluster.nodeId }, 'this node assigns conversations now');
      await assigner.setLeading(true).catch((err) => logger.error({ err }, 'reading the queues failed'));
      await new Promise((r) => lease.signal.addEventListener('abort', r, { once: true }));
      await assigner.setLeading(false);
    }
  })();
  return async () => { ctl.abort(); };
}
