// The kernels built for a shared memory (build/kernels-shared*.wasm), compiled once on the main
// thread; the compiled module is handed to each worker, so the bytes are embedded only in the main
// bundle. Which build (plain SIMD or relaxed SIMD with fused multiply-add) is chosen as for the
// single-thread kernels (src/core/kernels/variant.ts).
import sharedBytes from '../../../build/kernels-shared.wasm';
import sharedRelaxedBytes from '../../../build/kernels-shared-relaxed.wasm';
import { type KernelVariant, chooseKernelVariant } from '../../core/kernels/variant';

const BYTES: Record<KernelVariant, Uint8Array<ArrayBuffer>> = { simd128: sharedBytes, relaxed: sharedRelaxedBytes };

let compiled: { module: WebAssembly.Module; variant: KernelVariant } | null | undefined;

function load(): { module: WebAssembly.Module; variant: KernelVariant } | null {
  if (compiled === undefined) {
    const variant = chooseKernelVariant();
    try {
      compiled = { module: new WebAssembly.Module(BYTES[variant]), variant };
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The compiled shared-memory kernels, or null where WebAssembly threads or SIMD are missing. */
export function sharedKernelModule(): WebAssembly.Module | null {
  return load()?.module ?? null;
}

/** Which shared-memory build is loaded, or null where none could be. */
export function sharedKernelVariant(): KernelVariant | null {
  return load()?.variant ?? null;
}

/** Forgets the compiled build so the next use chooses again (pools started before keep theirs). */
export function resetSharedKernels(): void {
  compiled = undefined;
}
