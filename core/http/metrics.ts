import client from 'prom-client';

/** Prometheus metrics for /metrics on the workspace port. One registry per gateway (tests run several). */
export interface MetricGauges {
  waiting: () => number; visitorSockets: () => number; agentSockets: () => number; agentsOnline: () => number;
  /** Outbox depth and age of the oldest pending item per target (channel:sms, bot:x, webhook:0). */
  outbox?: () => Promise<{ target: string; pending: number; oldestAt: number }[]>;
}

export function createMetrics(gauges: MetricGauges) {
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
  const sends = new client.Counter({ name: 'kefu_channel_sends_total', help: 'Channel send attempts by result (sent, skipped, retry, failed)', labelNames: ['channel', 'result'], registers: [registry] });
  const health = new client.Gauge({ name: 'kefu_channel_health', help: 'Channel state: 1 for the state it is in (connected, connecting, auth_failed, degraded, running, stopped)', labelNames: ['channel', 'state'], registers: [registry] });
  const HEALTH_STATES = ['connected', 'connecting', 'auth_failed', 'degraded', 'running', 'stopped'];
  const depth = new client.Gauge({ name: 'kefu_outbox_pending', help: 'Outbox items waiting, by target', labelNames: ['target'], registers: [registry] });
  const age = new client.Gauge({ name: 'kefu_outbox_oldest_seconds', help: 'Age of the oldest waiting outbox item, by target', labelNames: ['target'], registers: [registry] });
  const outboxCollect = async () => {
    if (!gauges.outbox) return;
    depth.reset(); age.reset();
    for (const t of await gauges.outbox()) {
      depth.set({ target: t.target }, t.pending);
      age.set({ target: t.target }, Math.max(0, (Date.now() - t.oldestAt) / 1000));
    }
  };
  return {
    registry,
    /** Metrics text, with the gauges that need a store read refreshed first. */
    async text(): Promise<string> { await outboxCollect(); return registry.metrics(); },
    sent: (channel: string, result: string) => sends.inc({ channel, result }),
    health: (channel: string, state: string) => { for (const s of HEALTH_STATES) health.set({ channel, state: s }, s === state ? 1 : 0); },
    messageIn: (channel: string) => messagesIn.inc({ channel }),
    messageOut: (channel: string) => messagesOut.inc({ channel }),
    rejected: (code: string, channel: string) => rejected.inc({ code, channel }),
    commit: (size: number, seconds: number) => { commit.observe(seconds); batch.observe(size); },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
