// The main view: the softmax weights first and largest, the scaled scores beside them when the panel
// is wide (below when narrow), sharing hover, the locked row, the keyboard cursor and zoom; below
// them, the locked query step by step. Exported weights have no scores: then no scores box at all.
import type { Figure, PanelContext, View } from '../context';
import { el } from '../dom';
import { explanation } from '../explain';
import { describeFactor, formatNumber } from '../format';
import { Heatmap, type HeatmapOptions } from '../heatmap';
import { heatmapSvg } from '../heatmapSvg';
import { BAR_WIDTH } from '../layout';
import { scoresModel, weightsModel } from '../models';
import { RegionFigure } from './region';
import { StepView } from './step';

/** Below this panel width the two maps stack (weights on top) instead of sharing the row. */
const SIDE_BY_SIDE_MIN = 760;
/** The weights' share of a wide row: more than half, as they also carry the entropy bars. */
const WEIGHTS_SHARE = 0.56;

/** The maps' options, their width share set by the view as the panel's width changes (read at each draw). */
type Sizing = { -readonly [K in keyof HeatmapOptions]: HeatmapOptions[K] };

export class AttentionView implements View {
  readonly element: HTMLElement;
  private readonly scores: Heatmap;
  private readonly weights: Heatmap;
  private readonly scoresBox: HTMLElement;
  private readonly scoresTitle: HTMLElement;
  private readonly weightsTitle: HTMLElement;
  private readonly noScores: HTMLElement;
  private readonly zoomLabel: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly step = new StepView();
  private readonly region: RegionFigure;
  private readonly weightsBox: HTMLElement;
  private readonly figureRow: HTMLElement;
  private readonly scoresSizing: Sizing;
  private readonly weightsSizing: Sizing;

  constructor(ctx: PanelContext) {
    this.region = new RegionFigure(() => ctx);
    const callbacks = {
      hover: (c: Parameters<PanelContext['hover']>[0]) => ctx.hover(c),
      click: (c: Parameters<PanelContext['click']>[0]) => {
        ctx.click(c);
        if (ctx.overview.pooled) void this.region.open(c);
        else this.step.reveal((this.weights.pointer ?? this.scores.pointer)?.y ?? null);
      },
      cursor: (c: Parameters<PanelContext['cursor']>[0]) => ctx.cursor(c),
      lock: (r: number | null) => ctx.lock(r),
      view: (z: number, c: Parameters<PanelContext['setView']>[1]) => ctx.setView(z, c),
      describe: (c: Parameters<PanelContext['describeCell']>[0]) => ctx.describeCell(c),
    };
    const options = { maxPlot: 460, interactive: true, showValues: true, labels: true, legend: true };
    // Mutable on purpose: sized() sets the shares before each draw from the panel's width.
    this.scoresSizing = { ...options, widthShare: 0.44, name: 'Scaled scores before softmax' };
    this.weightsSizing = { ...options, widthShare: WEIGHTS_SHARE, name: 'Attention weights after softmax' };
    this.scores = new Heatmap(ctx.theme, this.scoresSizing, callbacks);
    this.weights = new Heatmap(ctx.theme, this.weightsSizing, callbacks);
    this.scores.element.dataset.matrix = 'scores';
    this.weights.element.dataset.matrix = 'weights';
    this.scoresTitle = el('h3');
    this.weightsTitle = el('h3');
    this.noScores = el('p', { cls: 'note' });
    this.scoresBox = el('div', { cls: 'figure-box' }, this.scoresTitle, this.scores.element);
    this.weightsBox = el('div', { cls: 'figure-box' }, this.weightsTitle, this.weights.element);
    this.figureRow = el('div', { cls: 'figure-row' }, this.weightsBox, this.scoresBox);
    const zoomOut = el('vscode-button', {
      text: '−',
      attrs: { secondary: '', title: 'Zoom out (−)', 'aria-label': 'Zoom out' },
    });
    const zoomIn = el('vscode-button', {
      text: '+',
      attrs: { secondary: '', title: 'Zoom in (+ or Ctrl+wheel)', 'aria-label': 'Zoom in' },
    });
    const fit = el('vscode-button', { text: 'Fit', attrs: { secondary: '', title: 'Show the whole matrix (0)' } });
    zoomOut.addEventListener('click', () => this.weights.zoomBy(1 / 1.5));
    zoomIn.addEventListener('click', () => this.weights.zoomBy(1.5));
    fit.addEventListener('click', () => ctx.setView(1, { row: ctx.overview.n / 2, col: ctx.overview.m / 2 }));
    this.zoomLabel = el('span', { cls: 'muted' });
    this.summary = el('p', { cls: 'sr-only' });
    this.element = el(
      'div',
      { cls: 'view view-attention' },
      explanation(
        'The softmax weights: each row is one query’s attention over the keys and sums to 1.',
        ' The bar beside each row is its entropy (long bar: attention spread out; short: focused). Next to them (or below, in a narrow panel), the scores q·k scaled by the factor, before softmax (cool colours below 0, warm above, neutral at 0). Hover a cell for its numbers; click a row or press Enter to follow that query step by step below. Arrow keys move the cursor; + and − zoom.',
      ),
      el('div', { cls: 'zoom-bar' }, zoomOut, zoomIn, fit, this.zoomLabel),
      this.noScores,
      this.figureRow,
      this.summary,
      this.region.element,
      this.step.element,
    );
  }

  /** The two heatmaps (the app forwards theme, view and highlight changes). */
  heatmaps(): Heatmap[] {
    return [this.scores, this.weights];
  }

