// Why projections exist: with Q = K = V = X, each token's dot product with itself is its squared
// norm, which is usually the largest in its row, so attention mostly looks at itself and the output
// copies the input. The diagonal-dominance figures measure exactly that.
import type { Matrix } from './matrix';

export interface DiagonalDominance {
  /** Mean weight a query puts on its own position. 1/n would be uniform; near 1 is a copy. */
  readonly meanDiagonalWeight: number;
  /** Share of queries whose largest weight is on themselves. */
  readonly argmaxOnDiagonal: number;
  /** Rows considered (square part of the matrix, rows with some weight). */
  readonly rows: number;
}

export function diagonalDominance(weights: Matrix): DiagonalDominance {
  const n = Math.min(weights.rows, weights.cols);
  const m = weights.cols;
  let sumDiagonal = 0,
    onDiagonal = 0,
    counted = 0;
  for (let i = 0; i < n; i++) {
    let best = -1,
      bestJ = -1,
      total = 0;
    for (let j = 0; j < m; j++) {
      const w = weights.data[i * m + j];
      total += w;
      if (w > best) {
        best = w;
        bestJ = j;
      }
    }
    if (total === 0) continue;
    counted++;
    sumDiagonal += weights.data[i * m + i];
    if (bestJ === i) onDiagonal++;
  }
  return {
    meanDiagonalWeight: counted ? sumDiagonal / counted : 0,
    argmaxOnDiagonal: counted ? onDiagonal / counted : 0,
    rows: counted,
  };
}
