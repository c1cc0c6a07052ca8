// Numeric comparison for reference tests: |actual − expected| ≤ tol · max(1, |expected|), with a
// message that says exactly which element differs.
import * as assert from 'node:assert/strict';

export function assertClose(actual: number, expected: number, tol: number, where: string): void {
  if (Number.isNaN(actual)) assert.fail(`${where}: got NaN, expected ${expected}`);
  const bound = tol * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= bound))
    assert.fail(`${where}: got ${actual}, expected ${expected} (tolerance ${bound})`);
}

export function assertVectorClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tol: number,
  where: string,
): void {
  assert.equal(actual.length, expected.length, `${where}: length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], tol, `${where}[${i}]`);
}

export function assertMatrixClose(
  actual: { rows: number; cols: number; data: ArrayLike<number> },
  expected: readonly (readonly (number | null)[])[],
  tol: number,
  where: string,
  allowed: Uint8Array | null = null,
): void {
  assert.equal(actual.rows, expected.length, `${where}: rows`);
  assert.equal(actual.cols, expected[0].length, `${where}: cols`);
  for (let i = 0; i < actual.rows; i++) {
    for (let j = 0; j < actual.cols; j++) {
      const e = expected[i][j];
      const k = i * actual.cols + j;
      if (e === null) {
        assert.ok(allowed && allowed[k] === 0, `${where}[${i}][${j}]: expected masked`);
        continue;
      }
      if (allowed) assert.equal(allowed[k], 1, `${where}[${i}][${j}]: expected allowed`);
      assertClose(actual.data[k], e, tol, `${where}[${i}][${j}]`);
    }
  }
}
