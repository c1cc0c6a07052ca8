// One heatmap on a canvas: the matrix as an image (one pixel per cell, or per max-pooled block when
// there are more cells than pixels), masked cells hatched, token labels on both axes, an optional
// per-row bar (entropy), a colour legend with values, and hover / click / keyboard / zoom / pan.
// Token text is drawn with fillText (never parsed as HTML) and listed via textContent.
import { type Grid, type PoolMode, maxPool } from '../src/core/downsample';
import { type ColorScale, type DivergingName, type SequentialName, cssColor, lookupTable, luminance, lutIndex, scalePosition } from './colormap';
import { el } from './dom';
import { displayToken, formatNumber } from './format';
import { type HeatmapLayout, type Rect, type Viewport, cellAt, cellRect, computeLayout, labelStride, levelFor, maxZoom, viewportAt, zoomAround } from './layout';
import { coveringWindow, rasterize } from './raster';
import type { Theme } from './theme';

export interface Cell {
  readonly row: number;
  readonly col: number;
}

export interface HeatmapModel {
  readonly n: number;
  readonly m: number;
  readonly values: Float32Array;
  readonly allowed: Uint8Array | null;
  readonly scale: ColorScale;
  readonly colormap: SequentialName | DivergingName;
  readonly pool: PoolMode;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  /** Per-row bars right of the plot (entropy); null for none. */
  readonly bar: { readonly values: Float32Array; readonly max: number; readonly title: string; readonly unit: string } | null;
  readonly legendTitle: string;
  /** Values to mark on the legend. */
  readonly legendTicks: readonly number[];
  /** How a value is shown in a cell and on the legend. */
  readonly scaleLabel?: (v: number) => string;
  /**
   * The positions the axes number rows and columns by, when not 0, 1, 2…: a region of a long
   * sequence starts at its first token; an overview of blocks counts tokens, `step` per block.
   */
  readonly positions?: { readonly row0: number; readonly col0: number; readonly step: number };
}

/** The position an axis shows for row (or column) i. */
function positionOf(model: HeatmapModel, i: number, axis: 'row' | 'col'): number {
  const p = model.positions;
  return p ? (axis === 'row' ? p.row0 : p.col0) + i * p.step : i;
}

export interface HeatmapHighlight {
  readonly hover: Cell | null;
  readonly locked: number | null;
  readonly cursor: Cell | null;
}

export interface HeatmapCallbacks {
  /** The pointer moved over a cell (null: left the plot). */
  hover?(cell: Cell | null): void;
  /** A click (not a drag) on a cell. */
  click?(cell: Cell): void;
  /** Arrow keys moved the cursor. */
  cursor?(cell: Cell): void;
  /** Enter locks the cursor's row; Escape unlocks (null). */
  lock?(row: number | null): void;
  /** Zoom or pan changed. */
  view?(zoom: number, center: Cell): void;
  /** Lines for the tooltip at a cell: [label, value] pairs. */
  describe?(cell: Cell): { title: string; lines: [string, string][] };
}

export interface HeatmapOptions {
  /** Accessible name, e.g. "Attention weights". */
  readonly name: string;
  /** Largest plot side in CSS pixels. */
  readonly maxPlot: number;
  readonly interactive: boolean;
  /** Write each cell's value when cells are large enough. */
  readonly showValues: boolean;
  /** Token labels (off for small multiples). */
  readonly labels: boolean;
  readonly legend: boolean;
  /** The fraction of the panel's width this heatmap may take (1/2 when two sit side by side). */
  readonly widthShare: number;
}

const LABEL_FONT = 11;
const MAX_LABEL = 110;
const MIN_LABEL_GAP = 12;

interface Scratch {
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  image: ImageData | null;
}

function scratch(): Scratch {
  const canvas = document.createElement('canvas');
  return { canvas, ctx: canvas.getContext('2d', { willReadFrequently: false }) as CanvasRenderingContext2D, image: null };
}

/** ImageData of w×h in a scratch canvas, reused while the size stays. */
function imageOf(s: Scratch, w: number, h: number): ImageData {
  if (!s.image || s.image.width !== w || s.image.height !== h) {
    s.canvas.width = w;
    s.canvas.height = h;
    s.image = s.ctx.createImageData(w, h);
  }
  return s.image;
}