  update(ctx: PanelContext): void {
    for (const h of this.heatmaps()) h.setTheme(ctx.theme);
    this.region.update(ctx);
    this.step.element.hidden = ctx.overview.pooled !== undefined;
    this.noScores.textContent = ctx.overview.pooled
      ? `${ctx.overview.pooled.tokens} tokens, more than the ${ctx.overview.pooled.fullResolutionTokens} shown cell by cell: each cell is a block of ${ctx.overview.pooled.cell} × ${ctx.overview.pooled.cell} tokens showing its largest weight. Click a block for its tokens at full resolution, scores included, below.`
      : 'Exported weights: the scores before softmax are not in the file, so only the weights are shown.';
    this.updateFactor(ctx);
    this.updateHighlight(ctx);
  }

  updateFactor(ctx: PanelContext): void {
    const p = ctx.payload;
    const factor = ctx.factor;
    const headName = p.head === 'mean' ? `mean of ${ctx.overview.heads} heads` : `head ${p.head}`;
    const scores = factor !== null ? scoresModel(ctx, p, factor) : null;
    this.sized();
    // No scores (exported weights, the mean of heads, a long overview): no scores box, one sentence.
    this.scores.element.hidden = scores === null;
    this.scoresBox.hidden = scores === null;
    this.noScores.hidden = scores !== null || p.head === 'mean';
    if (scores) this.scores.setModel(scores);
    this.scoresTitle.textContent = factor !== null ? `Scores  q·k × ${describeFactor(factor, p.dK)}` : 'Scores';
    this.weights.setModel(weightsModel(ctx, ctx.live.weights, p.allowed, ctx.live.rows.entropy));
    const pooled = ctx.overview.pooled;
    this.weightsTitle.textContent = `Weights  softmax, ${headName}${ctx.overview.layers > 1 ? `, layer ${p.layer}` : ''}${pooled ? `, largest per block of ${pooled.cell} × ${pooled.cell} tokens` : ''}`;
    const s = ctx.live.summary;
    this.summary.textContent = `${headName}: ${pooled ? `${pooled.tokens} tokens in blocks of ${pooled.cell}` : `${ctx.overview.n} queries by ${ctx.overview.m} keys`}. Mean entropy ${formatNumber(s.meanEntropy)} nats, mean largest weight ${formatNumber(s.meanMaxWeight)}, about ${formatNumber(s.meanEffectiveTokens)} keys attended per query. ${strongestText(ctx)}`;
    if (!ctx.overview.pooled) this.step.update(ctx);
    for (const h of this.heatmaps()) h.refreshTooltip();
  }

  updateHighlight(ctx: PanelContext): void {
    for (const h of this.heatmaps()) {
      h.setHighlight(ctx.highlight);
      h.setView(ctx.state.zoom, ctx.state.center);
    }
    this.zoomLabel.textContent = ctx.state.zoom > 1.001 ? `zoom ×${formatNumber(ctx.state.zoom, 2)}` : '';
    if (!ctx.overview.pooled) this.step.update(ctx);
  }

  /**
   * The maps' widths for the panel's: side by side the weights take the larger share; stacked each
   * takes the width, the scores less the weights' entropy bar so that their plots are the same size.
   */
  private sized(): void {
    const width = document.getElementById('app')?.clientWidth || window.innerWidth || 1000;
    const wide = width >= SIDE_BY_SIDE_MIN;
    this.weightsSizing.widthShare = wide ? WEIGHTS_SHARE : 1;
    this.scoresSizing.widthShare = wide ? 1 - WEIGHTS_SHARE : Math.max(0.3, 1 - (BAR_WIDTH + 6) / width);
    // Stacked, the step-by-step follows the weights (a click on a row shows its steps right under
    // it) and the scores come after; side by side it follows both.
    const step = this.step.element;
    if (!wide && step.previousElementSibling !== this.weightsBox) this.weightsBox.after(step);
    else if (wide && step.parentElement !== this.element) this.region.element.after(step);
  }

  async figure(ctx: PanelContext): Promise<Figure> {
    const p = ctx.payload;
    const items = [];
    const scores = ctx.factor !== null ? scoresModel(ctx, p, ctx.factor) : null;
    if (scores && !this.scores.element.hidden)
      items.push({
        caption: this.scoresTitle.textContent ?? '',
        canvas: this.scores.canvas,
        vector: heatmapSvg(scores, ctx.theme),
      });
    items.push({
      caption: this.weightsTitle.textContent ?? '',
      canvas: this.weights.canvas,
      vector: heatmapSvg(weightsModel(ctx, ctx.live.weights, p.allowed, ctx.live.rows.entropy), ctx.theme),
    });
    if (this.region.shown) items.push({ caption: 'Region at full resolution', canvas: this.region.canvas });
    return {
      title: `${ctx.overview.title} — ${p.head === 'mean' ? 'mean of heads' : `head ${p.head}`}, layer ${p.layer}`,
      rows: [items],
    };
  }
}

/** For small inputs, each query's strongest key in words (the heatmap's text alternative). */
function strongestText(ctx: PanelContext): string {
  const { n, m, tokens, keyTokens } = ctx.overview;
  if (n > 32) return 'Use the arrow keys to read individual cells.';
  const w = ctx.live.weights;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < m; j++) if (w[i * m + j] > w[i * m + best]) best = j;
    parts.push(`“${tokens[i]}” attends most to “${keyTokens[best]}” (${formatNumber(w[i * m + best], 2)})`);
  }
  return parts.join('; ') + '.';
}
