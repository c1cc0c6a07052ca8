// Level of detail for matrices larger than the pixels that show them: max-pooling over blocks, so a
// single sharp weight (the thing a reader looks for) survives the reduction instead of being
// averaged away. Shared by the host (thumbnails for the heads grid) and the webview (the heatmap's
// zoom levels). Pure functions over Float32Array with explicit shapes.

/** A row-major matrix with an optional allowed-cell table (1 = may attend; null = all allowed). */
export interface Grid {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
  readonly allowed: Uint8Array | null;
}

/**
 * 'max' keeps the largest value in each block (for weights, which are ≥ 0); 'maxabs' keeps the value
 * with the largest magnitude, sign included (for scores, where a strongly negative logit matters as
 * much as a strongly positive one).
 */
export type PoolMode = 'max' | 'maxabs';

/**
 * Pools blocks of blockRows × blockCols cells (the last block in each direction may be smaller).
 * Masked cells are ignored; a block whose cells are all masked is masked in the result (value 0).
 */
export function maxPool(grid: Grid, blockRows: number, blockCols: number, mode: PoolMode = 'max'): Grid {
  if (!(blockRows >= 1 && blockCols >= 1 && Number.isInteger(blockRows) && Number.isInteger(blockCols))) {
    throw new RangeError(`maxPool: blocks must be positive integers, got ${blockRows}×${blockCols}`);
  }
  if (grid.allowed === null && mode === 'max')
    return blockRows === 2 && blockCols === 2 ? maxPool2(grid) : maxPoolDense(grid, blockRows, blockCols);
  const { rows, cols, data, allowed } = grid;
  const outRows = Math.ceil(rows / blockRows);
  const outCols = Math.ceil(cols / blockCols);
  const out = new Float32Array(outRows * outCols);
  // seen[k] = 1 once block k has an allowed cell; it is also the pooled allowed table.
  const seen = new Uint8Array(outRows * outCols);
  const colBlock = new Int32Array(cols);
  for (let j = 0; j < cols; j++) colBlock[j] = (j / blockCols) | 0;
  const byMagnitude = mode === 'maxabs';
  for (let i = 0; i < rows; i++) {
    const src = i * cols;
    const dst = ((i / blockRows) | 0) * outCols;
    for (let j = 0; j < cols; j++) {
      if (allowed !== null && allowed[src + j] === 0) continue;
      const v = data[src + j];
      const k = dst + colBlock[j];
      if (seen[k] === 0) {
        out[k] = v;
        seen[k] = 1;
      } else if (byMagnitude ? Math.abs(v) > Math.abs(out[k]) : v > out[k]) {
        out[k] = v;
      }
    }
  }
  return { rows: outRows, cols: outCols, data: out, allowed: allowed !== null ? seen : null };
}

/** The block edge that brings `cells` down to at most `target` (≥ 1). */
export function blockFor(cells: number, target: number): number {
  return Math.max(1, Math.ceil(cells / Math.max(1, target)));
}

/** Pools a grid so that it is at most maxRows × maxCols (the same block both ways keeps cells square). */
export function poolToFit(
  grid: Grid,
  maxRows: number,
  maxCols: number,
  mode: PoolMode = 'max',
): { grid: Grid; block: number } {
  const block = Math.max(blockFor(grid.rows, maxRows), blockFor(grid.cols, maxCols));
  return { grid: block === 1 ? grid : maxPool(grid, block, block, mode), block };
}

/** Max-pooling without a mask, row by row: each source row is read once, left to right. */
function maxPoolDense(grid: Grid, blockRows: number, blockCols: number): Grid {
  const { rows, cols, data } = grid;
  const outRows = Math.ceil(rows / blockRows),
    outCols = Math.ceil(cols / blockCols);
  const out = new Float32Array(outRows * outCols).fill(-Infinity);
  for (let i = 0; i < rows; i++) {
    const o = ((i / blockRows) | 0) * outCols;
    const src = i * cols;
    for (let oj = 0, j0 = 0; oj < outCols; oj++, j0 += blockCols) {
      let m = out[o + oj];
      const end = Math.min(cols, j0 + blockCols);
      for (let j = j0; j < end; j++) {
        const v = data[src + j];
        if (v > m) m = v;
      }
      out[o + oj] = m;
    }
  }
  return { rows: outRows, cols: outCols, data: out, allowed: null };
}

/**
 * 2×2 max-pooling without a mask: the hot path of the zoom pyramid (four reads, three compares per
 * output cell, no lookups), several times faster than the general maxPool.
 */
export function maxPool2(grid: Grid): Grid {
  if (grid.allowed !== null) return maxPool(grid, 2, 2, 'max');
  // (maxPool calls back here for unmasked 2×2 blocks.)
  const { rows, cols, data } = grid;
  const outRows = (rows + 1) >> 1,
    outCols = (cols + 1) >> 1;
  const out = new Float32Array(outRows * outCols);
  const evenCols = cols & ~1;
  for (let oi = 0; oi < outRows; oi++) {
    const a = 2 * oi * cols;
    const b = 2 * oi + 1 < rows ? a + cols : a; // an odd last row pairs with itself
    const o = oi * outCols;
    let oj = 0;
    for (let j = 0; j < evenCols; j += 2, oj++) {
      let m = data[a + j];
      const x = data[a + j + 1],
        y = data[b + j],
        z = data[b + j + 1];
      if (x > m) m = x;
      if (y > m) m = y;
      if (z > m) m = z;
      out[o + oj] = m;
    }
    if (evenCols < cols) out[o + oj] = Math.max(data[a + evenCols], data[b + evenCols]);
  }
  return { rows: outRows, cols: outCols, data: out, allowed: null };
}

/** The next pyramid level (2×2 blocks). */
export function halve(grid: Grid, mode: PoolMode): Grid {
  return maxPool(grid, 2, 2, mode);
}

/**
 * Zoom levels: level 0 is the matrix itself, level k pools 2^k × 2^k blocks of level 0 (built from
 * level k−1, so the whole pyramid costs about 1/3 of the matrix once). Stops once both sides fit `floor`.
 */
export function buildPyramid(grid: Grid, floor: number, mode: PoolMode = 'max'): Grid[] {
  const levels = [grid];
  let top = grid;
  while (top.rows > floor || top.cols > floor) {
    top = halve(top, mode);
    levels.push(top);
  }
  return levels;
}
