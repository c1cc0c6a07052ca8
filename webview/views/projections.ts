// Why projections: attention with Q = K = V = X (no learned projections) beside the projected
// head. Without projections a token's dot product with itself is its squared length, usually the
// largest in its row, so tokens mostly attend to themselves; the diagonal figures measure that.
import type { HeadPayload } from '../../src/protocol/messages';
import { barChart } from '../charts';
import type { Figure, FigureItem, PanelContext, View } from '../context';
import { clear, el } from '../dom';
import { formatNumber, formatShare } from '../format';
import { Heatmap } from '../heatmap';
import { heatmapSvg } from '../heatmapSvg';
import { weightsModel } from '../models';

export class ProjectionsView implements View {
  readonly element: HTMLElement;
  private readonly raw: Heatmap;
  private readonly projected: Heatmap;
  private readonly rawTitle: HTMLElement;
  private readonly projectedTitle: HTMLElement;
  private readonly bars: HTMLElement;
  private readonly body: HTMLElement;
  private readonly unavailable: HTMLElement;
  private rawPayload: HeadPayload | null = null;
  private rawKey = '';
  private barsSvg: SVGSVGElement | null = null;

  constructor(ctx: PanelContext) {
    const options = { maxPlot: 340, interactive: false, showValues: true, labels: true, legend: true, widthShare: 0.5 };
    this.raw = new Heatmap(ctx.theme, { ...options, name: 'Weights without projections (Q = K = V = X)' });
    this.projected = new Heatmap(ctx.theme, { ...options, name: 'Weights of the projected head' });
    this.raw.element.dataset.matrix = 'raw';
    this.rawTitle = el('h3', { text: 'Without projections: Q = K = V = X' });
    this.projectedTitle = el('h3');
    this.bars = el('div', { cls: 'figure-box' });
    this.unavailable = el('p', {
      cls: 'note',
      text: 'This view needs the token vectors X: it works for text and for JSON inputs that give X with projections. Exported weights and scores do not have them.',
    });
    this.body = el(
      'div',
      {},
      el(
        'div',
        { cls: 'figure-row' },
        el('div', { cls: 'figure-box' }, this.rawTitle, this.raw.element),
        el('div', { cls: 'figure-box' }, this.projectedTitle, this.projected.element),
      ),
      this.bars,
    );
    this.element = el(
      'div',
      { cls: 'view view-projections' },
      el('p', {
        cls: 'caption',
        text: 'If queries, keys and values were the token vectors themselves, a token’s score with itself would be its squared length, which is usually the largest score in its row: every token would mostly attend to itself and the output would copy the input. The projections W_Q and W_K let a token ask for something other than itself, and W_V decides what it passes on.',
      }),
      this.unavailable,
      this.body,
    );
  }

  update(ctx: PanelContext): void {
    const available = ctx.overview.hasRaw;
    this.unavailable.hidden = available;
    this.body.hidden = !available;
    if (!available) return;
    this.raw.setTheme(ctx.theme);
    this.projected.setTheme(ctx.theme);
    const p = ctx.payload;
    this.projected.setModel(weightsModel(ctx, p.weights, p.allowed, p.entropy));
    this.projectedTitle.textContent =
      p.head === 'mean' ? 'With projections: mean of heads' : `With projections: head ${p.head}`;
    const key = `${p.mask}`;
    if (key !== this.rawKey || !this.rawPayload) {
      this.rawKey = key;
      this.rawPayload = null;
      void ctx
        .rawHead()
        .then((raw) => {
          this.rawPayload = raw;
          this.update(ctx);
        })
        .catch((e: unknown) => {
          clear(this.bars);
          this.bars.append(el('p', { cls: 'error', text: e instanceof Error ? e.message : String(e) }));
        });
      return;
    }
    const raw = this.rawPayload;
    this.raw.setModel(weightsModel(ctx, raw.weights, raw.allowed, raw.entropy));
    this.rawTitle.textContent = `Without projections: Q = K = V = X (d = ${raw.dK ?? '?'})`;
    clear(this.bars);
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
      this.bars.append(
        this.barsSvg,
        el('p', {
          cls: 'caption',
          text: `Mean weight a token puts on itself: ${formatNumber(rd.meanDiagonalWeight)} without projections, ${formatNumber(pd.meanDiagonalWeight)} with (uniform attention would give 1/${n} = ${formatNumber(1 / n)}). Tokens whose largest weight is on themselves: ${formatShare(rd.argmaxOnDiagonal)} without, ${formatShare(pd.argmaxOnDiagonal)} with.`,
        }),
      );
    }
  }

  async figure(ctx: PanelContext): Promise<Figure> {
    const p = ctx.payload;
    const rows: FigureItem[][] = [];
    if (this.rawPayload) {
      const raw = this.rawPayload;
      rows.push([
        {
          caption: this.rawTitle.textContent ?? '',
          canvas: this.raw.canvas,
          vector: heatmapSvg(weightsModel(ctx, raw.weights, raw.allowed, raw.entropy), ctx.theme),
        },
        {
          caption: this.projectedTitle.textContent ?? '',
          canvas: this.projected.canvas,
          vector: heatmapSvg(weightsModel(ctx, p.weights, p.allowed, p.entropy), ctx.theme),
        },
      ]);
    }
    if (this.barsSvg) rows.push([{ svg: this.barsSvg }]);
    return { title: `${ctx.overview.title} — why projections`, rows };
  }
}
