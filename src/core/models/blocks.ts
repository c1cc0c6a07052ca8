// The building blocks every architecture here is made of, as small pure functions over row-major
// float32 matrices (n tokens × features). Products go through an injected MatmulFn (by default the
// WebAssembly GEMM kernels on this thread, the reference core where WebAssembly SIMD is missing); norms, activations and rotary embeddings are
// elementwise loops that accumulate in float64, as the float64 references do.
import { type Matrix, matrixFrom } from '../matrix';
import * as kernels from '../kernels';

/**
 * A·B, or A·Bᵀ when `transposed` (B stored [out, in], torch's nn.Linear layout). The forward passes
 * take it as an option: this thread's kernels by default, the worker pool's column-split GEMM in node
 * (src/node/models/run.ts), which keeps src/core free of node.
 */
export type MatmulFn = (a: Matrix, b: Matrix, transposed: boolean) => Promise<Matrix>;

export const matmulInThread: MatmulFn = async (a, b, transposed) =>
  transposed ? kernels.matmulTransposed(a, b) : kernels.matmul(a, b);

/** x·Wᵀ + b for a torch `nn.Linear` weight W stored [out, in] (the Hugging Face layout). */
export async function linear(
  x: Matrix,
  weight: Matrix,
  bias: Float32Array | null = null,
  matmul: MatmulFn = matmulInThread,
): Promise<Matrix> {
  const y = await matmul(x, weight, true);
  if (bias) addBiasInPlace(y, bias);
  return y;
}

/** x·W + b for GPT-2's `Conv1D`, whose weight is stored [in, out]. */
export async function conv1d(
  x: Matrix,
  weight: Matrix,
  bias: Float32Array | null = null,
  matmul: MatmulFn = matmulInThread,
): Promise<Matrix> {
  const y = await matmul(x, weight, false);
  if (bias) addBiasInPlace(y, bias);
  return y;
}

export function addBiasInPlace(y: Matrix, bias: Float32Array): void {
  if (bias.length !== y.cols) throw new RangeError(`bias has ${bias.length} values for ${y.cols} columns`);
  for (let i = 0; i < y.rows; i++) {
    const r = i * y.cols;
    for (let j = 0; j < y.cols; j++) y.data[r + j] += bias[j];
  }
}

/** a += b (residual connections). */
export function addInPlace(a: Matrix, b: Matrix): void {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError(`add: ${a.rows}×${a.cols} + ${b.rows}×${b.cols}`);
  for (let i = 0; i < a.data.length; i++) a.data[i] += b.data[i];
}

/** LayerNorm over each row of `width` values (a matrix row, or one head's slice of it): (x − mean)/√(var + eps)·γ + β. */
export function layerNorm(x: Matrix, gamma: Float32Array, beta: Float32Array | null, eps: number): Matrix {
  const out = new Float32Array(x.data.length);
  const d = x.cols;
  for (let i = 0; i < x.rows; i++) {
    const r = i * d;
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x.data[r + j];
    mean /= d;
    let variance = 0;
    for (let j = 0; j < d; j++) {
      const c = x.data[r + j] - mean;
      variance += c * c;
    }
    const inv = 1 / Math.sqrt(variance / d + eps);
    for (let j = 0; j < d; j++) out[r + j] = (x.data[r + j] - mean) * inv * gamma[j] + (beta ? beta[j] : 0);
  }
  return matrixFrom(x.rows, d, out);
}

/**
 * RMSNorm over consecutive groups of gamma.length values: x/√(mean(x²) + eps)·γ. A group is a whole
 * row for the model's norms and one head's slice for Qwen3's per-head q/k norm.
 */
export function rmsNorm(x: Matrix, gamma: Float32Array, eps: number): Matrix {
  const d = gamma.length;
  if (x.cols % d !== 0) throw new RangeError(`rmsNorm: ${x.cols} columns are not groups of ${d}`);
  const out = new Float32Array(x.data.length);
  for (let g = 0; g < x.data.length; g += d) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x.data[g + j] * x.data[g + j];
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let j = 0; j < d; j++) out[g + j] = x.data[g + j] * inv * gamma[j];
  }
  return matrixFrom(x.rows, x.cols, out);
}

export type Activation = 'gelu_new' | 'gelu' | 'silu' | 'relu' | 'gelu_pytorch_tanh';
export const ACTIVATIONS: readonly Activation[] = ['gelu_new', 'gelu', 'silu', 'relu', 'gelu_pytorch_tanh'];

