// The compiled kernels (assembly/ → build/kernels.wasm by assembly/compile.mjs), embedded as bytes
// so every bundle is self-contained. Kept apart from the loader so code that receives an already
// compiled module (the pool's workers) does not embed the bytes a second time.
import kernelBytes from '../../../build/kernels.wasm';

export const KERNEL_WASM: Uint8Array<ArrayBuffer> = kernelBytes;
