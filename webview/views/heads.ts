// Heads and layers: every head as a small heatmap (max-pooled weights from the host), one row per
// layer with the layer's mean at the end, or all heads sorted by a catalogue figure: entropy,
// largest weight, diagonal share and, for real model heads, previous-token score, first-token
// (sink) mass and induction score. Grouped-query models' heads sit in groups of the key/value head
// they share ("kv 0: heads 0–3"). A tile's tooltip gives every figure; click (or Enter) opens it.
import type { HeadIndex, HeadSummary, Thumbnails } from '../../src/protocol/messages';
import { lookupTable } from '../colormap';
import type { Figure, FigureItem, PanelContext } from '../context';
import { clear, el } from '../dom';
import { formatNumber } from '../format';
import { rasterize } from '../raster';
import { type SortKey, SORT_KEYS, defaultRange } from '../state';
import type { Theme } from '../theme';
import { TabView } from './tabView';

const SORT_LABELS: Record<SortKey, string> = {
  layer: 'layer order',
  entropy: 'entropy (focused first)',
  maxWeight: 'largest weight (peaked first)',
  diagonal: 'diagonal share (self-attending first)',
  previousToken: 'previous-token score (highest first)',
  sink: 'first-token (sink) mass (highest first)',
  induction: 'induction score (highest first)',
};

/** The catalogue figure a sort key ranks by; null when the head does not have it. */
export function figureOf(s: HeadSummary, key: SortKey): number | null {
  switch (key) {
    case 'entropy':
      return s.meanEntropy;
    case 'maxWeight':
      return s.meanMaxWeight;
    case 'diagonal':
      return s.diagonalShare;
    case 'previousToken':
      return s.previousTokenScore ?? null;
    case 'sink':
      return s.firstTokenMass ?? null;
    case 'induction':
      return s.inductionScore ?? null;
    default:
      return null;
  }
}

/** The sort keys these heads can be ranked by (a catalogue figure only where some head has it). */
export function sortKeysFor(summaries: readonly HeadSummary[]): SortKey[] {
  return SORT_KEYS.filter((k) => k === 'layer' || k === 'entropy' || summaries.some((s) => figureOf(s, k) !== null));
}

/** Heads in rank order for a key: entropy lowest first, every other figure highest first, heads without it last. */
export function rankHeads(summaries: readonly HeadSummary[], key: SortKey): HeadSummary[] {
  const order = (s: HeadSummary) => s.layer * 1e6 + s.head;
  if (key === 'layer') return [...summaries].sort((a, b) => order(a) - order(b));
  const sign = key === 'entropy' ? 1 : -1;
  return [...summaries].sort((a, b) => {
    const fa = figureOf(a, key),
      fb = figureOf(b, key);
    if (fa === null || fb === null) return fa === null ? (fb === null ? order(a) - order(b) : 1) : -1;
    return sign * (fa - fb) || order(a) - order(b);
  });
}

/** The tile's tooltip: where the head is, and every catalogue figure it has. */
export function headTooltip(s: HeadSummary, kvHeads: boolean): string {
  const lines = [
    `Layer ${s.layer}, head ${s.head}${kvHeads && s.kvHead !== undefined ? ` (kv head ${s.kvHead})` : ''}`,
  ];
  lines.push(`mean entropy ${formatNumber(s.meanEntropy, 3)} nats`);
  lines.push(`largest weight ${formatNumber(s.meanMaxWeight, 3)}`);
  if (s.diagonalShare !== null) lines.push(`diagonal share ${formatNumber(s.diagonalShare, 3)}`);
  if (s.previousTokenScore != null) lines.push(`previous-token score ${formatNumber(s.previousTokenScore, 3)}`);
  if (s.firstTokenMass != null) lines.push(`first-token (sink) mass ${formatNumber(s.firstTokenMass, 3)}`);
  if (s.inductionScore != null) lines.push(`induction score ${formatNumber(s.inductionScore, 3)}`);
  if (s.factor !== null) lines.push(`scale ${formatNumber(s.factor, 4)}`);
  return lines.join('\n');
}

/**
 * Grouped-query attention: a layer's query heads in runs of the key/value head they share,
 * labelled "kv 0: heads 0–3". Null when every head has its own key/value head.
 */
