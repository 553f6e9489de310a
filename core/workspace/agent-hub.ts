import type { WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { KefuError, toKefuError } from '../errors.js';
import type { Content, Conversation, Message } from '../model/message.js';
import type { ConversationChange, Signal } from '../bus/events.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { AgentAccounts } from '../auth/agents.js';
import type { AgentRecord } from '../store/store.js';
import type { Assigner } from '../routing/assigner.js';
import type { AgentPool } from '../routing/agent-pool.js';
import type { MediaService } from '../http/media.js';
import { sendAll, sendBounded } from '../http/socket-send.js';
import { withDeliveries, type DeliveryUpdate } from '../model/delivery.js';
import { SeenSeqs } from './seen-seqs.js';
import { parseAgentFrame } from './agent-frames.js';
import { publicConversation, sessionToken } from './views.js';
import type { SlaMonitor } from '../sla/monitor.js';

interface Conn {
  ws: WebSocket; agent: AgentRecord; open: Set<string>; queue?: string[];
  /** The seqs this socket got per conversation: a resync sends the others, and a late live copy of one it has is not sent twice. */
  seen: Map<string, SeenSeqs>;
  /** Per conversation, the send still being prepared (claim, attachments): the next waits for it to reach the bus. */
  sending: Map<string, Promise<unknown>>;
}

/**
 * Live side of the workspace: one socket per open workspace tab. Agents get every
 * conversation change (to keep lists current) and the messages of conversations assigned
 * to them or opened by them. Sends go through the bus exactly like any other participant.
 */
export class AgentHub {
  private conns = new Set<Conn>();

  constructor(private d: {
    bus: ConversationBus; accounts: AgentAccounts; assigner: Assigner; pool: AgentPool; media: MediaService;
    logger: Logger;
    /** Called when the number of agents accepting conversations may have changed. */
    onPresence?: (agentsOnline: number) => void;
    /** Channel health for the supervisor view. */
    channelHealth?: () => Record<string, unknown>;
    /** SLA clocks: each conversation's time left, breaches for the supervisor view. */
    sla?: SlaMonitor;
    /** CSAT totals per queue and agent, today and the last 7 days (core/csat/csat-totals.ts). */
    csat?: () => unknown;
    /** Snoozed conversations (core/search/snooze.ts): a conversation's `snooze`, if any. */
    snoozes?: { of(conversationId: string): unknown };
  }) {
    d.bus.on('message', (m, c) => this.onMessage(m, c));
    d.bus.on('remote:message', (m, c) => this.onMessage(m, c));
    d.bus.on('resync', () => { for (const conn of this.conns) void this.resync(conn); });
    const onConversation = (c: Conversation, change: ConversationChange) => {
      this.broadcast({ type: 'conversation', change, conversation: this.view(c) });
      // Loads in the team panel change with every assignment, not only with presence.
      if (change !== 'updated' && change !== 'created') this.agentsChanged();
      // Messages that came before the assignment (cluster mode assigns under a lock, after the
      // message event; another node may have assigned it) reach the new assignee as history.
      if ((change === 'assigned' || change === 'transferred') && c.assigneeId) this.catchUp(c.id, c.assigneeId);
    };
    d.bus.on('conversation', onConversation);
    d.bus.on('remote:conversation', onConversation);
    // Clocks start, stop and fall due between conversation changes: every list shows them.
    d.sla?.on('changed', (c, sla) => this.broadcast({ type: 'sla', conversationId: c.id, sla }));
    d.sla?.on('breached', (b) => this.broadcast({ type: 'sla.breached', ...b }));
    const onDelivery = (u: DeliveryUpdate) => {
      void d.bus.store.getConversation(u.conversationId).then((c) => { if (c) this.toWatchers(c, { type: 'delivery', ...u }); })
        .catch((err) => d.logger.warn({ err }, 'delivery relay failed'));
    };
    d.bus.on('delivery', onDelivery);
    d.bus.on('remote:delivery', onDelivery);
    const onSignal = (s: Signal) => {
      if (s.from.role !== 'customer') return;
      void d.bus.store.getConversation(s.conversationId).then((c) => {
        if (c) this.toWatchers(c, { type: s.event, conversationId: c.id, from: s.from, seq: s.seq });
      }).catch((err) => d.logger.warn({ err }, 'signal relay failed'));
    };
    d.bus.on('signal', onSignal);
    d.bus.on('remote:signal', onSignal);
  }

  get connectionCount(): number { return this.conns.size; }

  /** A conversation as the workspace sees it, with its SLA clocks. */
  view(c: Conversation) { return { ...publicConversation(c, this.d.sla?.view(c)), snooze: this.d.snoozes?.of(c.id) }; }

  slaSummary() { return this.d.sla?.supervisor(); }

  csatSummary() { return this.d.csat?.(); }

  private lastSupervisor = '';
  /** Live supervisor view: sent when it changes, checked every 2 s (waits grow with time). */
  private supervisorTimer = setInterval(() => this.pushSupervisor(), 2000).unref();

  private supervisorFrame() {
    return { type: 'supervisor', queues: this.d.assigner.supervisorView(), channels: this.d.channelHealth?.(), sla: this.slaSummary(), csat: this.csatSummary() };
  }

  pushSupervisor(): void {
    if (this.conns.size === 0) return;
    const data = JSON.stringify(this.supervisorFrame());
    if (data === this.lastSupervisor) return;
    this.lastSupervisor = data;
    for (const conn of this.conns) sendBounded(conn.ws, data);
  }

  async accept(ws: WebSocket, req: IncomingMessage): Promise<void> {
    let agent: AgentRecord;
    try {
      agent = await this.d.accounts.authenticate(sessionToken(req.headers.cookie, req.headers.authorization));
    } catch {
      send(ws, { type: 'error', code: 'unauthorized', message: 'Log in first.' });
      ws.close(4003, 'unauthorized');
      return;
    }
    const conn: Conn = { ws, agent, open: new Set(), seen: new Map(), sending: new Map() };
    this.conns.add(conn);
    this.d.pool.upsert(agent);
    this.d.assigner.connected(agent.id);
    send(ws, { type: 'welcome', agent: { id: agent.id, name: agent.name, role: agent.role }, status: this.d.pool.get(agent.id)?.status });
    this.broadcastAgents();
    send(ws, this.supervisorFrame());
    ws.on('message', (data) => void this.onFrame(conn, data.toString()));
    ws.on('close', () => {
      this.conns.delete(conn);
      this.d.assigner.disconnected(agent.id);
      this.broadcastAgents();
    });
    ws.on('error', () => ws.terminate());
  }

  private async onFrame(conn: Conn, raw: string): Promise<void> {
    const parsed = parseAgentFrame(raw);
    if (parsed.kind === 'invalid') return send(conn.ws, { type: 'error', code: parsed.code, message: parsed.message, clientId: parsed.clientId });
    const f = parsed.frame;
    try {
      switch (f.type) {
        case 'ping': return send(conn.ws, { type: 'pong' });
        case 'status':
          this.d.assigner.setStatus(conn.agent.id, f.status);
          return this.broadcastAgents();
        case 'open': {
          const conv = await this.conversation(f.conversationId);
          conn.open.add(conv.id);
          return await this.history(conn, conv.id, f.after);
        }
        case 'leave':
          conn.open.delete(f.conversationId);
          return;
        case 'typing':
        case 'read': {
          const conv = await this.conversation(f.conversationId);
          this.d.bus.signal({ conversationId: conv.id, from: { id: conn.agent.id, role: 'agent', name: conn.agent.name }, event: f.type, seq: f.seq });
          return;
        }
        case 'send': {
          // Sends of one conversation reach the bus in the order they came (the bus keeps that
          // order from there): a first reply that claims, or one with attachments, is not
          // overtaken by the quicker ones behind it.
          const before = conn.sending.get(f.conversationId);
          const reached = (async () => {
            await before?.catch(() => {});
            const conv = await this.conversation(f.conversationId);
            if (!f.private && (conv.status !== 'assigned' || conv.assigneeId !== conn.agent.id)) {
              // Replying takes the conversation (a common workspace habit); refused when full.
              await this.d.assigner.claim(conv, conn.agent.id);
            }
            const content: Content = f.text !== undefined ? { kind: 'text', text: f.text }
              : { kind: 'media', attachments: await this.d.media.resolveAttachments(f.attachments), caption: f.caption };
            return { sent: this.d.bus.send({ conversationId: conv.id, clientId: f.clientId, private: f.private,
              from: { id: conn.agent.id, role: 'agent', name: conn.agent.name }, content }) };
          })();
          conn.sending.set(f.conversationId, reached);
          void reached.catch(() => {}).finally(() => { if (conn.sending.get(f.conversationId) === reached) conn.sending.delete(f.conversationId); });
          const res = await (await reached).sent;
          return send(conn.ws, { type: 'ack', clientId: f.clientId, id: res.message.id, seq: res.message.seq, duplicate: res.status === 'duplicate' || undefined });
        }
      }
    } catch (err) {
      const e = err instanceof KefuError ? err : toKefuError(err);
      if (!(err instanceof KefuError)) this.d.logger.error({ err }, 'agent frame failed');
      send(conn.ws, { type: 'error', code: e.code, message: e.toJSON().message, clientId: 'clientId' in f ? f.clientId : undefined });
    }
  }

  /** `resync`: only the messages this socket has not had (after an 'open', the client asked for all of them). */
  private async history(conn: Conn, conversationId: string, after: number | undefined, resync = false): Promise<void> {
    const seen = this.seen(conn, conversationId);
    if (!resync && after) seen.hasUpTo(after);
    // One page in memory at a time: the next is read once this one has left for the kernel.
    while (conn.ws.readyState === 1) {
      const read = await this.d.bus.store.listMessages(conversationId, { afterSeq: after, limit: 200 });
      const fresh = resync ? read.filter((m) => !seen.has(m.seq)) : read;
      for (const m of read) seen.add(m.seq);
      if (!resync || fresh.length) {
        const page = await withDeliveries(this.d.bus.store.outbox, fresh);
        await sendAll(conn.ws, [JSON.stringify({ type: 'history', conversationId, messages: page, done: read.length < 200 })]);
      }
      if (read.length < 200) return;
      after = read[read.length - 1].seq;
    }
  }

  /**
   * Events from other nodes may have been lost (cluster mode, Redis came back): every
   * conversation the socket shows gets, as a history frame, what followed the last seq it had.
   */
  private async resync(conn: Conn): Promise<void> {
    for (const id of new Set([...conn.open, ...conn.seen.keys()])) {
      try {
        if (!conn.open.has(id) && (await this.d.bus.store.getConversation(id))?.assigneeId !== conn.agent.id) continue;
        await this.history(conn, id, conn.seen.get(id)?.upTo, true);
      } catch (err) { this.d.logger.warn({ err, conversationId: id }, 'resync failed'); }
    }
  }

  private catchUp(conversationId: string, agentId: string): void {
    for (const conn of this.conns) {
      if (conn.agent.id !== agentId || conn.open.has(conversationId)) continue;
      this.history(conn, conversationId, this.seen(conn, conversationId).upTo, true)
        .catch((err) => this.d.logger.warn({ err, conversationId }, 'catch-up after assignment failed'));
    }
  }

  private seen(conn: Conn, conversationId: string): SeenSeqs {
    let seen = conn.seen.get(conversationId);
    if (!seen) conn.seen.set(conversationId, (seen = new SeenSeqs()));
    return seen;
  }

  private async conversation(id: string): Promise<Conversation> {
    const conv = await this.d.bus.store.getConversation(id);
    if (!conv) throw new KefuError('conversation_not_found');
    return conv;
  }

  private onMessage(m: Message, c: Conversation): void {
    this.toWatchers(c, { type: 'message', message: m }, (conn) => {
      // An edit keeps its seq and is always news; a new message at or below what a resync sent is not.
      const seen = this.seen(conn, c.id);
      if (!m.editedAt && seen.has(m.seq)) return false;
      seen.add(m.seq);
      return true;
    });
  }

  private toWatchers(c: Conversation, frame: object, admit?: (conn: Conn) => boolean): void {
    let data: string | undefined;
    for (const conn of this.conns) {
      if (conn.open.has(c.id) || c.assigneeId === conn.agent.id) {
        if (conn.ws.readyState === 1 && (!admit || admit(conn))) this.enqueue(conn, (data ??= JSON.stringify(frame)));
      }
    }
  }

  /**
   * Frames for one agent within the same tick leave as one `batch` frame: a busy agent socket
   * costs one write per tick instead of one per message. Order is kept.
   */
  private enqueue(conn: Conn, data: string): void {
    if (conn.queue) { conn.queue.push(data); return; }
    conn.queue = [data];
    setImmediate(() => {
      const q = conn.queue!;
      conn.queue = undefined;
      sendBounded(conn.ws, q.length === 1 ? q[0] : `{"type":"batch","frames":[${q.join(',')}]}`);
    });
  }

  private broadcast(frame: object): void {
    const data = JSON.stringify(frame);
    for (const conn of this.conns) if (conn.ws.readyState === 1) this.enqueue(conn, data);
  }

  private agentsPending = false;
  /** Many assignments in one tick make one team update. */
  private agentsChanged(): void {
    if (this.agentsPending) return;
    this.agentsPending = true;
    setImmediate(() => { this.agentsPending = false; this.broadcastAgents(); });
  }

  broadcastAgents(): void {
    this.broadcast({ type: 'agents', agents: this.agentList() });
    this.d.onPresence?.(this.d.pool.onlineCount());
  }

  agentList() {
    return this.d.pool.all().filter((s) => !s.agent.disabled).map((s) => ({
      id: s.agent.id, name: s.agent.name, status: this.d.pool.status(s), load: s.active.size, capacity: this.d.pool.capacity(s),
    }));
  }

  closeAll(): void {
    clearInterval(this.supervisorTimer);
    for (const c of this.conns) c.ws.close(1012, 'restart');
  }
}

function send(ws: WebSocket, frame: object): void {
  sendBounded(ws, JSON.stringify(frame));
}
