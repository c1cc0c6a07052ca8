// Projection biases (nn.Linear(bias=True), GPT-2's Conv1D): Q = X·W_Q + b_Q. Every engine computes
// Q = X·W_Q only, so a bias is folded in as one more weight row against a column of ones:
// [X 1]·[W_Q; b_Q] = X·W_Q + b_Q, exactly the same sum. The engines then need no bias path of their
// own, and a head without a bias gets a zero row (adding 0 changes nothing).
import type { HeadProjection } from './attention';
import { type Matrix, matrixFrom } from './matrix';

export interface HeadBias {
  readonly b_Q: Float32Array | null;
  readonly b_K: Float32Array | null;
  readonly b_V: Float32Array | null;
}

/** X with a column of ones appended (n × (d + 1)). */
function withOnesColumn(x: Matrix): Matrix {
  const cols = x.cols + 1;
  const data = new Float32Array(x.rows * cols);
  for (let i = 0; i < x.rows; i++) {
    data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * cols);
    data[i * cols + x.cols] = 1;
  }
  return matrixFrom(x.rows, cols, data);
}

/** W (d × c) with the bias as row d (zeros when there is none): (d + 1) × c. */
function withBiasRow(w: Matrix, b: Float32Array | null): Matrix {
  const data = new Float32Array((w.rows + 1) * w.cols);
  data.set(w.data);
  if (b) data.set(b, w.rows * w.cols);
  return matrixFrom(w.rows + 1, w.cols, data);
}

/** X and the heads with every bias folded in; unchanged when no head has a bias. */
export function foldBiases(
  x: Matrix,
  heads: readonly HeadProjection[],
  biases: readonly HeadBias[],
): { x: Matrix; heads: HeadProjection[] } {
  if (!biases.some((b) => b.b_Q || b.b_K || b.b_V)) return { x, heads: [...heads] };
  return {
    x: withOnesColumn(x),
    heads: heads.map((h, i) => ({
      W_Q: withBiasRow(h.W_Q, biases[i]?.b_Q ?? null),
      W_K: withBiasRow(h.W_K, biases[i]?.b_K ?? null),
      W_V: withBiasRow(h.W_V, biases[i]?.b_V ?? null),
    })),
  };
}

/** m + b on every row (the output projection's bias b_O after ·W_O). */
export function addRowVector(m: Matrix, b: Float32Array): Matrix {
  const data = m.data.slice();
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) data[i * m.cols + j] += b[j];
  return matrixFrom(m.rows, m.cols, data);
}
