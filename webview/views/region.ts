// A long sequence's detail: the panel shows blocks of tokens (each the largest weight inside it);
// clicking a block asks the host for the tokens around it at full resolution, computed on demand
// from that head's Q, K, V, and shows them here with their real token labels and numbers.
import type { PanelContext } from '../context';
import { el } from '../dom';
import { displayToken, formatNumber } from '../format';
import { type Cell, Heatmap } from '../heatmap';
import { weightsModel } from '../models';
import type { Overview, RegionPayload } from '../../src/protocol/messages';

/** Tokens per side of a region (a 128 × 128 block of the head). */
export const REGION_SIDE = 128;

/** The window of `side` tokens centred on block `b` of `cell` tokens, inside 0…tokens−1. */
export function regionWindow(
  b: number,
  cell: number,
  tokens: number,
  side = REGION_SIDE,
): { start: number; count: number } {
  const count = Math.min(side, tokens);
  const centre = b * cell + cell / 2;
  const start = Math.max(0, Math.min(tokens - count, Math.floor(centre - count / 2)));
  return { start, count };
}

export class RegionFigure {
  readonly element: HTMLElement;
  private readonly heatmap: Heatmap;
  private readonly title: HTMLElement;
  private readonly note: HTMLElement;
  private region: RegionPayload | null = null;
  private seq = 0;
  private key = '';

  constructor(private readonly ctx: () => PanelContext) {
    this.heatmap = new Heatmap(
      ctx().theme,
      {
        name: 'Region at full resolution',
        maxPlot: 460,
        interactive: true,
        showValues: true,
        labels: true,
        legend: true,
        widthShare: 1,
      },
      {
        describe: (c) => this.describe(c),
      },
    );
    this.heatmap.element.dataset.matrix = 'region';
    this.title = el('h3', { text: 'Full resolution' });
    this.note = el('p', {
      cls: 'caption',
      text: 'Click a block above to compute the tokens around it at full resolution.',
    });
    this.element = el(
      'section',
      { cls: 'view-section region' },
      el('h2', { text: 'A region at full resolution' }),
      this.note,
      el('div', { cls: 'figure-box' }, this.title, this.heatmap.element),
    );
    this.heatmap.element.hidden = true;
  }

  /** Shown only for pooled overviews; a new head or mask drops the region shown. */
  update(ctx: PanelContext): void {
    this.element.hidden = !ctx.overview.pooled;
    this.heatmap.setTheme(ctx.theme);
    const key = `${ctx.payload.layer}:${ctx.payload.head}:${ctx.payload.mask}`;
    if (key !== this.key) {
      this.key = key;
      this.region = null;
      this.seq++;
      this.heatmap.element.hidden = true;
      this.title.textContent = 'Full resolution';
    } else if (this.region) {
      this.draw(ctx, this.region);
    }
  }

  /** Computes the region around block `cell` of the overview. */
  async open(cell: Cell): Promise<void> {
    const ctx = this.ctx();
    const pooled = ctx.overview.pooled;
    const head = ctx.payload.head;
    if (!pooled || head === 'mean') {
      if (pooled)
        this.note.textContent =
          'Pick a single head to see a region at full resolution (the mean of heads is an overview only).';
      return;
    }
    const rows = regionWindow(cell.row, pooled.cell, pooled.tokens);
    const cols = regionWindow(cell.col, pooled.cell, pooled.tokens);
    const seq = ++this.seq;
    this.note.textContent = `Computing tokens ${rows.start}–${rows.start + rows.count - 1} × ${cols.start}–${cols.start + cols.count - 1}…`;
    try {
      const region = await ctx.region({
        layer: ctx.payload.layer,
        head,
        mask: ctx.payload.mask,
        row0: rows.start,
        rows: rows.count,
        col0: cols.start,
        cols: cols.count,
      });
      if (seq !== this.seq) return;
      this.region = region;
      this.note.textContent = `Queries ${region.row0}–${region.row0 + region.rows - 1} over keys ${region.col0}–${region.col0 + region.cols - 1}, ${region.dots ? "computed from this head's scores" : 'read from the file'}. Each row is normalised over all ${pooled.tokens} keys, so a row here need not sum to 1.`;
      this.draw(this.ctx(), region);
    } catch (e) {
      if (seq === this.seq)
        this.note.textContent = `Could not compute the region: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private draw(ctx: PanelContext, r: RegionPayload): void {
    const labels: Overview = { ...ctx.overview, n: r.rows, m: r.cols, tokens: r.tokens, keyTokens: r.keyTokens };
    // Numbered by token position in the whole sequence, not from 0.
    this.heatmap.setModel({
      ...weightsModel(ctx, r.weights, r.allowed, r.entropy, labels, r.rows, r.cols),
      positions: { row0: r.row0, col0: r.col0, step: 1 },
    });
    this.heatmap.element.hidden = false;
    this.title.textContent = `Weights, tokens ${r.row0}–${r.row0 + r.rows - 1} × ${r.col0}–${r.col0 + r.cols - 1}`;
  }

  private describe(c: Cell): { title: string; lines: [string, string][] } {
    const r = this.region;
    if (!r) return { title: '', lines: [] };
    const k = c.row * r.cols + c.col;
    const masked = r.allowed !== null && r.allowed[k] === 0;
    const q = r.tokens[c.row],
      key = r.keyTokens[c.col];
    const lines: [string, string][] = [
      ['query', `“${displayToken(q, 30)}” (token ${r.row0 + c.row})`],
      ['key', `“${displayToken(key, 30)}” (token ${r.col0 + c.col})`],
    ];
    if (r.dots) {
      lines.push(['raw score q·k', masked ? 'masked' : formatNumber(r.dots[k])]);
      if (r.factor !== null)
        lines.push([`scaled × ${formatNumber(r.factor)}`, masked ? 'masked' : formatNumber(r.dots[k] * r.factor)]);
    }
    lines.push(
      ['weight', masked ? '0 (masked)' : formatNumber(r.weights[k])],
      ['row entropy', `${formatNumber(r.entropy[c.row])} nats (over all keys)`],
    );
    return { title: `${displayToken(q, 20)} → ${displayToken(key, 20)}`, lines };
  }

  get canvas(): HTMLCanvasElement {
    return this.heatmap.canvas;
  }

  get shown(): boolean {
    return this.region !== null && !this.element.hidden;
  }

  dispose(): void {
    this.heatmap.dispose();
  }
}
