// Heatmap models for the two matrices every view shows: scaled scores (diverging, centred on 0) and
// softmax weights (sequential, with each row's entropy as a bar).
import type { HeadPayload, Overview } from '../src/protocol/messages';
import type { ColorScale } from './colormap';
import type { PanelContext } from './context';
import { formatNumber, formatTicks } from './format';
import type { HeatmapModel } from './heatmap';
import { maskedLegend } from './heatmap/maskShape';
import { absMax, rowMaxQuantile } from './raster';
import { defaultRange } from './state';

/** The colour range for weights: 0–1, or 0 to the largest weight when stretched. */
export function weightScale(
  ctx: PanelContext,
  weights: Float32Array,
  allowed: Uint8Array | null,
  n: number,
): ColorScale {
  const range = ctx.state.range ?? defaultRange(ctx.overview.m);
  if (range === 'unit') return { kind: 'sequential', lo: 0, hi: 1 };
  // Stretched: to the typical row's largest weight (raster.ts rowMaxQuantile), so that neither one-key
  // rows (weight 1) nor a sharp scale (most cells near 0) make the range useless.
  const m = weights.length / Math.max(1, n);
  return { kind: 'sequential', lo: 0, hi: Math.max(rowMaxQuantile(weights, n, m, allowed), 1e-12) };
}

export function weightsModel(
  ctx: PanelContext,
  weights: Float32Array,
  allowed: Uint8Array | null,
  entropy: Float32Array | null,
  overview: Overview = ctx.overview,
  n = overview.n,
  m = overview.m,
): HeatmapModel {
  const scale = weightScale(ctx, weights, allowed, n);
  const hi = scale.kind === 'sequential' ? scale.hi : 1;
  return {
    n,
    m,
    values: weights,
    allowed,
    scale,
    colormap: ctx.sequential,
    pool: 'max',
    rowLabels: overview.tokens,
    colLabels: overview.keyTokens,
    bar: entropy ? { values: entropy, max: Math.log(m), title: 'entropy', unit: 'nats' } : null,
    legendTitle: hi === 1 ? 'weight (0 – 1)' : 'weight, stretched (brighter cells at the top colour)',
    maskLabel: maskedLegend(allowed, n, m, ctx.payload.mask),
    legendTicks: [0, hi / 2, hi],
    scaleLabel: (v) => formatNumber(v, 2),
    tickLabels: (vs) => formatTicks(vs, 2),
    // A long sequence's overview numbers its blocks by their first token.
    ...(overview.pooled && n === overview.n ? { positions: { row0: 0, col0: 0, step: overview.pooled.cell } } : {}),
  };
}

/**
 * Scores are coloured from the unscaled logits with a symmetric range, so the colours do not move
 * with the factor (scaling does not change which scores are larger); the labels show dots·factor.
 */
export function scoresModel(ctx: PanelContext, payload: HeadPayload, factor: number): HeatmapModel | null {
  if (!payload.dots) return null;
  const a = Math.max(absMax(payload.dots, payload.allowed), 1e-12);
  return {
    n: payload.n,
    m: payload.m,
    values: payload.dots,
    allowed: payload.allowed,
    scale: { kind: 'diverging', absMax: a },
    colormap: ctx.diverging,
    pool: 'maxabs',
    rowLabels: ctx.overview.tokens,
    colLabels: ctx.overview.keyTokens,
    bar: null,
    legendTitle: `scaled score q·k × ${formatNumber(factor)}`,
    maskLabel: maskedLegend(payload.allowed, payload.n, payload.m, payload.mask),
    legendTicks: [-a, -a / 2, 0, a / 2, a],
    scaleLabel: (v) => formatNumber(v * factor, 2),
    tickLabels: (vs) =>
      formatTicks(
        vs.map((v) => v * factor),
        2,
      ),
  };
}
