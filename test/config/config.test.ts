import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, ConfigSource, parseConfig } from '../../config/load.js';
import { startGateway, eventually } from '../helpers/gateway.js';
import { cid, connectVisitor, json } from '../helpers/clients.js';

const DEFAULT = fileURLToPath(new URL('../../../config/kefu.toml', import.meta.url));

describe('config', () => {
  it('the shipped default file is valid and matches the built-in defaults', () => {
    const fromFile = parseConfig(readFileSync(DEFAULT, 'utf8'), DEFAULT);
    const builtIn = parseConfig('', 'empty.toml');
    assert.deepEqual(fromFile, builtIn, 'config/kefu.toml documents the defaults exactly');
    assert.equal(fromFile.server.public_port, 8000);
    assert.equal(fromFile.server.workspace_port, 9000);
    assert.equal(fromFile.store.driver, 'sqlite');
  });

  it('invalid files name the file, the key and what is wrong', () => {
    const bad = `[server]\npublic_port = "eighty"\n[ratelimit]\ncustomer_quota = -1\n[oops]\nx = 1\n`;
    assert.throws(() => parseConfig(bad, 'my.toml'), (e: ConfigError) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^my\.toml: invalid configuration/);
      assert.ok(e.problems.some((p) => p.startsWith('server.public_port:')), e.message);
      assert.ok(e.problems.some((p) => p.startsWith('ratelimit.customer_quota:')), e.message);
      assert.ok(e.problems.some((p) => /oops/.test(p)), e.message);
      return true;
    });
    assert.throws(() => parseConfig('[server\n', 'x.toml'), /TOML syntax/);
  });

  it('env KEFU_SECTION__KEY overrides the file, typed', () => {
    const c = parseConfig('[server]\npublic_port = 8000\n', 'x.toml', { KEFU_SERVER__PUBLIC_PORT: '8080', KEFU_CHANNELS__WEB__ENABLED: 'false', KEFU_CHANNELS__WEB__TITLE: 'Help desk' });
    assert.equal(c.server.public_port, 8080);
    assert.equal(c.channels.web.enabled, false);
    assert.equal(c.channels.web.title, 'Help desk');
    assert.throws(() => parseConfig('', 'x.toml', { KEFU_SERVER__PUBLIC_PORT: 'abc' }), /server\.public_port/);
  });

  it('hot reload in a running gateway: rate limit and channel enable/disable apply; an invalid file keeps the old config', async () => {
    const gw = await startGateway('[ratelimit]\ncustomer_quota = 1\nburst = 0');
    try {
      const v = await connectVisitor(gw.publicUrl);
      const send = async () => {
        const id = cid();
        v.socket.send({ type: 'send', clientId: id, text: 'x' });
        return (await v.socket.wait((f) => f.clientId === id && (f.type === 'ack' || f.type === 'error'))).type;
      };
      assert.deepEqual([await send(), await send()], ['ack', 'error']);

      const changed = new Promise((r) => gw.config.once('change', r));
      writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace('customer_quota = 1', 'customer_quota = 1000'));
      await changed;
      assert.equal(await send(), 'ack', 'new quota applied without restart');

      const invalid = new Promise((r) => gw.config.once('invalid', r));
      const good = readFileSync(gw.configFile, 'utf8');
      writeFileSync(gw.configFile, good.replace('customer_quota = 1000', 'customer_quota = "lots"'));
      await invalid;
      assert.equal(gw.config.current.ratelimit.customer_quota, 1000, 'previous config kept');
      assert.equal(await send(), 'ack');

      writeFileSync(gw.configFile, good + '\n[channels.web]\nenabled = false\n');
      await eventually(async () => (await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', json: {} })).status === 404, 'web channel disabled');
      writeFileSync(gw.configFile, good);
      await eventually(async () => (await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', json: {} })).status === 200, 'web channel re-enabled');
      await v.socket.close();
    } finally {
      await gw.close();
    }
  });

  it('restartNeeded lists keys hot reload cannot apply', () => {
    const a = parseConfig('', 'a.toml');
    const b = parseConfig('[server]\npublic_port = 1234\n[ratelimit]\ncustomer_quota = 5\n', 'b.toml');
    assert.deepEqual(ConfigSource.restartNeeded(b, a), ['server.public_port']);
  });
});
