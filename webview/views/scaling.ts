// Sharpness under scaling: the weights at the slider's factor (live), the same head at three
// canonical factors side by side (×1, the paper's 1/√d_k, and the µP-style 1/d_k), and how the mean
// entropy, the mean largest weight and the effective number of keys move as the factor sweeps from
// 10⁻³ to 10. An input with no scores (exported weights) gets one sentence instead of the view.
import { headAtFactor } from '../live';
import { type Chart, lineChart } from '../charts';
import type { Figure, FigureItem, PanelContext, View } from '../context';
import { clear, el } from '../dom';
import { explanation } from '../explain';
import { describeFactor, formatNumber } from '../format';
import { Heatmap } from '../heatmap';
import { heatmapSvg } from '../heatmapSvg';
import { weightsModel } from '../models';

interface Canonical {
  readonly label: string;
  readonly factor: number;
  readonly heatmap: Heatmap;
  readonly caption: HTMLElement;
  readonly box: HTMLElement;
}

export class ScalingView implements View {
  readonly element: HTMLElement;
  private readonly live: Heatmap;
  private readonly liveTitle: HTMLElement;
  private readonly figures: HTMLElement;
  private readonly canonicalRow: HTMLElement;
  private readonly chartsRow: HTMLElement;
  private readonly note: HTMLElement;
  /** Everything but the one sentence shown when the input has no scores to re-scale. */
  private readonly body: HTMLElement;
  private readonly cannot: HTMLElement;
  private readonly canonicalHeading: HTMLElement;
  private readonly chartsHeading: HTMLElement;
  private canonical: Canonical[] = [];
  private charts: Chart[] = [];
  private chartKey = '';

  constructor(private readonly ctx: PanelContext) {
    this.live = new Heatmap(
      ctx.theme,
      {
        name: 'Weights at the chosen factor',
        maxPlot: 320,
        interactive: true,
        showValues: true,
        labels: true,
        legend: true,
        widthShare: 0.55,
      },
      {
        hover: (c) => ctx.hover(c),
        click: (c) => ctx.click(c),
        cursor: (c) => ctx.cursor(c),
        lock: (r) => ctx.lock(r),
        describe: (c) => ctx.describeCell(c),
      },
    );
    this.live.element.dataset.matrix = 'live';
    this.liveTitle = el('h3');
    this.figures = el('dl', { cls: 'figures', attrs: { 'aria-live': 'polite' } });
    this.canonicalRow = el('div', { cls: 'figure-row' });
    this.chartsRow = el('div', { cls: 'figure-row charts' });
    this.note = el('p', { cls: 'note' });
    this.cannot = el('p', {
      cls: 'note cannot',
      text: 'Scaling needs the scores before softmax, and this file holds exported weights only: open the scores (pre-softmax logits) or queries and keys to compare factors.',
    });
    this.canonicalHeading = el(
      'div',
      {},
      el('h2', { text: 'Three factors' }),
      el('p', {
        cls: 'caption',
        text: 'Unscaled (×1); 1/√d_k, the paper’s choice, which keeps the variance of q·k at 1; and 1/d_k, the µP-style alternative for wide models, which spreads the weights towards uniform at this width.',
      }),
    );
    this.chartsHeading = el(
      'div',
      {},
      el('h2', { text: 'Sharpness against the factor' }),
      el('p', {
        cls: 'caption',
        text: 'Each point re-applies softmax to the same scores at one factor (log scale). Dashed lines mark 1, 1/√d_k and 1/d_k; the solid line is the slider.',
      }),
    );
    this.body = el(
      'div',
      {},
      explanation(
        'Softmax turns scores into weights; the factor multiplies the scores first.',
        ' Multiply the scores by a larger factor and the largest score takes nearly all the weight: the entropy falls, one key gets almost everything, and the gradient through softmax vanishes. A smaller factor spreads the weight evenly. Move the scale slider in the toolbar: the weights and the figures follow.',
      ),
      this.note,
      el(
        'div',
        { cls: 'figure-row' },
        el('div', { cls: 'figure-box' }, this.liveTitle, this.live.element),
        this.figures,
      ),
      this.canonicalHeading,
      this.canonicalRow,
      this.chartsHeading,
      this.chartsRow,
    );
    this.element = el('div', { cls: 'view view-scaling' }, this.cannot, this.body);
  }