export function kvGroups(
  summaries: readonly HeadSummary[],
  layer: number,
): { label: string; heads: number[] }[] | null {
  const heads = summaries.filter((s) => s.layer === layer).sort((a, b) => a.head - b.head);
  const kvs = new Set(heads.map((s) => s.kvHead));
  if (heads.length < 2 || heads.some((s) => s.kvHead === undefined) || kvs.size === heads.length) return null;
  const groups: { kv: number; heads: number[] }[] = [];
  for (const s of heads) {
    const last = groups[groups.length - 1];
    if (last && last.kv === s.kvHead) last.heads.push(s.head);
    else groups.push({ kv: s.kvHead as number, heads: [s.head] });
  }
  return groups.map((g) => ({
    label: `kv ${g.kv}: ${g.heads.length === 1 ? `head ${g.heads[0]}` : `heads ${g.heads[0]}–${g.heads[g.heads.length - 1]}`}`,
    heads: g.heads,
  }));
}

const THUMB_PX = 88;

/** The figure a tile shows first when the heads are sorted by it. */
const CATALOGUE_SHORT: Partial<Record<SortKey, string>> = {
  maxWeight: 'max',
  diagonal: 'diag',
  previousToken: 'prev',
  sink: 'sink',
  induction: 'ind',
};

/**
 * What cell (r, c) of thumbnail `index` shows: “query” → “key” and its weight when the tile is at full
 * resolution (a cell is one token pair). A max-pooled tile's blocks are not named by tokens: each
 * source pools by its own rule, so the tile says it is a block and its largest weight instead.
 */