export class Heatmap {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly tooltip: HTMLDivElement;
  private readonly live: HTMLDivElement;
  private model: HeatmapModel | null = null;
  /** Sparse: index k holds level k once it has been pooled. */
  private pyramid: Grid[] = [];
  private highlight: HeatmapHighlight = { hover: null, locked: null, cursor: null };
  private zoom = 1;
  private center: Cell | null = null;
  private layout: HeatmapLayout | null = null;
  private labelWidths: { row: number; col: number } = { row: 24, col: 24 };
  /** Widest key label in pixels: short keys are written across, long ones upwards. */
  private colWidest = 0;
  private across = false;
  private readonly raster = scratch();
  private readonly maskLayer = scratch();
  private readonly hatchLayer = scratch();
  private rasterKey = '';
  private pending = 0;
  private drag: { x: number; y: number; moved: boolean; center: Cell } | null = null;
  private pointer: { x: number; y: number } | null = null;
  /** Milliseconds the last render took (the benchmark reads it). */
  lastRenderMs = 0;

  constructor(private theme: Theme, private readonly options: HeatmapOptions, private readonly callbacks: HeatmapCallbacks = {}) {
    this.canvas = el('canvas', { cls: 'heatmap-canvas', attrs: { role: options.interactive ? 'application' : 'img', 'aria-roledescription': 'heatmap', 'aria-label': options.name } });
    if (options.interactive) this.canvas.tabIndex = 0;
    this.ctx = this.canvas.getContext('2d') as CanvasRenderingContext2D;
    this.tooltip = el('div', { cls: 'tooltip', attrs: { role: 'tooltip' } });
    this.tooltip.hidden = true;
    this.live = el('div', { cls: 'sr-only', attrs: { 'aria-live': 'polite' } });
    this.element = el('div', { cls: 'heatmap' }, this.canvas, this.tooltip, this.live);
    if (options.interactive) this.listen();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.rasterKey = '';
    this.requestRender();
  }

  /** New data. Same-shaped updates (the scale slider) rebuild only the zoom pyramid. */
  setModel(model: HeatmapModel): void {
    const sameLabels = this.model !== null && this.model.rowLabels === model.rowLabels && this.model.colLabels === model.colLabels;
    this.model = model;
    // Levels are pooled on demand, straight from the nearest finer level built (a small matrix
    // never needs any; a new matrix or the slider costs one pooling pass for the level shown).
    this.pyramid = [{ rows: model.n, cols: model.m, data: model.values, allowed: model.allowed }];
    if (!sameLabels) this.measureLabels();
    this.rasterKey = '';
    this.requestRender();
  }

  setHighlight(h: HeatmapHighlight): void {
    this.highlight = h;
    this.requestRender();
  }

  setView(zoom: number, center: Cell | null): void {
    this.zoom = zoom;
    this.center = center;
    this.requestRender();
  }

  getView(): { zoom: number; center: Cell | null } {
    return { zoom: this.zoom, center: this.center };
  }

  /** The plot rectangle and visible window, for tests and for drawing overlays. */
  geometry(): { plot: Rect; view: Viewport } | null {
    if (!this.layout || !this.model) return null;
    return { plot: this.layout.plot, view: this.viewport() };
  }

  announce(text: string): void {
    this.live.textContent = text;
  }

