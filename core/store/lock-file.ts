import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One gateway per database file: `<db>.lock` holds the owner's pid. The store's in-memory
 * indexes (source ids for dedupe, the conversation cache) are only whole if no other process
 * writes messages, so a second gateway on the same file must refuse to start. A lock whose
 * process is gone (kill -9, power loss) is stale and taken over. CLI commands do not lock: they
 * never write messages.
 */
export function lockDatabase(dbPath: string): () => void {
  const file = `${dbPath}.lock`;
  mkdirSync(dirname(dbPath), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try { if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file); } catch { /* already gone */ }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`${dbPath} is in use by another kefu gateway (pid ${pid}); stop it first, or delete ${file} if that process is not kefu`);
      }
      unlinkSync(file); // stale
    }
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}
