import { z } from 'zod';

/** Only packages named like Wechaty puppets are imported: config must not load arbitrary modules. */
export const PUPPET_PACKAGE = /^(@[a-z0-9][\w.-]*\/)?wechaty-puppet-[a-z0-9][\w.-]*$/;

/**
 * `[channels.wechaty]`: one WeChat account (personal or WeCom) through a Wechaty puppet. The
 * puppet is an npm package the operator installs next to kefu (wechaty is an optional peer
 * dependency: a kefu without this channel never pulls a browser, gRPC or a native build).
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  /** The puppet package, e.g. wechaty-puppet-service (WeCom / pad protocols, with a token) or wechaty-puppet-wechat4u (web protocol). */
  puppet: z.string().max(214).regex(PUPPET_PACKAGE, 'a wechaty-puppet-… package name'),
  /** The puppet service token (or KEFU_CHANNELS__WECHATY__TOKEN); wechaty-puppet-service needs one. */
  token: z.string().min(8).max(200).optional(),
  /** Passed to the puppet's constructor as given (e.g. endpoint, tls); see the puppet's README. */
  puppet_options: z.record(z.string(), z.unknown()).default({}),
  /** In a group (one conversation per group): only messages that @mention the account, or all of them. */
  group_mode: z.enum(['mentions', 'all']).default('mentions'),
  /** Where the login session is kept (wechaty's memory card), so a restart needs no new scan. Empty: next to the database. */
  session: z.string().max(500).default(''),
  /** Per send (one say() to the puppet): given up as retryable after this long. */
  send_timeout_ms: z.number().int().min(100).max(120_000).default(30_000),
  /** Per inbound image: fetching it from the puppet is given up after this long (the message is kept with a note). */
  media_timeout_ms: z.number().int().min(100).max(120_000).default(30_000),
}).strict();
export type WechatyConfig = z.infer<typeof configSchema>;

/**
 * What one Wechaty message is, read from its objects once (api.ts) so that parse.ts stays a pure
 * function of plain data. `type` is wechaty-puppet's `types.Message` number.
 */
export interface MessageSnapshot {
  id: string;
  type: number;
  text: string;
  self: boolean;
  talker: { id: string; name: string };
  room?: { id: string; topic: string; mentionSelf: boolean; mentionText: string };
}

/** wechaty-puppet's `types.Message` values (a stable enum of the puppet protocol). */
export const MessageType = {
  Unknown: 0, Attachment: 1, Audio: 2, Contact: 3, ChatHistory: 4, Emoticon: 5, Image: 6, Text: 7, Location: 8,
  MiniProgram: 9, GroupNote: 10, Transfer: 11, RedEnvelope: 12, Recalled: 13, Url: 14, Video: 15, Post: 16,
} as const;

/** wechaty-puppet's `types.ScanStatus` values. */
export const ScanStatus = { Unknown: 0, Cancel: 1, Waiting: 2, Scanned: 3, Confirmed: 4, Timeout: 5 } as const;

/** Who a conversation talks to on WeChat: kept per thread in the channel state, so replies find them. */
export interface Peer { type: 'contact' | 'room'; id: string; name: string }

/*
 * The small part of the Wechaty API kefu uses, typed here: wechaty is an optional package, so
 * kefu must compile without its type declarations.
 */
export interface FileBoxLike {
  name: string;
  toBuffer(): Promise<Buffer>;
  toBase64(): Promise<string>;
}
export interface FileBoxStatic {
  fromBase64(base64: string, name: string): FileBoxLike;
  fromQRCode(payload: string): FileBoxLike;
}
export interface SayTarget {
  id: string;
  say(something: string | FileBoxLike): Promise<unknown>;
}
export interface WechatyContact extends SayTarget { name(): string }
export interface WechatyRoom extends SayTarget { topic(): Promise<string> }
export interface WechatyMessage {
  id: string;
  type(): number;
  text(): string;
  self(): boolean;
  talker(): WechatyContact;
  room(): WechatyRoom | undefined;
  mentionSelf(): Promise<boolean>;
  mentionText(): Promise<string>;
  toFileBox(): Promise<FileBoxLike>;
}
export interface WechatyBot {
  readonly isLoggedIn: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
  Contact: { find(q: { id: string } | { name: string }): Promise<WechatyContact | undefined>; findAll(q: { name: string }): Promise<WechatyContact[]> };
  Room: { find(q: { id: string } | { topic: string }): Promise<WechatyRoom | undefined>; findAll(q: { topic: string }): Promise<WechatyRoom[]> };
}
export interface WechatyModule {
  WechatyBuilder: { build(options: { name?: string; puppet: unknown }): WechatyBot };
}
