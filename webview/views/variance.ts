// Why √d_k: the paper's argument as an experiment. For q and k with independent entries of mean 0
// and variance 1, q·k is a sum of d_k such products, so its variance is d_k; dividing by √d_k
// brings it back to 1 whatever d_k is.
import { html } from 'lit';
import type { VarianceSample } from '../../src/protocol/messages';
import { lineChart } from '../charts';
import type { Figure, PanelContext } from '../context';
import { formatNumber } from '../format';
import { logitVariance } from '../live';
import { TabView } from './tabView';

const CAPTION =
  'Draw a query q and a key k with d_k independent entries, each of mean 0 and variance 1. Their dot product q·k adds up d_k such products, so its variance grows like d_k (the rising line): at d_k = 64 the scores typically reach ±8, and softmax of numbers that far apart gives almost all the weight to one key, where its gradient is nearly zero. Dividing by √d_k brings the variance back to 1 for every d_k (the flat line), so softmax stays in its sensitive range. Dots are measured, lines are theory; both axes are logarithmic.';

export class VarianceView extends TabView {
  private data: VarianceSample[] | null = null;
  private failed: string | null = null;
  private chart: SVGSVGElement | null = null;
  private own = '';
  private key = '';
  private loading: Promise<void> | null = null;

  constructor(ctx: PanelContext) {
    super(ctx, 'variance');
  }

  protected override render(): unknown {
    const d = this.data;
    return html`<p class="caption">${CAPTION}</p>
      <div class="figure-box">
        ${
          this.failed !== null
            ? html`<p class="error">The experiment failed: ${this.failed}</p>`
            : this.chart && d
              ? html`${this.chart}
                  <p class="muted">
                    ${d[0].samples} random pairs per d_k, entries drawn from N(0, 1) with a fixed seed.
                  </p>`
              : html`<p class="muted">Running the experiment…</p>`
        }
      </div>
      <p class="caption">${this.own}</p>`;
  }

  protected override redraw(): void {
    const ctx = this.ctx;
    if (!this.data) {
      this.loading ??= ctx
        .variance()
        .then((d) => {
          this.data = d;
          this.redraw();
        })
        .catch((e: unknown) => {
          this.failed = e instanceof Error ? e.message : String(e);
        })
        .finally(() => this.requestUpdate());
      return;
    }
    const p = ctx.payload;
    const own = p.dK !== null ? logitVariance(p) : null;
    const key = `${ctx.theme.kind}:${ctx.theme.background}:${p.layer}:${p.head}:${p.mask}:${own}`;
    if (key === this.key) return;
    this.key = key;
    const t = ctx.theme;
    const d = this.data;
    const dims = d.map((x) => x.dK);
    const series = [
      {
        name: 'Var(q·k) measured',
        points: d.map((x) => ({ x: x.dK, y: x.varDot })),
        color: t.series[1],
        line: false,
        dots: true,
      },
      { name: 'theory d_k', points: dims.map((k) => ({ x: k, y: k })), color: t.series[1], dash: '5 3' },
      {
        name: 'Var(q·k/√d_k) measured',
        points: d.map((x) => ({ x: x.dK, y: x.varScaled })),
        color: t.series[0],
        line: false,
        dots: true,
      },
      { name: 'theory 1', points: dims.map((k) => ({ x: k, y: 1 })), color: t.series[0], dash: '5 3' },
    ];
    if (own !== null && p.dK !== null && own > 0)
      series.push({
        name: 'this head',
        points: [{ x: p.dK, y: own }],
        color: t.accent,
        line: false,
        dots: true,
        emphasis: true,
      } as (typeof series)[number]);
    this.chart = lineChart({
      width: 680,
      height: 340,
      title: 'Variance of the dot product q·k against d_k',
      xLabel: 'd_k (key dimension, log scale)',
      yLabel: 'variance (log scale)',
      xLog: true,
      yLog: true,
      series,
      theme: t,
      description: `Measured variance of q·k rises with d_k, from ${formatNumber(d[0].varDot)} at d_k = ${d[0].dK} to ${formatNumber(d[d.length - 1].varDot)} at d_k = ${d[d.length - 1].dK}; after dividing by the square root of d_k it stays near 1 (${d.map((x) => formatNumber(x.varScaled, 2)).join(', ')}).`,
    }).svg;
    this.own =
      own !== null && p.dK !== null
        ? `This head: d_k = ${p.dK}; its unscaled scores q·k have variance ${formatNumber(own)} (the highlighted point). Its vectors are not random unit-variance draws, so it need not sit on the line, but it shows the size of the numbers softmax would see without the scaling.`
        : 'This input has no unscaled scores with a known d_k, so only the experiment is shown.';
  }

  async figure(): Promise<Figure> {
    return { title: `${this.ctx.overview.title} — why √d_k`, rows: this.chart ? [[{ svg: this.chart }]] : [] };
  }
}

customElements.define('ai-variance-view', VarianceView);
