import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where package.json is), found by walking up from this module: the same
 * answer whether kefu runs from dist/ file by file or from the single-file bundle.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'kefu.toml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('kefu: cannot find the package root');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();
export const pkgPath = (...parts: string[]) => join(PACKAGE_ROOT, ...parts);
