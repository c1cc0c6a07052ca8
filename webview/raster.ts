// Matrix → pixels: one pixel per cell (or per pooled block) written straight into an ImageData
// buffer through a 256-colour lookup table; the canvas then scales that image up without smoothing.
// This is what lets a 2048×2048 head draw in milliseconds where one DOM node per cell would not.
import type { Grid } from '../src/core/downsample';
import { type ColorScale, LUT_SIZE } from './colormap';

/** An integer window of a grid, in its cells. */
export interface CellWindow {
  readonly row0: number;
  readonly col0: number;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Writes window `win` of `grid` into `out` (win.rows × win.cols pixels, row-major): each value's
 * colour from `lut`, masked cells as `maskedColor`. `maskOut`, when given, gets 255 where a cell is
 * masked and 0 elsewhere (the alpha of the hatching overlay).
 */
export function rasterize(
  grid: Grid,
  win: CellWindow,
  scale: ColorScale,
  lut: Uint32Array,
  maskedColor: number,
  out: Uint32Array,
  maskOut: Uint8ClampedArray | null = null,
): void {
  const { cols: gridCols, data, allowed } = grid;
  const top = LUT_SIZE - 1;
  // Affine map v → entry, folded into one multiply-add per cell.
  let mul: number, add: number;
  if (scale.kind === 'sequential') {
    const span = scale.hi - scale.lo;
    mul = span > 0 ? top / span : 0;
    add = span > 0 ? -scale.lo * mul : 0;
  } else {
    mul = scale.absMax > 0 ? (0.5 * top) / scale.absMax : 0;
    add = 0.5 * top;
  }
  let p = 0;
  for (let i = 0; i < win.rows; i++) {
    const src = (win.row0 + i) * gridCols + win.col0;
    for (let j = 0; j < win.cols; j++, p++) {
      if (allowed !== null && allowed[src + j] === 0) {
        out[p] = maskedColor;
        if (maskOut) maskOut[p * 4 + 3] = 255;
        continue;
      }
      let k = data[src + j] * mul + add + 0.5;
      k = k < 0 ? 0 : k > top ? top : k;
      out[p] = lut[k | 0];
      if (maskOut) maskOut[p * 4 + 3] = 0;
    }
  }
}

/** The integer window of a level that covers a fractional viewport given in level-0 cells. */
export function coveringWindow(
  grid: Grid,
  block: number,
  row0: number,
  col0: number,
  rows: number,
  cols: number,
): CellWindow {
  const r0 = Math.max(0, Math.floor(row0 / block));
  const c0 = Math.max(0, Math.floor(col0 / block));
  const r1 = Math.min(grid.rows, Math.ceil((row0 + rows) / block));
  const c1 = Math.min(grid.cols, Math.ceil((col0 + cols) / block));
  return { row0: r0, col0: c0, rows: Math.max(1, r1 - r0), cols: Math.max(1, c1 - c0) };
}

// The colour range is taken from finite values only: a −∞ score (a masked logit, TransformerLens's
// hook_attn_scores) that slipped past the mask would otherwise make the range infinite and fade
// every finite cell to the neutral colour.

/** The largest finite |value| over allowed cells (the diverging scale's half-range). */
export function absMax(data: Float32Array, allowed: Uint8Array | null): number {
  let a = 0;
  for (let k = 0; k < data.length; k++) {
    if (allowed !== null && allowed[k] === 0) continue;
    const v = Math.abs(data[k]);
    if (v > a && v !== Infinity) a = v;
  }
  return a;
}

/** The largest finite value over allowed cells. */
export function maxValue(data: Float32Array, allowed: Uint8Array | null): number {
  let a = -Infinity;
  for (let k = 0; k < data.length; k++) {
    if (allowed !== null && allowed[k] === 0) continue;
    if (data[k] > a && data[k] !== Infinity) a = data[k];
  }
  return a === -Infinity ? 0 : a;
}

/**
 * The median (or quantile `q`) of the rows' largest allowed weights: the top of a stretched colour
 * range. The typical query's strongest key then gets the top colour whatever the scale (at ×10 the
 * rows are nearly one-hot and the range stays near 0–1, not the 3.5e−4 a quantile over all cells
 * gave; over 4000 spread-out keys it shrinks to their ~0.01), while one-key rows (weight 1 at the
 * start of a causal mask) are a few rows and cannot flatten the rest. Rows with no allowed key are
 * skipped.
 */
export function rowMaxQuantile(
  data: Float32Array,
  rows: number,
  cols: number,
  allowed: Uint8Array | null,
  q = 0.5,
): number {
  const maxima: number[] = [];
  for (let i = 0; i < rows; i++) {
    let best = -Infinity;
    for (let j = 0, k = i * cols; j < cols; j++, k++) {
      if (allowed !== null && allowed[k] === 0) continue;
      const v = data[k];
      if (v > best && Number.isFinite(v)) best = v;
    }
    if (best > -Infinity) maxima.push(best);
  }
  if (maxima.length === 0) return 0;
  maxima.sort((a, b) => a - b);
  return maxima[Math.min(maxima.length - 1, Math.floor(q * (maxima.length - 1)))];
}

/**
 * A high quantile of the allowed values (default the 99.5th percentile), from at most `sample`
 * evenly spaced cells: the top of a stretched colour range that one-key rows (weight 1 under a
 * causal mask) or a few outliers cannot flatten.
 */
export function upperQuantile(data: Float32Array, allowed: Uint8Array | null, q = 0.995, sample = 200_000): number {
  const step = Math.max(1, Math.floor(data.length / sample));
  const picked: number[] = [];
  for (let k = 0; k < data.length; k += step)
    if ((allowed === null || allowed[k] !== 0) && Number.isFinite(data[k])) picked.push(data[k]);
  if (picked.length === 0) return 0;
  const values = Float32Array.from(picked).sort();
  return values[Math.min(values.length - 1, Math.floor(q * (values.length - 1)))];
}