  update(ctx: PanelContext): void {
    const p = ctx.payload;
    this.live.setTheme(ctx.theme);
    // Exported weights (no scores in any head): nothing here applies; say why in one sentence.
    const weightsOnly = ctx.overview.form === 'weights' && !ctx.overview.pooled;
    this.cannot.hidden = !weightsOnly;
    this.body.hidden = weightsOnly;
    this.note.hidden = p.dots !== null;
    const pooled = ctx.overview.pooled;
    this.note.textContent = pooled
      ? `Re-scaling works on up to ${pooled.fullResolutionTokens} tokens; this text has ${pooled.tokens} and is shown as an overview (select fewer tokens to scale them live).`
      : p.head === 'mean'
        ? 'The mean of heads averages weights after softmax; pick a single head to re-scale its scores.'
        : 'These are exported weights with no scores, so they cannot be re-scaled; the figures describe them as they are.';
    const canonical = p.dots ? p.sweep.filter((s) => s.label !== 'grid') : [];
    const key = `${p.layer}:${p.head}:${p.mask}:${ctx.sequential}:${ctx.state.range}:${ctx.theme.kind}:${ctx.theme.background}`;
    if (key !== this.chartKey) {
      this.chartKey = key;
      for (const c of this.canonical) c.heatmap.dispose();
      clear(this.canonicalRow);
      this.canonical = canonical.map((s) => {
        const heatmap = new Heatmap(ctx.theme, {
          name: `Weights at factor ${formatNumber(s.factor)}`,
          maxPlot: 200,
          interactive: false,
          showValues: true,
          labels: ctx.overview.n <= 64,
          legend: false,
          widthShare: 0.3,
        });
        const weights = headAtFactor(p, s.factor);
        heatmap.setModel(weightsModel(ctx, weights.weights, p.allowed, weights.rows.entropy));
        const title =
          s.label === 'unscaled'
            ? '×1 (unscaled)'
            : s.label === 'sqrt'
              ? `×1/√d_k = ${formatNumber(s.factor)}`
              : `×1/d_k = ${formatNumber(s.factor)}`;
        const caption = el(
          'p',
          { cls: 'muted small-print' },
          el('span', { text: `mean entropy ${formatNumber(s.meanEntropy)} nats` }),
          el('br'),
          el('span', { text: `mean largest weight ${formatNumber(s.meanMaxWeight)}` }),
          el('br'),
          el('span', { text: `${formatNumber(s.meanEffectiveTokens)} effective keys of ${ctx.overview.m}` }),
        );
        const box = el('div', { cls: 'figure-box small' }, el('h3', { text: title }), heatmap.element, caption);
        this.canonicalRow.append(box);
        return { label: title, factor: s.factor, heatmap, caption, box };
      });
      // No canonical factors or no sweep: no heading without its figures.
      this.canonicalHeading.hidden = this.canonical.length === 0;
      this.buildCharts(ctx);
      this.chartsHeading.hidden = this.charts.length === 0;
    }
    this.updateFactor(ctx);
  }

