// The CLI's JSON output: the inspection as plain arrays, float32 values written with the fewest digits
// that read back to the same float32 (0.1f prints as 0.1, not 0.10000000149011612).
import type { Inspection, HeadInspection, Matrix } from '../core';

/** Powers of ten that are exact doubles (10^0 … 10^22): a k·10^±s formed with them is correctly rounded. */
const EXACT_POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * Number(v.toPrecision(digits)) without the string round trip (toPrecision was ~20% of a weights
 * file's `compute --summary`): the nearest integer k to v·10^s, then k / 10^s (or k · 10^−s), both
 * correctly rounded as parsing would round them. Undefined where that could differ: a power of ten
 * that is not exact, or v·10^s within 1e-6 of a tie (its rounding error could flip k).
 */
function roundedTo(v: number, digits: number, exponent: number): number | undefined {
  const s = digits - 1 - exponent;
  if (s > 22 || s < -22) return undefined;
  const scaled = s >= 0 ? v * EXACT_POW10[s] : v / EXACT_POW10[-s];
  const k = Math.round(scaled);
  if (Math.abs(Math.abs(scaled - Math.trunc(scaled)) - 0.5) < 1e-6) return undefined;
  if (Math.abs(k) >= EXACT_POW10[digits]) return undefined; // rounded up to one digit more (9.9999 → 10.000)
  return s >= 0 ? k / EXACT_POW10[s] : k * EXACT_POW10[-s];
}

/** The double nearest 10^e for e in [−60, 60] (float32 spans 1e−45 … 3.4e38), for the decimal exponent. */
const POW10 = Array.from({ length: 121 }, (_, i) => Number(`1e${i - 60}`));

export function shortFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const abs = Math.abs(v);
  // 10^exponent ≤ |v| < 10^(exponent+1); log10 can be off by one next to a power of ten.
  let exponent = Math.floor(Math.log10(abs));
  if (exponent < 59 && abs >= POW10[exponent + 61]) exponent++;
  else if (exponent > -60 && abs < POW10[exponent + 60]) exponent--;
  for (let digits = 6; digits < 9; digits++) {
    const candidate = roundedTo(v, digits, exponent) ?? Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return roundedTo(v, 9, exponent) ?? Number(v.toPrecision(9));
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
