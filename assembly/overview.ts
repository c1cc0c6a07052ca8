// Long sequences: one head's weights computed a few query rows at a time into a small buffer, each
// chunk max-pooled into a downsampled overview and then discarded, so memory stays O(n·d + overview)
// instead of O(n²). Max (not mean) pooling keeps a single sharp weight visible at any zoom.
import { attendPacked } from './attention';
import { plnp } from './plnp';

/** Query rows computed per chunk: with m keys the buffer is CHUNK_ROWS·m floats (4 MB at m = 16384). */
export const CHUNK_ROWS: i32 = 64;

/**
 * overview[i / rowsPerCell][j / colsPerCell] = max(itself, w[i][j]) for the rows of a chunk: w holds
 * rows [rowStart, rowStart + rows) of an n×m weight matrix (row stride m); overview rows are ovCols wide.
 */
export function maxPoolRows(w: usize, rows: i32, m: i32, rowStart: i32, rowsPerCell: i32, colsPerCell: i32, overview: usize, ovCols: i32): void {
  for (let r = 0; r < rows; r++) {
    const src = w + ((<usize>r * <usize>m) << 2);
    const dst = overview + ((<usize>((rowStart + r) / rowsPerCell) * <usize>ovCols) << 2);
    for (let c = 0; c < ovCols; c++) {
      const from = c * colsPerCell;
      const to = min(m, from + colsPerCell);
      let j = from;
      let vmax = f32x4.splat(0);
      for (; j + 4 <= to; j += 4) vmax = f32x4.pmax(vmax, v128.load(src + (<usize>j << 2)));
      let best = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
      for (; j < to; j++) best = max(best, load<f32>(src + (<usize>j << 2)));
      const cell = dst + (<usize>c << 2);
      store<f32>(cell, max(load<f32>(cell), best));
    }
  }
}

/**
 * Per-row figures of a chunk of weights (rows [rowStart, rowStart + rows), row stride m) into stats,
 * three floats per row from row 0: the entropy −Σ p ln p (nats), the largest weight, and the weight on
 * the query's own position (its diagonal; 0 when the row has no such key).
 */
export function rowStats(w: usize, rows: i32, m: i32, rowStart: i32, stats: usize): void {
  for (let r = 0; r < rows; r++) {
    const src = w + ((<usize>r * <usize>m) << 2);
    let h = f32x4.splat(0);
    let vmax = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const p = v128.load(src + (<usize>j << 2));
      vmax = f32x4.pmax(vmax, p);
      h = f32x4.sub(h, plnp(p));
    }
    let entropy = (f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1)) + (f32x4.extract_lane(h, 2) + f32x4.extract_lane(h, 3));
    let best = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    for (; j < m; j++) {
      const p = load<f32>(src + (<usize>j << 2));
      best = max(best, p);
      entropy -= f32x4.extract_lane(plnp(f32x4.splat(p)), 0);
    }
    const i = rowStart + r;
    const dst = stats + ((<usize>i * 3) << 2);
    store<f32>(dst, max(<f32>0, entropy));
    store<f32>(dst, best, 4);
    store<f32>(dst, i < m ? load<f32>(src + (<usize>i << 2)) : 0, 8);
  }
}

/**
 * Rows [rowStart, rowEnd) of one head (arguments as attendPacked: K and V packed once per head at kp
 * and vp): outputs into out (addressed from row 0), weights only through the chunk buffer
 * (CHUNK_ROWS·m floats) into the max-pooled overview and, when stats ≠ 0, each row's figures (rowStats).
 */
export function attentionOverview(
  q: usize, ldq: i32, kp: usize, vp: usize,
  n: i32, m: i32, dk: i32, dv: i32, factor: f32, rowStart: i32, rowEnd: i32,
  kind: i32, mask: usize, chunk: usize, out: usize,
  overview: usize, rowsPerCell: i32, colsPerCell: i32, ovCols: i32, stats: usize,
): void {
  const end = min(rowEnd, n);
  for (let i0 = rowStart; i0 < end; i0 += CHUNK_ROWS) {
    const i1 = min(end, i0 + CHUNK_ROWS);
    attendPacked(q, ldq, kp, vp, n, m, dk, dv, factor, i0, i1, kind, mask, 0, 0, chunk, out, i0);
    maxPoolRows(chunk, i1 - i0, m, i0, rowsPerCell, colsPerCell, overview, ovCols);
    if (stats != 0) rowStats(chunk, i1 - i0, m, i0, stats);
  }
}
