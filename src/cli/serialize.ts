// The CLI's JSON output: the inspection as plain arrays, float32 values written with the fewest digits
// that read back to the same float32 (0.1f prints as 0.1, not 0.10000000149011612).
import type { Inspection, HeadInspection, Matrix } from '../core';

export function shortFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return Number(v.toPrecision(9));
}

function rowsOf(m: Matrix, allowed: Uint8Array | null = null): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (let i = 0; i < m.rows; i++) {
    const r: (number | null)[] = [];
    for (let j = 0; j < m.cols; j++) {
      const k = i * m.cols + j;
      r.push(allowed && allowed[k] === 0 ? null : shortFloat32(m.data[k]));
    }
    out.push(r);
  }
  return out;
}

const vector = (v: Float32Array) => Array.from(v, shortFloat32);
const round = (x: number) => Number(x.toPrecision(8));

export function headJson(h: HeadInspection, summary: boolean) {
  return {
    layer: h.layer,
    head: h.head,
    dK: h.dK,
    factor: h.factor === null ? null : round(h.factor),
    ...(summary
      ? {}
      : {
          scores: h.scores ? rowsOf(h.scores, h.allowed) : null,
          weights: rowsOf(h.weights),
          output: h.output ? rowsOf(h.output) : null,
        }),
    entropy: vector(h.rows.entropy),
    maxWeight: vector(h.rows.maxWeight),
    effectiveTokens: vector(h.rows.effectiveTokens),
    emptyRows: h.rows.emptyRows,
    sharpness: h.sweep.map((p) => ({
      factor: round(p.factor),
      label: p.label,
      meanEntropy: round(p.meanEntropy),
      meanMaxWeight: round(p.meanMaxWeight),
      meanEffectiveTokens: round(p.meanEffectiveTokens),
      meanNormalizedEntropy: round(p.meanNormalizedEntropy),
      meanJacobianNorm: round(p.meanJacobianNorm),
    })),
    diagonal: h.diagonal && {
      meanDiagonalWeight: round(h.diagonal.meanDiagonalWeight),
      argmaxOnDiagonal: round(h.diagonal.argmaxOnDiagonal),
    },
  };
}

/** The CLI contract: {"tokens", "heads": [{scores (null where masked), weights, output, entropy, sharpness, …}]}. */
export function inspectionJson(inspection: Inspection, summary: boolean): object {
  return {
    form: inspection.form,
    tokens: inspection.tokens,
    keyTokens: inspection.keyTokens,
    ...(inspection.offsets ? { offsets: inspection.offsets } : {}),
    mask: inspection.mask,
    scale: inspection.scale,
    heads: inspection.heads.map((h) => headJson(h, summary)),
    ...(inspection.output && !summary ? { output: rowsOf(inspection.output) } : {}),
  };
}
