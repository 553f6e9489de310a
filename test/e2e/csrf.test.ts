import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = process.env.KEFU_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The probe's attack, in a real browser: an admin is logged in to the workspace; a page on
 * another port of the same host (same-site, so the SameSite=Strict cookie goes along) tries to
 * create an admin account and to read conversations over /ws/agent.
 */
describe('CSRF from a same-site page (headless Chromium)', function () {
  let gw: TestGateway;
  let browser: Browser;
  let evil: Server;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`);
      this.skip();
    }
    gw = await startGateway();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    evil = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><p>a shop page'); });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await browser?.close();
    evil?.closeAllConnections();
    await new Promise((r) => evil ? evil.close(r) : r(undefined));
    await gw?.close();
  });

  it('cannot create an admin (JSON, text/plain, untyped or form) nor open the agent socket; the workspace itself still can', async () => {
    const ctx = await browser.newContext();
    const ws = await ctx.newPage();
    await ws.goto(gw.workspaceUrl);
    await ws.locator('input[name=login]').fill('admin');
    await ws.locator('input[name=password]').fill(gw.adminPassword);
    await Promise.all([ws.waitForResponse((r) => r.url().endsWith('/api/login') && r.status() === 200), ws.locator('button[type=submit]').click()]);

    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const target = gw.workspaceUrl;
    const results = await page.evaluate(async (base) => {
      const body = JSON.stringify({ login: 'intruder', password: 'intruder-password-1', role: 'admin' });
      const out: Record<string, string> = {};
      // A simple request needs no preflight: the browser sends it with the cookie; only the answer is hidden.
      await fetch(`${base}/api/agents`, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body })
        .then(() => { out.plain = 'sent'; }, (e) => { out.plain = String(e); });
      // A Blob without a type goes out with no Content-Type at all (once read as JSON).
      await fetch(`${base}/api/agents`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: new Blob([body.replace('intruder', 'intruder3')]) })
        .then(() => { out.untyped = 'sent'; }, (e) => { out.untyped = String(e); });
      const form = new URLSearchParams({ login: 'intruder2', password: 'intruder-password-1' });
      await fetch(`${base}/api/agents`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: form }).then(() => { out.form = 'sent'; }, (e) => { out.form = String(e); });
      await fetch(`${base}/api/agents`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body })
        .then((r) => { out.json = `status ${r.status}`; }, (e) => { out.json = `blocked: ${String(e)}`; });
      out.socket = await new Promise<string>((resolve) => {
        const sock = new WebSocket(`${base.replace('http', 'ws')}/ws/agent`);
        sock.onmessage = (m) => { resolve(`opened: ${String(m.data).slice(0, 40)}`); sock.close(); };
        sock.onerror = () => resolve('refused');
        sock.onclose = () => resolve('refused');
      });
      return out;
    }, target);
    assert.equal(results.socket, 'refused', JSON.stringify(results));
    assert.equal((await gw.store.listAgents()).map((a) => a.login).join(','), 'admin', `no account was created: ${JSON.stringify(results)}`);

    // The workspace page itself creates an agent (its own origin) through the same endpoint.
    const own = await ws.evaluate(async () => (await fetch('/api/agents', { method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'colleague', password: 'colleague-password-1' }) })).status);
    assert.equal(own, 201);
    await ctx.close();
  });
});
