// Dense row-major float32 matrices with explicit shapes. Every numeric function in the core takes
// and returns these, so shapes are checked once at the boundary and the loops stay simple.

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values: element (i, j) is data[i * cols + j]. length === rows * cols. */
  readonly data: Float32Array;
}

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float32Array(rows * cols) };
}

export function matrixFrom(rows: number, cols: number, data: Float32Array): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix data has ${data.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** Builds a matrix from an array of equal-length rows (callers validate raggedness first). */
export function fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length;
  const m = n === 0 ? 0 : rows[0].length;
  const data = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    for (let j = 0; j < m; j++) data[i * m + j] = row[j];
  }
  return { rows: n, cols: m, data };
}

export function toRows(a: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

export function row(a: Matrix, i: number): Float32Array {
  return a.data.subarray(i * a.cols, (i + 1) * a.cols);
}

export function get(a: Matrix, i: number, j: number): number {
  return a.data[i * a.cols + j];
}

export function transpose(a: Matrix): Matrix {
  const out = new Float32Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return { rows: a.cols, cols: a.rows, data: out };
}

/** A·B for A (n×k) and B (k×m). Accumulates in float64 so results match a float64 reference to ~1e-6. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}×${a.cols} · ${b.rows}×${b.cols} do not chain`);
  const n = a.rows,
    k = a.cols,
    m = b.cols;
  const out = new Float32Array(n * m);
  const acc = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = a.data[i * k + p];
      if (aip === 0) continue;
      const bRow = p * m;
      for (let j = 0; j < m; j++) acc[j] += aip * b.data[bRow + j];
    }
    out.set(acc, i * m);
  }
  return { rows: n, cols: m, data: out };
}

/** A·Bᵀ for A (n×k) and B (m×k): the score shape Q·Kᵀ without materialising Kᵀ. */
export function matmulTransposed(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols)
    throw new RangeError(`matmulTransposed: ${a.rows}×${a.cols} · (${b.rows}×${b.cols})ᵀ do not chain`);
  const n = a.rows,
    k = a.cols,
    m = b.rows;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const ai = i * k;
    for (let j = 0; j < m; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a.data[ai + p] * b.data[bj + p];
      out[i * m + j] = s;
    }
  }
  return { rows: n, cols: m, data: out };
}

/** X·W: projects token rows (n×d_model) into another space (n×d). Named for what it means. */
export const project = matmul;

export function scaleMatrix(a: Matrix, factor: number): Matrix {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * factor;
  return { rows: a.rows, cols: a.cols, data: out };
}

export function add(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError(`add: ${a.rows}×${a.cols} + ${b.rows}×${b.cols}`);
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  return { rows: a.rows, cols: a.cols, data: out };
}

/**
 * Columns c0…c1−1 of a row-major table of `rows` rows, `cols` wide (a Float32Array matrix or a Uint8Array
 * mask): the block a region of a head shows.
 */
export function cropColumns<T extends Float32Array | Uint8Array>(
  data: T,
  rows: number,
  cols: number,
  c0: number,
  c1: number,
): T {
  const width = c1 - c0;
  const out = new (data.constructor as { new (length: number): T })(rows * width);
  for (let i = 0; i < rows; i++) out.set(data.subarray(i * cols + c0, i * cols + c1), i * width);
  return out;
}

/** Concatenates matrices with the same row count side by side (the heads' outputs before W_O). */
export function concatColumns(parts: readonly Matrix[]): Matrix {
  const n = parts[0].rows;
  const total = parts.reduce((s, p) => s + p.cols, 0);
  const out = new Float32Array(n * total);
  let offset = 0;
  for (const p of parts) {
    for (let i = 0; i < n; i++) out.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), i * total + offset);
    offset += p.cols;
  }
  return { rows: n, cols: total, data: out };
}