export function thumbnailCellText(
  t: Thumbnails,
  index: number,
  r: number,
  c: number,
  tokens: readonly string[],
  keyTokens: readonly string[],
): string {
  const at = r * t.cols + c;
  const allowed = t.itemAllowed ? t.itemAllowed[index * t.rows * t.cols + at] : t.allowed ? t.allowed[at] : 1;
  const shown = allowed === 0 ? 'masked' : formatNumber(t.data[index * t.rows * t.cols + at], 2);
  if (tokens.length === t.rows && keyTokens.length === t.cols) return `“${tokens[r]}” → “${keyTokens[c]}”: ${shown}`;
  return `block ${r}, ${c} of ${t.rows}×${t.cols}: max ${shown} (open the head for its tokens)`;
}

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
  // A model's sliding-window layers each bring their own mask: the band's outside is masked cells.
  const allowed = t.itemAllowed ? t.itemAllowed.subarray(index * rows * cols, (index + 1) * rows * cols) : t.allowed;
  const image = new ImageData(cols, rows);
  const masked = parseColor(theme.masked);
  rasterize(
    { rows, cols, data, allowed },
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

export class HeadsView extends TabView {
  private readonly grid: HTMLElement;
  private readonly sort: HTMLElement;
  private thumbs: Thumbnails | null = null;
  private thumbsKey = '';
  private key = '';
  private readonly cells: { canvas: HTMLCanvasElement; caption: string }[][] = [];

  constructor(ctx: PanelContext) {
    super(ctx, 'heads');
    const select = el('vscode-single-select', { attrs: { 'aria-label': 'Sort heads by' } });
    select.addEventListener('change', () => ctx.setState({ sort: (select as unknown as { value: SortKey }).value }));
    this.sort = select;
    this.grid = el('div', { cls: 'heads-grid', attrs: { role: 'list' } });
    this.append(
      el('p', {
        cls: 'caption',
        text: 'Each head looks at the same tokens its own way. Small heatmaps show every head’s weights (blocks max-pooled on long inputs); the last in each layer is the mean over the layer’s heads. Sort to find the focused heads (low entropy), the peaked ones, the ones that mostly attend to themselves and, for a real model, the previous-token, attention-sink and induction heads (Inspect Induction). Hover a head for its figures; click one to open it.',
      }),
      el('div', { cls: 'control-row' }, el('label', { text: 'Sort by ' }), select),
      this.grid,
    );
  }

  private sortOptions = '';

  protected override redraw(): void {
    const ctx = this.ctx;
    const keys = sortKeysFor(ctx.overview.summaries);
    if (!keys.includes(ctx.state.sort)) keys.push(ctx.state.sort);
    if (keys.join() !== this.sortOptions) {
      this.sortOptions = keys.join();
      clear(this.sort);
      for (const k of keys) this.sort.append(el('vscode-option', { text: SORT_LABELS[k], attrs: { value: k } }));
    }
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
          this.redraw();
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
    this.paint(ctx, this.thumbs);
  }

  /** The grid of tiles, in layer order or ranked by the sort key. */
  private paint(ctx: PanelContext, t: Thumbnails): void {
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
    const grouped = overview.summaries.some((x) => x.kvHead !== undefined && kvGroups(overview.summaries, x.layer));
    const tile = (index: number) => {
      const { layer, head } = t.items[index];
      const s = summaryOf(layer, head);
      const canvas = document.createElement('canvas');
      paintThumbnail(canvas, t, index, ctx.sequential, hi, ctx.theme);
      const name = head === 'mean' ? `L${layer} mean` : `L${layer} H${head}`;
      const ranked = s && CATALOGUE_SHORT[state.sort] ? figureOf(s, state.sort) : null;
      const detail = s
        ? ranked !== null
          ? `${CATALOGUE_SHORT[state.sort]} ${formatNumber(ranked, 2)} · H ${formatNumber(s.meanEntropy, 2)}`
          : `H ${formatNumber(s.meanEntropy, 2)} · max ${formatNumber(s.meanMaxWeight, 2)}${s.diagonalShare !== null ? ` · diag ${formatNumber(s.diagonalShare, 2)}` : ''}`
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
            title: s ? headTooltip(s, grouped) : `Layer ${layer}: the mean of its heads`,
          },
        },
        canvas,
        el('span', { cls: 'tile-name', text: name }),
        el('span', { cls: 'tile-detail', text: detail }),
      );
      button.addEventListener('click', () => ctx.openHead(layer, head));
      // Hovering a cell of the tile names its tokens and weight in the detail line (textContent
      // only), and the line comes back on leaving: which token a head's bright cells are on.
      const detailLine = button.querySelector('.tile-detail') as HTMLElement;
      canvas.addEventListener('mousemove', (e) => {
        const box = canvas.getBoundingClientRect();
        const r = Math.min(t.rows - 1, Math.max(0, Math.floor(((e.clientY - box.top) / box.height) * t.rows)));
        const c = Math.min(t.cols - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * t.cols)));
        detailLine.textContent = thumbnailCellText(t, index, r, c, overview.tokens, overview.keyTokens);
        detailLine.dataset.hover = '1';
      });
      canvas.addEventListener('mouseleave', () => {
        detailLine.textContent = detail;
        delete detailLine.dataset.hover;
      });
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
        const groups = kvGroups(overview.summaries, layer);
        const groupOf = new Map<number, HTMLElement>();
        for (const g of groups ?? []) {
          const box = el(
            'div',
            { cls: 'kv-group', attrs: { role: 'group', 'aria-label': g.label } },
            el('span', { cls: 'kv-label', text: g.label }),
          );
          for (const h of g.heads) groupOf.set(h, box);
          row.append(box);
        }
        t.items.forEach((it, i) => {
          if (it.layer !== layer) return;
          const x = tile(i);
          const box = it.head === 'mean' ? undefined : groupOf.get(it.head);
          (box ?? row).append(x.button);
          figureRow.push(x);
        });
        this.grid.append(row);
        this.cells.push(figureRow);
      }
    } else {
      const rank = new Map(rankHeads(overview.summaries, state.sort).map((x, r) => [`${x.layer}:${x.head}`, r]));
      const order = t.items
        .map((it, i) => ({ i, r: it.head === 'mean' ? undefined : rank.get(`${it.layer}:${it.head}`) }))
        .filter((x): x is { i: number; r: number } => x.r !== undefined)
        .sort((a, b) => a.r - b.r);
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

  async figure(): Promise<Figure> {
    const ctx = this.ctx;
    const rows: FigureItem[][] = this.cells.map((r) => r.map((c) => ({ canvas: c.canvas, caption: c.caption })));
    return { title: `${ctx.overview.title} — heads (${SORT_LABELS[ctx.state.sort]})`, rows };
  }
}

customElements.define('ai-heads-view', HeadsView);
