// The compiled kernels (assembly/ → build/kernels*.wasm by assembly/compile.mjs), embedded as bytes
// so every bundle is self-contained. Kept apart from the loader so code that receives an already
// compiled module (the pool's workers) does not embed the bytes a second time. Both builds are
// embedded (16 KB each); src/core/kernels/variant.ts says which one this runtime loads.
import kernelBytes from '../../../build/kernels.wasm';
import relaxedKernelBytes from '../../../build/kernels-relaxed.wasm';
import type { KernelVariant } from './variant';

export const KERNEL_WASM: Record<KernelVariant, Uint8Array<ArrayBuffer>> = {
  simd128: kernelBytes,
  relaxed: relaxedKernelBytes,
};
