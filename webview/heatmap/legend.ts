// The parts of a heatmap's picture beside the plot: the per-row bar (entropy) and the colour legend
// with its values and the masked swatch. Drawn on the heatmap's own canvas, so exported images
// carry them.
import { cssColor, lookupTable, scalePosition } from '../colormap';
import { formatNumber } from '../format';
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

export function drawLegend(p: PaintContext, r: Rect): void {
  const model = p.model;
  const ctx = p.ctx;
  const t = p.theme;
  const lut = lookupTable(model.colormap);
  const hasMask = model.allowed !== null;
  const barW = Math.max(80, r.w - (hasMask ? 70 : 0));
  const y = r.y + 14;
  ctx.fillStyle = t.muted;
  ctx.font = font(p, 10);
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
