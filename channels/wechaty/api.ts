import { ChannelError } from '../contract.js';
import type { FileBoxLike, FileBoxStatic, MessageSnapshot, Peer, SayTarget, WechatyBot, WechatyMessage, WechatyModule } from './types.js';

const CH = 'wechaty';

export interface WechatyLibs { wechaty: WechatyModule; Puppet: new (options: Record<string, unknown>) => unknown; FileBox: FileBoxStatic }

/** The command that installs what is missing (wechaty is an optional peer dependency of kefu). */
export const installCommand = (puppet: string) => `npm install wechaty ${puppet}`;

/**
 * Imports wechaty, file-box (a dependency of wechaty) and the configured puppet, at start only.
 * The specifiers are variables so that kefu compiles and installs without them. A missing
 * package is an Error whose message is the exact install command.
 */
export async function loadWechaty(puppet: string): Promise<WechatyLibs> {
  const load = async (name: string): Promise<Record<string, unknown>> => {
    try {
      return await import(name) as Record<string, unknown>;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(`'${name}'`)) {
        throw new Error(`the package ${name} is not installed; install it next to kefu with: ${installCommand(puppet)}`);
      }
      throw new Error(`${name} could not be loaded (${String(e.message).slice(0, 300)}); reinstall it with: ${installCommand(puppet)}`);
    }
  };
  const wechatyName = 'wechaty';
  const fileBoxName = 'file-box';
  const [wechaty, fileBox, puppetModule] = [await load(wechatyName), await load(fileBoxName), await load(puppet)];
  const Puppet = puppetModule.default;
  if (typeof Puppet !== 'function') throw new Error(`${puppet} has no default export: it is not a Wechaty puppet`);
  return { wechaty: wechaty as unknown as WechatyModule, Puppet: Puppet as WechatyLibs['Puppet'], FileBox: fileBox.FileBox as FileBoxStatic };
}

/** Reads a Wechaty message's parts once, so parse.ts can be a pure function of plain data. */
export async function snapshotOf(m: WechatyMessage): Promise<MessageSnapshot> {
  const talker = m.talker();
  const room = m.room();
  return {
    id: m.id, type: m.type(), text: m.text() ?? '', self: m.self(),
    talker: { id: talker.id, name: talker.name() ?? '' },
    room: room ? { id: room.id, topic: await room.topic().catch(() => ''), mentionSelf: await m.mentionSelf().catch(() => false),
      mentionText: await m.mentionText().catch(() => '') } : undefined,
  };
}

/** Rejects with `what` timed out after `ms`, or when `signal` aborts; the work itself cannot be cancelled. */
function bounded<T>(work: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = () => reject(new ChannelError(CH, `${what} took longer than ${ms} ms`, { retryable: true, code: 'timeout' }));
    const timer = setTimeout(fail, ms);
    const onAbort = () => fail();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); };
    work.then((v) => { done(); resolve(v); }, (e) => { done(); reject(e); });
  });
}

/** An inbound image's bytes, within `maxBytes` and `timeoutMs`; throws a plain Error otherwise (the caller keeps a note). */
export async function imageOf(m: WechatyMessage, maxBytes: number, timeoutMs: number): Promise<{ data: Buffer; name: string }> {
  const box = await bounded(m.toFileBox(), timeoutMs, 'reading the image');
  const data = await bounded(box.toBuffer(), timeoutMs, 'reading the image');
  if (data.length > maxBytes) throw new Error(`image of ${data.length} bytes is over the ${maxBytes} bytes allowed`);
  return { data, name: box.name || 'image' };
}

export interface Outgoing { text?: string; files: { data: Buffer; name: string }[] }

/**
 * Finds the contact or room by its id, else (web-protocol puppets give new ids after each
 * login) by its name when exactly one matches: never a guess between two people of one name.
 * Undefined when gone.
 */
