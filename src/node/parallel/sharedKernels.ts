// The kernels built for a shared memory (build/kernels-shared.wasm), compiled once on the main thread;
// the compiled module is handed to each worker, so the bytes are embedded only in the main bundle.
import sharedBytes from '../../../build/kernels-shared.wasm';

let compiled: WebAssembly.Module | null | undefined;

/** The compiled shared-memory kernels, or null where WebAssembly threads or SIMD are missing. */
export function sharedKernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(sharedBytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}
