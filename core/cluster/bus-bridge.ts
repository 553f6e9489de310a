import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Fanout } from './cluster.js';
import { SeqGaps } from './seq-gaps.js';

/**
 * Cluster mode: this node's bus events go to the other nodes, theirs come back under the
 * 'remote:' names (core/bus/events.ts), so only socket-delivering listeners see them. A remote
 * conversation also refreshes the store's cached copy, so this node does not act on a stale one.
 * Returns the teardown (stop).
 */
export function bridgeBus(bus: ConversationBus, fanout: Fanout, nodeId: string): () => void {
  const origin = nodeId;
  // A message no event told this node of (its node died before publishing it) is made good by a resync.
  const gaps = new SeqGaps(() => bus.emit('resync'));
  bus.on('message', (message, conversation) => {
    gaps.saw(message.conversationId, message.seq);
    fanout.publish({ origin, kind: 'message', message, conversation });
  });
  bus.on('conversation', (conversation, change) => fanout.publish({ origin, kind: 'conversation', conversation, change }));
  bus.on('signal', (signal) => fanout.publish({ origin, kind: 'signal', signal }));
  bus.on('delivery', (update) => fanout.publish({ origin, kind: 'delivery', update }));
  fanout.onRemote((e) => {
    switch (e.kind) {
      case 'message':
        gaps.saw(e.message.conversationId, e.message.seq);
        bus.store.refreshed?.(e.conversation);
        return void bus.emit('remote:message', e.message, e.conversation);
      case 'conversation':
        bus.store.refreshed?.(e.conversation);
        return void bus.emit('remote:conversation', e.conversation, e.change);
      case 'signal':
        return void bus.emit('remote:signal', e.signal);
      case 'delivery':
        return void bus.emit('remote:delivery', e.update);
    }
  });
  fanout.onResync(() => bus.emit('resync'));
  return () => gaps.close();
}
