// From the core's per-head inspection to the protocol's payloads. Exported so that any source (the
// in-memory one here, a file-backed one later) shapes its answers the same way.
import {
  type HeadInspection,
  type Matrix,
  type RowSharpness,
  diagonalDominance,
  rowSharpness,
  summarizeSharpness,
} from '../core';
import { type Grid, poolToFit } from '../core/downsample';
import type {
  HeadIndex,
  HeadPayload,
  HeadSummary,
  MaskName,
  SweepSample,
  Thumbnails,
  Variant,
} from '../protocol/messages';
import { exact } from './source';

export function summaryOf(h: HeadInspection): HeadSummary {
  const s = summarizeSharpness(h.rows);
  return {
    layer: h.layer,
    head: h.head,
    dK: h.dK,
    factor: h.factor,
    meanEntropy: s.meanEntropy,
    meanMaxWeight: s.meanMaxWeight,
    meanEffectiveTokens: s.meanEffectiveTokens,
    diagonalShare: h.diagonal ? h.diagonal.meanDiagonalWeight : null,
  };
}

function sweepOf(h: HeadInspection): SweepSample[] {
  return h.sweep.map((p) => ({
    factor: p.factor,
    label: p.label,
    meanEntropy: p.meanEntropy,
    meanMaxWeight: p.meanMaxWeight,
    meanEffectiveTokens: p.meanEffectiveTokens,
  }));
}

const copy = (m: Matrix | null) => (m ? exact(m.data) : null);

/** A head as the panel receives it; every typed array owns its buffer exactly. */
export function payloadOf(h: HeadInspection, variant: Variant, mask: MaskName): HeadPayload {
  return {
    layer: h.layer,
    head: h.head,
    variant,
    mask,
    n: h.weights.rows,
    m: h.weights.cols,
    dK: h.q ? h.q.cols : h.dK,
    dV: h.v ? h.v.cols : null,
    factor: h.factor,
    dots: copy(h.dots),
    allowed: h.allowed ? exact(h.allowed) : null,
    weights: exact(h.weights.data),
    entropy: exact(h.rows.entropy),
    maxWeight: exact(h.rows.maxWeight),
    effectiveTokens: exact(h.rows.effectiveTokens),
    emptyRows: h.rows.emptyRows.slice(),
    sweep: sweepOf(h),
    diagonal: h.diagonal
      ? { meanDiagonalWeight: h.diagonal.meanDiagonalWeight, argmaxOnDiagonal: h.diagonal.argmaxOnDiagonal }
      : null,
    q: copy(h.q),
    k: copy(h.k),
    v: copy(h.v),
    output: copy(h.output),
  };
}

/** The element-wise mean of the heads' weights: what the layer attends to on average. */
export function meanWeights(heads: readonly HeadInspection[]): Matrix {
  const { rows, cols } = heads[0].weights;
  const acc = new Float64Array(rows * cols);
  for (const h of heads) {
    const w = h.weights.data;
    for (let k = 0; k < acc.length; k++) acc[k] += w[k];
  }
  const out = new Float32Array(acc.length);
  for (let k = 0; k < acc.length; k++) out[k] = acc[k] / heads.length;
  return { rows, cols, data: out };
}

/** The layer's average head: weights only (a mean of softmaxes has no logits to re-scale). */
export function meanPayload(heads: readonly HeadInspection[], layer: number, mask: MaskName): HeadPayload {
  const weights = meanWeights(heads);
  const allowed = heads[0].allowed;
  const rows: RowSharpness = rowSharpness(weights, allowed);
  const s = summarizeSharpness(rows);
  return {
    layer,
    head: 'mean',
    variant: 'projected',
    mask,
    n: weights.rows,
    m: weights.cols,
    dK: null,
    dV: null,
    factor: null,
    dots: null,
    allowed: allowed ? exact(allowed) : null,
    weights: weights.data,
    entropy: rows.entropy,
    maxWeight: rows.maxWeight,
    effectiveTokens: rows.effectiveTokens,
    emptyRows: rows.emptyRows,
    sweep: [
      {
        factor: 1,
        label: 'unscaled',
        meanEntropy: s.meanEntropy,
        meanMaxWeight: s.meanMaxWeight,
        meanEffectiveTokens: s.meanEffectiveTokens,
      },
    ],
    diagonal:
      weights.rows === weights.cols
        ? (({ meanDiagonalWeight, argmaxOnDiagonal }) => ({ meanDiagonalWeight, argmaxOnDiagonal }))(
            diagonalDominance(weights),
          )
        : null,
    q: null,
    k: null,
    v: null,
    output: null,
  };
}

/**
 * Pools every given matrix to at most size×size and packs them into one buffer. An item may carry
 * its own mask (a model's sliding-window layers): then every item's pooled mask is sent
 * (`itemAllowed`), so each thumbnail draws its own masked cells.
 */
export function packThumbnails(
  items: { layer: number; head: HeadIndex; weights: Float32Array; allowed?: Uint8Array | null }[],
  rows: number,
  cols: number,
  allowed: Uint8Array | null,
  size: number,
): Thumbnails {
  let outRows = rows,
    outCols = cols,
    outAllowed: Uint8Array | null = allowed;
  const own = items.some((it) => it.allowed !== undefined && it.allowed !== allowed);
  const masks: (Uint8Array | null)[] = [];
  const pooled = items.map((it) => {
    const mask = it.allowed !== undefined ? it.allowed : allowed;
    const { grid } = poolToFit({ rows, cols, data: it.weights, allowed: mask } as Grid, size, size, 'max');
    outRows = grid.rows;
    outCols = grid.cols;
    if (!own) outAllowed = grid.allowed;
    masks.push(grid.allowed);
    return grid.data;
  });
  const data = new Float32Array(items.length * outRows * outCols);
  pooled.forEach((d, i) => data.set(d, i * outRows * outCols));
  const base = {
    rows: outRows,
    cols: outCols,
    items: items.map(({ layer, head }) => ({ layer, head })),
    data,
  };
  if (!own) return { ...base, allowed: outAllowed ? exact(outAllowed) : null };
  const itemAllowed = new Uint8Array(items.length * outRows * outCols).fill(1);
  masks.forEach((m, i) => m && itemAllowed.set(m, i * outRows * outCols));
  return { ...base, allowed: null, itemAllowed };
}
