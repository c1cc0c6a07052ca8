// One heatmap on a canvas: the matrix as an image (one pixel per cell, or per max-pooled block when
// there are more cells than pixels), masked cells hatched, token labels on both axes, an optional
// per-row bar (entropy), a colour legend with values, and hover / click / keyboard / zoom / pan.
// This class lays the parts out and draws them in order; each part lives in webview/heatmap/
// (cells, overlay, labels, legend, the tooltip element, input). Token text is drawn with fillText
// (never parsed as HTML) and shown in the tooltip through Lit text bindings.
import { el } from './dom';
import { displayToken } from './format';
import {
  type HeatmapLayout,
  type Rect,
  type Viewport,
  cellAt,
  computeLayout,
  labelStride,
  maxZoom,
  viewportAt,
  zoomAround,
} from './layout';
import { CellPainter } from './heatmap/cells';
import { copyCanvas, registerCleanCanvas } from './heatmap/exportable';
import { HeatmapInput, type InputTarget } from './heatmap/input';
import { drawIndexTicks, drawLabels, namesTokens } from './heatmap/labels';
import { drawBar, drawLegend } from './heatmap/legend';
import { drawGridAndValues, drawHighlights } from './heatmap/overlay';
import { type PaintContext, MIN_LABEL_GAP, font } from './heatmap/paint';
import { HeatmapTooltip } from './heatmap/tooltip';
import type { Cell, HeatmapCallbacks, HeatmapHighlight, HeatmapModel, HeatmapOptions } from './heatmap/types';
import type { Theme } from './theme';

export type { Cell, HeatmapCallbacks, HeatmapHighlight, HeatmapModel, HeatmapOptions } from './heatmap/types';

const MAX_LABEL = 110;

export class Heatmap implements InputTarget {
  readonly element: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly tooltip: HeatmapTooltip;
  private readonly live: HTMLDivElement;
  private readonly cells = new CellPainter();
  model: HeatmapModel | null = null;
  highlight: HeatmapHighlight = { hover: null, locked: null, cursor: null };
  zoom = 1;
  private center: Cell | null = null;
  layout: HeatmapLayout | null = null;
  private labelWidths: { row: number; col: number } = { row: 24, col: 24 };
  /** Widest key label in pixels: short keys are written across, long ones upwards. */
  private colWidest = 0;
  private across = false;
  private pending = 0;
  pointer: { x: number; y: number } | null = null;
  /** Milliseconds the last render took (the benchmark reads it). */
  lastRenderMs = 0;

  constructor(
    private theme: Theme,
    private readonly options: HeatmapOptions,
    readonly callbacks: HeatmapCallbacks = {},
  ) {
    this.canvas = el('canvas', {
      cls: 'heatmap-canvas',
      attrs: {
        role: options.interactive ? 'application' : 'img',
        'aria-roledescription': 'heatmap',
        'aria-label': options.name,
      },
    });
    if (options.interactive) this.canvas.tabIndex = 0;
    this.ctx = this.canvas.getContext('2d') as CanvasRenderingContext2D;
    this.tooltip = new HeatmapTooltip();
    this.live = el('div', { cls: 'sr-only', attrs: { 'aria-live': 'polite' } });
    this.element = el('div', { cls: 'heatmap' }, this.canvas, this.tooltip, this.live);
    if (options.interactive) new HeatmapInput(this);
    registerCleanCanvas(this.canvas, () => this.cleanCopy());
  }

  /** The picture as exported: drawn once with no highlight, copied, then drawn again as it was. */
  cleanCopy(): HTMLCanvasElement {
    const shown = this.highlight;
    this.highlight = { hover: null, locked: null, cursor: null };
    this.render();
    const copy = copyCanvas(this.canvas);
    this.highlight = shown;
    this.render();
    return copy;
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.cells.invalidate();
    this.requestRender();
  }

