import assert from 'node:assert/strict';
import { freeBenchPortBase } from '../helpers/bench-ports.js';
import { existsSync } from 'node:fs';

/**
 * A smoke run of `npm run bench -- workers` (bench/workers.mjs), so the harness does not rot
 * between full runs: `kefu start --workers 2` holding 200 idle sockets, then 4 visitors talking to
 * agents on the other worker for 1 s. No figure is asserted (this machine is shared); what is:
 * every socket was welcomed, nothing dropped, every text reached its agent once, across workers.
 */
const REDIS = process.env.KEFU_REDIS_SERVER ?? '/usr/bin/redis-server';
const EMULATOR = process.env.KEFU_MONGO_EMULATOR_DIR;

describe('bench: the workers scenario (smoke run, figures not asserted)', function () {
  this.timeout(120_000);
  if (!existsSync(REDIS) || !EMULATOR) {
    it.skip(`200 idle sockets over 2 workers, text crossing workers: needs ${REDIS} and KEFU_MONGO_EMULATOR_DIR`);
    return;
  }


  it('200 idle sockets over 2 workers, all welcomed and held; every text crosses workers and arrives once', async () => {
    // lib.mjs reads BENCH_PORT_BASE once: if the cluster smoke test loaded it first, its (free) base stays.
    Object.assign(process.env, { BENCH_PORT_BASE: String(await freeBenchPortBase([0, 10, 20])), BENCH_WORKERS: '2', BENCH_CONNECTIONS: '200',
      BENCH_CLIENT_SOCKETS: '100', BENCH_WORKERS_VISITORS: '4', BENCH_WORKERS_WINDOW: '1' });
    const { workersScenario } = await import(new URL('../../../bench/workers.mjs', import.meta.url).href);
    const [kefuRow, baseRow] = await workersScenario(1);
    const k = kefuRow.kefu;
    assert.equal(k.workers, 2);
    assert.equal(k.nodes.length, 2);
    assert.equal(k.connections, 200);
    assert.equal(k.welcomed, 200, 'every idle socket got its welcome');
    assert.equal(k.connErrors, 0, 'no refused socket, error frame or drop');
    assert.equal(k.workerRestarts, 0);
    assert.ok(k.socketsPerWorker.every((n: number) => n >= 50), `both workers hold sockets: ${k.socketsPerWorker}`);
    assert.ok(k.msgs > 0, 'texts measured');
    assert.equal(k.lost, 0, 'texts sent in the window that never reached their agent');
    assert.equal(k.duplicates, 0, 'texts an agent got twice');
    assert.equal(k.errorFrames, 0);
    assert.equal(k.sameWorker, 0, 'every visitor\'s agent is on the other worker');
    assert.ok(Object.keys(k.pairs).every((p) => { const [a, b] = p.split(' → '); return a !== b; }), JSON.stringify(k.pairs));
    assert.ok(k.cpuUs.store > 0, 'the emulator\'s CPU is counted'); // redis-server's can be under one 10 ms tick in 1 s
    assert.match(kefuRow.server, /^kefu --workers 2, emulator store \+ Redis; [\d.]+ kB per idle socket$/);
    assert.equal(baseRow.kefu.connections, 200);
    assert.ok(baseRow.kefu.msgs > 0);
  });
});
