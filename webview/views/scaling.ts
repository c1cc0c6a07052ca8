// Sharpness under scaling: the weights at the slider's factor (live), the same head at three
// canonical factors side by side (×1, the paper's 1/√d_k, and the µP-style 1/d_k), and how the mean
// entropy, the mean largest weight and the effective number of keys move as the factor sweeps from
// 10⁻³ to 10. An input with no scores (exported weights) gets one sentence instead of the view.
import { html } from 'lit';
import { headAtFactor } from '../live';
import { type Chart, lineChart } from '../charts';
import type { Figure, FigureItem, PanelContext } from '../context';
import { explanation } from '../explain';
import { describeFactor, formatNumber } from '../format';
import { Heatmap } from '../heatmap';
import { heatmapSvg } from '../heatmapSvg';
import { weightsModel } from '../models';
import { TabView } from './tabView';

interface Canonical {
  readonly label: string;
  readonly factor: number;
  readonly heatmap: Heatmap;
  readonly meanEntropy: number;
  readonly meanMaxWeight: number;
  readonly meanEffectiveTokens: number;
}

const CANNOT =
  'Scaling needs the scores before softmax, and this file holds exported weights only: open the scores (pre-softmax logits) or queries and keys to compare factors.';
const CANONICAL_CAPTION =
  'Unscaled (×1); 1/√d_k, the paper’s choice, which keeps the variance of q·k at 1; and 1/d_k, the µP-style alternative for wide models, which spreads the weights towards uniform at this width.';
const CHARTS_CAPTION =
  'Each point re-applies softmax to the same scores at one factor (log scale). Dashed lines mark 1, 1/√d_k and 1/d_k; the solid line is the slider.';

export class ScalingView extends TabView {
  private readonly live: Heatmap;
  private readonly explain: HTMLDetailsElement;
  private liveTitle = '';
  /** The figures beside the live map: [term, value, note]. */
  private figures: [string, string, string][] = [];
  private note = '';
  private canonical: Canonical[] = [];
  private charts: Chart[] = [];
  private chartKey = '';

  constructor(ctx: PanelContext) {
    super(ctx, 'scaling');
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
    this.explain = explanation(
      'Softmax turns scores into weights; the factor multiplies the scores first.',
      ' Multiply the scores by a larger factor and the largest score takes nearly all the weight: the entropy falls, one key gets almost everything, and the gradient through softmax vanishes. A smaller factor spreads the weight evenly. Move the scale slider in the toolbar: the weights and the figures follow.',
    );
  }

  protected override render(): unknown {
    const o = this.ctx.overview;
    // Exported weights (no scores in any head): nothing here applies; say why in one sentence.
    const weightsOnly = o.form === 'weights' && !o.pooled;
    return html`<p class="note cannot" ?hidden=${!weightsOnly}>${CANNOT}</p>
      <div ?hidden=${weightsOnly}>
        ${this.explain}
        <p class="note" ?hidden=${this.ctx.payload.dots !== null}>${this.note}</p>
        <div class="figure-row">
          <div class="figure-box">
            <h3>${this.liveTitle}</h3>
            ${this.live.element}
          </div>
          <dl class="figures" aria-live="polite">${this.figures.map(figure)}</dl>
        </div>
        <div ?hidden=${this.canonical.length === 0}>
          <h2>Three factors</h2>
          <p class="caption">${CANONICAL_CAPTION}</p>
        </div>
        <div class="figure-row">${this.canonical.map((c) => this.canonicalBox(c))}</div>
        <div ?hidden=${this.charts.length === 0}>
          <h2>Sharpness against the factor</h2>
          <p class="caption">${CHARTS_CAPTION}</p>
        </div>
        <div class="figure-row charts">${this.charts.map((c) => html`<div class="figure-box">${c.svg}</div>`)}</div>
      </div>`;
  }

  private canonicalBox(c: Canonical): unknown {
    return html`<div class="figure-box small">
      <h3>${c.label}</h3>
      ${c.heatmap.element}
      <p class="muted small-print">
        <span>mean entropy ${formatNumber(c.meanEntropy)} nats</span><br /><span
          >mean largest weight ${formatNumber(c.meanMaxWeight)}</span
        ><br /><span>${formatNumber(c.meanEffectiveTokens)} effective keys of ${this.ctx.overview.m}</span>
      </p>
    </div>`;
  }

  protected override redraw(): void {
    const ctx = this.ctx;
    const p = ctx.payload;
    this.live.setTheme(ctx.theme);
    const pooled = ctx.overview.pooled;
    this.note = pooled
      ? `Re-scaling works on up to ${pooled.fullResolutionTokens} tokens; this text has ${pooled.tokens} and is shown as an overview (select fewer tokens to scale them live).`
      : p.head === 'mean'
        ? 'The mean of heads averages weights after softmax; pick a single head to re-scale its scores.'
        : 'These are exported weights with no scores, so they cannot be re-scaled; the figures describe them as they are.';
    const canonical = p.dots ? p.sweep.filter((s) => s.label !== 'grid') : [];
    const key = `${p.layer}:${p.head}:${p.mask}:${ctx.sequential}:${ctx.state.range}:${ctx.theme.kind}:${ctx.theme.background}`;
    if (key !== this.chartKey) {
      this.chartKey = key;
      for (const c of this.canonical) c.heatmap.dispose();
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
        return { ...s, label: title, heatmap };
      });
      this.buildCharts();
    }
    this.redrawFactor();
  }

  private buildCharts(): void {
    const ctx = this.ctx;
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
  }

  protected override redrawFactor(): void {
    const ctx = this.ctx;
    const p = ctx.payload;
    const f = ctx.factor;
    this.live.setModel(weightsModel(ctx, ctx.live.weights, p.allowed, ctx.live.rows.entropy));
    this.liveTitle = f !== null ? `Weights at × ${describeFactor(f, p.dK)}` : 'Weights (as exported)';
    const s = ctx.live.summary;
    const m = ctx.overview.m;
    const figures: [string, string, string][] = [];
    if (f !== null)
      figures.push([
        'factor',
        formatNumber(f),
        f !== null && p.dK !== null ? ` (1/√d_k = ${formatNumber(1 / Math.sqrt(p.dK))})` : '',
      ]);
    figures.push([
      'mean entropy',
      `${formatNumber(s.meanEntropy)} nats`,
      ` of at most ln ${m} = ${formatNumber(Math.log(m))}`,
    ]);
    figures.push(['mean largest weight', formatNumber(s.meanMaxWeight), ` (uniform: 1/${m} = ${formatNumber(1 / m)})`]);
    figures.push(['effective keys', formatNumber(s.meanEffectiveTokens), ` of ${m}`]);
    this.figures = figures;
    for (const c of this.charts) c.moveMarker('live', f ?? 1);
    this.live.refreshTooltip();
  }

  protected override redrawHighlight(): void {
    this.live.setHighlight(this.ctx.highlight);
  }

  async figure(): Promise<Figure> {
    const ctx = this.ctx;
    const p = ctx.payload;
    const first: FigureItem[] = [
      {
        caption: this.liveTitle,
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

/** One figure beside the live map: no white space between its parts (read as one text). */
function figure([term, value, note]: [string, string, string]): unknown {
  return [
    html`<dt>${term}</dt>`,
    html`<dd><span class="num big">${value}</span><span class="muted">${note}</span></dd>`,
  ];
}

customElements.define('ai-scaling-view', ScalingView);