  /** New data. Same-shaped updates (the scale slider) rebuild only the zoom pyramid. */
  setModel(model: HeatmapModel): void {
    const sameLabels =
      this.model !== null && this.model.rowLabels === model.rowLabels && this.model.colLabels === model.colLabels;
    this.model = model;
    // Levels are pooled on demand, straight from the nearest finer level built (a small matrix
    // never needs any; a new matrix or the slider costs one pooling pass for the level shown).
    this.cells.setModel(model);
    if (!sameLabels) this.measureLabels();
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

  viewport(): Viewport {
    const { n, m } = this.model as HeatmapModel;
    const c = this.center ?? { row: n / 2, col: m / 2 };
    return viewportAt(n, m, this.zoom, c.row, c.col);
  }

  private measureLabels(): void {
    const model = this.model as HeatmapModel;
    if (!this.options.labels) {
      this.labelWidths = { row: 30, col: 16 };
      return;
    }
    this.ctx.font = font({ theme: this.theme });
    // Long inputs: measuring a sample is enough to size the gutters (labels are cut to fit anyway).
    const widest = (labels: readonly string[]) => {
      let w = 0;
      const step = Math.max(1, Math.floor(labels.length / 2000));
      for (let i = 0; i < labels.length; i += step)
        w = Math.max(w, this.ctx.measureText(displayToken(labels[i])).width);
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
    const layoutFor = (colLabelHeight: number) =>
      computeLayout({
        n: model.n,
        m: model.m,
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
    // Too many keys to name even every 5th: the band only holds position numbers.
    else if (this.options.labels && !namesTokens(model, labelStride(layout.plot.w / model.m, MIN_LABEL_GAP)))
      layout = layoutFor(Math.min(Math.max(34, this.labelWidths.col), 40));
    this.layout = layout;
    const cw = Math.round(layout.width * dpr),
      ch = Math.round(layout.height * dpr);
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
    this.cells.draw(ctx, t, layout.plot, view, dpr);
    const p: PaintContext = {
      canvas: this.canvas,
      ctx,
      theme: t,
      model,
      options: this.options,
      highlight: this.highlight,
      across: this.across,
    };
    drawGridAndValues(p, layout.plot, view);
    if (this.options.labels) drawLabels(p, layout, view);
    else drawIndexTicks(p, layout, view);
    drawHighlights(p, layout.plot, view);
    if (model.bar) drawBar(p, layout, view);
    if (this.options.legend) drawLegend(p, layout.legend);
    ctx.strokeStyle = t.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(layout.plot.x - 0.5, layout.plot.y - 0.5, layout.plot.w + 1, layout.plot.h + 1);
    this.canvas.dataset.plot = [layout.plot.x, layout.plot.y, layout.plot.w, layout.plot.h]
      .map((x) => x.toFixed(2))
      .join(',');
    this.canvas.dataset.view = [view.row0, view.col0, view.rows, view.cols].map((x) => x.toFixed(4)).join(',');
    this.lastRenderMs = performance.now() - started;
  }

  // ---- interaction ------------------------------------------------------------------------------

  eventCell(e: { clientX: number; clientY: number }): Cell | null {
    if (!this.layout || !this.model) return null;
    const box = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * this.layout.width;
    const y = ((e.clientY - box.top) / box.height) * this.layout.height;
    const c = cellAt(this.layout.plot, this.viewport(), x, y);
    if (!c || c.row < 0 || c.col < 0 || c.row >= this.model.n || c.col >= this.model.m) return null;
    return c;
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

  showTooltip(cell: Cell | null, clientX: number, clientY: number): void {
    const content = cell && this.callbacks.describe ? this.callbacks.describe(cell) : null;
    void this.tooltip.place(content, clientX, clientY, this.element.getBoundingClientRect());
  }

  /** Refreshes the tooltip at the last pointer position (after the data under it changed). */
  refreshTooltip(): void {
    if (!this.pointer) return;
    this.showTooltip(
      this.eventCell({ clientX: this.pointer.x, clientY: this.pointer.y }),
      this.pointer.x,
      this.pointer.y,
    );
  }

  dispose(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
  }
}
