import assert from 'node:assert/strict';
import pino from 'pino';
import { startGateway } from '../helpers/gateway.js';
import { cid, connectVisitor } from '../helpers/clients.js';
import { loadPlugins } from '../../plugins/loader.js';
import { parseConfig } from '../../config/load.js';
import type { GatewayApi } from '../../plugins/contract.js';

describe('plugins', () => {
  it('loads a third-party plugin by npm package name from config (kefu-plugin-wordfilter)', async () => {
    const gw = await startGateway(`
[[plugins]]
name = "offline-notice"
[[plugins]]
name = "kefu-plugin-wordfilter"
options = { words = ["scam", "傻瓜"], mask = "***" }
`);
    try {
      const v = await connectVisitor(gw.publicUrl);
      const id = cid();
      v.socket.send({ type: 'send', clientId: id, text: 'is this a scam, 傻瓜?' });
      await v.socket.wait((f) => f.type === 'ack' && f.clientId === id);
      const conv = await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId });
      const stored = (await gw.store.listMessages(conv!.id, {}))[0];
      assert.deepEqual(stored.content, { kind: 'text', text: 'is this a ***, ***?' });
      await v.socket.close();
    } finally {
      await gw.close();
    }
  });

  it('reports a missing package, a bad export and a missing dependency clearly', async () => {
    const gw = { logger: pino({ level: 'silent' }) } as unknown as GatewayApi;
    await assert.rejects(loadPlugins(parseConfig('[[plugins]]\nname = "kefu-plugin-does-not-exist"', 'x'), gw), /kefu-plugin-does-not-exist.*cannot be loaded/);
    await assert.rejects(loadPlugins(parseConfig('[[plugins]]\nname = "pino"', 'x'), gw), /default export must be/);
    await assert.rejects(loadPlugins(parseConfig('[[plugins]]\nname = "kefu-plugin-wordfilter"\n[[plugins]]\nname = "kefu-plugin-wordfilter"', 'x'),
      { ...gw, use: () => gw } as GatewayApi), /listed twice/);
  });

  it('an explicit plugin list without offline-notice turns it off', async () => {
    const gw = await startGateway('[[plugins]]\nname = "kefu-plugin-wordfilter"');
    try {
      const v = await connectVisitor(gw.publicUrl);
      v.socket.send({ type: 'send', clientId: cid(), text: 'hello' });
      await v.socket.wait((f) => f.type === 'ack');
      await gw.bus.idle();
      assert.ok(!v.socket.frames.some((f) => f.type === 'message' && f.message.content.event === 'notice'));
      await v.socket.close();
    } finally {
      await gw.close();
    }
  });
});