export async function findTarget(bot: WechatyBot, peer: Peer): Promise<SayTarget | undefined> {
  const byId = peer.type === 'room' ? await bot.Room.find({ id: peer.id }) : await bot.Contact.find({ id: peer.id });
  if (byId) return byId;
  if (!peer.name) return undefined;
  const byName = peer.type === 'room' ? await bot.Room.findAll({ topic: peer.name }) : await bot.Contact.findAll({ name: peer.name });
  return byName.length === 1 ? byName[0] : undefined;
}

/**
 * One delivery attempt: the files (as base64 FileBoxes: every puppet can serialise those) and then
 * the text, to one contact or room. Errors mapped: not logged in (or logged out meanwhile) is
 * retryable with `not_logged_in`, a contact or room that no longer exists is permanent
 * (`contact_gone`, `room_gone`), a slow puppet is a retryable `timeout`, anything else a
 * retryable `puppet_error`. No retry here: the outbox retries, in order, visibly.
 */
export async function deliver(bot: WechatyBot, FileBox: FileBoxStatic, peer: Peer, out: Outgoing, timeoutMs: number, signal?: AbortSignal): Promise<{ vendorId: string; targetId: string }> {
  if (!bot.isLoggedIn) throw notLoggedIn();
  let target: SayTarget | undefined;
  try {
    target = await bounded(findTarget(bot, peer), timeoutMs, 'finding the contact', signal);
  } catch (err) {
    throw mapped(bot, err, peer);
  }
  if (!target) {
    if (!bot.isLoggedIn) throw notLoggedIn();
    const what = peer.type === 'room' ? 'group' : 'contact';
    throw new ChannelError(CH, `The WeChat ${what} ${peer.name ? `"${peer.name}" ` : ''}is no longer reachable from this account (removed, or left the ${what}).`,
      { retryable: false, code: `${peer.type}_gone` });
  }
  let last: unknown;
  const says: (string | FileBoxLike)[] = [...out.files.map((f) => FileBox.fromBase64(f.data.toString('base64'), f.name)), ...(out.text ? [out.text] : [])];
  try {
    for (const s of says) last = await bounded(target.say(s), timeoutMs, 'sending', signal);
  } catch (err) {
    throw mapped(bot, err, peer);
  }
  // Puppets that answer with the sent message give its id; others give nothing to keep.
  const id = (last as { id?: unknown } | undefined)?.id;
  return { vendorId: typeof id === 'string' ? id : '', targetId: target.id };
}

const notLoggedIn = () => new ChannelError(CH, 'The WeChat account is not logged in: an admin must scan the login QR code (Queues → Needs attention).',
  { retryable: true, code: 'not_logged_in' });

/**
 * Puppet errors are GErrors carrying gRPC status codes (wechaty-puppet-service passes the
 * service's answer on): NOT_FOUND means the contact or group is gone, PERMISSION_DENIED and
 * INVALID_ARGUMENT will not change on a retry, RESOURCE_EXHAUSTED is WeChat pacing the account.
 */
function mapped(bot: WechatyBot, err: unknown, peer: Peer): ChannelError {
  if (err instanceof ChannelError) return err;
  if (!bot.isLoggedIn) return notLoggedIn();
  const text = String((err as Error)?.message ?? err).slice(0, 300);
  const what = peer.type === 'room' ? 'group' : 'contact';
  switch ((err as { code?: unknown })?.code) {
    case 5: return new ChannelError(CH, `The WeChat ${what} is gone: ${text}`, { retryable: false, code: `${peer.type}_gone` });
    case 7: return new ChannelError(CH, `WeChat does not allow this account to write to the ${what}: ${text}`, { retryable: false, code: 'not_allowed' });
    case 3: return new ChannelError(CH, `The puppet refused the message: ${text}`, { retryable: false, code: 'rejected' });
    case 16: return notLoggedIn();
    case 8: return new ChannelError(CH, `WeChat is limiting this account: ${text}`, { retryable: true, code: 'rate_limited', retryAfter: 60 });
    default: return new ChannelError(CH, `The puppet failed: ${text}`, { retryable: true, code: 'puppet_error' });
  }
}
