// What is drawn over the cells: thin gaps between large cells, each cell's value when it fits, and
// the highlights (hovered row and column, locked row, keyboard cursor).
import { lookupTable, luminance, lutIndex } from '../colormap';
import { formatNumber } from '../format';
import { type Rect, type Viewport, cellRect } from '../layout';
import type { PaintContext } from './paint';

/**
 * The value's label if it fits the cell, else the same number to fewer significant digits (one
 * format everywhere, format.ts: "0.01", never ".01" beside "0.042"), else nothing.
 */
function fitNumber(ctx: CanvasRenderingContext2D, preferred: string, v: number, width: number): string | null {
  if (ctx.measureText(preferred).width <= width) return preferred;
  for (const digits of [2, 1]) {
    const t = formatNumber(v, digits);
    if (ctx.measureText(t).width <= width) return t;
  }
  return null;
}

export function drawGridAndValues(p: PaintContext, plot: Rect, view: Viewport): void {
  const model = p.model;
  const cellW = plot.w / view.cols,
    cellH = plot.h / view.rows;
  const ctx = p.ctx;
  const r0 = Math.floor(view.row0),
    r1 = Math.min(model.n, Math.ceil(view.row0 + view.rows));
  const c0 = Math.floor(view.col0),
    c1 = Math.min(model.m, Math.ceil(view.col0 + view.cols));
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  if (Math.min(cellW, cellH) >= 14) {
    // Thin background-coloured gaps make small matrices read as separate cells.
    ctx.fillStyle = p.theme.background;
    for (let i = r0 + 1; i < r1; i++) ctx.fillRect(plot.x, plot.y + (i - view.row0) * cellH - 0.5, plot.w, 1);
    for (let j = c0 + 1; j < c1; j++) ctx.fillRect(plot.x + (j - view.col0) * cellW - 0.5, plot.y, 1, plot.h);
  }
  if (p.options.showValues && Math.min(cellW, cellH) >= 30 && (r1 - r0) * (c1 - c0) <= 4096) {
    const size = Math.min(13, Math.floor(Math.min(cellW / 3.2, cellH / 2.2)));
    ctx.font = `${size}px ${p.theme.monoFamily}`;
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
        const text = fitNumber(p.ctx, label(v), v, room);
        if (text === null) continue;
        const colour = lut[lutIndex(model.scale, v)];
        ctx.fillStyle = luminance(colour) > 0.3 ? '#000000' : '#ffffff';
        ctx.fillText(text, plot.x + (j - view.col0 + 0.5) * cellW, plot.y + (i - view.row0 + 0.5) * cellH);
      }
    }
  }
  ctx.restore();
}

export function drawHighlights(p: PaintContext, plot: Rect, view: Viewport): void {
  const model = p.model;
  const ctx = p.ctx;
  const hl = p.highlight;
  const t = p.theme;
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
  if (hl.cursor && document.activeElement === p.canvas) {
    const c = cellRect(plot, view, hl.cursor.row, hl.cursor.col);
    ctx.strokeStyle = t.focus;
    ctx.lineWidth = 2 * t.strokeWidth;
    ctx.setLineDash([4, 2]);
    ctx.strokeRect(c.x + 1, c.y + 1, Math.max(2, c.w - 2), Math.max(2, c.h - 2));
    ctx.setLineDash([]);
  }
  ctx.restore();
}
