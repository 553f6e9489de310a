import { hostname } from 'node:os';
import type { ConversationChange, Signal } from '../bus/events.js';
import type { Conversation, Message } from '../model/message.js';
import type { DeliveryUpdate } from '../model/delivery.js';
import { localLimiters, type LimiterFactory } from '../ratelimit/rate-limiter.js';

/** A leader lease this node holds. */
export interface Lease {
  /** Aborts when the lease is lost (a renewal failed or came too late) or the caller's signal aborted. */
  signal: AbortSignal;
  /** Fencing token: larger for every later holder of any lease, so a late write of a former holder can be refused. */
  fence: number;
}

/**
 * Resolves once this node holds the lease `name` (one holder cluster-wide). `onWait` runs when
 * another node holds it, so a channel can show itself as standby. When `signal` aborts first it
 * resolves with an aborted lease; it never rejects. Single node: at once.
 */
export type Leader = (name: string, signal: AbortSignal, onWait?: () => void) => Promise<Lease>;

/** A short-lived credential (a WeChat access token) every node reads and one node at a time renews. */
export interface SharedSecret { value: string; expiresAt: number }

export interface SharedSecrets {
  get(key: string): Promise<SharedSecret | undefined>;
  /**
   * Under a cluster-wide lock: reads `key` again and runs `fetch` only when `stale(current)`, so
   * nodes that find it stale together cause one fetch. The result is what every node then reads.
   */
  refresh(key: string, stale: (current: SharedSecret | undefined) => boolean, fetch: () => Promise<SharedSecret>): Promise<SharedSecret>;
}

/** An agent's presence as one node sees it (its own workspace sockets). */
export type PresenceStatus = 'online' | 'away';

/**
 * Agent presence across nodes. Each node reports the agents whose workspace sockets it holds;
 * a node's report expires with the node (kill -9 included), so an agent whose only node died
 * goes offline everywhere without anyone saying so.
 */
export interface SharedPresence {
  /** `local` is read now and every second: this node's agents with at least one socket here. */
  start(local: () => Map<string, PresenceStatus>): void;
  /** Something in `local` changed: report now rather than at the next second. */
  changed(): void;
  /** The other nodes' agents (best status per agent), each time it changes. */
  onChange(fn: (others: Map<string, PresenceStatus>) => void): void;
  close(): Promise<void>;
}

/** A bus event as it crosses to the other nodes; `origin` is the producing node's id. */
export type RemoteEvent = { origin: string } & (
  | { kind: 'message'; message: Message; conversation: Conversation }
  | { kind: 'conversation'; conversation: Conversation; change: ConversationChange }
  | { kind: 'signal'; signal: Signal }
  | { kind: 'delivery'; update: DeliveryUpdate });

/**
 * Live delivery between nodes. Best effort: a publish may be lost (Redis away), so `onResync`
 * runs whenever this node may have missed some, and the listeners catch up from the store.
 */
export interface Fanout {
  publish(e: RemoteEvent): void;
  /** Events of the other nodes only (never this node's own). */
  onRemote(fn: (e: RemoteEvent) => void): void;
  onResync(fn: () => void): void;
}

/**
 * What a node shares with the other nodes. Single node: everything in-process (this file); cluster
 * mode: plugins/cluster-redis, loaded only then. Core and the channels see only this interface.
 */
export interface Cluster {
  readonly mode: 'single' | 'redis';
  readonly nodeId: string;
  /** False while the shared state cannot be reached: /readyz answers 503 and a balancer sends no new traffic. */
  ready(): boolean;
  /** What /readyz shows under "cluster" (never a secret). */
  health(): Record<string, unknown>;
  /** Rate limiters: one count per key cluster-wide in cluster mode. */
  limiters: LimiterFactory;
  leader: Leader;
  /** Absent on a single node: a channel keeps its credentials itself. */
  secrets?: SharedSecrets;
  /** Absent on a single node: every event is local. */
  fanout?: Fanout;
  /** Absent on a single node: presence is this node's own. */
  presence?: SharedPresence;
  /**
   * Runs `fn` while this node holds the cluster-wide lock `name` (waits up to a few seconds for
   * it, then rejects with `unavailable`). Absent on a single node: one process needs no lock.
   */
  exclusive?<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function defaultNodeId(configured: string): string {
  return configured || `${hostname()}-${process.pid}`;
}

export function singleNode(nodeId = defaultNodeId('')): Cluster {
  return {
    mode: 'single', nodeId, ready: () => true, health: () => ({ mode: 'single' }), limiters: localLimiters,
    leader: async (_name, signal) => ({ signal, fence: 0 }),
    close: async () => {},
  };
}
