// One build for every bundle: the extension host (node, `vscode` external), the CLI (node) and the
// webview (browser). `--watch` rebuilds on change; `--production` minifies; `--test-hooks` builds
// the test-only hooks in (src/vscode/testHooks.ts: the debug.state command the in-host suite reads).
// dist/build-flags.json records which build dist/ holds, so the test runners rebuild when it differs.
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { compileKernels } from '../assembly/compile.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const testHooks = process.argv.includes('--test-hooks');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // WebAssembly kernels are embedded as bytes so each bundle is self-contained.
  loader: { '.wasm': 'binary' },
  // A literal (src/buildFlags.d.ts), so a bundle built without --test-hooks drops the hooks as dead code.
  define: { __TEST_HOOKS__: testHooks ? 'true' : 'false' },
};
// The extension bundles carry the test hooks: syntax minification (names and layout kept) removes
// the unreachable branch and, with it, the hook's module.
const extensionHost = { ...common, minifySyntax: true };

const bundles = [
  {
    ...extensionHost,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  // VS Code for the Web (package.json "browser"): the same extension, no node APIs.
  {
    ...extensionHost,
    entryPoints: ['src/web/extension.ts'],
    outfile: 'dist/web/extension.js',
    platform: 'browser',
    format: 'cjs',
    target: 'es2022',
    external: ['vscode'],
  },
  // The inspection worker: the extension host runs every computation in it (src/node/workerSource.ts).
  {
    ...common,
    entryPoints: ['src/node/inspectionWorker.ts'],
    outfile: 'dist/inspectionWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  // The attention pool's worker (src/node/parallel): runs kernel tasks over a shared WebAssembly memory.
  {
    ...common,
    entryPoints: ['src/node/parallel/attentionWorker.ts'],
    outfile: 'dist/attentionWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    // Not minified outside --production: minifying (465 → 277 KB) did not shorten the in-host load
    // measurably (navigation → script start 94–173 ms either way, issue 16); the source stays readable.
  },
  // The panel's stylesheet (also inlined into standalone reports).
  { ...common, entryPoints: ['media/panel.css'], outfile: 'dist/webview.css', sourcemap: false },
];

mkdirSync('dist', { recursive: true });
// The AssemblyScript kernels first (build/*.wasm, skipped when up to date): the bundles embed them.
await compileKernels();
if (watch) {
  for (const options of bundles) await (await esbuild.context(options)).watch();
  console.log('watching…');
} else {
  await Promise.all(bundles.map((options) => esbuild.build(options)));
  chmodSync('dist/cli.js', 0o755);
}
writeFileSync('dist/build-flags.json', `${JSON.stringify({ testHooks })}\n`);
