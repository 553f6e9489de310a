// Bundles the browser code (widget, workspace) into dist/public with esbuild: no CDN, nothing
// fetched at run time. Prints the widget's gzipped size, which the README states.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const out = 'dist/public';
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, format: 'iife', target: ['es2020'], legalComments: 'none', logLevel: 'warning' };
await build({ ...common, entryPoints: ['channels/web/client/widget.ts'], outfile: `${out}/widget.js` });
await build({ ...common, entryPoints: ['core/workspace/client/workspace.ts'], outfile: `${out}/workspace.js` });
copyFileSync('channels/web/client/demo.html', `${out}/demo.html`);
copyFileSync('core/workspace/client/workspace.html', `${out}/workspace.html`);
const widget = readFileSync(`${out}/widget.js`);
console.log(`widget.js ${widget.length} B, ${gzipSync(widget, { level: 9 }).length} B gzipped`);

// The server as one file: module resolution and loading of ~150 files and their packages is most
// of a cold start. Native packages stay external; the unbundled dist/ stays for tests.
await build({
  entryPoints: ['dist/core/cli/kefu.js'], outfile: 'dist/kefu.mjs', bundle: true, platform: 'node', format: 'esm', target: ['node20'],
  external: ['better-sqlite3', 'onnxruntime-node', 'onnx-proto', '@node-rs/jieba', 'bufferutil', 'utf-8-validate'],
  banner: { js: "import { createRequire as __kefuRequire } from 'node:module'; const require = __kefuRequire(import.meta.url);" },
  legalComments: 'none', logLevel: 'error', minifySyntax: true,
});
