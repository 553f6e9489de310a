import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { Relay, emailConfig } from './mail-helpers.js';
import { FakeImap } from './fake-imap.js';

const mail = (n: number, from = 'lilei@gmail.test') => `From: ${from}\r\nTo: support@shop.test\r\nSubject: Mail ${n}\r\nMessage-ID: <m${n}@gmail.test>\r\n` +
  `Date: Mon, 1 Dec 2025 10:0${n % 10}:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody ${n}\r\n`;

describe('email: IMAP polling with imapflow (against a fake IMAP server on 127.0.0.1)', () => {
  let relay: Relay;
  let imap: FakeImap;
  let gw: TestGateway;
  const start = async (pass = imap.pass) => {
    const conf = `[channels.email.imap]\nhost = "127.0.0.1"\nport = ${imap.port}\nsecure = false\nuser = "${imap.user}"\npass = "${pass}"\npoll_s = 0.05\ntimeout_ms = 3000\n`;
    gw = await startGateway(`${emailConfig(relay.port)}${conf}\n[ratelimit]\ncustomer_quota = 0\n\n[[plugins]]\nname = "offline-notice"\n`);
  };
  beforeEach(async () => { relay = await new Relay().listen(); imap = await new FakeImap().listen(); });
  afterEach(async () => { await gw?.close(); await imap.close(); await relay.close(); });

  const health = async () => ((await (await fetch(`${gw.workspaceUrl}/readyz`)).json()) as { channels: Record<string, { state: string; detail?: string }> }).channels.email;
  const subjects = async () => {
    const convs = (await gw.store.listConversations({ limit: 100 })).filter((c) => c.ref.channel === 'email');
    const firsts = await Promise.all(convs.map(async (c) => (await gw.store.listMessages(c.id, {})).filter((m) => m.direction === 'inbound')));
    return firsts.flat().map((m) => (m.content.kind === 'text' ? m.content.text.split('\n')[0] : '')).sort();
  };
  const cursor = async () => JSON.parse((await gw.store.channelState.get('email', `imap:${imap.user}@127.0.0.1/INBOX`)) ?? 'null') as { uidValidity: string; lastUid: number } | null;

  it('starts at UIDNEXT, takes new mail, catches up everything after the cursor after the server was down, never imports twice', async () => {
    imap.add(mail(0)); // already in the mailbox before kefu: not a ticket
    await start();
    await eventually(async () => (await health())?.state === 'connected', 'connected in /readyz');
    await eventually(async () => (await cursor())?.lastUid === 1, 'cursor at UIDNEXT - 1');
    imap.add(mail(1));
    imap.add(mail(2));
    await eventually(async () => (await subjects()).length === 2, 'two tickets');
    assert.deepEqual(await subjects(), ['Mail 1', 'Mail 2']);
    assert.deepEqual(await cursor(), { uidValidity: '1000', lastUid: 3 });
    // Read-only: EXAMINE and BODY.PEEK, so the mailbox's \Seen flags stay the humans' business.
    assert.ok(imap.commands.some((c) => / EXAMINE INBOX$/.test(c)));
    assert.ok(imap.commands.every((c) => !/ (SELECT|STORE) /.test(c)));

    // The server goes away; mail keeps arriving meanwhile; /readyz shows the dead poller.
    await imap.close();
    await eventually(async () => (await health())?.state !== 'connected', 'not connected while the server is down');
    for (let n = 3; n <= 9; n++) imap.add(mail(n));
    await imap.listen();
    await eventually(async () => (await subjects()).length === 9, 'caught up: all seven, not only the last few');
    await eventually(async () => (await health())?.state === 'connected', 'connected again');
    await eventually(async () => (await cursor())?.lastUid === 10, 'the cursor after the last mail');

    // A cursor set back (a crash after ingest, before the cursor was saved): all fetched again, none stored twice.
    await gw.store.channelState.set('email', `imap:${imap.user}@127.0.0.1/INBOX`, JSON.stringify({ uidValidity: '1000', lastUid: 0 }));
    await eventually(async () => (await cursor())!.lastUid === 10, 'the poll went through everything again');
    // Cursor 0 also reaches the mail that predates kefu (UID 1): it is new, so it is the one ticket added.
    assert.deepEqual(await subjects(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `Mail ${n}`));
  });

  it('a failing fetch leaves the cursor before the mail; it is taken on the next connection, once', async () => {
    await start();
    await eventually(async () => (await cursor()) !== null, 'a cursor');
    imap.failFetch = 1;
    imap.add(mail(1));
    await eventually(async () => (await subjects()).length === 1, 'taken after the failure');
    // The cursor is written right after the mail is stored: wait for that write too.
    await eventually(async () => (await cursor())?.lastUid === 1, 'the cursor moved past the mail');
    assert.ok(imap.commands.filter((c) => /UID FETCH 1 /.test(c)).length >= 2, 'fetched twice: once refused, once taken');
    imap.add(mail(2));
    await eventually(async () => (await subjects()).length === 2, 'the next one');
    assert.deepEqual(await subjects(), ['Mail 1', 'Mail 2']);
  });

  it('a new UIDVALIDITY (mailbox rebuilt) rescans it; Message-IDs already taken are not stored again', async () => {
    await start();
    await eventually(async () => (await cursor()) !== null, 'a cursor');
    imap.add(mail(1));
    await eventually(async () => (await subjects()).length === 1, 'one ticket');
    imap.recreate();
    imap.add(mail(1)); // the same mail under a new UID
    imap.add(mail(2));
    await eventually(async () => (await cursor())?.uidValidity === '1001' && (await cursor())?.lastUid === 2, 'rescanned');
    await eventually(async () => (await subjects()).length === 2, 'the new mail');
    assert.deepEqual(await subjects(), ['Mail 1', 'Mail 2']);
  });

  it('a mail over max_bytes is not downloaded: it stays in the mailbox and is listed for admins, once; the next mail is taken', async () => {
    await start();
    await eventually(async () => (await cursor()) !== null, 'a cursor');
    imap.add(mail(1).replace('body 1', 'x'.repeat(300_000)));
    imap.add(mail(2));
    await eventually(async () => (await subjects()).length === 1, 'the next mail is a ticket');
    assert.deepEqual(await subjects(), ['Mail 2']);
    const fetches = imap.commands.filter((c) => /UID FETCH 1 /.test(c));
    assert.ok(fetches.length >= 1 && fetches.every((c) => !/BODY/i.test(c)), `never asked for the body: ${fetches.join(' | ')}`);
    const email = gw.channels.get('email')!;
    const listed = await email.problems!();
    assert.equal(listed.length, 1);
    assert.match(listed[0].reason, /^INBOX UID 1: \d+ bytes, over max_bytes \(200000\); left in the mailbox$/);
    assert.equal(listed[0].mediaId, undefined);
    // A cursor set back polls it again: still listed once.
    await gw.store.channelState.set('email', `imap:${imap.user}@127.0.0.1/INBOX`, JSON.stringify({ uidValidity: '1000', lastUid: 0 }));
    await eventually(async () => (await cursor())!.lastUid === 2, 'polled again');
    assert.equal((await email.problems!()).length, 1);
    assert.equal(await email.dismissProblem!(listed[0].id), true);
    assert.deepEqual(await email.problems!(), []);
  });

  it('a refused login is auth_failed in /readyz', async () => {
    await start('wrong-pass');
    const h = await eventually(async () => { const x = await health(); return x?.state === 'auth_failed' && x; }, 'auth_failed');
    assert.match(String((h as { detail?: string }).detail), /login refused for support@shop\.test/);
  });
});
