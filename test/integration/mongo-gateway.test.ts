import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, loginAgent, type Visitor } from '../helpers/clients.js';
import { mongoStoreConfig, mongoTarget, perTestMongo } from '../helpers/mongo.js';
import { MongoStore } from '../../core/store/mongo-store.js';

const target = await mongoTarget();

describe('gateway on [store] driver = "mongodb" (real gateway, real sockets)', () => {
  if ('skip' in target) {
    it.skip(`a web visitor and an agent converse, and a restart keeps the history: ${target.skip}`);
    return;
  }
  let gw: TestGateway | undefined;
  const m = perTestMongo(target, 'kefu-mongo-gw-', async () => {
    await gw?.close();
    gw = undefined;
  });

  const start = async () => (gw = await startGateway(mongoStoreConfig(target, m.database), { dir: m.dir }));
  const say = async (v: Visitor, text: string) => {
    const clientId = cid();
    v.socket.send({ type: 'send', clientId, text });
    return v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
  };

  it('a web visitor and an agent converse, and a restart keeps the history, the accounts and the visitor\'s token', async () => {
    let g = await start();
    assert.ok(g.store instanceof MongoStore, 'the configured driver is the store');
    const agent = await connectAgent(g.workspaceUrl, await loginAgent(g.workspaceUrl, 'admin', g.adminPassword));
    const v = await connectVisitor(g.publicUrl);
    assert.equal((await say(v, '你好, where is my order?')).seq, 1);
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    const inbound = await agent.wait((f) => f.type === 'message' && f.message.direction === 'inbound');
    assert.equal(inbound.message.content.text, '你好, where is my order?');
    const replyId = cid();
    agent.send({ type: 'send', conversationId: conv.id, clientId: replyId, text: 'It ships today.' });
    await agent.wait((f) => f.type === 'ack' && f.clientId === replyId);
    const reply = await v.socket.wait((f) => f.type === 'message' && f.message.direction === 'outbound' && f.message.content.kind === 'text');
    assert.equal(reply.message.content.text, 'It ships today.');
    await v.socket.close();
    await agent.close();
    await g.close();
    gw = undefined;
    assert.ok(!existsSync(join(m.dir, 'kefu.db')), 'no SQLite file is made');

    g = await start();
    const stored = await g.store.listMessages(conv.id, {});
    assert.deepEqual(stored.filter((m) => m.content.kind === 'text').map((m) => [m.direction, (m.content as { text: string }).text]),
      [['inbound', '你好, where is my order?'], ['outbound', 'It ships today.']]);
    assert.deepEqual(stored.map((m) => m.seq), stored.map((_, i) => i + 1), 'seq is gap-free');
    // The admin's password and the visitor secret were read back from MongoDB, not made anew.
    const again = await connectAgent(g.workspaceUrl, await loginAgent(g.workspaceUrl, 'admin', g.adminPassword));
    const back = await connectVisitor(g.publicUrl, v.token, 0);
    assert.equal(back.visitorId, v.visitorId);
    await eventually(() => back.socket.frames.filter((f) => f.type === 'message' && f.message.content.kind === 'text').length >= 2, 'history replayed');
    const next = await say(back, 'thanks!');
    assert.equal(next.seq, stored.length + 1, 'the conversation continues after its last message');
    assert.equal((await g.store.findMessageBySource(conv.id, next.clientId))?.id, next.id, 'acknowledged only once stored');
    await back.socket.close();
    await again.close();
  });

  it('the command-line tools work on the configured MongoDB: an agent added with `kefu agent add` logs in to the gateway', async () => {
    mkdirSync(join(m.dir, 'config'));
    writeFileSync(join(m.dir, 'config', 'kefu.toml'), mongoStoreConfig(target, m.database));
    const cli = fileURLToPath(new URL('../../core/cli/kefu.js', import.meta.url));
    // Not spawnSync: the emulator may run in this process and must keep answering.
    const out = await promisify(execFile)(process.execPath, [cli, 'agent', 'add', '--login', 'alice', '--password', 'alice-pass-1'],
      { cwd: m.dir, env: { ...process.env, KEFU_CONFIG: '' } });
    assert.match(out.stdout, /alice/);
    assert.ok(!existsSync(join(m.dir, 'data')), 'no SQLite file was made beside the MongoDB');
    const g = await start();
    assert.ok(await loginAgent(g.workspaceUrl, 'alice', 'alice-pass-1'));
  });
});
