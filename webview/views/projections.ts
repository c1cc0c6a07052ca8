// Why projections: attention with Q = K = V = X (no learned projections) beside the projected
// head. Without projections a token's dot product with itself is its squared length, usually the
// largest in its row, so tokens mostly attend to themselves; the diagonal figures measure that.
import { html, nothing } from 'lit';
import type { HeadPayload } from '../../src/protocol/messages';
import { barChart } from '../charts';
import type { Figure, FigureItem, PanelContext } from '../context';
import { formatNumber, formatShare } from '../format';
import { Heatmap } from '../heatmap';
import { heatmapSvg } from '../heatmapSvg';
import { weightsModel } from '../models';
import { TabView } from './tabView';

const CAPTION =
  'If queries, keys and values were the token vectors themselves, a token’s score with itself would be its squared length, which is usually the largest score in its row: every token would mostly attend to itself and the output would copy the input. The projections W_Q and W_K let a token ask for something other than itself, and W_V decides what it passes on.';
const UNAVAILABLE =
  'This view needs the token vectors X: it works for text and for JSON inputs that give X with projections. Exported weights and scores do not have them.';

export class ProjectionsView extends TabView {
  private readonly raw: Heatmap;
  private readonly projected: Heatmap;
  private rawTitle = 'Without projections: Q = K = V = X';
  private projectedTitle = '';
  private rawPayload: HeadPayload | null = null;
  private rawKey = '';
  private failed: string | null = null;
  private barsSvg: SVGSVGElement | null = null;
  private barsCaption = '';

  constructor(ctx: PanelContext) {
    super(ctx, 'projections');
    const options = { maxPlot: 340, interactive: false, showValues: true, labels: true, legend: true, widthShare: 0.5 };
    this.raw = new Heatmap(ctx.theme, { ...options, name: 'Weights without projections (Q = K = V = X)' });
    this.projected = new Heatmap(ctx.theme, { ...options, name: 'Weights of the projected head' });
    this.raw.element.dataset.matrix = 'raw';
  }

  protected override render(): unknown {
    const available = this.ctx.overview.hasRaw;
    return html`<p class="caption">${CAPTION}</p>
      <p class="note" ?hidden=${available}>${UNAVAILABLE}</p>
      <div ?hidden=${!available}>
        <div class="figure-row">
          <div class="figure-box">
            <h3>${this.rawTitle}</h3>
            ${this.raw.element}
          </div>
          <div class="figure-box">
            <h3>${this.projectedTitle}</h3>
            ${this.projected.element}
          </div>
        </div>
        <div class="figure-box">
          ${
            this.failed !== null
              ? html`<p class="error">${this.failed}</p>`
              : this.barsSvg
                ? html`${this.barsSvg}
                    <p class="caption">${this.barsCaption}</p>`
                : nothing
          }
        </div>
      </div>`;
  }

  protected override redraw(): void {
    const ctx = this.ctx;
    if (!ctx.overview.hasRaw) return;
    this.raw.setTheme(ctx.theme);
    this.projected.setTheme(ctx.theme);
    const p = ctx.payload;
    this.projected.setModel(weightsModel(ctx, p.weights, p.allowed, p.entropy));
    this.projectedTitle = p.head === 'mean' ? 'With projections: mean of heads' : `With projections: head ${p.head}`;
    const key = `${p.mask}`;
    if (key !== this.rawKey || !this.rawPayload) {
      this.rawKey = key;
      this.rawPayload = null;
      void ctx
        .rawHead()
        .then((raw) => {
          this.rawPayload = raw;
          this.redraw();
        })
        .catch((e: unknown) => {
          this.failed = e instanceof Error ? e.message : String(e);
          this.barsSvg = null;
        })
        .finally(() => this.requestUpdate());
      return;
    }
    const raw = this.rawPayload;
    this.raw.setModel(weightsModel(ctx, raw.weights, raw.allowed, raw.entropy));
    this.rawTitle = `Without projections: Q = K = V = X (d = ${raw.dK ?? '?'})`;
    this.failed = null;
    this.barsSvg = null;
    const rd = raw.diagonal,
      pd = p.diagonal;
    if (rd && pd) {
      const t = ctx.theme;
      const n = ctx.overview.n;
      this.barsSvg = barChart(
        [
          { label: 'weight on itself, raw', value: rd.meanDiagonalWeight, color: t.series[1] },
          { label: 'projected', value: pd.meanDiagonalWeight, color: t.series[0] },
          {
            label: 'self is largest, raw',
            value: rd.argmaxOnDiagonal,
            color: t.series[1],
            note: formatShare(rd.argmaxOnDiagonal),
          },
          {
            label: 'projected',
            value: pd.argmaxOnDiagonal,
            color: t.series[0],
            note: formatShare(pd.argmaxOnDiagonal),
          },
        ],
        { width: 520, max: 1, theme: t, title: 'Diagonal dominance', rowHeight: 22, labelWidth: 150 },
      );
      this.barsCaption = `Mean weight a token puts on itself: ${formatNumber(rd.meanDiagonalWeight)} without projections, ${formatNumber(pd.meanDiagonalWeight)} with (uniform attention would give 1/${n} = ${formatNumber(1 / n)}). Tokens whose largest weight is on themselves: ${formatShare(rd.argmaxOnDiagonal)} without, ${formatShare(pd.argmaxOnDiagonal)} with.`;
    }
  }

  async figure(): Promise<Figure> {
    const ctx = this.ctx;
    const p = ctx.payload;
    const rows: FigureItem[][] = [];
    if (this.rawPayload) {
      const raw = this.rawPayload;
      rows.push([
        {
          caption: this.rawTitle,
          canvas: this.raw.canvas,
          vector: heatmapSvg(weightsModel(ctx, raw.weights, raw.allowed, raw.entropy), ctx.theme),
        },
        {
          caption: this.projectedTitle,
          canvas: this.projected.canvas,
          vector: heatmapSvg(weightsModel(ctx, p.weights, p.allowed, p.entropy), ctx.theme),
        },
      ]);
    }
    if (this.barsSvg) rows.push([{ svg: this.barsSvg }]);
    return { title: `${ctx.overview.title} — why projections`, rows };
  }
}

customElements.define('ai-projections-view', ProjectionsView);