/** erf by Abramowitz–Stegun 7.1.26 is too coarse (1.5e-7 absolute is fine, but GELU needs ~1e-9 near 0): a series / continued fraction instead. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: converges quickly for |x| < 2.5 (terms fall below 1e-17 by k ≈ 40).
    let term = ax,
      sum = ax;
    const x2 = ax * ax;
    for (let k = 1; k < 60; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc by its continued fraction (Lentz), accurate for |x| ≥ 2.5.
  const tiny = 1e-300;
  let f = ax,
    c = ax,
    d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = ax + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** 2^k for k = −127…128, indexed k + 127. */
const POW2 = Float64Array.from({ length: 256 }, (_, i) => 2 ** (i - 127));
const LN2_HI = 0.6931471803691238,
  LN2_LO = 1.9082149292705877e-10;
/** Where expNear holds (|t| ≤ 87: 2^k stays in POW2); outside, Math.exp. */
const EXP_NEAR_LIMIT = 87;

/**
 * e^t for |t| ≤ EXP_NEAR_LIMIT, to about 6e-9 relative (far below float32's 6e-8, so the activations
 * round to the same float32 almost always): t = k·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two
 * so k·ln 2 is exact), e^r by its Taylor series to r⁷ (remainder r⁸/8! ≤ 6e-9), times 2^k from a
 * table. About 1.5× Math.exp in V8 (a call into its fdlibm port), which the MLP activations call
 * n × intermediate times per layer.
 */
function expNear(t: number): number {
  const k = Math.floor(t * Math.LOG2E + 0.5);
  const r = t - k * LN2_HI - k * LN2_LO;
  return (
    POW2[k + 127] * (1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r / 5040)))))))
  );
}

/** e^t: expNear where it holds, Math.exp (for the overflow to ∞ and underflow to 0) outside. */
export function expFast(t: number): number {
  return t <= EXP_NEAR_LIMIT && t >= -EXP_NEAR_LIMIT ? expNear(t) : Math.exp(t);
}

/** The activation in place: GPT-2's tanh GELU ("gelu_new"), BERT's exact erf GELU, SiLU, ReLU. */
export function activateInPlace(x: Float32Array, kind: Activation): void {
  const k = Math.sqrt(2 / Math.PI);
  switch (kind) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      // 0.5·v·(1 + tanh(u)) = v / (1 + e^(−2u)): one exp instead of tanh, about a third faster in V8
      // (equal to 1e-11; for u → −∞ the quotient goes to −0 as the tanh form does).
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        x[i] = v / (1 + expFast(-2 * k * (v + 0.044715 * v * v * v)));
      }
      return;
    case 'gelu':
      for (let i = 0; i < x.length; i++) x[i] = 0.5 * x[i] * (1 + erf(x[i] / Math.SQRT2));
      return;
    case 'silu':
      for (let i = 0; i < x.length; i++) x[i] = x[i] / (1 + expFast(-x[i]));
      return;
    case 'relu':
      for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0;
      return;
  }
}

/** SwiGLU's gate: act(gate) ⊙ up, written into gate. */
export function gatedInPlace(gate: Matrix, up: Matrix, kind: Activation): void {
  activateInPlace(gate.data, kind);
  for (let i = 0; i < gate.data.length; i++) gate.data[i] *= up.data[i];
}

/** Columns [c0, c0 + width) of x: one head's slice of a projection. */
export function columns(x: Matrix, c0: number, width: number): Matrix {
  const out = new Float32Array(x.rows * width);
  for (let i = 0; i < x.rows; i++) out.set(x.data.subarray(i * x.cols + c0, i * x.cols + c0 + width), i * width);
  return matrixFrom(x.rows, width, out);
}

/** Writes `part` into columns [c0, c0 + part.cols) of `into` (heads' outputs side by side). */
export function setColumns(into: Matrix, part: Matrix, c0: number): void {
  for (let i = 0; i < into.rows; i++)
    into.data.set(part.data.subarray(i * part.cols, (i + 1) * part.cols), i * into.cols + c0);
}

/** Rows `ids` of an embedding table held as a matrix (vocab × width). */
export function gatherRows(table: Matrix, ids: readonly number[]): Matrix {
  const out = new Float32Array(ids.length * table.cols);
  ids.forEach((id, i) => out.set(table.data.subarray(id * table.cols, (id + 1) * table.cols), i * table.cols));
  return matrixFrom(ids.length, table.cols, out);
}
