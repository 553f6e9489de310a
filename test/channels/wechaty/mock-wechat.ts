import { WechatyChannel } from '../../../channels/wechaty/index.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

/* The mock puppet's objects, typed loosely: wechaty is an optional package, so the tests compile without it. */
type Any = any;

export interface MockLibs { mock: Any; FileBox: Any }

/** wechaty-puppet-mock and file-box, or why they are not there (the tests then skip, saying so). */
export async function loadMockLibs(): Promise<MockLibs | string> {
  const names = ['wechaty', 'wechaty-puppet-mock', 'file-box'];
  try {
    const [, m, f] = await Promise.all(names.map((n) => import(n)));
    return { mock: m.mock, FileBox: f.FileBox };
  } catch (err) {
    return `wechaty or wechaty-puppet-mock is not installed (${(err as Error).message.split('\n')[0]}); ` +
      'install them with: npm install --no-save wechaty@1.20.2 wechaty-puppet-mock@1.19.4';
  }
}

export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

export interface Sent { to: string; text?: string; file?: { name: string; base64: string } }

/**
 * A WeChat of our own: the mock puppet's Mocker with the bot's account and helpers to make
 * customers write. Every send the channel makes is recorded (`sent`) at the puppet, where the
 * tests can also make the next sends fail like a puppet service would.
 */
export class MockWeChat {
  mocker: Any;
  botUser: Any;
  readonly sent: Sent[] = [];
  /** The next sends fail: `retry` with a plain error, `gone` with gRPC NOT_FOUND (code 5). */
  failures: ('retry' | 'gone')[] = [];
  down = false;
  private patched = new WeakSet<object>();

  constructor(readonly libs: MockLibs) {
    this.mocker = new libs.mock.Mocker();
    this.botUser = this.mocker.createContact({ name: 'KefuBot' });
  }

  /** The channel, with the Mocker handed to its puppet. A Mocker serves one puppet: a restart gets a new one (contacts made before are gone). */
  channel(): WechatyChannel {
    return new WechatyChannel({ puppetOptions: () => {
      if (this.mocker._puppet) { this.mocker = new this.libs.mock.Mocker(); this.botUser = this.mocker.createContact({ name: 'KefuBot' }); }
      return { mocker: this.mocker };
    } });
  }

  /** The puppet of the channel's current start (each start builds a new one on the same Mocker). */
  async puppet(): Promise<Any> {
    const p = await eventually(() => (this.mocker._puppet?.state?.active() ? this.mocker._puppet : undefined), 'the mock puppet running');
    if (!this.patched.has(p)) { this.patched.add(p); this.record(p); }
    return p;
  }

  private record(p: Any): void {
    const send = p._messageSend.bind(p);
    p._messageSend = async (to: string, something: Any) => {
      if (this.down) throw new Error('puppet service unavailable');
      const f = this.failures.shift();
      if (f === 'gone') throw Object.assign(new Error('contact not found'), { code: 5 });
      if (f === 'retry') throw new Error('puppet hiccup');
      await send(to, something);
      this.sent.push(typeof something === 'string' ? { to, text: something }
        : { to, file: { name: something.name, base64: await something.toBase64() } });
    };
  }

  async login(gw: TestGateway): Promise<void> {
    const p = await this.puppet();
    if (!p.isLoggedIn) {
      const done = new Promise((r) => p.once('login', r));
      this.mocker.login(this.botUser);
      await done;
    }
    await eventually(() => gw.channels.health().wechaty?.state === 'connected', 'wechaty health connected');
  }

  async logout(): Promise<void> { await (await this.puppet()).logout('kicked out by the phone'); }

  async scan(payload: string, status = 2): Promise<void> { await this.puppet(); this.mocker.scan(payload, status); }

  contact(name: string): Any { return this.mocker.createContact({ name }); }

  room(topic: string, members: Any[]): Any { return this.mocker.createRoom({ topic, memberIdList: [this.botUser.id, ...members.map((m) => m.id)] }); }

  /** `who` writes to the bot (1:1), or to a room, optionally @mentioning the bot. */
  say(who: Any, what: string | Any, room?: Any, mention = false): void {
    if (room) who.say(what, mention ? [this.botUser] : []).to(room);
    else who.say(what).to(this.botUser);
  }

  image(name = 'photo.png'): Any { return this.libs.FileBox.fromBase64(PNG_BASE64, name); }

  /** Texts the channel sent, without the gateway's automatic "No agent is online" notice. */
  texts(to?: string): string[] { return this.sent.filter((s) => s.text !== undefined && (!to || s.to === to) && !s.text.startsWith('No agent')).map((s) => s.text!); }
}

export const wechatyConfig = (extra = '') => `[channels.wechaty]\nenabled = true\npuppet = "wechaty-puppet-mock"\n${extra}\n[ratelimit]\ncustomer_quota = 0\n`;

/** In a `before` hook: skips the suite, saying why, when the packages are absent. */
export function needsWechaty(ctx: Mocha.Context, libs: MockLibs | string): asserts libs is MockLibs {
  if (typeof libs === 'string') { console.log(`      skipped: ${libs}`); ctx.skip(); }
}

/** A gateway whose wechaty channel runs on a fresh mock WeChat; the outbox's clock is `clock.now`, moved by the test. */
export async function mockGateway(libs: MockLibs, clock: { now: number }, extra = ''): Promise<{ w: MockWeChat; gw: TestGateway }> {
  const w = new MockWeChat(libs);
  clock.now = Date.now();
  const gw = await startGateway(wechatyConfig(extra), { channels: [w.channel()], now: () => clock.now });
  return { w, gw };
}
