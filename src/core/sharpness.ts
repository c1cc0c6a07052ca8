// How peaked the softmax is. The Transformer's 1/√d_k exists because unscaled dot products grow
// with d_k and push softmax towards one-hot rows whose gradients vanish; these measures make that
// visible: entropy falls, the max weight rises, the effective number of keys drops to 1, and the
// softmax Jacobian's norm (how much gradient flows back) collapses towards 0.
import type { Matrix } from './matrix';
import { softmaxRows } from './attention';
import { emptyRows } from './mask';
import { type SweepLabel, canonicalFactors, sweepFactors } from './scale';

export interface RowSharpness {
  /** Shannon entropy in nats; 0 for a one-hot or an empty (fully masked) row. */
  readonly entropy: Float32Array;
  /** Entropy divided by ln(allowed keys): 1 is uniform, 0 is one-hot (0 when fewer than 2 keys). */
  readonly normalizedEntropy: Float32Array;
  readonly maxWeight: Float32Array;
  /** exp(entropy): how many keys the row effectively spreads over (0 for an empty row). */
  readonly effectiveTokens: Float32Array;
  /** Frobenius norm of the softmax Jacobian diag(p) − p·pᵀ at this row. */
  readonly jacobianNorm: Float32Array;
  /** Rows that attend to nothing; left out of the means. */
  readonly emptyRows: number[];
}

export interface SharpnessSummary {
  readonly meanEntropy: number;
  readonly meanNormalizedEntropy: number;
  readonly meanMaxWeight: number;
  readonly meanEffectiveTokens: number;
  readonly meanJacobianNorm: number;
}

/** ||diag(p) − p pᵀ||_F² = Σp² − 2Σp³ + (Σp²)². */
export function jacobianNormOf(sumSq: number, sumCube: number): number {
  return Math.sqrt(Math.max(0, sumSq - 2 * sumCube + sumSq * sumSq));
}

/** Per-row sharpness of a weight matrix (each row a distribution over keys, or all zero if masked out). */
export function rowSharpness(weights: Matrix, allowed: Uint8Array | null = null): RowSharpness {
  const { rows: n, cols: m, data } = weights;
  const entropy = new Float32Array(n);
  const normalizedEntropy = new Float32Array(n);
  const maxWeight = new Float32Array(n);
  const effectiveTokens = new Float32Array(n);
  const jacobianNorm = new Float32Array(n);
  const empty: number[] = [];
  for (let i = 0; i < n; i++) {
    let h = 0,
      max = 0,
      sum = 0,
      sumSq = 0,
      sumCube = 0,
      keys = 0;
    for (let j = 0; j < m; j++) {
      if (allowed && allowed[i * m + j] === 0) continue;
      keys++;
      const p = data[i * m + j];
      sum += p;
      if (p > 0) h -= p * Math.log(p);
      if (p > max) max = p;
      const p2 = p * p;
      sumSq += p2;
      sumCube += p2 * p;
    }
    if (keys === 0 || sum === 0) {
      empty.push(i);
      continue;
    }
    h = Math.max(0, h);
    entropy[i] = h;
    normalizedEntropy[i] = keys > 1 ? h / Math.log(keys) : 0;
    maxWeight[i] = max;
    effectiveTokens[i] = Math.exp(h);
    jacobianNorm[i] = jacobianNormOf(sumSq, sumCube);
  }
  return { entropy, normalizedEntropy, maxWeight, effectiveTokens, jacobianNorm, emptyRows: empty };
}

function meanOver(values: Float32Array, skip: ReadonlySet<number>): number {
  let s = 0,
    c = 0;
  for (let i = 0; i < values.length; i++) {
    if (skip.has(i)) continue;
    s += values[i];
    c++;
  }
  return c === 0 ? 0 : s / c;
}

/** Means over rows, leaving out rows that have no allowed key. */
export function summarizeSharpness(rows: RowSharpness): SharpnessSummary {
  const skip = new Set(rows.emptyRows);
  return {
    meanEntropy: meanOver(rows.entropy, skip),
    meanNormalizedEntropy: meanOver(rows.normalizedEntropy, skip),
    meanMaxWeight: meanOver(rows.maxWeight, skip),
    meanEffectiveTokens: meanOver(rows.effectiveTokens, skip),
    meanJacobianNorm: meanOver(rows.jacobianNorm, skip),
  };
}

export interface SweepPoint extends SharpnessSummary {
  readonly factor: number;
  /** A canonical factor's label (src/core/scale.ts), or 'grid'. */
  readonly label: SweepLabel;
}

// The canonical factors belong to src/core/scale.ts; re-exported so that importers of the sweep
// (the webview, the kernels) keep finding them here.
export { canonicalFactors };

/** `count` factors evenly spaced in log10 from `from` to `to` inclusive (default 10⁻³…10¹, 25 points). */
export function logGrid(from = 1e-3, to = 10, count = 25): number[] {
  if (count === 1) return [from];
  const a = Math.log10(from),
    b = Math.log10(to);
  return Array.from({ length: count }, (_, i) => 10 ** (a + ((b - a) * i) / (count - 1)));
}

/**
 * Sharpness of softmax(dots·factor) for each factor: the canonical ones first (1, 1/√d_k, 1/d_k, in
 * that order), then the grid. `dots` are the unscaled logits, so every factor re-scales the same scores.
 */
export function scaleSweep(
  dots: Matrix,
  allowed: Uint8Array | null,
  dK: number | undefined,
  grid: readonly number[] = logGrid(),
): SweepPoint[] {
  const points = sweepFactors(dK, grid);
  return points.map(({ factor, label }) => ({
    factor,
    label,
    ...summarizeSharpness(rowSharpness(softmaxRows(dots, allowed, factor), allowed)),
  }));
}

/** Rows with no allowed key in a weights matrix given as-is (a model's exported attention). */
export function zeroRows(weights: Matrix): number[] {
  const out: number[] = [];
  for (let i = 0; i < weights.rows; i++) {
    let any = false;
    for (let j = 0; j < weights.cols && !any; j++) any = weights.data[i * weights.cols + j] !== 0;
    if (!any) out.push(i);
  }
  return out;
}

export { emptyRows };
