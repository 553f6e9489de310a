import assert from 'node:assert/strict';
import { freeBenchPortBase } from '../helpers/bench-ports.js';
import { existsSync } from 'node:fs';

/**
 * A smoke run of `npm run bench -- cluster` (bench/cluster.mjs), so the harness does not rot
 * between the lead's bench runs: 4 visitors for 1 s per row, on the built gateway. No figure is
 * asserted (this machine is shared); what is: every row runs, every text the load sent reached its
 * agent exactly once (across nodes on the shared store), and the rows carry their labels and ratios.
 */
const REDIS = process.env.KEFU_REDIS_SERVER ?? '/usr/bin/redis-server';
const EMULATOR = process.env.KEFU_MONGO_EMULATOR_DIR;

describe('bench: the cluster scenario (smoke run, figures not asserted)', function () {
  this.timeout(180_000);
  if (!existsSync(REDIS)) {
    it.skip(`single mode, cluster mode on SQLite and 2 nodes on one store: no ${REDIS} (apt-get install redis-server)`);
    return;
  }


  it(`single mode, 1 node in cluster mode on SQLite${EMULATOR ? ' and 2 nodes on one emulator store' : ' (2 nodes skipped: no KEFU_MONGO_EMULATOR_DIR)'}: every text reaches its agent once`, async () => {
    Object.assign(process.env, { BENCH_PORT_BASE: String(await freeBenchPortBase(Array.from({ length: 131 }, (_, i) => i))), BENCH_CLUSTER_VISITORS: '4', BENCH_CLUSTER_WINDOW: '1', BENCH_CLUSTER_ROWS: EMULATOR ? 'single,1-sqlite,2' : 'single,1-sqlite' });
    // bench/ is plain JavaScript outside the compiled tree: from dist/test/bench/ it is three levels up.
    const { clusterScenario } = await import(new URL('../../../bench/cluster.mjs', import.meta.url).href);
    const rows = await clusterScenario(1);
    assert.deepEqual(rows.map((r: { scenario: string }) => r.scenario),
      ['cluster: single mode', 'cluster: 1 node (SQLite)', ...(EMULATOR ? ['cluster: 2 nodes (shared store)'] : [])]);
    for (const r of rows) {
      const k = r.kefu;
      assert.ok(k.msgs > 0, `${r.scenario}: no message measured`);
      assert.equal(k.lost, 0, `${r.scenario}: texts sent in the window that never reached their agent`);
      assert.equal(k.duplicates, 0, `${r.scenario}: texts an agent got twice`);
      assert.equal(k.errorFrames, 0, `${r.scenario}: error frames on visitor sockets`);
      assert.ok(k.cpuPerMsgUs > 0 && Number.isFinite(k.cpuPerMsgUs), `${r.scenario}: CPU per message ${k.cpuPerMsgUs}`);
    }
    assert.equal(rows[0].ratio, '1.00×');
    assert.match(rows[1].server, /cluster mode, 1 node, SQLite \+ Redis$/);
    assert.ok(rows[1].kefu.cpuUs.redis > 0, 'redis-server\'s CPU is counted');
    if (EMULATOR) {
      assert.match(rows[2].server, /2 nodes, emulator store \+ Redis; bound by the emulator store \(\d+% of server CPU\)/);
      assert.ok(rows[2].kefu.cpuUs.store > 0, 'the emulator\'s CPU is counted');
    }
  });
});
