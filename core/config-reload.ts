import type { Logger } from 'pino';
import { ConfigSource } from '../config/load.js';
import type { KefuConfig } from '../config/schema.js';
import type { RateLimiter } from './ratelimit/rate-limiter.js';
import type { Assigner } from './routing/assigner.js';
import type { AgentHub } from './workspace/agent-hub.js';
import type { SlaMonitor } from './sla/monitor.js';
import { setSocketSendBuffer } from './http/socket-send.js';

/**
 * What a hot reload changes in a running node. The new config is already validated and in
 * place (parts read it at use); this applies what parts hold on to: limiter rates, the
 * routing queues, channels started or stopped, the log level.
 */
export function applyConfigChange(next: KefuConfig, prev: KefuConfig, p: {
  logger: Logger; limiter: RateLimiter; assigner: Assigner; hub: AgentHub; sla?: SlaMonitor;
  /** The channel registry (typed by what is used here: core does not import channels/). */
  registry: { reconcile(): Promise<void> };
}): void {
  const restart = ConfigSource.restartNeeded(next, prev);
  if (restart.length) p.logger.warn({ keys: restart }, 'config changed keys that need a restart; they keep their old values until then');
  if (next.ratelimit.customer_quota !== prev.ratelimit.customer_quota || next.ratelimit.burst !== prev.ratelimit.burst) {
    p.limiter.configure(next.ratelimit.customer_quota, next.ratelimit.burst);
  }
  if (JSON.stringify(next.routing) !== JSON.stringify(prev.routing)) {
    p.assigner.reconfigure();
    p.sla?.reconfigure();
    p.hub.broadcastAgents();
  }
  p.logger.level = next.log.level;
  setSocketSendBuffer(next.server.socket_send_buffer_bytes);
  p.registry.reconcile().catch((err) => p.logger.error({ err }, 'channel reconcile failed'));
  p.logger.info('config reloaded');
}
