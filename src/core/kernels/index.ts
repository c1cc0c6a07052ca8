// WebAssembly SIMD kernels for the attention core, with the reference functions' names and results.
// Import as a namespace (`import * as kernels from './kernels'`) to keep the two paths apart.
export {
  initKernels,
  initKernelsSync,
  kernelsReady,
  disableKernels,
  kernelModule,
  kernelVariant,
  resetKernels,
} from './runtime';
export {
  type KernelVariant,
  KERNEL_VARIANTS,
  chooseKernelVariant,
  defaultKernelVariant,
  relaxedSimdSupported,
} from './variant';
export {
  matmul,
  project,
  matmulTransposed,
  dotScores,
  softmaxRows,
  weightedValues,
  attention,
  multiHeadAttention,
  multiHeadShapes,
  sweepStatistics,
  scaleSweep,
} from './ops';
export * as plan from './plan';
export * as io from './io';
export { maskKind } from './abi';
