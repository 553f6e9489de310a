import { definePlugin } from '../contract.js';

interface Options { text?: string }

/**
 * Tells a customer when their conversation is waiting and no agent is online, once per wait:
 * the message is kept and surfaces in the workspace when an agent logs in.
 * Uses the route stage: after the core queued the conversation, check presence.
 */
export default definePlugin<Options>({
  name: 'offline-notice',
  setup(gw, options) {
    const notified = new Set<string>();
    gw.on('conversation', (conv, change) => {
      if (change === 'assigned' || change === 'resolved') notified.delete(conv.id);
    });
    gw.use('route', async (ctx, next) => {
      await next();
      const conv = ctx.conversation;
      if (ctx.handled || conv.status !== 'queued' || gw.agentsOnline() > 0 || notified.has(conv.id)) return;
      notified.add(conv.id);
      const text = options.text ?? gw.config().channels.web.offline_notice;
      await gw.send({ conversationId: conv.id, from: { id: 'system', role: 'system', name: 'kefu' }, content: { kind: 'event', event: 'notice', text } });
    });
  },
});
