// The inspection worker bundled into a temporary folder, as scripts/build.mjs bundles it for the
// extension, for tests that run WorkerSource against the current source (not a stale dist/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export interface WorkerBundle {
  readonly dir: string;
  readonly workerPath: string;
  remove(): void;
}

export function bundleInspectionWorker(prefix: string): WorkerBundle {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const workerPath = join(dir, 'inspectionWorker.js');
  buildSync({
    entryPoints: [join(__dirname, '..', '..', 'src', 'node', 'inspectionWorker.ts')],
    outfile: workerPath,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
    target: 'node20',
    loader: { '.wasm': 'binary' },
  });
  return { dir, workerPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
