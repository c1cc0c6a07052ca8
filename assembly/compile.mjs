// Compiles the AssemblyScript kernels (assembly/*.ts) to build/kernels.wasm (private memory, for the
// core and the browser) and build/kernels-shared.wasm (shared memory, for the worker pool). Both are
// imported as bytes by esbuild's `binary` loader. Skips the work when the outputs are newer than
// every source. Used by scripts/build.mjs and by the unit tests' .wasm loader.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIR = join(ROOT, 'assembly');
const OUT_DIR = join(ROOT, 'build');
const ENTRY = join(SOURCE_DIR, 'index.ts');

// -O3 for speed; --noAssert drops bounds assertions (the TypeScript side validates shapes); the stub
// runtime because nothing here allocates; memory is imported so JavaScript owns its size.
const COMMON = ['-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--enable', 'simd'];
// Each memory kind also gets a relaxed-SIMD build (*-relaxed.wasm: the GEMM's multiply-add fused),
// picked at run time where the runtime validates relaxed SIMD (src/core/kernels/variant.ts).
const SHARED = ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'];
const RELAXED = ['--enable', 'relaxed-simd'];
export const OUTPUTS = {
  private: { file: join(OUT_DIR, 'kernels.wasm'), flags: [] },
  shared: { file: join(OUT_DIR, 'kernels-shared.wasm'), flags: SHARED },
  privateRelaxed: { file: join(OUT_DIR, 'kernels-relaxed.wasm'), flags: RELAXED },
  sharedRelaxed: { file: join(OUT_DIR, 'kernels-shared-relaxed.wasm'), flags: [...SHARED, ...RELAXED] },
};

function newestSource() {
  let newest = statSync(join(SOURCE_DIR, 'compile.mjs')).mtimeMs;
  for (const f of readdirSync(SOURCE_DIR)) if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(SOURCE_DIR, f)).mtimeMs);
  return newest;
}

/** Builds whatever is missing or stale; resolves to the list of files written. */
export async function compileKernels({ force = false } = {}) {
  const newest = newestSource();
  const stale = Object.values(OUTPUTS).filter((o) => force || !existsSync(o.file) || statSync(o.file).mtimeMs < newest);
  if (stale.length === 0) return [];
  mkdirSync(OUT_DIR, { recursive: true });
  const { default: asc } = await import('assemblyscript/asc');
  for (const o of stale) {
    const { error, stderr } = await asc.main([ENTRY, ...COMMON, ...o.flags, '-o', o.file]);
    if (error) throw new Error(`AssemblyScript build of ${o.file} failed: ${error.message}\n${stderr.toString()}`);
  }
  return stale.map((o) => o.file);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = await compileKernels({ force: process.argv.includes('--force') });
  console.log(written.length ? `kernels: built ${written.map((f) => f.slice(ROOT.length + 1)).join(', ')}` : 'kernels: up to date');
}
