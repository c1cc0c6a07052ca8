// The value rules for what is shown, checked on every value (not a sample). Agreed between the
// readers and the weights-vs-scores detection:
// - weights (post-softmax): a row all NaN or exactly all zero is a fully masked query row (shown
//   masked, counted in a note); any other NaN or ±∞, a negative value, or a row that does not sum
//   to 1 within the source precision (a near-zero sum included) is refused by row and column. One
//   function, classifyWeightRow, decides this for the detection (meaning.ts) and the display.
// - scores (pre-softmax): −∞ is a masked cell, and so is a value ≤ −1e30 (Hugging Face masks with
//   torch.finfo(dtype).min: −3.4e38 in float32 and bfloat16) or float16's −65504; NaN and +∞ are
//   refused by position.
// - "masked" only ever means masked: a computed result that overflows or is not finite is refused,
//   never shown as a masked cell.
import { InputError } from './errors';
import { type Matrix } from './matrix';

/** Scores at or below this are a mask (finfo(float32).min and finfo(bfloat16).min are −3.4e38). */
export const MASKED_SCORE_AT_OR_BELOW = -1e30;
/** torch.finfo(torch.float16).min: the mask value of float16 exports. */
export const FLOAT16_MIN = -65504;

/** Is this score a masked cell? `dtype` is the stored element type, when known ('f16' adds −65504). */
export function isMaskedScore(x: number, dtype?: string): boolean {
  return x <= MASKED_SCORE_AT_OR_BELOW || (dtype === 'f16' && x === FLOAT16_MIN);
}

/** Names the file and tensor after the rule, so messages still start with the head and cell. */
function suffix(inFile: string): string {
  return inFile ? ` (${inFile})` : '';
}

function describeValue(x: number): string {
  return Number.isNaN(x)
    ? 'NaN'
    : x === Infinity
      ? '+Infinity'
      : x === -Infinity
        ? '-Infinity'
        : String(Number(x.toPrecision(6)));
}

/** NaN or ±∞ anywhere in a matrix of inputs (Q, K, V, X) is refused by row and column. */
export function refuseNonFinite(m: Matrix, where: string, what: string, inFile = ''): void {
  const k = m.data.findIndex((x) => !Number.isFinite(x));
  if (k < 0) return;
  const i = Math.floor(k / m.cols),
    j = k % m.cols;
  throw new InputError(
    where,
    `${what} row ${i}, column ${j} is ${describeValue(m.data[k])}: inputs must be finite numbers${suffix(inFile)}`,
  );
}

/**
 * Given scores: NaN and +∞ are refused by row and column; masked cells (−∞, ≤ −1e30, float16's min)
 * become −∞ in place-free copy and cleared in `allowed`. Returns the scores to use (−∞ where masked)
 * and the allowed cells (null when every cell may attend and none was masked).
 */
export function maskedScores(
  dots: Matrix,
  allowed: Uint8Array | null,
  where: string,
  dtype?: string,
  inFile = '',
): { dots: Matrix; allowed: Uint8Array | null } {
  let out: Float32Array | null = null;
  let cells: Uint8Array | null = allowed;
  for (let k = 0; k < dots.data.length; k++) {
    const x = dots.data[k];
    if (Number.isNaN(x) || x === Infinity) {
      throw new InputError(
        where,
        `at query ${Math.floor(k / dots.cols)}, key ${k % dots.cols} the score is ${describeValue(x)}: scores must be finite, or −∞ (or ≤ −1e30) where masked${suffix(inFile)}`,
      );
    }
    if (isMaskedScore(x, dtype)) {
      if (out === null) out = dots.data.slice();
      if (cells === allowed) cells = allowed ? allowed.slice() : new Uint8Array(dots.data.length).fill(1);
      out[k] = -Infinity;
      cells![k] = 0;
    }
  }
  return { dots: out ? { rows: dots.rows, cols: dots.cols, data: out } : dots, allowed: cells };
}

/** What one row of exported weights is, by the one rule both detection and display use. */
export type WeightRowVerdict =
  | { readonly kind: 'softmax'; readonly sum: number }
  | { readonly kind: 'masked'; readonly why: 'nan' | 'zero' }
  | { readonly kind: 'bad-value'; readonly column: number; readonly value: number }
  | { readonly kind: 'bad-sum'; readonly sum: number };

/**
 * The weights rule for one row. A fully masked query is all NaN (nn.MultiheadAttention) or exactly
 * all zero (weights multiplied by a mask); softmax never gives a negative or non-finite value; any
 * other row sums to 1 within `tolerance` (the source precision's rounding, meaning.ts sumTolerance).
 * A row that sums to nearly 0 but not exactly 0 is neither: tiny positive values are not a mask.
 */
