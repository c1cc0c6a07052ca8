// The one rule for exported post-softmax weights (agreed with the readers' hardening): a row that is
// all NaN (nn.MultiheadAttention's answer for a query with no allowed key) or all zero is a fully
// masked query row, shown as masked (zeros) and counted; any other NaN or ±∞, a negative value, or a
// row that does not sum to 1 within the source precision is refused with the row and column, since
// drawing it would be a wrong picture. "Masked" only ever means masked.
import { InputError } from '../errors';
import { type Matrix } from '../matrix';

export interface CheckedWeights {
  /** The weights with fully masked (all-NaN) rows as zeros. */
  readonly matrix: Matrix;
  /** Rows that were all NaN or all zero. */
  readonly maskedRows: number[];
}

/** Checks every row of one head's weights; `where` names the file, tensor, layer and head. */
export function checkWeightRows(m: Matrix, tolerance: number, where: string): CheckedWeights {
  const maskedRows: number[] = [];
  let data = m.data;
  for (let i = 0; i < m.rows; i++) {
    const row = data.subarray(i * m.cols, (i + 1) * m.cols);
    if (row.every((x) => Number.isNaN(x))) {
      if (data === m.data) data = m.data.slice(); // never write into the reader's buffer
      data.fill(0, i * m.cols, (i + 1) * m.cols);
      maskedRows.push(i);
      continue;
    }
    let sum = 0;
    for (let j = 0; j < m.cols; j++) {
      const x = row[j];
      if (!Number.isFinite(x)) throw new InputError(where, `row ${i}, column ${j} is ${x} in post-softmax weights (only a whole row of NaN means a fully masked query)`);
      if (x < -tolerance) throw new InputError(where, `row ${i}, column ${j} is ${Number(x.toPrecision(4))} < 0: not post-softmax weights (pass --meaning scores if these are logits)`);
      sum += x;
    }
    if (Math.abs(sum) <= tolerance) {
      maskedRows.push(i);
      continue;
    }
    if (Math.abs(sum - 1) > tolerance) throw new InputError(where, `row ${i} sums to ${Number(sum.toPrecision(6))}, not 1 ± ${tolerance}: not post-softmax weights (pass --meaning scores if these are logits)`);
  }
  return { matrix: data === m.data ? m : { rows: m.rows, cols: m.cols, data }, maskedRows };
}
