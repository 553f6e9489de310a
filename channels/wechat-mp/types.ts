import { z } from 'zod';

/** A server-side speech-to-text provider for voice messages that arrive without a transcript. */
export const asrSchema = z.object({
  /** `http`: POST the recording to `url` (body = the audio bytes), answer `{ "text": "…" }`. */
  provider: z.literal('http'),
  url: z.string().url(),
  /** Sent as `Authorization: Bearer …` when set (or KEFU_CHANNELS__WECHAT_MP__ASR__TOKEN). */
  token: z.string().min(1).optional(),
  /** Sent as `X-Language`; WechatSI's names (zh_CN, en_US). */
  lang: z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/).default('zh_CN'),
  /** The upload waits this long for a transcript, then stores the voice without one. */
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
}).strict();

/**
 * `[channels.wechat_mp]`: the mini-program whose users chat through the kefu-chat component.
 * The AppSecret stays here: devices send a wx.login code, kefu exchanges it (jscode2session).
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  appid: z.string().regex(/^wx[0-9a-f]{16}$/, 'the mini-program AppID: wx and 16 hex digits'),
  /** The AppSecret (or KEFU_CHANNELS__WECHAT_MP__SECRET). */
  secret: z.string().min(16),
  /** Where jscode2session goes; tests point it at a local fake. */
  api_base: z.string().url().default('https://api.weixin.qq.com'),
  api_timeout_ms: z.number().int().min(100).max(60_000).default(5000),
  /** A voice message's largest recording (the media limit [server] max_upload_bytes applies too). */
  max_voice_bytes: z.number().int().min(1024).max(50 * 1024 * 1024).default(2 * 1024 * 1024),
  /** Longest recording accepted, in seconds (WechatSI stops at 60). */
  max_voice_seconds: z.number().int().min(1).max(600).default(60),
  asr: asrSchema.optional(),
}).strict();
export type WechatMpConfig = z.infer<typeof configSchema>;
export type AsrConfig = z.infer<typeof asrSchema>;

/**
 * What any deployment can plug in to transcribe voice messages (the HTTP provider of `asr` is
 * one). Resolves with the words, or undefined when there are none; throws when it failed.
 */
export interface SpeechToText {
  transcribe(audio: Buffer, mime: string, opts: { lang: string; signal: AbortSignal }): Promise<string | undefined>;
}

/** GET /sns/jscode2session's answer. `session_key` is never kept or passed on. */
export interface Jscode2SessionAnswer {
  openid?: string;
  unionid?: string;
  session_key?: string;
  errcode?: number;
  errmsg?: string;
}

/** Who a wx.login code turned out to be. */
export interface WechatIdentity { openid: string; unionid?: string }

/** The form fields of an image or voice upload (wx.uploadFile sends them as strings). */
export interface UploadFields {
  clientId: string;
  /** Voice: the recording's length in ms, as the recorder reported it. */
  duration?: number;
  /** Voice: the transcript WechatSI made on the device. */
  transcript?: string;
  caption?: string;
}
