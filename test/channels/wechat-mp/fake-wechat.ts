import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const APPID = 'wx0123456789abcdef';
export const SECRET = 'app-secret-9f8e7d6c5b4a39281706';

/**
 * WeChat's jscode2session on 127.0.0.1 (codes are scripted: code → openid/unionid; unknown →
 * 40029, used twice → 40163, wrong appid/secret → 40125), plus a speech-to-text provider of the
 * `asr = { provider = "http" }` kind answering `{ text }`. Both record what they were sent.
 */
export class FakeWechat {
  private server?: Server;
  readonly codes = new Map<string, { openid: string; unionid?: string }>();
  private used = new Set<string>();
  readonly logins: URLSearchParams[] = [];
  readonly asrCalls: { mime?: string; lang?: string; auth?: string; bytes: Buffer }[] = [];
  transcript = '我想查一下订单';
  /** Answer jscode2session with this errcode (e.g. -1 busy) or HTTP 503 until cleared. */
  fail?: number | 'down';
  url = '';

  async listen(): Promise<this> {
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('error', () => res.destroy());
      req.on('end', () => {
        const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
        if (u.pathname === '/sns/jscode2session') {
          this.logins.push(u.searchParams);
          if (this.fail === 'down') return send(503, {});
          if (this.fail !== undefined) return send(200, { errcode: this.fail, errmsg: 'system error' });
          const q = u.searchParams;
          if (q.get('appid') !== APPID || q.get('secret') !== SECRET) return send(200, { errcode: 40125, errmsg: 'invalid appsecret' });
          const code = q.get('js_code') ?? '';
          if (this.used.has(code)) return send(200, { errcode: 40163, errmsg: 'code been used' });
          const who = this.codes.get(code);
          if (!who) return send(200, { errcode: 40029, errmsg: 'invalid code' });
          this.used.add(code);
          return send(200, { ...who, session_key: 'c2Vzc2lvbi1rZXktbmV2ZXItc2hhcmVk' });
        }
        if (u.pathname === '/asr' && req.method === 'POST') {
          this.asrCalls.push({ mime: req.headers['content-type'], lang: req.headers['x-language'] as string, auth: req.headers.authorization, bytes: Buffer.concat(chunks) });
          return send(200, { text: this.transcript });
        }
        send(404, {});
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A fresh wx.login code for this user. */
  code(openid: string, unionid?: string): string {
    const code = `code${Math.random().toString(36).slice(2, 12)}${this.codes.size}`;
    this.codes.set(code, { openid, ...(unionid ? { unionid } : {}) });
    return code;
  }

  close(): Promise<void> {
    return new Promise((r) => { if (!this.server) return r(); this.server.closeAllConnections(); this.server.close(() => r()); });
  }
}

/** `[channels.wechat_mp]` for a test gateway against this fake. */
export function wechatMpConfig(fake: FakeWechat, extra = ''): string {
  return `[channels.wechat_mp]\nenabled = true\nappid = "${APPID}"\nsecret = "${SECRET}"\napi_base = "${fake.url}"\n${extra}`;
}

/** A tiny valid MP3 (an ID3v2 header and one silent MPEG-1 Layer III frame). */
export const MP3 = Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413)]);
