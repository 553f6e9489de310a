import { createServer } from 'node:net';

const free = (port: number) => new Promise<boolean>((res) => {
  const s = createServer().once('error', () => res(false)).listen(port, '127.0.0.1', () => s.close(() => res(true)));
});

/**
 * A BENCH_PORT_BASE for the bench smoke tests: the bench uses fixed ports from a base (so a run's
 * figures compare), the suite's servers use port 0; this finds a base with every port at the given
 * offsets free (the bench's: public +0, workspace +10, baseline +20, extra gateways +120 …).
 */
export async function freeBenchPortBase(offsets: number[]): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + Math.floor(Math.random() * 200) * 150;
    let ok = true;
    for (const o of offsets) if (!(ok = await free(base + o))) break;
    if (ok) return base;
  }
  throw new Error('no free port range for the bench');
}
