// A head of exported post-softmax weights (a tensor file's maps) checked and measured in one pass of
// the WebAssembly kernel assembly/weightRows.ts. In the profile of a file's heads overview
// (`compute --summary` on a weights file) the per-row figures were ~95% of the time: Math.log per
// weight (~16 ns each, ~60%), the value check, the diagonal. Every figure is formed from the kernel's
// row sums as the reference forms it (rowSharpness, checkWeights, diagonalDominance); p·ln p is the
// kernel's own division-free float32 form (~1e-7 in ln p) and Σp, Σ p ln p float32 blocks added in
// float64, so the entropy agrees with the reference to float32 rounding, the Jacobian norm (float64
// sums) closely, max and diagonal exactly.
import type { Matrix } from '../matrix';
import { type RowSharpness, jacobianNormOf } from '../sharpness';
import type { DiagonalDominance } from '../selfSimilarity';
import { acquireRuntime, releaseRuntime } from './runtime';

/** f64 per row written by weightRowSums (assembly/weightRows.ts WEIGHT_ROW_SLOTS). */
const SLOTS = 7;
/** Weights per kernel call, at most: 16 MB of linear memory whatever the head's size. */
const CHUNK_VALUES = 1 << 22;
/**
 * How far inside the row-sum tolerance a kernel sum must be to count as within it: the kernel adds
 * 16 weights per lane of Σp in float32 before float64 (at most 16·2⁻²⁴ ≈ 1e-6 of a row summing to 1), so
 * rows nearer the edge than that are left to the reference (float64 files' 1e-6 tolerance: all rows).
 */
const SUM_MARGIN = 2e-6;

interface WeightRowExports {
  weightRowSums?(w: number, rows: number, m: number, out: number): void;
}

export interface WeightsPass {
  readonly rows: RowSharpness;
  readonly diagonal: DiagonalDominance | null;
  /** Rows of zeros: fully masked (checkWeights' 'zero' rows). */
  readonly maskedRows: number[];
}

/**
 * checkWeights(weights, tolerance) and the rowSharpness and diagonalDominance of what it accepts,
 * when every row is finite, ≥ 0 and sums to 1 within `tolerance` (or is all zero). Null otherwise,
 * and where the kernels are not loaded: the caller then runs the reference, which names the row at
 * fault or turns all-NaN rows into masked ones, exactly as before.
 */
export function exportedWeightsPass(weights: Matrix, tolerance: number): WeightsPass | null {
  const { rows: n, cols: m, data } = weights;
  if (n === 0 || m === 0) return null;
  const rt = acquireRuntime();
  if (!rt) return null;
  try {
    const sums = (rt.exports as unknown as WeightRowExports).weightRowSums;
    if (!sums) return null;
    const chunkRows = Math.max(1, Math.min(n, Math.floor(CHUNK_VALUES / m)));
    const w = rt.arena.reserve(chunkRows * m * 4);
    const out = rt.arena.reserve(chunkRows * SLOTS * 8);
    rt.arena.commit(rt.memory);
    const heap = rt.memory.buffer;
    const input = new Float32Array(heap, w, chunkRows * m);
    const figures = new Float64Array(heap, out, chunkRows * SLOTS);
    const entropy = new Float32Array(n);
    const normalizedEntropy = new Float32Array(n);
    const maxWeight = new Float32Array(n);
    const effectiveTokens = new Float32Array(n);
    const jacobianNorm = new Float32Array(n);
    const empty: number[] = [];
    const logKeys = m > 1 ? Math.log(m) : 0;
    const square = n === m;
    let sumDiagonal = 0,
      onDiagonal = 0;
    for (let r0 = 0; r0 < n; r0 += chunkRows) {
      const count = Math.min(chunkRows, n - r0);
      input.set(data.subarray(r0 * m, (r0 + count) * m));
      sums(w, count, m, out);
      for (let r = 0; r < count; r++) {
        const i = r0 + r;
        const at = r * SLOTS;
        const sum = figures[at + 2];
        if (figures[at + 6] !== 1) return null;
        if (sum === 0) {
          empty.push(i);
          continue;
        }
        if (!(Math.abs(sum - 1) <= tolerance - SUM_MARGIN)) return null;
        const h = Math.max(0, figures[at]);
        entropy[i] = h;
        normalizedEntropy[i] = m > 1 ? h / logKeys : 0;
        maxWeight[i] = figures[at + 1];
        effectiveTokens[i] = Math.exp(h);
        jacobianNorm[i] = jacobianNormOf(figures[at + 3], figures[at + 4]);
        if (square) {
          sumDiagonal += data[i * m + i];
          if (figures[at + 5] === i) onDiagonal++;
        }
      }
    }
    const counted = n - empty.length;
    const diagonal = square
      ? {
          meanDiagonalWeight: counted ? sumDiagonal / counted : 0,
          argmaxOnDiagonal: counted ? onDiagonal / counted : 0,
          rows: counted,
        }
      : null;
    return {
      rows: { entropy, normalizedEntropy, maxWeight, effectiveTokens, jacobianNorm, emptyRows: empty },
      diagonal,
      maskedRows: empty.slice(),
    };
  } catch (error) {
    // Linear memory that cannot grow: the reference needs none.
    if (error instanceof RangeError) return null;
    throw error;
  } finally {
    releaseRuntime(rt);
  }
}
