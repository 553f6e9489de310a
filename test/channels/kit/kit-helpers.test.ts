import assert from 'node:assert/strict';
import { keepConnected, type Connection } from '../../../channels/kit/reconnect.js';
import type { ChannelAdapter, ChannelContext, HealthState } from '../../../channels/contract.js';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, loginAgent } from '../../helpers/clients.js';
import { rawRequest } from '../../helpers/raw-http.js';

/** A connection the test closes by hand. */
function fakeConnection(): Connection & { drop(): void } {
  let drop!: () => void;
  const closed = new Promise<void>((r) => { drop = r; });
  return { closed, close: () => drop(), drop };
}

describe('channel kit: keepConnected (the reconnect helper)', () => {
  it('reconnects after a drop with growing, jittered waits, reports every transition, and stops on abort', async () => {
    const abort = new AbortController();
    const reports: [HealthState, string | undefined][] = [];
    const waits: number[] = [];
    const conns: ReturnType<typeof fakeConnection>[] = [];
    let attempts = 0;
    const done = keepConnected({
      signal: abort.signal,
      report: (s, d) => reports.push([s, d]),
      random: () => 0.5,
      sleep: async (ms) => { waits.push(ms); },
      connect: async () => {
        attempts++;
        if (attempts === 2 || attempts === 3) throw new Error('ECONNREFUSED');
        if (attempts === 4) throw Object.assign(new Error('app secret rejected'), { auth: true });
        const c = fakeConnection();
        conns.push(c);
        return c;
      },
    });
    await eventually(() => conns.length === 1, 'first connection');
    conns[0].drop();
    await eventually(() => conns.length === 2, 'reconnected after three failures');
    assert.deepEqual(waits, [500, 1000, 2000, 4000], 'doubling from 1 s, times the jitter (0.5 here)');
    assert.ok(reports.some(([s]) => s === 'auth_failed'), 'an auth error is reported as auth_failed');
    assert.deepEqual(reports.filter(([s]) => s === 'connected').length, 2);
    abort.abort();
    await done; // resolves once stopped
    assert.equal(attempts, 5);
  });

  it('a connection that opens after stop is closed at once', async () => {
    const abort = new AbortController();
    let closedIt = false;
    let release!: () => void;
    const done = keepConnected({ signal: abort.signal, report: () => {}, connect: () => new Promise((r) => {
      release = () => r({ closed: new Promise(() => {}), close: () => { closedIt = true; } });
    }) });
    await eventually(() => release, 'connecting');
    abort.abort();
    release();
    await done;
    assert.equal(closedIt, true);
  });
});

/** A channel that exposes its context, for the kit's context helpers. */
class ProbeChannel implements ChannelAdapter {
  readonly name = 'probe';
  ctx?: ChannelContext;
  failStart = false;
  async start(ctx: ChannelContext) {
    if (this.failStart) { ctx.on('message', () => {}); throw new Error('vendor said no'); }
    this.ctx = ctx;
  }
  async stop() {}
  async send() { return { sourceId: '', skipped: true }; }
  routes(router: import('@koa/router').default) {
    router.post('/channels/probe/raw', async (koa) => {
      const body = await this.ctx!.rawBody(koa, 64);
      koa.body = { bytes: body.length, hex: body.subarray(0, 4).toString('hex'), url: this.ctx!.publicUrl(koa) };
    });
    router.post('/channels/probe/signed', (koa) => { if (koa.get('x-sig') !== 'ok') this.ctx!.rejectSignature(); koa.body = { ok: true }; });
  }
}

describe('channel kit: the context a channel gets', () => {
  let gw: TestGateway;
  let probe: ProbeChannel;
  afterEach(async () => { await gw?.close(); });

  it('ctx.state is durable per channel; reportHealth shows in /readyz, /metrics and the supervisor view', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-kit-state-'));
    probe = new ProbeChannel();
    gw = await startGateway('[channels.probe]\nenabled = true', { channels: [probe], dir });
    await probe.ctx!.state.set('imap_uid', '4711');
    assert.equal(await probe.ctx!.state.get('imap_uid'), '4711');
    assert.equal(await gw.store.channelState.get('web', 'imap_uid'), undefined, 'per channel');
    probe.ctx!.reportHealth('degraded', 'no frames for 90 s; reconnecting');
    const ready = await json(`${gw.workspaceUrl}/readyz`);
    assert.equal(ready.status, 200, 'a channel in trouble does not make the node unready');
    assert.equal(ready.body.channels.probe.state, 'degraded');
    assert.equal(ready.body.channels.probe.detail, 'no frames for 90 s; reconnecting');
    const metrics = (await json(`${gw.workspaceUrl}/metrics`)).body as string;
    assert.match(metrics, /kefu_channel_health\{channel="probe",state="degraded"\} 1/);
    assert.match(metrics, /kefu_channel_health\{channel="probe",state="connected"\} 0/);
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const sup = await json(`${gw.workspaceUrl}/api/supervisor`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(sup.body.channels.probe.state, 'degraded');
    await gw.close();
    probe = new ProbeChannel();
    gw = await startGateway('[channels.probe]\nenabled = true', { channels: [probe], dir });
    assert.equal(await probe.ctx!.state.get('imap_uid'), '4711', 'survives a restart');
    await gw.close();
    gw = undefined as never;
    rmSync(dir, { recursive: true, force: true });
  });

  it('ctx.rawBody gives the exact bytes within its limit; publicUrl keeps the query string and uses public_url; rejectSignature is 403', async () => {
    probe = new ProbeChannel();
    gw = await startGateway('[server]\npublic_url = "https://chat.example.com/"\n[channels.probe]\nenabled = true', { channels: [probe] });
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x22, 0x7d]);
    const r = await rawRequest(`${gw.publicUrl}/channels/probe/raw?sig=a%2Bb&x=1`, { headers: { 'content-type': 'application/json' }, body: bytes });
    assert.deepEqual(r.body, { bytes: 6, hex: 'efbbbf7b', url: 'https://chat.example.com/channels/probe/raw?sig=a%2Bb&x=1' });
    const big = await rawRequest(`${gw.publicUrl}/channels/probe/raw`, { headers: { 'content-type': 'application/json' }, body: Buffer.alloc(65) });
    assert.equal(big.status, 413);
    const bad = await rawRequest(`${gw.publicUrl}/channels/probe/signed`, { headers: { 'x-sig': 'no' }, body: '{}' });
    assert.equal(bad.status, 403);
    assert.equal(bad.body.error.code, 'invalid_signature');
  });

  it('a channel whose start fails is left as if never started: stopped with the reason, nothing registered, its routes disabled', async () => {
    probe = new ProbeChannel();
    probe.failStart = true;
    const plain = await startGateway();
    const listeners = plain.bus.listenerCount('message');
    await plain.close();
    gw = await startGateway('[channels.probe]\nenabled = true', { channels: [probe] });
    assert.equal(gw.bus.listenerCount('message'), listeners, 'the listener its start added is gone');
    assert.equal(gw.channels.isRunning('probe'), false);
    assert.match(gw.channels.health().probe.detail ?? '', /failed to start: vendor said no/);
    const r = await rawRequest(`${gw.publicUrl}/channels/probe/signed`, { headers: { 'x-sig': 'ok' }, body: '{}' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'channel_disabled');
  });
});
