// The WebAssembly kernels' entry: pointer-level functions over one linear memory. The TypeScript
// side (src/core/kernels) lays matrices out in that memory and calls these; nothing here allocates.
export { panelBytes, packPanels, packTransposedPanels, gemmPanels, rowQuadBytes, packRowQuads, gemmQuads, copyBlock, scaleInto } from './gemm';
export { softmaxRows } from './softmax';
export { attentionHead, attentionScratchBytes, dotScores } from './attention';
export { sweepRows } from './sweep';
export { attentionOverview, maxPoolRows, rowStats } from './overview';
export { float16ToFloat32 } from './convert';
export { weightRowSums } from './weightRows';
