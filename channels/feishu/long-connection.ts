import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Connection } from '../kit/reconnect.js';
import { loadLark, sdkLogger } from './api.js';
import { APP_ID, sdkDomain, type FeishuApp } from './types.js';

/** What WSClient calls with every event (the SDK's EventDispatcher, or anything with its invoke). */
export interface Dispatcher { invoke(data: unknown, params?: { needCheck?: boolean }): Promise<unknown> }

/** pullConnectConfig codes that mean "try again later", not "your credentials are wrong". */
const NOT_AUTH = /code=(1|1000040343|1000040350)\b/;

/**
 * One long connection of one app, as keepConnected() wants it: resolves once the socket is open,
 * `closed` settles when it is gone. The SDK's own reconnect loop is off (keepConnected owns
 * backoff and health), and the SDK reports a dropped socket to nobody once autoReconnect is off,
 * so the socket is watched through the `agent` it is opened with. The SDK acknowledges an event
 * after `dispatcher.invoke` resolves, which is after ingest stored it: an event lost with the
 * socket is pushed again by Feishu.
 */
export async function openLongConnection(app: FeishuApp, o: { dispatcher: Dispatcher; signal: AbortSignal; pingTimeoutS: number; log: (msg: string) => void }): Promise<Connection> {
  // WSClient.start() returns without a word on an app id it dislikes; the schema checks it too.
  if (!APP_ID.test(app.app_id)) throw Object.assign(new Error(`invalid app_id ${app.app_id}`), { auth: true });
  const lark = await loadLark();
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => { onClosed = r; });
  let client: InstanceType<typeof lark.WSClient> | undefined;
  let done = false;
  let onAbort = () => {};
  const release = () => {
    if (done) return;
    done = true;
    o.signal.removeEventListener('abort', onAbort);
    client?.close({ force: true });
    agent.destroy();
    onClosed();
  };
  const sockets = new Set<Socket>();
  const watch = (s: Socket) => { sockets.add(s); s.once('close', () => { sockets.delete(s); if (sockets.size === 0) release(); }); };
  const secure = !/^http:/.test(String(sdkDomain(app.domain, { Feishu: 0, Lark: 1 })));
  const agent = secure ? new (class extends HttpsAgent { override createConnection(...a: Parameters<HttpsAgent['createConnection']>) { const s = super.createConnection(...a) as Socket; watch(s); return s; } })()
    : new (class extends HttpAgent { override createConnection(...a: Parameters<HttpAgent['createConnection']>) { const s = super.createConnection(...a) as Socket; watch(s); return s; } })();

  return new Promise<Connection>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      release();
      if (settled) return;
      settled = true;
      reject(err);
    };
    client = new lark.WSClient({
      appId: app.app_id, appSecret: app.app_secret, domain: sdkDomain(app.domain, lark.Domain) as never, autoReconnect: false, agent,
      logger: sdkLogger(o.log), loggerLevel: lark.LoggerLevel.warn, handshakeTimeoutMs: 15_000,
      ...(o.pingTimeoutS > 0 ? { wsConfig: { pingTimeout: o.pingTimeoutS } } : {}),
      onReady: () => { if (settled) return; settled = true; resolve({ closed, close: release }); },
      onError: (err) => fail(Object.assign(new Error(`long connection: ${err.message}`.slice(0, 300)), { auth: /pullConnectConfig failed/.test(err.message) && !NOT_AUTH.test(err.message) })),
    });
    if (o.signal.aborted) return fail(new Error('stopped'));
    onAbort = () => fail(new Error('stopped'));
    o.signal.addEventListener('abort', onAbort, { once: true });
    void client.start({ eventDispatcher: o.dispatcher as never }).catch((err: Error) => fail(err));
  });
}
