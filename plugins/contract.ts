import type { Logger } from 'pino';
import type { KefuConfig } from '../config/schema.js';
import type { ConversationBus, OutboundRequest, IngestResult } from '../core/bus/conversation-bus.js';
import type { BusEvents } from '../core/bus/events.js';
import type { Middleware, Stage } from '../core/bus/pipeline.js';
import type { ChannelAdapter } from '../channels/contract.js';
import type { JsonHandler } from '../core/http/json-routes.js';

/**
 * The plugin contract. A plugin is a module whose default export is a `Plugin` (or a
 * function returning one). It is named in config (`[[plugins]] name = "…"`): a built-in
 * folder under plugins/, or any npm package, so third parties extend kefu without forking.
 *
 * setup() runs once at start, in config order, after the plugins it `dependsOn`. What it
 * may do is on `GatewayApi`; a teardown it returns runs at shutdown.
 */
export interface Plugin<O = Record<string, unknown>> {
  name: string;
  dependsOn?: string[];
  setup(gw: GatewayApi, options: O): void | Teardown | Promise<void | Teardown>;
}

export type Teardown = () => void | Promise<void>;

export interface GatewayApi {
  readonly logger: Logger;
  /** The current config (hot-reloaded): read it at use. */
  config(): KefuConfig;
  /** Adds middleware to a pipeline stage (see core/bus/pipeline.ts for what each stage means). */
  use(stage: Stage, fn: Middleware): GatewayApi;
  /** Listens to bus events: message, conversation, signal, rejected. */
  on<E extends keyof BusEvents>(event: E, fn: (...args: BusEvents[E]) => void): GatewayApi;
  /** Sends an outbound message as a bot or system participant (stored, then delivered). */
  send(req: OutboundRequest): Promise<IngestResult>;
  /** Registers a channel adapter (a channel packaged as a plugin). */
  addChannel(adapter: ChannelAdapter): void;
  /** Shares a service under a name (e.g. "intent"); providing a name twice throws. */
  provide<T>(service: string, impl: T): void;
  /** A service another plugin provided, or undefined. */
  service<T>(service: string): T | undefined;
  /** Runs after every hot reload of the config file (validated), with the new config. */
  onConfigChange(fn: (next: KefuConfig) => void): void;
  /**
   * Adds a JSON POST endpoint on the public port, served like the channels' hot JSON routes
   * (core/http/json-routes.ts): body within `[server] max_body_bytes`, the error catalogue's
   * answers, the public headers. A path registered twice throws.
   */
  publicJson(path: string, handler: JsonHandler): void;
  /**
   * The API token (`kefu token create`, `[[channels.api.bots]]`) in an `Authorization: Bearer …`
   * header: its caller and scopes, or a KefuError `unauthorized` (none) / `invalid_token`.
   */
  apiCaller(authorization: string | undefined): Promise<{ id: string; name: string; scopes: readonly string[] }>;
  /** How many agents are online and accepting conversations. */
  agentsOnline(): number;
  readonly bus: ConversationBus;
}

export function definePlugin<O = Record<string, unknown>>(p: Plugin<O>): Plugin<O> {
  return p;
}
