// The bare stacks kefu is compared with, each doing the minimum of its scenario:
//   koa        a bare Koa app that parses the same JSON body and answers
//   relay      a bare ws relay: a frame from a visitor socket goes to the agent socket
//   multipart  a bare multipart receiver that writes the file to disk
//   hello      a bare node:http hello world (cold start)
// Usage: node bench/baselines.mjs MODE PORT
import { createServer } from 'node:http';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const [mode, port] = [process.argv[2], Number(process.argv[3])];

if (mode === 'hello') {
  createServer((q, s) => s.end('ok')).listen(port, '127.0.0.1');
} else if (mode === 'koa') {
  const { default: Koa } = await import('koa');
  const { default: getRawBody } = await import('raw-body');
  const app = new Koa();
  let seq = 0;
  app.use(async (ctx) => {
    if (ctx.path === '/healthz') { ctx.body = { ok: true }; return; }
    const body = JSON.parse(await getRawBody(ctx.req, { limit: 65536, encoding: 'utf8' }));
    ctx.status = 201;
    ctx.body = { ok: true, message: { id: randomUUID(), seq: ++seq, clientId: body.clientId } };
  });
  app.listen(port, '127.0.0.1');
} else if (mode === 'relay') {
  const { WebSocketServer } = await import('ws');
  const agents = new Set();
  const server = createServer((q, s) => s.end('{"ok":true}'));
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws, req) => {
    if (req.url.startsWith('/ws/agent')) { agents.add(ws); ws.on('close', () => agents.delete(ws)); return; }
    ws.on('message', (data) => { for (const a of agents) a.send(data); });
  });
  server.listen(port, '0.0.0.0');
} else if (mode === 'multipart') {
  const { default: busboy } = await import('busboy');
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-mp-'));
  createServer((req, res) => {
    if (req.url === '/healthz') return res.end('{"ok":true}');
    const bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: 5 * 1024 * 1024 } });
    bb.on('file', (_f, stream) => stream.pipe(createWriteStream(join(dir, randomUUID()))));
    bb.on('close', () => { res.statusCode = 201; res.end('{"ok":true}'); });
    req.pipe(bb);
  }).listen(port, '127.0.0.1');
} else {
  console.error(`unknown baseline ${mode}`);
  process.exit(1);
}
