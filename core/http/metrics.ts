import client from 'prom-client';

/** Prometheus metrics for /metrics on the workspace port. One registry per gateway (tests run several). */
export function createMetrics(gauges: { waiting: () => number; visitorSockets: () => number; agentSockets: () => number; agentsOnline: () => number }) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'kefu_' });
  const messagesIn = new client.Counter({ name: 'kefu_messages_in_total', help: 'Inbound messages accepted, by channel', labelNames: ['channel'], registers: [registry] });
  const messagesOut = new client.Counter({ name: 'kefu_messages_out_total', help: 'Outbound messages delivered to a channel', labelNames: ['channel'], registers: [registry] });
  const rejected = new client.Counter({ name: 'kefu_messages_rejected_total', help: 'Inbound messages rejected, by error code', labelNames: ['code', 'channel'], registers: [registry] });
  const commit = new client.Histogram({ name: 'kefu_store_commit_seconds', help: 'Group-commit transaction time', registers: [registry],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25] });
  const batch = new client.Histogram({ name: 'kefu_store_commit_batch_size', help: 'Writes per group commit', registers: [registry],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500] });
  new client.Gauge({ name: 'kefu_queue_waiting', help: 'Conversations waiting for an agent', registers: [registry], collect() { this.set(gauges.waiting()); } });
  new client.Gauge({ name: 'kefu_agents_online', help: 'Agents online', registers: [registry], collect() { this.set(gauges.agentsOnline()); } });
  new client.Gauge({ name: 'kefu_ws_connections', help: 'Open WebSocket connections', labelNames: ['kind'], registers: [registry],
    collect() { this.set({ kind: 'visitor' }, gauges.visitorSockets()); this.set({ kind: 'agent' }, gauges.agentSockets()); } });
  return {
    registry,
    messageIn: (channel: string) => messagesIn.inc({ channel }),
    messageOut: (channel: string) => messagesOut.inc({ channel }),
    rejected: (code: string, channel: string) => rejected.inc({ code, channel }),
    commit: (size: number, seconds: number) => { commit.observe(seconds); batch.observe(size); },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
