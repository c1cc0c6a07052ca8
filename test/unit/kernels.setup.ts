// Lets tests import .wasm files as esbuild's `binary` loader does (as bytes), compiling the
// AssemblyScript first when build/ is missing or stale. .mocharc.json loads it before every test file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
execFileSync(process.execPath, [join(root, 'assembly', 'compile.mjs')], { stdio: 'pipe' });

require.extensions['.wasm'] = (module, filename) => {
  module.exports = new Uint8Array(readFileSync(filename));
};
