import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelAdapter, ChannelContext } from '../../channels/contract.js';
import type { Conversation } from '../../core/model/message.js';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';

/**
 * The one suite every channel adapter passes. A channel folder has the same five files:
 *  - index.ts   the adapter (ChannelAdapter)
 *  - types.ts   the vendor/wire types (and the config schema slice)
 *  - parse.ts   pure raw → normalized parsing that never throws
 *  - verify.ts  signatures / credentials, importing nothing of the adapter
 *  - api.ts     the vendor's outbound calls
 * and a test file that calls `channelConformance` with what the suite needs. The optional parts
 * run for the kinds of channel they describe: `webhook` for channels vendors call, `push` for
 * channels whose sends go through the outbox to a vendor.
 */
export interface ConformanceSubject {
  folder: string;
  create: () => ChannelAdapter;
  /** The channel's pure parser applied to one raw payload. */
  parse: (raw: string) => { kind: string };
  /** Raw payloads the channel must accept. */
  valid: string[];
  /** TOML that enables the channel in a test gateway (besides `[channels.<name>] enabled = true`). */
  config?: string;
  /** Whether the gateway registers it by itself (built-in) or the test passes it in. */
  builtin?: boolean;
  webhook?: {
    /** Posts a vendor event to the running gateway, signed (or not); answers the HTTP status and body. */
    post(gw: TestGateway, raw: string, o: { badSignature?: boolean }): Promise<{ status: number; body: any }>;
    /** A customer message event, raw, with a vendor message id of its own. */
    message: string;
  };
  push?: {
    /** Makes a conversation of this channel in the running gateway (the customer writes in). */
    conversation(gw: TestGateway): Promise<Conversation>;
    /** The vendor's next `n` send attempts fail with a retryable error, or one fails for good. */
    failNext(n: number, permanent?: boolean): void;
    /** The vendor is down (every send fails, retryably) until set back. */
    down(on: boolean): void;
    /** Texts the vendor accepted, in order, without the gateway's own notices. */
    received(): string[];
    setup?(): Promise<string>;
    teardown?(): Promise<void>;
  };
}

const REQUIRED_FILES = ['index.ts', 'types.ts', 'parse.ts', 'verify.ts', 'api.ts'];
const AGENT = { id: 'A_conformance', role: 'agent' as const, name: 'Conformance' };

