import type { Logger } from 'pino';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Cluster } from '../cluster/cluster.js';
import type { AgentPool } from './agent-pool.js';
import type { Assigner, SharedAssignment } from './assigner.js';

const LOCK = 'assign';
const RELOAD_EVERY_MS = 5000;

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
  // A resync (Redis back, a seq gap after a node died) may mean missed conversation events: read
  // the queues again, at most once per RELOAD_EVERY_MS however many resyncs come.
  let reloadTimer: NodeJS.Timeout | undefined;
  let lastReload = 0;
  const reload = () => {
    reloadTimer = undefined;
    lastReload = Date.now();
    assigner.reload().catch((err) => logger.warn({ err }, 'routing reload after resync failed'));
  };
  bus.on('resync', () => {
    if (reloadTimer) return;
    reloadTimer = setTimeout(reload, Math.max(0, lastReload + RELOAD_EVERY_MS - Date.now()));
    reloadTimer.unref();
  });

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
      // A leader with queues it could not read would assign from empty lines: it tries again while it holds the lease.
      while (!lease.signal.aborted) {
        try { await assigner.setLeading(true); break; } catch (err) {
          logger.error({ err }, 'reading the queues failed; trying again');
          await new Promise((r) => setTimeout(r, 1000).unref());
        }
      }
      // The lease may have gone during the reload: its abort event has then already fired.
      if (!lease.signal.aborted) await new Promise((r) => lease.signal.addEventListener('abort', r, { once: true }));
      await assigner.setLeading(false);
    }
  })();
  return async () => { ctl.abort(); clearTimeout(reloadTimer); };
}
