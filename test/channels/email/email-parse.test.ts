import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { convert } from 'html-to-text';
import { parseMail, splitQuote, classifyRaw, type Parsed } from '../../../channels/email/parse.js';
import type { MailInput } from '../../../channels/email/types.js';
import { verifySecret } from '../../../channels/email/verify.js';
import { mapError } from '../../../channels/email/api.js';
import { replySubject } from '../../../channels/email/compose.js';
import { fixture } from './mail-helpers.js';

const OPTS = { ownDomain: 'shop.test', ownAddresses: ['support@shop.test'], htmlToText: (h: string) => convert(h, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] }) };
async function parsed(name: string, vars: Record<string, string> = {}): Promise<Parsed> {
  const mail = (await simpleParser(fixture(name, vars), { skipHtmlToText: true, skipTextToHtml: true })) as unknown as MailInput;
  return parseMail(mail, OPTS);
}
function message(p: Parsed) { assert.equal(p.kind, 'message', JSON.stringify(p)); return (p as Extract<Parsed, { kind: 'message' }>).mail; }

describe('email: parsing real-world mails (mailparser → parse.ts)', () => {
  it('Outlook: ISO-8859-1 decoded, the quote under the ____ line folded away but kept, threading headers read', async () => {
    const m = message(await parsed('outlook-reply.eml', { IN_REPLY_TO: '<kefu.M1.TABCDEFGHJ@shop.test>' }));
    assert.equal(m.from, 'hans.meier@outlook.test');
    assert.equal(m.text, 'Hallo,\n\ndie Sendung ist immer noch nicht da. Können Sie bitte nachsehen?\n\nGrüße\nHans');
    assert.match(m.quoted!, /^_{10,}\nFrom: Support <support@shop.test>[\s\S]*It left Hangzhou today\.$/);
    assert.deepEqual(m.parents, ['kefu.M1.TABCDEFGHJ@shop.test']);
  });

  it('Gmail: "On … wrote:" and the > lines go to the quote', async () => {
    const m = message(await parsed('gmail-reply.eml', { IN_REPLY_TO: '<x@shop.test>' }));
    assert.equal(m.text, 'Thanks! It arrived this morning.');
    assert.match(m.quoted!, /^On Mon, Dec 2, 2026 .* wrote:\n\n> It left Hangzhou today\./);
  });

  it('Apple Mail, HTML only: line breaks kept, scripts gone, the cid: image is an inline part', async () => {
    const m = message(await parsed('apple-inline-image.eml'));
    assert.equal(m.text, 'Hello,\nthe lid arrived broken.\nSee the photo:\n\nAnna');
    assert.equal(m.parts.length, 1);
    assert.equal(m.parts[0].cid, 'photo-1@icloud.test');
    assert.equal(m.parts[0].inline, true);
    assert.equal(m.parts[0].content.subarray(1, 4).toString(), 'PNG');
  });

  it('QQ Mail in GBK: subject, name and body decoded; the 原始邮件 quote folded', async () => {
    const m = message(await parsed('qq-gbk.eml'));
    assert.equal(m.subject, '订单还没有收到');
    assert.equal(m.name, '小明');
    assert.equal(m.text, '您好，\n我的订单还没有收到，请帮忙查一下。\n谢谢');
    assert.match(m.quoted!, /^-+ 原始邮件 -+\n发件人:[\s\S]*已发货。$/);
  });

  it('an out-of-office reply is never a message', async () => {
    const p = await parsed('out-of-office.eml', { IN_REPLY_TO: '<x@shop.test>' });
    assert.equal(p.kind, 'unsupported');
  });

  it('a DSN: a failed bounce naming our Message-ID, with the remote diagnostic', async () => {
    const p = await parsed('bounce-dsn.eml', { OUR_ID: 'kefu.M9.TABCDEFGHJ@shop.test' });
    assert.equal(p.kind, 'bounce');
    const b = p as Extract<Parsed, { kind: 'bounce' }>;
    assert.deepEqual(b.ids, ['kefu.M9.TABCDEFGHJ@shop.test']);
    assert.equal(b.failed, true);
    assert.match(b.message, /^550 5\.1\.1 .*User unknown/);
  });

  it('noise headers and senders: Precedence, X-Autoreply, mailer-daemon, no-reply, our own Message-ID domain', () => {
    const base = 'From: Kim <kim@example.test>\r\nTo: support@shop.test\r\nSubject: hi\r\nMessage-ID: <a@example.test>\r\n';
    assert.equal(classifyRaw(`${base}\r\nhello`, OPTS).kind, 'message', 'the control: a plain mail is a message');
    for (const extra of ['Precedence: bulk', 'Precedence: junk', 'X-Autoreply: yes', 'Auto-Submitted: auto-generated', 'List-Id: <news.example.test>']) {
      assert.equal(classifyRaw(`${base}${extra}\r\n\r\nhello`, OPTS).kind, 'unsupported', extra);
    }
    assert.equal(classifyRaw(`${base}Auto-Submitted: no\r\n\r\nhello`, OPTS).kind, 'message', 'Auto-Submitted: no is a person');
    for (const from of ['no-reply@shop.example', 'noreply@x.test', 'postmaster@x.test', 'support@shop.test']) {
      assert.notEqual(classifyRaw(base.replace('kim@example.test', from), OPTS).kind, 'message', from);
    }
    assert.equal(classifyRaw(base.replace('<a@example.test>', '<kefu.M1.TABCDEFGHJ@shop.test>'), OPTS).kind, 'unsupported');
  });

  it('splitQuote keeps a mail without a quote whole, and a mail that is only a quote as it is', () => {
    assert.deepEqual(splitQuote('Line one\nLine two'), { fresh: 'Line one\nLine two' });
    assert.deepEqual(splitQuote('> only quoted'), { fresh: '> only quoted' });
    assert.deepEqual(splitQuote('Yes.\n\n> Do you want it?\n> Thanks'), { fresh: 'Yes.', quoted: '> Do you want it?\n> Thanks' });
  });

  it('replySubject: one Re:, one tag', () => {
    assert.equal(replySubject('AW: Re: Order 1234 [#TABCDEFGHJ]', 'TABCDEFGHJ'), 'Re: Order 1234 [#TABCDEFGHJ]');
    assert.equal(replySubject('', 'TABCDEFGHJ'), 'Re: Your request [#TABCDEFGHJ]');
  });

  it('verify: the inbound shared secret, exact match only', () => {
    assert.equal(verifySecret('s3cret-inbound-key', 'Bearer s3cret-inbound-key'), true);
    assert.equal(verifySecret('s3cret-inbound-key', 'Bearer s3cret-inbound-kez'), false);
    assert.equal(verifySecret('s3cret-inbound-key', 'Bearer s3cret'), false);
    assert.equal(verifySecret(undefined, 'Bearer x'), false);
    assert.equal(verifySecret('s3cret-inbound-key', undefined), false);
  });

  it('SMTP errors → ChannelError: EAUTH and 5xx permanent with the code, 4xx and network errors retryable', () => {
    const e = (code: string | undefined, responseCode?: number) => mapError(Object.assign(new Error('x'), { code, responseCode }));
    assert.deepEqual([e('EAUTH', 535).retryable, e('EAUTH', 535).code], [false, 'smtp_535']);
    assert.deepEqual([e('EENVELOPE', 550).retryable, e('EENVELOPE', 550).code], [false, 'smtp_550']);
    assert.deepEqual([e('EENVELOPE', 451).retryable, e('EENVELOPE', 451).code], [true, 'smtp_451']);
    assert.deepEqual([e('ECONNECTION').retryable, e('ECONNECTION').code], [true, 'ECONNECTION']);
    assert.equal(e('ETIMEDOUT').retryable, true);
  });
});
