// Scaled dot-product attention for one head, fused by blocks of query rows: the block's logits are
// written, soft-maxed and multiplied by V while they are still in cache, so no n×m pass goes back to
// main memory between the three steps.
import { gemmPanels, packPanels, packTransposedPanels, panelBytes, scaleInto } from './gemm';
import { softmaxRows, MASK_ANTICAUSAL, MASK_CAUSAL, MASK_TABLE } from './softmax';

/** Query rows per block: 16 rows × m logits stay in L2 (128 KB at m = 2048) between the steps. */
const QUERY_BLOCK: i32 = 16;

/** Scratch bytes attentionHead needs: K packed as Kᵀ panels and V packed as panels. */
export function attentionScratchBytes(m: i32, dk: i32, dv: i32): usize {
  return panelBytes(dk, m) + panelBytes(m, dv);
}

/**
 * Rows [rowStart, rowEnd) of one head: dots = Q·Kᵀ (n×m), scores = dots·factor, weights = softmax
 * over the allowed keys, out = weights·V (n×dv). Q, K, V are n×dk, m×dk, m×dv with row strides ldq,
 * ldk, ldv. Row i of dots, scores and weights is at (i − rowBase)·m floats from their pointers, so a
 * caller can fill disjoint row ranges of whole matrices (rowBase 0) or stream one range at a time
 * through a small buffer (rowBase = rowStart); out is always addressed from row 0. dots = 0 or
 * scores = 0 skips keeping them (the logits are then computed in the weights block and soft-maxed in
 * place). For MASK_TABLE, mask is the whole n×m byte table.
 */
export function attentionHead(
  q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32,
  n: i32, m: i32, dk: i32, dv: i32, factor: f32, rowStart: i32, rowEnd: i32,
  kind: i32, mask: usize, dots: usize, scores: usize, weights: usize, out: usize, scratch: usize, rowBase: i32,
): void {
  const kp = scratch;
  const vp = scratch + panelBytes(dk, m);
  packTransposedPanels(k, ldk, m, dk, kp);
  packPanels(v, ldv, m, dv, vp);
  attendPacked(q, ldq, kp, vp, n, m, dk, dv, factor, rowStart, rowEnd, kind, mask, dots, scores, weights, out, rowBase);
}

/**
 * attentionHead with K and V already packed (K as Kᵀ panels by packTransposedPanels at kp, V as
 * panels by packPanels at vp), so callers that attend in many row ranges pack them once.
 */
export function attendPacked(
  q: usize, ldq: i32, kp: usize, vp: usize,
  n: i32, m: i32, dk: i32, dv: i32, factor: f32, rowStart: i32, rowEnd: i32,
  kind: i32, mask: usize, dots: usize, scores: usize, weights: usize, out: usize, rowBase: i32,
): void {
  const kStride = panelBytes(dk, 8);
  const vStride = panelBytes(m, 8);
  const end = min(rowEnd, n);
  for (let i0 = rowStart; i0 < end; i0 += QUERY_BLOCK) {
    const rows = min(QUERY_BLOCK, end - i0);
    const cellOffset = <usize>i0 * <usize>m;
    const localOffset = (<usize>(i0 - rowBase) * <usize>m) << 2;
    const weightsBlock = weights + localOffset;
    const dotsBlock = dots != 0 ? dots + localOffset : weightsBlock;
    const outBlock = out + ((<usize>i0 * <usize>dv) << 2);
    gemmPanels(q + ((<usize>i0 * <usize>ldq) << 2), ldq, rows, dk, kp, kStride, m, dotsBlock, m);
    if (scores != 0) scaleInto(dotsBlock, rows * m, factor, scores + localOffset);
    softmaxRows(dotsBlock, m, rows, m, i0, kind, kind == MASK_TABLE ? mask + cellOffset : 0, factor, weightsBlock, m);
    // Masked keys have weight 0, so the word masks let A·V skip the keys no row of the block sees.
    let kLo = 0;
    let kHi = m;
    if (kind == MASK_CAUSAL) kHi = min(m, i0 + rows);
    if (kind == MASK_ANTICAUSAL) kLo = min(m, i0);
    gemmPanels(weightsBlock + (<usize>kLo << 2), m, rows, kHi - kLo, vp + (<usize>kLo << 5), vStride, dv, outBlock, dv);
  }
}

/** Q·Kᵀ alone (n×m), for callers that only want logits. */
export function dotScores(q: usize, ldq: i32, k: usize, ldk: i32, n: i32, m: i32, dk: i32, dots: usize, scratch: usize): void {
  packTransposedPanels(k, ldk, m, dk, scratch);
  gemmPanels(q, ldq, n, dk, scratch, panelBytes(dk, 8), m, dots, m);
}