  requestRender(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.render();
    });
  }

  private viewport(): Viewport {
    const { n, m } = this.model as HeatmapModel;
    const c = this.center ?? { row: n / 2, col: m / 2 };
    return viewportAt(n, m, this.zoom, c.row, c.col);
  }

  private font(size = LABEL_FONT): string {
    return `${size}px ${this.theme.fontFamily}`;
  }

  private measureLabels(): void {
    const model = this.model as HeatmapModel;
    if (!this.options.labels) {
      this.labelWidths = { row: 30, col: 16 };
      return;
    }
    this.ctx.font = this.font();
    // Long inputs: measuring a sample is enough to size the gutters (labels are cut to fit anyway).
    const widest = (labels: readonly string[]) => {
      let w = 0;
      const step = Math.max(1, Math.floor(labels.length / 2000));
      for (let i = 0; i < labels.length; i += step) w = Math.max(w, this.ctx.measureText(displayToken(labels[i])).width);
      return Math.min(MAX_LABEL, Math.ceil(w) + 8);
    };
    this.labelWidths = { row: Math.max(58, widest(model.rowLabels)), col: Math.max(20, widest(model.colLabels)) };
    this.colWidest = widest(model.colLabels) - 8;
  }

  /** Draws now (the benchmark and tests call this directly; the UI goes through requestRender). */
  render(): void {
    const model = this.model;
    if (!model) return;
    const started = performance.now();
    const t = this.theme;
    const dpr = Math.max(1, window.devicePixelRatio || 1);
    // The figure's share of the panel's width (its own box shrinks to fit it, so cannot say).
    const panel = document.getElementById('app')?.clientWidth || window.innerWidth || 1000;
    const available = Math.max(200, panel * this.options.widthShare - 24);
    const layoutFor = (colLabelHeight: number) => computeLayout({
      n: model.n, m: model.m,
      maxWidth: available,
      maxPlot: this.options.maxPlot,
      rowLabelWidth: this.labelWidths.row,
      colLabelHeight,
      bar: model.bar !== null,
      legend: this.options.legend,
    });
    let layout = layoutFor(this.options.labels ? Math.max(34, this.labelWidths.col) : 14);
    // Short key labels fit across their columns: then the label band can be low.
    this.across = this.options.labels && this.zoom <= 1 && this.colWidest <= layout.plot.w / model.m - 6;
    if (this.across) layout = layoutFor(34);
    // Too many keys to name: the band only holds position numbers.
    else if (this.options.labels && layout.plot.w / model.m < MIN_LABEL_GAP) layout = layoutFor(Math.min(Math.max(34, this.labelWidths.col), 40));
    this.layout = layout;
    const cw = Math.round(layout.width * dpr), ch = Math.round(layout.height * dpr);
    if (this.canvas.width !== cw || this.canvas.height !== ch) {
      this.canvas.width = cw;
      this.canvas.height = ch;
      this.canvas.style.width = `${layout.width}px`;
      this.canvas.style.height = `${layout.height}px`;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, layout.width, layout.height);
    const view = this.viewport();
    this.drawCells(layout.plot, view, dpr);
    this.drawGridAndValues(layout.plot, view);
    if (this.options.labels) this.drawLabels(layout, view);
    else this.drawIndexTicks(layout, view);
    this.drawHighlights(layout.plot, view);
    if (model.bar) this.drawBar(layout, view);
    if (this.options.legend) this.drawLegend(layout.legend);
    ctx.strokeStyle = t.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(layout.plot.x - 0.5, layout.plot.y - 0.5, layout.plot.w + 1, layout.plot.h + 1);
    this.canvas.dataset.plot = [layout.plot.x, layout.plot.y, layout.plot.w, layout.plot.h].map((x) => x.toFixed(2)).join(',');
    this.canvas.dataset.view = [view.row0, view.col0, view.rows, view.cols].map((x) => x.toFixed(4)).join(',');
    this.lastRenderMs = performance.now() - started;
  }

  /** The matrix as an image: choose the pyramid level, rasterize its visible window, scale it up. */
  private drawCells(plot: Rect, view: Viewport, dpr: number): void {
    const model = this.model as HeatmapModel;
    const levels = 1 + Math.ceil(Math.log2(Math.max(model.n, model.m)));
    const level = levelFor(view, plot.w * dpr, plot.h * dpr, levels);
    const grid = this.levelGrid(level, model.pool);
    const block = 2 ** level;
    const win = coveringWindow(grid, block, view.row0, view.col0, view.rows, view.cols);
    const key = `${level}:${win.row0}:${win.col0}:${win.rows}:${win.cols}`;
    const hasMask = grid.allowed !== null;
    if (key !== this.rasterKey) {
      const image = imageOf(this.raster, win.cols, win.rows);
      const maskImage = hasMask ? imageOf(this.maskLayer, win.cols, win.rows) : null;
      const maskedColor = this.maskedPixel();
      rasterize(grid, win, model.scale, lookupTable(model.colormap), maskedColor, new Uint32Array(image.data.buffer), maskImage ? maskImage.data : null);
      this.raster.ctx.putImageData(image, 0, 0);
      if (maskImage) this.maskLayer.ctx.putImageData(maskImage, 0, 0);
      this.rasterKey = key;
    }
    const sx = view.col0 / block - win.col0, sy = view.row0 / block - win.row0;
    const sw = view.cols / block, sh = view.rows / block;
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.raster.canvas, sx, sy, sw, sh, plot.x, plot.y, plot.w, plot.h);
    if (hasMask) this.drawHatching(plot, sx, sy, sw, sh, dpr);
  }

  /** Level k of the pyramid (blocks of 2^k), pooled from the finest built level below it. */
  private levelGrid(level: number, pool: PoolMode): Grid {
    let from = level;
    while (!this.pyramid[from]) from--;
    if (from < level) this.pyramid[level] = maxPool(this.pyramid[from], 2 ** (level - from), 2 ** (level - from), pool);
    return this.pyramid[level];
  }

  private maskedCache: { css: string; pixel: number } | null = null;

  private maskedPixel(): number {
    if (this.maskedCache?.css === this.theme.masked) return this.maskedCache.pixel;
    // Parse the theme colour through a 1×1 canvas (accepts any CSS colour syntax).
    const c = this.hatchLayer.ctx;
    this.hatchLayer.canvas.width = 1;
    this.hatchLayer.canvas.height = 1;
    c.fillStyle = this.theme.masked;
    c.fillRect(0, 0, 1, 1);
    const d = c.getImageData(0, 0, 1, 1).data;
    const pixel = new Uint32Array(new Uint8ClampedArray([d[0], d[1], d[2], 255]).buffer)[0];
    this.maskedCache = { css: this.theme.masked, pixel };
    return pixel;
  }

  /** Diagonal hatching over masked cells only: the mask's alpha, scaled like the image, keeps the stripes. */
  private drawHatching(plot: Rect, sx: number, sy: number, sw: number, sh: number, dpr: number): void {
    const layer = this.hatchLayer;
    const w = Math.ceil(plot.w * dpr), h = Math.ceil(plot.h * dpr);
    if (layer.canvas.width !== w || layer.canvas.height !== h) {
      layer.canvas.width = w;
      layer.canvas.height = h;
    }
    const c = layer.ctx;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.globalCompositeOperation = 'source-over';
    c.clearRect(0, 0, w, h);
    c.imageSmoothingEnabled = false;
    c.drawImage(this.maskLayer.canvas, sx, sy, sw, sh, 0, 0, w, h);
    c.globalCompositeOperation = 'source-in';
    c.strokeStyle = this.theme.hatch;
    c.lineWidth = Math.max(1, dpr);
    const step = 6 * dpr;
    c.beginPath();
    for (let x = -h; x < w; x += step) {
      c.moveTo(x, h);
      c.lineTo(x + h, 0);
    }
    c.stroke();
    c.globalCompositeOperation = 'source-over';
    this.ctx.drawImage(layer.canvas, 0, 0, w, h, plot.x, plot.y, plot.w, plot.h);
  }

  private drawGridAndValues(plot: Rect, view: Viewport): void {
    const model = this.model as HeatmapModel;
    const cellW = plot.w / view.cols, cellH = plot.h / view.rows;
    const ctx = this.ctx;
    const r0 = Math.floor(view.row0), r1 = Math.min(model.n, Math.ceil(view.row0 + view.rows));
    const c0 = Math.floor(view.col0), c1 = Math.min(model.m, Math.ceil(view.col0 + view.cols));
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y, plot.w, plot.h);
    ctx.clip();
    if (Math.min(cellW, cellH) >= 14) {
      // Thin background-coloured gaps make small matrices read as separate cells.
      ctx.fillStyle = this.theme.background;
      for (let i = r0 + 1; i < r1; i++) ctx.fillRect(plot.x, plot.y + (i - view.row0) * cellH - 0.5, plot.w, 1);
      for (let j = c0 + 1; j < c1; j++) ctx.fillRect(plot.x + (j - view.col0) * cellW - 0.5, plot.y, 1, plot.h);
    }
    if (this.options.showValues && Math.min(cellW, cellH) >= 30 && (r1 - r0) * (c1 - c0) <= 4096) {
      const size = Math.min(13, Math.floor(Math.min(cellW / 3.2, cellH / 2.2)));
      ctx.font = `${size}px ${this.theme.monoFamily}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      const lut = lookupTable(model.colormap);
      const label = model.scaleLabel ?? ((v: number) => formatNumber(v, 2));
      const room = cellW - 4;
      for (let i = r0; i < r1; i++) {
        for (let j = c0; j < c1; j++) {
          const k = i * model.m + j;
          if (model.allowed !== null && model.allowed[k] === 0) continue;
          const v = model.values[k];
          const text = this.fitNumber(label(v), v, room);
          if (text === null) continue;
          const colour = lut[lutIndex(model.scale, v)];
          ctx.fillStyle = luminance(colour) > 0.3 ? '#000000' : '#ffffff';
          ctx.fillText(text, plot.x + (j - view.col0 + 0.5) * cellW, plot.y + (i - view.row0 + 0.5) * cellH);
        }
      }
    }
    ctx.restore();
  }

  /** The value's label if it fits the cell, else a shorter rounding, else nothing. */
  private fitNumber(preferred: string, v: number, width: number): string | null {
    const ctx = this.ctx;
    if (ctx.measureText(preferred).width <= width) return preferred;
    for (const digits of [2, 1, 0]) {
      const t = v.toFixed(digits).replace(/^(-?)0\./, '$1.').replace('-', '−');
      if (/^−?\.?0*$/.test(t.replace('.', '')) && v !== 0) continue;
      if (ctx.measureText(t).width <= width) return t;
    }
    return null;
  }

  private fitText(text: string, width: number): string {
    const ctx = this.ctx;
    if (ctx.measureText(text).width <= width) return text;
    const chars = Array.from(text);
    while (chars.length > 1 && ctx.measureText(chars.join('') + '…').width > width) chars.pop();
    return chars.join('') + '…';
  }

  private drawLabels(layout: HeatmapLayout, view: Viewport): void {
    const model = this.model as HeatmapModel;
    const { plot } = layout;
    const ctx = this.ctx;
    const cellW = plot.w / view.cols, cellH = plot.h / view.rows;
    ctx.fillStyle = this.theme.foreground;
    ctx.font = this.font();
    const hl = this.highlight;
    // Rows: token labels when rows are tall enough, else every k-th position.
    const rowStride = labelStride(cellH, MIN_LABEL_GAP);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const r0 = Math.max(0, Math.floor(view.row0)), r1 = Math.min(model.n, Math.ceil(view.row0 + view.rows));
    // Numbered rows fall on round positions (a region starting at token 2438 is numbered 2440, 2450…).
    const onStride = (i: number, stride: number, axis: 'row' | 'col') => Math.round(positionOf(model, i, axis) / (model.positions?.step ?? 1)) % stride === 0;
    for (let i = r0; i < r1; i++) {
      if (!onStride(i, rowStride, 'row') && i !== hl.locked) continue;
      const y = plot.y + (i - view.row0 + 0.5) * cellH;
      if (y < plot.y || y > plot.y + plot.h) continue;
      const text = rowStride === 1 ? displayToken(model.rowLabels[i]) : String(positionOf(model, i, 'row'));
      ctx.fillStyle = i === hl.locked ? this.theme.accent : rowStride === 1 ? this.theme.foreground : this.theme.muted;
      ctx.fillText(this.fitText(text, layout.rowLabels.w - 6), plot.x - 6, y);
    }
    // Columns: written upwards.
    const colStride = labelStride(cellW, MIN_LABEL_GAP);
    const across = colStride === 1 && this.across;
    ctx.textAlign = across ? 'center' : 'left';
    ctx.textBaseline = across ? 'bottom' : 'middle';
    const c0 = Math.max(0, Math.floor(view.col0)), c1 = Math.min(model.m, Math.ceil(view.col0 + view.cols));
    for (let j = c0; j < c1; j++) {
      if (!onStride(j, colStride, 'col')) continue;
      const x = plot.x + (j - view.col0 + 0.5) * cellW;
      if (x < plot.x || x > plot.x + plot.w) continue;
      const text = colStride === 1 ? displayToken(model.colLabels[j]) : String(positionOf(model, j, 'col'));
      ctx.save();
      ctx.translate(x, plot.y - 6);
      if (!across) ctx.rotate(-Math.PI / 2);
      ctx.fillStyle = j === hl.hover?.col ? this.theme.accent : colStride === 1 ? this.theme.foreground : this.theme.muted;
      ctx.fillText(this.fitText(text, across ? cellW - 4 : layout.colLabels.h - 8), 0, 0);
      ctx.restore();
    }
    // Axis names in the corner: keys run across, queries down.
    ctx.fillStyle = this.theme.muted;
    ctx.font = this.font(10);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText('keys →', plot.x - 6, plot.y - 16);
    ctx.fillText('queries ↓', plot.x - 6, plot.y - 3);
  }

  private drawIndexTicks(layout: HeatmapLayout, view: Viewport): void {
    const model = this.model as HeatmapModel;
    const { plot } = layout;
    const ctx = this.ctx;
    ctx.fillStyle = this.theme.muted;
    ctx.font = this.font(9);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const step = labelStride(plot.h / view.rows, 18);
    for (let i = Math.ceil(view.row0 / step) * step; i < Math.min(model.n, view.row0 + view.rows); i += step) {
      ctx.fillText(String(positionOf(model, i, 'row')), plot.x - 3, plot.y + (i - view.row0 + 0.5) * (plot.h / view.rows));
    }
  }

  private drawHighlights(plot: Rect, view: Viewport): void {
    const model = this.model as HeatmapModel;
    const ctx = this.ctx;
    const hl = this.highlight;
    const t = this.theme;
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x - 2, plot.y - 2, plot.w + 4, plot.h + 4);
    ctx.clip();
    if (hl.hover) {
      const r = cellRect(plot, view, hl.hover.row, 0);
      const c = cellRect(plot, view, 0, hl.hover.col);
      ctx.strokeStyle = t.foreground;
      ctx.globalAlpha = 0.35;
      ctx.lineWidth = 1;
      ctx.strokeRect(plot.x + 0.5, r.y + 0.5, plot.w - 1, Math.max(1, r.h - 1));
      ctx.strokeRect(c.x + 0.5, plot.y + 0.5, Math.max(1, c.w - 1), plot.h - 1);
      ctx.globalAlpha = 1;
    }
    if (hl.locked !== null && hl.locked < model.n) {
      const r = cellRect(plot, view, hl.locked, 0);
      ctx.strokeStyle = t.accent;
      ctx.lineWidth = 2 * t.strokeWidth;
      ctx.strokeRect(plot.x + 1, r.y + 1, plot.w - 2, Math.max(2, r.h - 2));
    }
    if (hl.cursor && document.activeElement === this.canvas) {
      const c = cellRect(plot, view, hl.cursor.row, hl.cursor.col);
      ctx.strokeStyle = t.focus;
      ctx.lineWidth = 2 * t.strokeWidth;
      ctx.setLineDash([4, 2]);
      ctx.strokeRect(c.x + 1, c.y + 1, Math.max(2, c.w - 2), Math.max(2, c.h - 2));
      ctx.setLineDash([]);
    }
    ctx.restore();
  }

  private drawBar(layout: HeatmapLayout, view: Viewport): void {
    const model = this.model as HeatmapModel;
    const bar = model.bar as NonNullable<HeatmapModel['bar']>;
    const { plot } = layout;
    const r = layout.bar;
    const ctx = this.ctx;
    const t = this.theme;
    const cellH = plot.h / view.rows;
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.w, r.h);
    ctx.clip();
    ctx.fillStyle = t.border;
    ctx.fillRect(r.x, r.y, 1, r.h);
    const r0 = Math.max(0, Math.floor(view.row0)), r1 = Math.min(model.n, Math.ceil(view.row0 + view.rows));
    const gap = cellH >= 6 ? Math.min(2, cellH * 0.15) : 0;
    for (let i = r0; i < r1; i++) {
      const v = bar.values[i];
      const w = bar.max > 0 ? (Math.max(0, v) / bar.max) * (r.w - 2) : 0;
      ctx.fillStyle = i === this.highlight.locked ? t.accent : t.series[0];
      ctx.fillRect(r.x + 1, plot.y + (i - view.row0) * cellH + gap / 2, w, Math.max(0.5, cellH - gap));
    }
    ctx.restore();
    ctx.fillStyle = t.muted;
    ctx.font = this.font(10);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText(bar.title, r.x, r.y - 16);
    ctx.fillText(`(${bar.unit})`, r.x, r.y - 4);
    ctx.textBaseline = 'top';
    ctx.fillText('0', r.x, r.y + r.h + 3);
    ctx.textAlign = 'right';
    ctx.fillText(formatNumber(bar.max, 2), r.x + r.w, r.y + r.h + 3);
  }

  private drawLegend(r: Rect): void {
    const model = this.model as HeatmapModel;
    const ctx = this.ctx;
    const t = this.theme;
    const lut = lookupTable(model.colormap);
    const hasMask = model.allowed !== null;
    const barW = Math.max(80, r.w - (hasMask ? 70 : 0));
    const y = r.y + 14;
    ctx.fillStyle = t.muted;
    ctx.font = this.font(10);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(model.legendTitle, r.x, r.y + 9);
    for (let x = 0; x < barW; x++) {
      ctx.fillStyle = cssColor(lut[Math.round((x / Math.max(1, barW - 1)) * 255)]);
      ctx.fillRect(r.x + x, y, 1.5, 10);
    }
    ctx.strokeStyle = t.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(r.x - 0.5, y - 0.5, barW + 1, 11);
    ctx.fillStyle = t.foreground;
    ctx.textBaseline = 'top';
    const label = model.scaleLabel ?? ((v: number) => formatNumber(v, 3));
    model.legendTicks.forEach((v, i) => {
      const x = r.x + scalePosition(model.scale, v) * barW;
      ctx.fillRect(x - 0.5, y + 10, 1, 3);
      ctx.textAlign = i === 0 ? 'left' : i === model.legendTicks.length - 1 ? 'right' : 'center';
      ctx.fillText(label(v), x, y + 14);
    });
    if (hasMask) {
      const sx = r.x + barW + 12;
      ctx.fillStyle = t.masked;
      ctx.fillRect(sx, y, 12, 10);
      ctx.strokeStyle = t.hatch;
      ctx.beginPath();
      for (let k = -10; k < 12; k += 4) {
        ctx.moveTo(sx + Math.max(0, k), y + 10 - Math.max(0, -k));
        ctx.lineTo(sx + Math.min(12, k + 10), y + Math.max(0, 10 - (12 - k)));
      }
      ctx.stroke();
      ctx.fillStyle = t.foreground;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText('masked', sx + 16, y);
    }
  }

  // ---- interaction ------------------------------------------------------------------------------

  private eventCell(e: { clientX: number; clientY: number }): Cell | null {
    if (!this.layout || !this.model) return null;
    const box = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * this.layout.width;
    const y = ((e.clientY - box.top) / box.height) * this.layout.height;
    const c = cellAt(this.layout.plot, this.viewport(), x, y);
    if (!c || c.row < 0 || c.col < 0 || c.row >= this.model.n || c.col >= this.model.m) return null;
    return c;
  }

  private listen(): void {
    const c = this.canvas;
    c.addEventListener('pointermove', (e) => {
      this.pointer = { x: e.clientX, y: e.clientY };
      if (this.drag) {
        const dx = e.clientX - this.drag.x, dy = e.clientY - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) this.drag.moved = true;
        if (this.drag.moved && this.zoom > 1 && this.layout) {
          const view = this.viewport();
          const box = c.getBoundingClientRect();
          const scale = box.width / this.layout.width;
          const col = this.drag.center.col - (dx / scale / this.layout.plot.w) * view.cols;
          const row = this.drag.center.row - (dy / scale / this.layout.plot.h) * view.rows;
          this.callbacks.view?.(this.zoom, { row, col });
          return;
        }
      }
      const cell = this.eventCell(e);
      this.callbacks.hover?.(cell);
      this.showTooltip(cell, e.clientX, e.clientY);
    });
    c.addEventListener('pointerleave', () => {
      this.pointer = null;
      this.callbacks.hover?.(null);
      this.showTooltip(null, 0, 0);
    });
    c.addEventListener('pointerdown', (e) => {
      const v = this.viewport();
      this.drag = { x: e.clientX, y: e.clientY, moved: false, center: { row: v.row0 + v.rows / 2, col: v.col0 + v.cols / 2 } };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointerup', (e) => {
      const drag = this.drag;
      this.drag = null;
      if (drag && !drag.moved) {
        const cell = this.eventCell(e);
        if (cell) this.callbacks.click?.(cell);
      }
    });
    c.addEventListener('wheel', (e) => {
      if (!(e.ctrlKey || e.metaKey) || !this.model || !this.layout) return;
      e.preventDefault();
      const cell = this.eventCell(e) ?? { row: this.model.n / 2, col: this.model.m / 2 };
      this.zoomBy(Math.pow(1.0015, -e.deltaY), cell);
    }, { passive: false });
    c.addEventListener('keydown', (e) => this.onKey(e));
    c.addEventListener('focus', () => this.requestRender());
    c.addEventListener('blur', () => this.requestRender());
  }

  /** Zooms by `ratio` keeping `anchor` in place (clamped between 1 and the zoom where cells are large). */
  zoomBy(ratio: number, anchor?: Cell): void {
    if (!this.model || !this.layout) return;
    const { n, m } = this.model;
    const z1 = Math.min(maxZoom(n, m, this.layout.plot), Math.max(1, this.zoom * ratio));
    const a = anchor ?? { row: n / 2, col: m / 2 };
    const centre = zoomAround(n, m, this.viewport(), this.zoom, z1, a.row + 0.5, a.col + 0.5);
    this.callbacks.view?.(z1, centre);
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.model) return;
    const { n, m } = this.model;
    const cur = this.highlight.cursor ?? { row: 0, col: 0 };
    const step = e.shiftKey ? 10 : 1;
    let next: Cell | null = null;
    switch (e.key) {
      case 'ArrowUp': next = { row: Math.max(0, cur.row - step), col: cur.col }; break;
      case 'ArrowDown': next = { row: Math.min(n - 1, cur.row + step), col: cur.col }; break;
      case 'ArrowLeft': next = { row: cur.row, col: Math.max(0, cur.col - step) }; break;
      case 'ArrowRight': next = { row: cur.row, col: Math.min(m - 1, cur.col + step) }; break;
      case 'Home': next = { row: cur.row, col: 0 }; break;
      case 'End': next = { row: cur.row, col: m - 1 }; break;
      case 'Enter':
      case ' ':
        this.callbacks.lock?.(cur.row);
        break;
      case 'Escape':
        this.callbacks.lock?.(null);
        break;
      case '+':
      case '=':
        this.zoomBy(1.5, cur);
        break;
      case '-':
        this.zoomBy(1 / 1.5, cur);
        break;
      case '0':
        this.callbacks.view?.(1, { row: n / 2, col: m / 2 });
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next) {
      this.callbacks.cursor?.(next);
      this.ensureVisible(next);
    }
  }

  /** Pans so that a cell is inside the view (keyboard navigation while zoomed). */
  private ensureVisible(cell: Cell): void {
    if (this.zoom <= 1) return;
    const v = this.viewport();
    if (cell.row >= v.row0 && cell.row + 1 <= v.row0 + v.rows && cell.col >= v.col0 && cell.col + 1 <= v.col0 + v.cols) return;
    this.callbacks.view?.(this.zoom, { row: cell.row + 0.5, col: cell.col + 0.5 });
  }

  private showTooltip(cell: Cell | null, clientX: number, clientY: number): void {
    const tip = this.tooltip;
    if (!cell || !this.callbacks.describe) {
      tip.hidden = true;
      return;
    }
    const { title, lines } = this.callbacks.describe(cell);
    tip.replaceChildren(el('div', { cls: 'tooltip-title', text: title }), ...lines.map(([k, v]) => el('div', { cls: 'tooltip-line' }, el('span', { text: k }), el('span', { cls: 'num', text: v }))));
    tip.hidden = false;
    const host = this.element.getBoundingClientRect();
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    let x = clientX - host.left + 14, y = clientY - host.top + 14;
    if (x + tw > host.width) x = clientX - host.left - tw - 10;
    if (y + th > host.height) y = Math.max(0, clientY - host.top - th - 10);
    tip.style.left = `${Math.max(0, x)}px`;
    tip.style.top = `${Math.max(0, y)}px`;
  }

  /** Refreshes the tooltip at the last pointer position (after the data under it changed). */
  refreshTooltip(): void {
    if (!this.pointer) return;
    this.showTooltip(this.eventCell({ clientX: this.pointer.x, clientY: this.pointer.y }), this.pointer.x, this.pointer.y);
  }

  dispose(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
  }
}
