import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cid, json, visitorSession } from '../../helpers/clients.js';

const CHILD = fileURLToPath(new URL('../../fixtures/gateway-child.js', import.meta.url));
// The test config uses synchronous = "normal": with WAL that survives a process crash, which
// is what kill -9 tests ("full" adds an fsync per commit for power loss).
const EXTRA = '[ratelimit]\ncustomer_quota = 0\n';

function startChild(dir: string): Promise<{ proc: ChildProcess; url: string; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD, dir, EXTRA], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Created at spawn so an exit that happens before anyone awaits it is not missed.
    const exited = new Promise((r) => proc.once('exit', r));
    proc.stdout!.once('data', (d) => {
      const { publicPort } = JSON.parse(d.toString());
      resolve({ proc, url: `http://127.0.0.1:${publicPort}`, exited });
    });
    void exited.then((code) => reject(new Error(`child exited early (${code})`)));
  });
}

describe('store crash safety (kill -9 mid-stream)', () => {
  it('a second gateway on the same database refuses to start; the first keeps running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-lock-gw-'));
    const first = await startChild(dir);
    try {
      const second = spawn(process.execPath, [CHILD, dir, EXTRA], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      second.stderr!.on('data', (d) => { stderr += d; });
      const code = await new Promise((r) => second.once('exit', r));
      assert.notEqual(code, 0);
      assert.match(stderr, new RegExp(`in use by another kefu gateway \\(pid ${first.proc.pid}\\)`));
      assert.equal((await json(`${first.url}/healthz`)).status, 200);
    } finally {
      first.proc.kill('SIGTERM');
      await first.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every acknowledged message is there after a restart; none twice; seq gap-free', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-crash-'));
    try {
      const first = await startChild(dir);
      const visitors = await Promise.all(Array.from({ length: 8 }, () => visitorSession(first.url)));
      const acked = new Map<string, string[]>(); // token -> message ids
      let stop = false;
      let total = 0;
      // 8 concurrent senders; the kill lands while many requests are in flight.
      const senders = visitors.map(async (v) => {
        const ids: string[] = [];
        acked.set(v.token, ids);
        while (!stop) {
          try {
            const r = await json(`${first.url}/v1/visitor/messages`, { method: 'POST', headers: { Authorization: `Bearer ${v.token}` }, json: { clientId: cid(), text: `n${total}` } });
            if (r.status === 201) { ids.push(r.body.message.id); total++; }
          } catch {
            // Not acknowledged (the process died, or a pooled connection was stale): only acked ids are checked.
            if (stop) return;
          }
        }
      });
      for (let i = 0; total < 400 && i < 2000; i++) await new Promise((r) => setTimeout(r, 5));
      first.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      await first.exited;

      const second = await startChild(dir);
      try {
        let checked = 0;
        for (const v of visitors) {
          const hist = await json(`${second.url}/v1/visitor/messages?after=0`, { headers: { Authorization: `Bearer ${v.token}` } });
          assert.equal(hist.status, 200);
          const stored = hist.body.messages.filter((m: any) => m.direction === 'inbound');
          const storedIds = new Set(stored.map((m: any) => m.id));
          for (const id of acked.get(v.token)!) { assert.ok(storedIds.has(id), `acknowledged ${id} survived`); checked++; }
          assert.equal(storedIds.size, stored.length, 'no duplicates');
          const seqs = hist.body.messages.map((m: any) => m.seq);
          assert.deepEqual(seqs, seqs.map((_: number, i: number) => i + 1), 'seq gap-free');
        }
        assert.ok(checked >= 400, `checked ${checked} acknowledged messages`);
      } finally {
        second.proc.kill('SIGTERM');
        assert.equal(await second.exited, 0, 'graceful shutdown on SIGTERM exits 0');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