  private buildCharts(ctx: PanelContext): void {
    clear(this.chartsRow);
    const p = ctx.payload;
    const grid = p.sweep.filter((s) => s.label === 'grid').sort((a, b) => a.factor - b.factor);
    if (grid.length < 2 || !p.dots) {
      this.charts = [];
      return;
    }
    const t = ctx.theme;
    const markers = p.sweep
      .filter((s) => s.label !== 'grid')
      .map((s) => ({
        id: s.label,
        x: s.factor,
        label: s.label === 'unscaled' ? '1' : s.label === 'sqrt' ? '1/√d_k' : '1/d_k',
        color: t.muted,
        dash: '4 3',
      }));
    const live = { id: 'live', x: ctx.factor ?? 1, label: 'slider', color: t.accent };
    const spec = (
      title: string,
      yLabel: string,
      pick: (s: (typeof grid)[number]) => number,
      color: string,
      yDomain?: [number, number],
    ) =>
      lineChart({
        width: 300,
        height: 210,
        title,
        xLabel: 'factor (log scale)',
        yLabel,
        xLog: true,
        yLog: false,
        yDomain,
        series: [{ name: title, points: grid.map((s) => ({ x: s.factor, y: pick(s) })), color, dots: true }],
        markers: [...markers, live],
        theme: t,
        description: `${title} against the scaling factor, from ${formatNumber(grid[0].factor)} to ${formatNumber(grid[grid.length - 1].factor)}.`,
      });
    const m = ctx.overview.m;
    this.charts = [
      spec('Mean entropy', 'nats', (s) => s.meanEntropy, t.series[0], [0, Math.log(m) * 1.05]),
      spec('Mean largest weight', 'weight', (s) => s.meanMaxWeight, t.series[1], [0, 1.05]),
      spec('Effective keys exp(H)', 'keys', (s) => s.meanEffectiveTokens, t.series[2], [0, m * 1.05]),
    ];
    for (const c of this.charts) this.chartsRow.append(el('div', { cls: 'figure-box' }, c.svg));
  }

  updateFactor(ctx: PanelContext): void {
    const p = ctx.payload;
    const f = ctx.factor;
    this.live.setModel(weightsModel(ctx, ctx.live.weights, p.allowed, ctx.live.rows.entropy));
    this.liveTitle.textContent = f !== null ? `Weights at × ${describeFactor(f, p.dK)}` : 'Weights (as exported)';
    const s = ctx.live.summary;
    const m = ctx.overview.m;
    clear(this.figures);
    const item = (term: string, value: string, note: string) =>
      this.figures.append(
        el('dt', { text: term }),
        el('dd', {}, el('span', { cls: 'num big', text: value }), el('span', { cls: 'muted', text: note })),
      );
    if (f !== null)
      item(
        'factor',
        formatNumber(f),
        f !== null && p.dK !== null ? ` (1/√d_k = ${formatNumber(1 / Math.sqrt(p.dK))})` : '',
      );
    item('mean entropy', `${formatNumber(s.meanEntropy)} nats`, ` of at most ln ${m} = ${formatNumber(Math.log(m))}`);
    item('mean largest weight', formatNumber(s.meanMaxWeight), ` (uniform: 1/${m} = ${formatNumber(1 / m)})`);
    item('effective keys', formatNumber(s.meanEffectiveTokens), ` of ${m}`);
    for (const c of this.charts) c.moveMarker('live', f ?? 1);
    this.live.refreshTooltip();
  }

  updateHighlight(ctx: PanelContext): void {
    this.live.setHighlight(ctx.highlight);
  }

  async figure(ctx: PanelContext): Promise<Figure> {
    const p = ctx.payload;
    const first: FigureItem[] = [
      {
        caption: this.liveTitle.textContent ?? '',
        canvas: this.live.canvas,
        vector: heatmapSvg(weightsModel(ctx, ctx.live.weights, p.allowed, ctx.live.rows.entropy), ctx.theme),
      },
    ];
    const canonical: FigureItem[] = this.canonical.map((c) => ({ caption: c.label, canvas: c.heatmap.canvas }));
    const charts: FigureItem[] = this.charts.map((c) => ({ svg: c.svg }));
    return {
      title: `${ctx.overview.title} — sharpness under scaling, head ${p.head}`,
      rows: [first, canonical, charts].filter((r) => r.length > 0),
    };
  }
}
