// Heads and layers: every head as a small heatmap (max-pooled weights from the host), one row per
// layer with the layer's mean at the end, or all heads sorted by entropy, largest weight or
// diagonal share. Click (or Enter) opens a head in the main view.
import type { HeadIndex, HeadSummary, Thumbnails } from '../../src/protocol/messages';
import { lookupTable } from '../colormap';
import type { Figure, FigureItem, PanelContext, View } from '../context';
import { clear, el } from '../dom';
import { formatNumber } from '../format';
import { rasterize } from '../raster';
import { type SortKey, SORT_KEYS, defaultRange } from '../state';
import type { Theme } from '../theme';

const SORT_LABELS: Record<SortKey, string> = {
  layer: 'layer order',
  entropy: 'entropy (focused first)',
  maxWeight: 'largest weight (peaked first)',
  diagonal: 'diagonal share (self-attending first)',
};

const THUMB_PX = 88;

function paintThumbnail(
  canvas: HTMLCanvasElement,
  t: Thumbnails,
  index: number,
  colormap: Parameters<typeof lookupTable>[0],
  hi: number,
  theme: Theme,
): void {
  const { rows, cols } = t;
  const data = t.data.subarray(index * rows * cols, (index + 1) * rows * cols);
  const image = new ImageData(cols, rows);
  const masked = parseColor(theme.masked);
  rasterize(
    { rows, cols, data, allowed: t.allowed },
    { row0: 0, col0: 0, rows, cols },
    { kind: 'sequential', lo: 0, hi },
    lookupTable(colormap),
    masked,
    new Uint32Array(image.data.buffer),
  );
  const small = document.createElement('canvas');
  small.width = cols;
  small.height = rows;
  (small.getContext('2d') as CanvasRenderingContext2D).putImageData(image, 0, 0);
  const dpr = Math.max(1, window.devicePixelRatio || 1);
  const side = Math.max(rows, cols);
  const w = Math.round((THUMB_PX * cols) / side),
    h = Math.round((THUMB_PX * rows) / side);
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function parseColor(css: string): number {
  const c = document.createElement('canvas');
  c.width = c.height = 1;
  const x = c.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  x.fillStyle = css;
  x.fillRect(0, 0, 1, 1);
  const d = x.getImageData(0, 0, 1, 1).data;
  return new Uint32Array(new Uint8ClampedArray([d[0], d[1], d[2], 255]).buffer)[0];
}

function metric(s: HeadSummary, key: SortKey): number {
  switch (key) {
    case 'entropy':
      return s.meanEntropy;
    case 'maxWeight':
      return -s.meanMaxWeight;
    case 'diagonal':
      return -(s.diagonalShare ?? 0);
    default:
      return s.layer * 1e6 + s.head;
  }
}

export class HeadsView implements View {
  readonly element: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly sort: HTMLElement;
  private thumbs: Thumbnails | null = null;
  private thumbsKey = '';
  private key = '';
  private readonly cells: { canvas: HTMLCanvasElement; caption: string }[][] = [];

  constructor(private readonly ctx: PanelContext) {
    const select = el('vscode-single-select', { attrs: { 'aria-label': 'Sort heads by' } });
    for (const k of SORT_KEYS) select.append(el('vscode-option', { text: SORT_LABELS[k], attrs: { value: k } }));
    select.addEventListener('change', () => ctx.setState({ sort: (select as unknown as { value: SortKey }).value }));
    this.sort = select;
    this.grid = el('div', { cls: 'heads-grid', attrs: { role: 'list' } });
    this.element = el(
      'div',
      { cls: 'view view-heads' },
      el('p', {
        cls: 'caption',
        text: 'Each head looks at the same tokens its own way. Small heatmaps show every head’s weights (blocks max-pooled on long inputs); the last in each layer is the mean over the layer’s heads. Sort to find the focused heads (low entropy), the peaked ones, or the ones that mostly attend to themselves. Click one to open it.',
      }),
      el('div', { cls: 'control-row' }, el('label', { text: 'Sort by ' }), select),
      this.grid,
    );
  }

  update(ctx: PanelContext): void {
    (this.sort as unknown as { value: string }).value = ctx.state.sort;
    const tk = `${ctx.overview.mask}`;
    if (tk !== this.thumbsKey) {
      this.thumbsKey = tk;
      this.thumbs = null;
      clear(this.grid);
      this.grid.append(el('p', { cls: 'muted', text: 'Loading heads…' }));
      void ctx
        .thumbnails()
        .then((t) => {
          this.thumbs = t;
          this.key = '';
          this.update(ctx);
        })
        .catch((e: unknown) => {
          clear(this.grid);
          this.grid.append(el('p', { cls: 'error', text: e instanceof Error ? e.message : String(e) }));
        });
      return;
    }
    if (!this.thumbs) return;
    const key = `${ctx.state.sort}:${ctx.sequential}:${ctx.state.range}:${ctx.theme.kind}:${ctx.theme.background}:${ctx.payload.layer}:${ctx.payload.head}`;
    if (key === this.key) return;
    this.key = key;
    this.render(ctx, this.thumbs);
  }

  private render(ctx: PanelContext, t: Thumbnails): void {
    clear(this.grid);
    this.cells.length = 0;
    const { overview, state } = ctx;
    const hi =
      (state.range ?? defaultRange(overview.m)) === 'unit'
        ? 1
        : Math.max(
            1e-12,
            ...Array.from({ length: t.items.length }, (_, i) => {
              let mx = 0;
              for (let k = i * t.rows * t.cols; k < (i + 1) * t.rows * t.cols; k++) mx = Math.max(mx, t.data[k]);
              return mx;
            }),
          );
    const summaryOf = (layer: number, head: HeadIndex) =>
      head === 'mean' ? null : (overview.summaries.find((s) => s.layer === layer && s.head === head) ?? null);
    const tile = (index: number) => {
      const { layer, head } = t.items[index];
      const s = summaryOf(layer, head);
      const canvas = document.createElement('canvas');
      paintThumbnail(canvas, t, index, ctx.sequential, hi, ctx.theme);
      const name = head === 'mean' ? `L${layer} mean` : `L${layer} H${head}`;
      const detail = s
        ? `H ${formatNumber(s.meanEntropy, 2)} · max ${formatNumber(s.meanMaxWeight, 2)}${s.diagonalShare !== null ? ` · diag ${formatNumber(s.diagonalShare, 2)}` : ''}`
        : 'mean of heads';
      const current = ctx.payload.layer === layer && ctx.payload.head === head;
      const button = el(
        'button',
        {
          cls: `head-tile${current ? ' current' : ''}${head === 'mean' ? ' mean' : ''}`,
          attrs: {
            type: 'button',
            role: 'listitem',
            'aria-label': `Open ${head === 'mean' ? `the mean of layer ${layer}` : `layer ${layer} head ${head}`}: ${detail}`,
            'aria-current': current ? 'true' : 'false',
          },
        },
        canvas,
        el('span', { cls: 'tile-name', text: name }),
        el('span', { cls: 'tile-detail', text: detail }),
      );
      button.addEventListener('click', () => ctx.openHead(layer, head));
      return { button, canvas, caption: `${name} · ${detail}` };
    };
    if (state.sort === 'layer') {
      const layers = [...new Set(t.items.map((i) => i.layer))];
      for (const layer of layers) {
        const row = el(
          'div',
          { cls: 'heads-row' },
          overview.layers > 1 ? el('span', { cls: 'layer-label', text: `Layer ${layer}` }) : null,
        );
        const figureRow: { canvas: HTMLCanvasElement; caption: string }[] = [];
        t.items.forEach((it, i) => {
          if (it.layer !== layer) return;
          const x = tile(i);
          row.append(x.button);
          figureRow.push(x);
        });
        this.grid.append(row);
        this.cells.push(figureRow);
      }
    } else {
      const order = t.items
        .map((it, i) => ({ i, s: summaryOf(it.layer, it.head) }))
        .filter((x) => x.s !== null)
        .sort((a, b) => metric(a.s as HeadSummary, state.sort) - metric(b.s as HeadSummary, state.sort));
      const row = el('div', { cls: 'heads-row wrap' });
      const figureRow: { canvas: HTMLCanvasElement; caption: string }[] = [];
      order.forEach(({ i }, rank) => {
        const x = tile(i);
        x.button.prepend(el('span', { cls: 'rank', text: `#${rank + 1}` }));
        row.append(x.button);
        figureRow.push(x);
      });
      this.grid.append(row);
      for (let k = 0; k < figureRow.length; k += 8) this.cells.push(figureRow.slice(k, k + 8));
    }
  }

  async figure(ctx: PanelContext): Promise<Figure> {
    const rows: FigureItem[][] = this.cells.map((r) => r.map((c) => ({ canvas: c.canvas, caption: c.caption })));
    return { title: `${ctx.overview.title} — heads (${SORT_LABELS[ctx.state.sort]})`, rows };
  }
}
