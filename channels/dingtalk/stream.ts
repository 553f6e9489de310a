import WebSocket from 'ws';
import type { DWClientDownStream } from 'dingtalk-stream';
import type { Connection } from '../kit/reconnect.js';
import type { DingtalkApp } from './types.js';
import { CARD_TOPIC } from './card.js';

type Sdk = typeof import('dingtalk-stream');

export const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
/** Stream frames are small JSON; anything bigger is not DingTalk's. */
const MAX_FRAME_BYTES = 1024 * 1024;

let sdk: Promise<Sdk> | undefined;
/** The SDK, loaded when a stream app starts: a disabled channel (or HTTP-only apps) never loads it. */
export function loadSdk(): Promise<Sdk> {
  sdk ??= import('dingtalk-stream');
  return sdk;
}

export interface StreamOptions {
  app: DingtalkApp;
  /** `<api_base>/v1.0/gateway/connections/open`. */
  gatewayUrl: string;
  keepaliveMs: number;
  timeoutMs: number;
  /** Stores one robot callback; resolves true when DingTalk may be told it was received (the ack). */
  onCallback: (data: string) => Promise<boolean>;
  /** A card button's callback (the CSAT card), given only when a card template is configured: its answer (a card update) is the ack. */
  onCard?: (data: string, messageId: string) => Promise<object>;
  /** Something worth a log line (never a secret). */
  warn: (what: string, detail?: object) => void;
}

export interface StreamConnection extends Connection {
  /** Why the socket went, when kefu closed it on purpose (half-dead, rebalancing). */
  reason(): string | undefined;
}

/**
 * One stream connection of one app, with the SDK's own frame handling (SYSTEM ping echo,
 * CALLBACK dispatch, the ack frame) but kefu's endpoint lookup, socket and liveness check:
 * - the endpoint comes from the configured API base (the SDK hard-codes api.dingtalk.com);
 * - the SDK's own reconnect (every 1 s, forever) is off: keepConnected reconnects with backoff;
 * - the SDK's console.* logging on connect, error and disconnect is replaced by ours;
 * - a frame that is not JSON is dropped instead of throwing out of the socket's handler;
 * - no frame (data, ping or pong) within `keepaliveMs` means a half-dead socket: it is terminated;
 * - a SYSTEM `disconnect` (the server rebalancing) closes this connection once the callbacks in
 *   flight are acknowledged, so the next one opens at once and nothing unacked is lost (DingTalk
 *   redelivers those; ingest dedupes).
 */
