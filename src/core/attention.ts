// Scaled dot-product attention, all queries at once: S = (Q·Kᵀ)·factor, A = softmax_rows(S | mask),
// O = A·V. Pure functions over Float32Array matrices; the kernels in ./kernels may speed these up,
// and these stay the reference they are tested against.
import { type Matrix, matmul, matmulTransposed, concatColumns, project, scaleMatrix } from './matrix';
import { type MaskSpec, allowedCells, emptyRows } from './mask';
import { type ScaleRule, factorFor } from './scale';

/** Unscaled logits Q·Kᵀ (n×m) for n queries and m keys of width d_k. */
export function dotScores(q: Matrix, k: Matrix): Matrix {
  return matmulTransposed(q, k);
}

/** (Q·Kᵀ)·factor. */
export function scaledScores(q: Matrix, k: Matrix, factor: number): Matrix {
  const s = matmulTransposed(q, k);
  if (factor !== 1) for (let i = 0; i < s.data.length; i++) s.data[i] *= factor;
  return s;
}

/**
 * Row-wise, numerically stable softmax of scores·factor over the allowed cells. Subtracting the
 * row's maximum first keeps exp() finite for logits of ±1e4. Masked cells get exactly 0; a row
 * with no allowed key gets all zeros (not NaN).
 */
export function softmaxRows(scores: Matrix, allowed: Uint8Array | null = null, factor = 1): Matrix {
  const { rows: n, cols: m } = scores;
  const out = new Float32Array(n * m);
  const src = scores.data;
  for (let i = 0; i < n; i++) {
    const base = i * m;
    let max = -Infinity;
    for (let j = 0; j < m; j++) {
      if (allowed && allowed[base + j] === 0) continue;
      const v = src[base + j] * factor;
      if (v > max) max = v;
    }
    if (max === -Infinity) continue; // no allowed key: the row stays all zero
    let sum = 0;
    for (let j = 0; j < m; j++) {
      if (allowed && allowed[base + j] === 0) continue;
      const e = Math.exp(src[base + j] * factor - max);
      out[base + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < m; j++) out[base + j] *= inv;
  }
  return { rows: n, cols: m, data: out };
}

/** A·V: each output row is the weight-averaged value vectors. */
export function weightedValues(weights: Matrix, v: Matrix): Matrix {
  return matmul(weights, v);
}

export interface AttentionOptions {
  /** Default: 1/√d_k (src/core/scale.ts). */
  scale?: ScaleRule;
  mask?: MaskSpec;
}

export interface AttentionResult {
  /** Q·Kᵀ before scaling (what the scale sweep re-scales). */
  readonly dots: Matrix;
  /** The factor applied: scores = dots·factor. */
  readonly factor: number;
  /** Scaled scores, n×m; masked cells keep their value and are flagged by `allowed`. */
  readonly scores: Matrix;
  /** null when every cell is allowed. */
  readonly allowed: Uint8Array | null;
  readonly weights: Matrix;
  readonly output: Matrix;
  /** Queries that could attend to no key (all-zero weights and output). */
  readonly emptyRows: number[];
}

/** Scaled dot-product attention for one head: n queries (n×d_k) over m keys (m×d_k) and values (m×d_v). */
export function attention(q: Matrix, k: Matrix, v: Matrix, options: AttentionOptions = {}): AttentionResult {
  if (q.cols !== k.cols) throw new RangeError(`Q has d_k ${q.cols} but K has ${k.cols}`);
  if (k.rows !== v.rows) throw new RangeError(`K has ${k.rows} keys but V has ${v.rows} rows`);
  const factor = factorFor(options.scale, q.cols);
  const dots = dotScores(q, k);
  const scores = scaleMatrix(dots, factor);
  const allowed = allowedCells(options.mask ?? 'none', q.rows, k.rows);
  const weights = softmaxRows(dots, allowed, factor);
  return {
    dots,
    factor,
    scores,
    allowed,
    weights,
    output: weightedValues(weights, v),
    emptyRows: emptyRows(allowed, q.rows, k.rows),
  };
}

export interface HeadProjection {
  readonly W_Q: Matrix;
  readonly W_K: Matrix;
  readonly W_V: Matrix;
}

export interface ProjectedHead extends AttentionResult {
  readonly q: Matrix;
  readonly k: Matrix;
  readonly v: Matrix;
}

export interface MultiHeadResult {
  readonly heads: ProjectedHead[];
  /** The heads' outputs side by side (n × Σd_v), then ·W_O when given. */
  readonly output: Matrix;
}

/** Multi-head self-attention: each head projects X its own way, attends, and the outputs are concatenated (·W_O). */
export function multiHeadAttention(
  x: Matrix,
  heads: readonly HeadProjection[],
  wO: Matrix | null,
  options: AttentionOptions = {},
): MultiHeadResult {
  const results = heads.map((h) => {
    const q = project(x, h.W_Q);
    const k = project(x, h.W_K);
    const v = project(x, h.W_V);
    return { q, k, v, ...attention(q, k, v, options) };
  });
  const concat = concatColumns(results.map((r) => r.output));
  return { heads: results, output: wO ? matmul(concat, wO) : concat };
}