export function channelConformance(s: ConformanceSubject): void {
  describe(`channel conformance: ${s.folder.split('/').filter(Boolean).at(-1)}`, () => {
    it('has the standard files', () => {
      const files = readdirSync(s.folder);
      for (const f of REQUIRED_FILES) assert.ok(files.includes(f), `${s.folder}/${f}`);
    });

    it('verify.ts imports nothing of the adapter (only node:, packages, core/ and its own types)', () => {
      const src = readFileSync(join(s.folder, 'verify.ts'), 'utf8');
      const specs = [...src.matchAll(/(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      for (const spec of specs) {
        const ok = spec.startsWith('node:') || !spec.startsWith('.') || spec === './types.js' || /^(\.\.\/)+core\//.test(spec);
        assert.ok(ok, `verify.ts imports ${spec}`);
      }
    });

    it('implements the adapter contract (no silent no-op capabilities)', () => {
      const a = s.create();
      assert.equal(typeof a.name, 'string');
      assert.ok(a.name.length > 0);
      for (const m of ['start', 'stop', 'send'] as const) assert.equal(typeof a[m], 'function', m);
      if (a.typing) assert.ok(a.typing.toString().replace(/\s/g, '').length > 'async typing(){}'.length, 'typing must do something');
    });

    it('parses every valid sample', () => {
      for (const raw of s.valid) assert.notEqual(s.parse(raw).kind, 'invalid', raw);
    });

    it('parse never throws on garbage (fuzz, seeded)', () => {
      let seed = 42;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const pieces = ['{', '}', '"type"', ':', '"send"', '"message"', ',', '[', ']', 'null', '1e309', '"\\u0000"', '-1', 'true', '"text"', '"x"', '"id"'];
      for (let i = 0; i < 2000; i++) {
        const sample = s.valid[i % s.valid.length];
        const cut = sample.slice(0, Math.floor(rnd() * sample.length));
        const noise = Array.from({ length: Math.floor(rnd() * 8) }, () => pieces[Math.floor(rnd() * pieces.length)]).join('');
        const raw = rnd() < 0.5 ? cut + noise : noise;
        const r = s.parse(raw);
        assert.equal(typeof r.kind, 'string');
      }
    });

    describe('in a running gateway', () => {
      let gw: TestGateway;
      let adapter: ChannelAdapter;
      let contexts: ChannelContext[];
      let clock: number;
      beforeEach(async () => {
        const extra = (await s.push?.setup?.()) ?? '';
        adapter = s.create();
        contexts = [];
        clock = Date.now();
        // Watch what the registry hands the adapter (its signal must abort on stop). A built-in
        // channel is the gateway's own instance, so only a channel passed in can be watched.
        const start = adapter.start.bind(adapter);
        adapter.start = (ctx) => { contexts.push(ctx); return start(ctx); };
        const config = `${s.config ?? `[channels.${adapter.name}]\nenabled = true\n`}${extra}\n[ratelimit]\ncustomer_quota = 0\n`;
        gw = await startGateway(config, { channels: s.builtin ? [] : [adapter], now: () => clock });
      });
      afterEach(async () => { await gw?.close(); await s.push?.teardown?.(); });

      const toggle = async (name: string, on: boolean) => {
        const { readFileSync: read, writeFileSync: write } = await import('node:fs');
        const text = read(gw.configFile, 'utf8').replace(new RegExp(`(\\[channels\\.${name}\\]\\nenabled = )(true|false)`), `$1${on}`);
        write(gw.configFile, text.includes(`[channels.${name}]`) ? text : `${text}\n[channels.${name}]\nenabled = ${on}\n`);
        gw.config.reload();
        // `running` flips before start()/stop() finish; health is set once they have.
        await eventually(() => gw.channels.isRunning(name) === on && (gw.channels.health()[name].state === 'stopped') === !on, `${name} ${on ? 'running' : 'stopped'}`);
      };

      it('start → stop → start registers nothing twice, and stop aborts ctx.signal', async () => {
        const name = s.builtin ? s.create().name : adapter.name;
        const events = ['message', 'conversation', 'delivery', 'signal'] as const;
        const before = events.map((e) => gw.bus.listenerCount(e));
        await toggle(name, false);
        if (!s.builtin) assert.equal(contexts[0].signal.aborted, true, 'ctx.signal aborted on stop');
        assert.equal(gw.channels.health()[name].state, 'stopped');
        await toggle(name, true);
        await toggle(name, false);
        await toggle(name, true);
        assert.deepEqual(events.map((e) => gw.bus.listenerCount(e)), before, 'bus listeners after two more cycles');
        assert.notEqual(gw.channels.health()[name].state, 'stopped');
      });

      if (s.webhook) {
        const wh = s.webhook;
        it('webhook: a bad signature is 403 invalid_signature and stores nothing; a replayed event is stored once', async () => {
          const bad = await wh.post(gw, wh.message, { badSignature: true });
          assert.equal(bad.status, 403);
          assert.equal(bad.body?.error?.code, 'invalid_signature');
          const first = await wh.post(gw, wh.message, {});
          const again = await wh.post(gw, wh.message, {});
          assert.equal(first.status, 200);
          assert.equal(again.status, 200);
          const convs = await gw.store.listConversations({ limit: 10 });
          assert.equal(convs.length, 1);
          const inbound = (await gw.store.listMessages(convs[0].id, {})).filter((m) => m.direction === 'inbound');
          assert.equal(inbound.length, 1);
        });

        it('webhook: disabled, its routes answer 404 channel_disabled', async () => {
          await toggle(adapter.name, false);
          const r = await wh.post(gw, wh.message, {});
          assert.equal(r.status, 404);
          assert.equal(r.body?.error?.code, 'channel_disabled');
        });
      }

      if (s.push) {
        const push = s.push;
        const replies = async (conv: Conversation, texts: string[]) => { for (const t of texts) await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text: t } }); };
        /** Moves the outbox clock past every waiting retry and delivers what is due. */
        const drain = async (rounds = 8) => { for (let i = 0; i < rounds; i++) { clock += 15 * 60_000; await gw.outbox.pump(); } };

        it('push: sends are recorded with their messages and go out in order', async () => {
          const conv = await push.conversation(gw);
          await replies(conv, ['p1', 'p2', 'p3']);
          await eventually(() => push.received().length === 3, 'three sent');
          assert.deepEqual(push.received(), ['p1', 'p2', 'p3']);
        });

        it('push: a send that fails three times then succeeds is delivered once, in order', async () => {
          const conv = await push.conversation(gw);
          push.failNext(3);
          await replies(conv, ['f1', 'f2']);
          await gw.outbox.pump();
          assert.deepEqual(push.received(), [], 'the failing head holds the one behind it');
          await drain();
          assert.deepEqual(push.received(), ['f1', 'f2']);
        });

        it('push: a vendor down for a while holds every conversation\'s queue, then drains each in order', async () => {
          const a = await push.conversation(gw);
          const b = await push.conversation(gw);
          push.down(true);
          for (const i of [1, 2, 3]) { await replies(a, [`a${i}`]); await replies(b, [`b${i}`]); }
          await drain(6);
          assert.deepEqual(push.received(), []);
          push.down(false);
          await drain(6);
          assert.deepEqual(push.received().filter((t) => t.startsWith('a')), ['a1', 'a2', 'a3']);
          assert.deepEqual(push.received().filter((t) => t.startsWith('b')), ['b1', 'b2', 'b3']);
        });

        it('push: a permanent failure is visible as failed; the next send still goes out', async () => {
          const conv = await push.conversation(gw);
          push.failNext(1, true);
          const sent = [];
          for (const t of ['bad', 'good']) sent.push((await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text: t } })).message);
          await drain();
          assert.deepEqual(push.received(), ['good']);
          const item = (await gw.store.outbox.byMessage([sent[0].id])).get(sent[0].id);
          assert.equal(item?.status, 'failed');
          assert.ok(item?.lastError);
        });
      }
    });
  });
}