export async function openStream(o: StreamOptions, signal: AbortSignal): Promise<StreamConnection> {
  const { DWClient } = await loadSdk();
  let why: string | undefined;
  let socket: WebSocket | undefined;
  const inflight = new Set<Promise<unknown>>();
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => { closedResolve = r; });

  class KefuDWClient extends DWClient {
    override async getEndpoint(): Promise<this> {
      let res: Response;
      try {
        res = await fetch(o.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ clientId: o.app.client_id, clientSecret: o.app.client_secret, ua: 'kefu', subscriptions: this.config.subscriptions }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs)]) });
      } catch (err) {
        throw new Error(`stream gateway unreachable: ${(err as Error).message}`);
      }
      const body = (await res.json().catch(() => ({}))) as { endpoint?: unknown; ticket?: unknown; code?: string; message?: string };
      if (res.status === 401 || res.status === 403 || (res.status === 400 && /auth|secret|client/i.test(String(body.code)))) {
        throw Object.assign(new Error(`DingTalk refused the app's credentials (${body.code ?? res.status})`), { auth: true });
      }
      if (!res.ok || typeof body.endpoint !== 'string' || typeof body.ticket !== 'string' || !/^wss?:\/\//.test(body.endpoint)) {
        throw new Error(`stream gateway answered HTTP ${res.status} ${body.code ?? ''}`.trim());
      }
      (this as unknown as { dw_url: string }).dw_url = `${body.endpoint}?ticket=${encodeURIComponent(body.ticket)}`;
      return this;
    }

    override _connect(): Promise<void> {
      const url = (this as unknown as { dw_url: string }).dw_url;
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: o.timeoutMs });
        socket = ws;
        (this as unknown as { socket: WebSocket }).socket = ws;
        let last = Date.now();
        let watchdog: NodeJS.Timeout | undefined;
        const alive = () => { last = Date.now(); };
        ws.on('open', () => {
          watchdog = setInterval(() => {
            if (Date.now() - last > o.keepaliveMs) {
              why = `no frames for ${Math.round((Date.now() - last) / 1000)} s (half-dead socket)`;
              ws.terminate();
            } else if (ws.readyState === WebSocket.OPEN) ws.ping();
          }, Math.max(50, Math.floor(o.keepaliveMs / 3)));
          resolve();
        });
        ws.on('pong', alive);
        ws.on('ping', alive);
        ws.on('message', (data) => {
          alive();
          try { this.onDownStream(data.toString()); } catch (err) { o.warn('dingtalk: stream frame dropped', { err: (err as Error).message }); }
        });
        ws.on('error', (err) => { o.warn('dingtalk: stream socket error', { err: err.message }); reject(err); ws.terminate(); });
        ws.on('close', () => { clearInterval(watchdog); reject(new Error('stream socket closed before it opened')); closedResolve(); });
      });
    }

    override onSystem(d: DWClientDownStream): void {
      if (d.headers?.topic === 'disconnect' && !why) {
        why = 'the server asked to reconnect (rebalancing)';
        void Promise.allSettled([...inflight]).then(() => closeSoftly(socket));
      }
      super.onSystem(d);
    }

    override disconnect(): void { closeSoftly(socket); }
  }

  const client = new KefuDWClient({ clientId: o.app.client_id, clientSecret: o.app.client_secret, keepAlive: false, debug: false, ua: 'kefu' });
  client.config.autoReconnect = false;
  client.config.subscriptions = [{ type: 'CALLBACK', topic: ROBOT_TOPIC }];
  client.registerCallbackListener(ROBOT_TOPIC, (msg: DWClientDownStream) => {
    const id = msg?.headers?.messageId;
    if (typeof id !== 'string' || !id) return;
    const work = o.onCallback(typeof msg.data === 'string' ? msg.data : '').then((ack) => {
      // The ack goes only now: the message is durable (or known), so a crash before here means a redelivery, not a loss.
      if (ack) client.socketCallBackResponse(id, { success: true });
    }, (err) => o.warn('dingtalk: callback not stored; DingTalk will redeliver it', { err: (err as Error).message }));
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  });

  if (o.onCard) {
    const onCard = o.onCard;
    client.config.subscriptions.push({ type: 'CALLBACK', topic: CARD_TOPIC });
    client.registerCallbackListener(CARD_TOPIC, (msg: DWClientDownStream) => {
      const id = msg?.headers?.messageId;
      if (typeof id !== 'string' || !id) return;
      // As for messages: acknowledged once the rating is stored, so a crash means a redelivery.
      const work = onCard(typeof msg.data === 'string' ? msg.data : '', id).then((answer) => client.socketCallBackResponse(id, answer),
        (err) => o.warn('dingtalk: card callback not stored; DingTalk will redeliver it', { err: (err as Error).message }));
      inflight.add(work);
      void work.finally(() => inflight.delete(work));
    });
  }

  client.on('error', (err: Error) => o.warn('dingtalk: stream client error', { err: err.message }));
  const abort = () => socket?.terminate();
  signal.addEventListener('abort', abort, { once: true });
  void closed.then(() => signal.removeEventListener('abort', abort));
  try {
    await client.getEndpoint();
    if (signal.aborted) throw new Error('stopped');
    await client._connect();
  } catch (err) {
    socket?.terminate();
    signal.removeEventListener('abort', abort);
    throw err;
  }
  return { closed, close: () => client.disconnect(), reason: () => why };
}

/** A normal close, so the acks just written go out first; a peer that does not answer it is cut off after a second. */
function closeSoftly(ws: WebSocket | undefined): void {
  if (!ws) return;
  ws.close(1000);
  setTimeout(() => ws.terminate(), 1000).unref();
}