export function classifyWeightRow(row: Float32Array, tolerance: number): WeightRowVerdict {
  if (row.length > 0 && row.every((x) => Number.isNaN(x))) return { kind: 'masked', why: 'nan' };
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    const x = row[j];
    if (!Number.isFinite(x) || x < 0) return { kind: 'bad-value', column: j, value: x };
    sum += x;
  }
  if (sum === 0) return { kind: 'masked', why: 'zero' };
  return Math.abs(sum - 1) <= tolerance ? { kind: 'softmax', sum } : { kind: 'bad-sum', sum };
}

/** A bad verdict as a clause, e.g. `row 3 sums to 0.5, not 1 ± 0.001` (null for softmax and masked rows). */
export function describeWeightRowProblem(verdict: WeightRowVerdict, row: number, tolerance: number): string | null {
  if (verdict.kind === 'bad-value') {
    const v = verdict.value;
    return `row ${row} has ${Number.isFinite(v) ? `${Number(v.toPrecision(4))} < 0` : describeValue(v)} at column ${verdict.column}`;
  }
  if (verdict.kind === 'bad-sum') {
    return `row ${row} sums to ${Number(verdict.sum.toPrecision(6))}, not 1 ± ${tolerance} (nor exactly 0, a fully masked row)`;
  }
  return null;
}

/**
 * Exported post-softmax weights, every value checked against the rule above. Returns the weights to
 * show (all-NaN rows as zero rows) and the fully masked rows; anything else out of rule is refused
 * naming `where`, the row and the column. `tolerance` is the row-sum tolerance of the source precision.
 */
export function checkWeights(
  w: Matrix,
  tolerance: number,
  where: string,
  inFile = '',
): { weights: Matrix; maskedRows: number[] } {
  const maskedRows: number[] = [];
  let out: Float32Array | null = null;
  for (let i = 0; i < w.rows; i++) {
    const verdict = classifyWeightRow(w.data.subarray(i * w.cols, (i + 1) * w.cols), tolerance);
    if (verdict.kind === 'softmax') continue;
    if (verdict.kind === 'masked') {
      maskedRows.push(i);
      if (verdict.why === 'nan') {
        if (out === null) out = w.data.slice();
        out.fill(0, i * w.cols, (i + 1) * w.cols);
      }
      continue;
    }
    if (verdict.kind === 'bad-value') {
      throw new InputError(
        where,
        `at query ${i}, key ${verdict.column} the weight is ${describeValue(verdict.value)}: post-softmax weights must be finite and ≥ 0 (pass --meaning scores if these are logits)${suffix(inFile)}`,
      );
    }
    throw new InputError(
      where,
      `the weights of query ${i} sum to ${Number(verdict.sum.toPrecision(6))}, not 1 ± ${tolerance} (nor exactly 0 for a fully masked row): not post-softmax weights (pass --meaning scores if these are logits)${suffix(inFile)}`,
    );
  }
  return { weights: out ? { rows: w.rows, cols: w.cols, data: out } : w, maskedRows };
}

/**
 * A computed head: where a cell may attend, its logit, its scaled score and its weight are finite,
 * and every row with an allowed cell has weights summing to 1. Anything else is an overflow (or a
 * NaN that came in) and is refused, never shown as a masked cell. `factor` scales `dots` to scores.
 */
export function checkComputedHead(
  dots: Matrix,
  factor: number,
  allowed: Uint8Array | null,
  weights: Matrix,
  where: string,
  inFile = '',
): void {
  const cols = dots.cols;
  for (let i = 0; i < dots.rows; i++) {
    let any = false;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j;
      if (allowed && allowed[k] === 0) continue;
      any = true;
      const x = dots.data[k];
      if (!Number.isFinite(x)) {
        throw new InputError(
          where,
          `at query ${i}, key ${j} the logit is ${describeValue(x)} (q·k overflows float32, |q·k| > 3.4e38, or an input is not a number), so softmax is undefined: scale the input down${suffix(inFile)}`,
        );
      }
      if (!Number.isFinite(Math.fround(x * factor))) {
        throw new InputError(
          where,
          `at query ${i}, key ${j} the scaled score ${describeValue(x)} × ${describeValue(factor)} overflows float32 (|score| > 3.4e38): use a smaller scale${suffix(inFile)}`,
        );
      }
      const wk = weights.data[k];
      if (!Number.isFinite(wk))
        throw new InputError(
          where,
          `at query ${i}, key ${j} the weight is ${describeValue(wk)}: softmax is undefined there${suffix(inFile)}`,
        );
      sum += wk;
    }
    if (any && !(Math.abs(sum - 1) <= 1e-3)) {
      throw new InputError(
        where,
        `the weights of query ${i} sum to ${describeValue(sum)}, not 1, although it may attend to some key (a non-finite value in its inputs?)${suffix(inFile)}`,
      );
    }
  }
}
