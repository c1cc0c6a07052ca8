// The parts of a heatmap's picture beside the plot: the per-row bar (entropy) and the colour legend
// with its values and the masked swatch. Drawn on the heatmap's own canvas, so exported images
// carry them.
import { cssColor, lookupTable, scalePosition } from '../colormap';
import { formatNumber } from '../format';
import { type LabelAlign, labelSpan, thinLabels } from '../ticks';
import type { HeatmapLayout, Rect, Viewport } from '../layout';
import { type PaintContext, font } from './paint';
import type { HeatmapModel } from './types';

export function drawBar(p: PaintContext, layout: HeatmapLayout, view: Viewport): void {
  const model = p.model;
  const bar = model.bar as NonNullable<HeatmapModel['bar']>;
  const { plot } = layout;
  const r = layout.bar;
  const ctx = p.ctx;
  const t = p.theme;
  const cellH = plot.h / view.rows;
  ctx.save();
  ctx.beginPath();
  ctx.rect(r.x, r.y, r.w, r.h);
  ctx.clip();
  ctx.fillStyle = t.border;
  ctx.fillRect(r.x, r.y, 1, r.h);
  const r0 = Math.max(0, Math.floor(view.row0)),
    r1 = Math.min(model.n, Math.ceil(view.row0 + view.rows));
  const gap = cellH >= 6 ? Math.min(2, cellH * 0.15) : 0;
  for (let i = r0; i < r1; i++) {
    const v = bar.values[i];
    const w = bar.max > 0 ? (Math.max(0, v) / bar.max) * (r.w - 2) : 0;
    ctx.fillStyle = i === p.highlight.locked ? t.accent : t.series[0];
    ctx.fillRect(r.x + 1, plot.y + (i - view.row0) * cellH + gap / 2, w, Math.max(0.5, cellH - gap));
  }
  ctx.restore();
  ctx.fillStyle = t.muted;
  ctx.font = font(p, 10);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(bar.title, r.x, r.y - 16);
  ctx.fillText(`(${bar.unit})`, r.x, r.y - 4);
  ctx.textBaseline = 'top';
  ctx.fillText('0', r.x, r.y + r.h + 3);
  ctx.textAlign = 'right';
  ctx.fillText(formatNumber(bar.max, 2), r.x + r.w, r.y + r.h + 3);
}

/**
 * The legend: its title (never cut: the font shrinks to fit, down to 7 px) with the masked swatch and
 * its words at the right of the same line, the colour bar, and the tick values under it, only finite
 * ones, thinned so that no two labels touch.
 */
export function drawLegend(p: PaintContext, r: Rect): void {
  const model = p.model;
  const ctx = p.ctx;
  const t = p.theme;
  const lut = lookupTable(model.colormap);
  const hasMask = model.allowed !== null;
  const maskText = model.maskLabel ?? 'masked';
  const room = Math.max(r.w, p.canvas.width / Math.max(1, window.devicePixelRatio || 1) - r.x - 4);
  ctx.font = font(p, 10);
  const need = ctx.measureText(model.legendTitle).width + (hasMask ? 16 + 16 + ctx.measureText(maskText).width : 0);
  const size = need > room ? Math.max(7, Math.floor((100 * room) / need) / 10) : 10;
  ctx.font = font(p, size);
  ctx.fillStyle = t.muted;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(model.legendTitle, r.x, r.y + 9);
  if (hasMask) {
    const textW = ctx.measureText(maskText).width;
    const sx = Math.max(r.x, r.x + room - textW - 16);
    ctx.fillStyle = t.masked;
    ctx.fillRect(sx, r.y, 12, 10);
    ctx.strokeStyle = t.hatch;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = -10; k < 12; k += 4) {
      ctx.moveTo(sx + Math.max(0, k), r.y + 10 - Math.max(0, -k));
      ctx.lineTo(sx + Math.min(12, k + 10), r.y + Math.max(0, 10 - (12 - k)));
    }
    ctx.stroke();
    ctx.fillStyle = t.foreground;
    ctx.fillText(maskText, sx + 16, r.y + 9);
  }
  const barW = r.w;
  const y = r.y + 14;
  for (let x = 0; x < barW; x++) {
    ctx.fillStyle = cssColor(lut[Math.round((x / Math.max(1, barW - 1)) * 255)]);
    ctx.fillRect(r.x + x, y, 1.5, 10);
  }
  ctx.strokeStyle = t.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(r.x - 0.5, y - 0.5, barW + 1, 11);
  ctx.fillStyle = t.foreground;
  ctx.font = font(p, 10);
  ctx.textBaseline = 'top';
  for (const tick of legendTickLayout(model, barW, (s) => ctx.measureText(s).width)) {
    const x = r.x + tick.x;
    ctx.fillRect(x - 0.5, y + 10, 1, 3);
    ctx.textAlign = tick.align === 'start' ? 'left' : tick.align === 'end' ? 'right' : 'center';
    ctx.fillText(tick.text, x, y + 14);
  }
}

/**
 * The legend's tick labels along a bar `width` pixels wide: finite values only (a range that still
 * held −∞ printed "−∞−∞∞"), the ends anchored inwards, thinned so that no two collide. Shared by the
 * canvas legend and the SVG export.
 */
export function legendTickLayout(
  model: HeatmapModel,
  width: number,
  measure: (text: string) => number,
): { x: number; text: string; align: LabelAlign }[] {
  const ticks = model.legendTicks.filter((v) => Number.isFinite(v));
  const label = model.scaleLabel ?? ((v: number) => formatNumber(v, 3));
  const texts = model.tickLabels ? model.tickLabels(ticks) : ticks.map(label);
  const laid = ticks.map((v, i) => {
    const x = scalePosition(model.scale, v) * width;
    const text = texts[i];
    const align: LabelAlign = i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'center';
    return { x, text, align, span: labelSpan(x, measure(text), align) };
  });
  // Equal labels (a flat range) say nothing new.
  const distinct = laid.filter((l, i) => i === 0 || l.text !== laid[i - 1].text);
  return thinLabels(
    distinct.map((l) => l.span),
    6,
  ).map((i) => distinct[i]);
}
