// Token labels along both axes, written with fillText so token text is never parsed; cut to fit with
// an ellipsis. Too dense to name every one, every k-th token is named (up to every 5th: still a
// readable sample of the text); beyond that, and for long sequences' blocks and regions, positions.
import { displayToken } from '../format';
import { type HeatmapLayout, type Viewport, labelStride } from '../layout';
import { type PaintContext, MIN_LABEL_GAP, font } from './paint';
import { type HeatmapModel, positionOf } from './types';

/** Naming every k-th token still reads as the text up to this k; sparser, positions say more. */
const MAX_THINNED_STRIDE = 5;

/** Whether an axis drawn every `stride` rows names its tokens (else it numbers positions). */
export function namesTokens(model: HeatmapModel, stride: number): boolean {
  return stride === 1 || (model.positions === undefined && stride <= MAX_THINNED_STRIDE);
}

/** `text`, shortened with an ellipsis until it fits `width` pixels. */
export function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  const chars = Array.from(text);
  while (chars.length > 1 && ctx.measureText(chars.join('') + '…').width > width) chars.pop();
  return chars.join('') + '…';
}

export function drawLabels(p: PaintContext, layout: HeatmapLayout, view: Viewport): void {
  const model = p.model;
  const { plot } = layout;
  const ctx = p.ctx;
  const cellW = plot.w / view.cols,
    cellH = plot.h / view.rows;
  ctx.fillStyle = p.theme.foreground;
  ctx.font = font(p);
  const hl = p.highlight;
  // Rows: token labels when rows are tall enough, else every k-th position.
  const rowStride = labelStride(cellH, MIN_LABEL_GAP);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const r0 = Math.max(0, Math.floor(view.row0)),
    r1 = Math.min(model.n, Math.ceil(view.row0 + view.rows));
  // Numbered rows fall on round positions (a region starting at token 2438 is numbered 2440, 2450…).
  const onStride = (i: number, stride: number, axis: 'row' | 'col') =>
    Math.round(positionOf(model, i, axis) / (model.positions?.step ?? 1)) % stride === 0;
  for (let i = r0; i < r1; i++) {
    if (!onStride(i, rowStride, 'row') && i !== hl.locked) continue;
    const y = plot.y + (i - view.row0 + 0.5) * cellH;
    if (y < plot.y || y > plot.y + plot.h) continue;
    const named = namesTokens(model, rowStride);
    const text = named ? displayToken(model.rowLabels[i]) : String(positionOf(model, i, 'row'));
    ctx.fillStyle = i === hl.locked ? p.theme.accent : named ? p.theme.foreground : p.theme.muted;
    ctx.fillText(fitText(p.ctx, text, layout.rowLabels.w - 6), plot.x - 6, y);
  }
  // What the row axis shows, for tests and screen readers' sake: "tokens/1", "tokens/5", "positions/10".
  p.canvas.dataset.rowLabels = `${namesTokens(model, rowStride) ? 'tokens' : 'positions'}/${rowStride}`;
  // Columns: written upwards.
  const colStride = labelStride(cellW, MIN_LABEL_GAP);
  const across = colStride === 1 && p.across;
  ctx.textAlign = across ? 'center' : 'left';
  ctx.textBaseline = across ? 'bottom' : 'middle';
  const c0 = Math.max(0, Math.floor(view.col0)),
    c1 = Math.min(model.m, Math.ceil(view.col0 + view.cols));
  for (let j = c0; j < c1; j++) {
    if (!onStride(j, colStride, 'col')) continue;
    const x = plot.x + (j - view.col0 + 0.5) * cellW;
    if (x < plot.x || x > plot.x + plot.w) continue;
    const named = namesTokens(model, colStride);
    const text = named ? displayToken(model.colLabels[j]) : String(positionOf(model, j, 'col'));
    ctx.save();
    ctx.translate(x, plot.y - 6);
    if (!across) ctx.rotate(-Math.PI / 2);
    ctx.fillStyle = j === hl.hover?.col ? p.theme.accent : named ? p.theme.foreground : p.theme.muted;
    ctx.fillText(fitText(p.ctx, text, across ? cellW - 4 : layout.colLabels.h - 8), 0, 0);
    ctx.restore();
  }
  // Axis names in the corner: keys run across, queries down.
  ctx.fillStyle = p.theme.muted;
  ctx.font = font(p, 10);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText('keys →', plot.x - 6, plot.y - 16);
  ctx.fillText('queries ↓', plot.x - 6, plot.y - 3);
}

export function drawIndexTicks(p: PaintContext, layout: HeatmapLayout, view: Viewport): void {
  const model = p.model;
  const { plot } = layout;
  const ctx = p.ctx;
  ctx.fillStyle = p.theme.muted;
  ctx.font = font(p, 9);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const step = labelStride(plot.h / view.rows, 18);
  for (let i = Math.ceil(view.row0 / step) * step; i < Math.min(model.n, view.row0 + view.rows); i += step) {
    ctx.fillText(
      String(positionOf(model, i, 'row')),
      plot.x - 3,
      plot.y + (i - view.row0 + 0.5) * (plot.h / view.rows),
    );
  }
}
