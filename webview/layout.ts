// Heatmap geometry, in CSS pixels: where the plot, the token labels, the entropy bar and the legend
// go, which cells are visible at a zoom, and which cell is under a point. Pure, so it is unit-tested.

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface HeatmapLayout {
  readonly width: number;
  readonly height: number;
  readonly plot: Rect;
  /** Query labels, right-aligned against the plot. */
  readonly rowLabels: Rect;
  /** Key labels, written upwards above the plot. */
  readonly colLabels: Rect;
  /** Per-row entropy bars right of the plot (w = 0 when absent). */
  readonly bar: Rect;
  readonly legend: Rect;
}

export interface LayoutInput {
  readonly n: number;
  readonly m: number;
  /** Room for the whole heatmap. */
  readonly maxWidth: number;
  /** The largest plot side wanted. */
  readonly maxPlot: number;
  readonly rowLabelWidth: number;
  readonly colLabelHeight: number;
  readonly bar: boolean;
  readonly legend: boolean;
}

export const BAR_WIDTH = 58;
/** Cells never grow beyond this: a 3×3 matrix stays a compact figure. */
export const MAX_CELL = 72;
const GAP = 6;
const LEGEND_HEIGHT = 40;
const MIN_SIDE = 48;

export function computeLayout(input: LayoutInput): HeatmapLayout {
  const { n, m } = input;
  const barSpace = input.bar ? BAR_WIDTH + GAP : 0;
  const room = Math.max(MIN_SIDE, Math.min(input.maxPlot, input.maxWidth - input.rowLabelWidth - barSpace - GAP * 2));
  // Square cells: the longer side of the matrix takes the room, the other follows (with a floor so a
  // 2×5000 matrix is still a visible strip).
  const cell = Math.min(MAX_CELL, room / Math.max(n, m));
  const w = Math.max(Math.min(room, MIN_SIDE), cell * m);
  const h = Math.max(Math.min(room, MIN_SIDE), cell * n);
  const plot: Rect = { x: input.rowLabelWidth + GAP, y: input.colLabelHeight + GAP, w, h };
  const bar: Rect = input.bar
    ? { x: plot.x + plot.w + GAP, y: plot.y, w: BAR_WIDTH, h: plot.h }
    : { x: plot.x + plot.w, y: plot.y, w: 0, h: plot.h };
  // Without a legend, the bar's axis labels still need a line under the plot.
  const legend: Rect = input.legend
    ? { x: plot.x, y: plot.y + plot.h + GAP * 2, w: Math.max(plot.w, 160), h: LEGEND_HEIGHT }
    : { x: plot.x, y: plot.y + plot.h, w: plot.w, h: input.bar ? 14 : 0 };
  const width = Math.ceil(Math.max(bar.x + bar.w, legend.x + legend.w) + GAP);
  const height = Math.ceil(legend.y + legend.h + GAP);
  return {
    width,
    height,
    plot,
    rowLabels: { x: 0, y: plot.y, w: input.rowLabelWidth, h: plot.h },
    colLabels: { x: plot.x, y: 0, w: plot.w, h: input.colLabelHeight },
    bar,
    legend,
  };
}

/** The visible part of the matrix, in (fractional) cells. */
export interface Viewport {
  readonly row0: number;
  readonly col0: number;
  readonly rows: number;
  readonly cols: number;
}

/** The window shown at `zoom` (≥ 1) around a centre cell, clamped inside the matrix. */
export function viewportAt(n: number, m: number, zoom: number, centerRow: number, centerCol: number): Viewport {
  const z = Math.max(1, zoom);
  const rows = n / z;
  const cols = m / z;
  const row0 = Math.min(Math.max(0, centerRow - rows / 2), n - rows);
  const col0 = Math.min(Math.max(0, centerCol - cols / 2), m - cols);
  return { row0, col0, rows, cols };
}

/** The zoom at which a cell is `cellPx` CSS pixels wide: zooming further shows nothing new. */
export function maxZoom(n: number, m: number, plot: Rect, cellPx = 48): number {
  return Math.max(1, Math.min((cellPx * m) / plot.w, (cellPx * n) / plot.h));
}

/** The cell under (x, y), or null outside the plot. */
export function cellAt(plot: Rect, view: Viewport, x: number, y: number): { row: number; col: number } | null {
  if (x < plot.x || y < plot.y || x >= plot.x + plot.w || y >= plot.y + plot.h) return null;
  const col = Math.floor(view.col0 + ((x - plot.x) / plot.w) * view.cols);
  const row = Math.floor(view.row0 + ((y - plot.y) / plot.h) * view.rows);
  return { row, col };
}

/** Where a cell is drawn (may lie partly outside the plot when zoomed). */
export function cellRect(plot: Rect, view: Viewport, row: number, col: number): Rect {
  const cw = plot.w / view.cols;
  const ch = plot.h / view.rows;
  return { x: plot.x + (col - view.col0) * cw, y: plot.y + (row - view.row0) * ch, w: cw, h: ch };
}

/** The new centre so that the cell under an anchor point stays under it after zooming from z0 to z1. */
export function zoomAround(
  n: number,
  m: number,
  view: Viewport,
  z0: number,
  z1: number,
  anchorRow: number,
  anchorCol: number,
): { row: number; col: number } {
  const ratio = z0 / z1;
  const row0 = anchorRow - (anchorRow - view.row0) * ratio;
  const col0 = anchorCol - (anchorCol - view.col0) * ratio;
  return { row: row0 + n / Math.max(1, z1) / 2, col: col0 + m / Math.max(1, z1) / 2 };
}

/**
 * The pyramid level for a view: the finest level with at most one cell per device pixel, so the
 * picture is never drawn with more cells than pixels (level k pools 2^k × 2^k cells).
 */
export function levelFor(view: Viewport, plotDeviceW: number, plotDeviceH: number, levels: number): number {
  const perPixel = Math.max(view.cols / Math.max(1, plotDeviceW), view.rows / Math.max(1, plotDeviceH));
  if (perPixel <= 1) return 0;
  // Round up: nearest-neighbour scaling of more cells than pixels would skip cells (and their peaks).
  return Math.min(levels - 1, Math.ceil(Math.log2(perPixel) - 1e-9));
}

/** Every how many rows to write a label so labels are at least minPx apart. */
export function labelStride(cellPx: number, minPx: number): number {
  if (cellPx >= minPx) return 1;
  const raw = minPx / Math.max(cellPx, 1e-9);
  // Round up to 1, 2 or 5 × 10^k so the labelled indices are easy to read.
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const k of [1, 2, 5, 10]) if (k * p >= raw) return k * p;
  return 10 * p;
}
