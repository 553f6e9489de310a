import { copyFileSync, existsSync, mkdirSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pkgPath } from '../../core/paths.js';
import type { Logger } from 'pino';
import { IntentClassifier } from './classifier.js';

/** The model shipped in the package (`npm run train:default` reproduces it). */
export const DEFAULT_MODEL = pkgPath('plugins', 'intent-onnx', 'model', 'default.onnx');

/**
 * Holds the current classifier and swaps it when the model file (or `[ai] model_path`) changes.
 * A swap is atomic for callers: a batch already running finishes on the old session, the next
 * one uses the new; the old session is released after a grace period. A file that fails to
 * load keeps the previous model (logged).
 */
export class ModelHolder {
  private current?: IntentClassifier;
  private path?: string;
  private loading?: Promise<void>;

  constructor(private logger: Logger) {}

  get classifier(): IntentClassifier | undefined { return this.current; }

  /** Resolves when a model is loaded (or loading failed). */
  ready(): Promise<void> { return this.loading ?? Promise.resolve(); }

  use(modelPath: string): Promise<void> {
    const path = resolve(modelPath);
    if (path === this.path) return this.ready();
    if (this.path) unwatchFile(this.path);
    this.path = path;
    if (!existsSync(path) && existsSync(DEFAULT_MODEL)) {
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(DEFAULT_MODEL, path);
      this.logger.info({ path }, 'installed the default intent model');
    }
    // Polling survives editors and `cp` replacing the file (an inode watch would not).
    watchFile(path, { interval: 1000 }, (cur: Stats, prev: Stats) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) void this.load(path);
    });
    return this.load(path);
  }

  private load(path: string): Promise<void> {
    const run = (async () => {
      try {
        const next = await IntentClassifier.load(path);
        if (path !== this.path) { await next.release(); return; }
        const old = this.current;
        this.current = next;
        this.logger.info({ path, labels: next.labels.length, vocab: next.vocab.size, bytes: next.bytes }, 'intent model loaded');
        if (old) setTimeout(() => void old.release().catch(() => {}), 5000).unref();
      } catch (err) {
        this.logger.error({ err: (err as Error).message, path }, 'intent model failed to load; keeping the previous one');
      }
    })();
    this.loading = run;
    return run;
  }

  async close(): Promise<void> {
    if (this.path) unwatchFile(this.path);
    this.path = undefined;
    await this.current?.release().catch(() => {});
    this.current = undefined;
  }
}
