// Long sequences: one head's weights computed a few query rows at a time into a small buffer, each
// chunk max-pooled into a downsampled overview and then discarded, so memory stays O(n·d + overview)
// instead of O(n²). Max (not mean) pooling keeps a single sharp weight visible at any zoom.
import { attendPacked } from './attention';

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

// ln 2 split in two for n·ln2 without rounding loss, and the series' constants.
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.428606765330187e-6;
/** Below this a weight adds nothing to the entropy (p·ln p < 7e-29) and its exponent may be denormal. */
const TINY: f32 = 1e-30;

/**
 * ln x for four lanes of normal floats x > 0: x = 2^e·m with m in [√½, √2), so
 * ln x = e·ln2 + 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172; the series to s⁹ leaves < 1e-9.
 */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(127));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(1.4142135));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big); // big lanes are −1 (all ones): e + 1 there
  const s = f32x4.div(f32x4.sub(m, f32x4.splat(1)), f32x4.add(m, f32x4.splat(1)));
  const s2 = f32x4.mul(s, s);
  let poly = f32x4.add(f32x4.splat(<f32>1 / 7), f32x4.mul(s2, f32x4.splat(<f32>1 / 9)));
  poly = f32x4.add(f32x4.splat(<f32>1 / 5), f32x4.mul(s2, poly));
  poly = f32x4.add(f32x4.splat(<f32>1 / 3), f32x4.mul(s2, poly));
  poly = f32x4.add(f32x4.splat(1), f32x4.mul(s2, poly));
  const lnM = f32x4.mul(f32x4.mul(s, f32x4.splat(2)), poly);
  const ef = f32x4.convert_i32x4_s(e);
  return f32x4.add(f32x4.add(f32x4.mul(ef, f32x4.splat(LN2_HI)), lnM), f32x4.mul(ef, f32x4.splat(LN2_LO)));
}

/**
 * Per-row figures of a chunk of weights (rows [rowStart, rowStart + rows), row stride m) into stats,
 * three floats per row from row 0: the entropy −Σ p ln p (nats), the largest weight, and the weight on
 * the query's own position (its diagonal; 0 when the row has no such key).
 */
export function rowStats(w: usize, rows: i32, m: i32, rowStart: i32, stats: usize): void {
  const tiny = f32x4.splat(TINY);
  for (let r = 0; r < rows; r++) {
    const src = w + ((<usize>r * <usize>m) << 2);
    let h = f32x4.splat(0);
    let vmax = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const p = v128.load(src + (<usize>j << 2));
      vmax = f32x4.pmax(vmax, p);
      const term = f32x4.mul(p, vlog(f32x4.max(p, tiny)));
      h = f32x4.sub(h, v128.and(term, f32x4.gt(p, tiny)));
    }
    let entropy = (f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1)) + (f32x4.extract_lane(h, 2) + f32x4.extract_lane(h, 3));
    let best = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    for (; j < m; j++) {
      const p = load<f32>(src + (<usize>j << 2));
      best = max(best, p);
      if (p > TINY) entropy -= p * f32x4.extract_lane(vlog(f32x4.splat(p)), 0);
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
