// The lines picture (BertViz's head view, CircuitsVis's attention lines): query tokens in a column on
// the left, key tokens on the right, one line per (query, key) pair whose opacity is the weight, the
// heads of a layer overlaid in distinct colours. Drawn on one canvas, fast at 512 tokens: pairs
// below LINE_THRESHOLD are not drawn (they would be invisible anyway), and the rest are batched into
// one path per head and opacity level, so a frame is a few hundred strokes, not one per line.
// Token text is drawn with fillText (never parsed as HTML).
import { displayToken } from './format';
import { font } from './heatmap/paint';
import type { Theme } from './theme';

/** Weights below this are not drawn (at opacity 0.02 a line is not visible over the background). */
export const LINE_THRESHOLD = 0.02;
/** Opacity levels: a line's opacity is its weight rounded to the nearest 1/32. */
export const ALPHA_LEVELS = 32;

export interface LinesHead {
  readonly head: number;
  /** Softmax weights, n·m row-major (masked cells are 0). */
  readonly weights: Float32Array;
}

export interface LinesData {
  readonly n: number;
  readonly m: number;
  readonly tokens: readonly string[];
  readonly keyTokens: readonly string[];
  readonly heads: readonly LinesHead[];
}

/** Which token the pointer isolates: a query on the left or a key on the right. */
export type LinesHover = { readonly side: 'query' | 'key'; readonly index: number } | null;

export interface LinesGeometry {
  readonly width: number;
  readonly height: number;
  /** Where lines start (right of the query labels) and end (left of the key labels). */
  readonly xLeft: number;
  readonly xRight: number;
  readonly top: number;
  readonly rowHeight: number;
}

const PAD = 8;
const MAX_LABEL = 110;

/** The colour of head h of `count`: the theme's series first, then evenly spaced hues. */
export function headColor(theme: Theme, h: number, count: number): string {
  if (count <= theme.series.length) return theme.series[h];
  const lightness = theme.kind === 'light' || theme.kind === 'high-contrast-light' ? 40 : 62;
  return `hsl(${Math.round((h * 360) / count + 210) % 360}, 70%, ${lightness}%)`;
}

/** Row height in CSS pixels: 18 for short inputs, shrinking so 512 tokens stay about 2000 px tall. */
export function rowHeightFor(rows: number): number {
  return Math.max(4, Math.min(18, Math.floor(2048 / Math.max(1, rows))));
}

/** The opacity a weight is drawn at (0 when not drawn). */
export function lineAlpha(w: number): number {
  return w >= LINE_THRESHOLD ? Math.min(ALPHA_LEVELS, Math.round(w * ALPHA_LEVELS)) / ALPHA_LEVELS : 0;
}

export class LinesCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private data: LinesData | null = null;
  private visible = new Set<number>();
  private hover: LinesHover = null;
  private labelWidth = 40;
  geometry: LinesGeometry | null = null;
  /** Milliseconds the last draw took (the benchmark reads it). */
  lastRenderMs = 0;

  constructor(
    private theme: Theme,
    private readonly width: () => number,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'lines-canvas';
    this.canvas.setAttribute('role', 'img');
    this.ctx = this.canvas.getContext('2d') as CanvasRenderingContext2D;
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  setData(data: LinesData): void {
    this.data = data;
    this.ctx.font = font({ theme: this.theme });
    let w = 0;
    for (const t of [...data.tokens, ...data.keyTokens]) w = Math.max(w, this.ctx.measureText(displayToken(t)).width);
    this.labelWidth = Math.min(MAX_LABEL, Math.ceil(w) + 6);
  }

  setVisible(heads: ReadonlySet<number>): void {
    this.visible = new Set(heads);
  }

  setHover(hover: LinesHover): void {
    this.hover = hover;
  }

  getHover(): LinesHover {
    return this.hover;
  }

  /** The token under a point in CSS pixels of the canvas, or null. */
  tokenAt(x: number, y: number): LinesHover {
    const g = this.geometry;
    const d = this.data;
    if (!g || !d) return null;
    const side = x < g.width / 2 ? 'query' : 'key';
    const index = Math.floor((y - g.top) / g.rowHeight);
    const count = side === 'query' ? d.n : d.m;
    return index >= 0 && index < count ? { side, index } : null;
  }

  /** Draws now; `overlays: false` leaves out the hover (exports). */
  render(overlays = true): void {
    const d = this.data;
    if (!d) return;
    const started = performance.now();
    const t = this.theme;
    const dpr = Math.max(1, window.devicePixelRatio || 1);
    const rowHeight = rowHeightFor(Math.max(d.n, d.m));
    const gap = Math.max(120, Math.min(420, this.width() - 2 * this.labelWidth - 2 * PAD - 16));
    const width = Math.ceil(2 * PAD + 2 * this.labelWidth + gap + 16);
    const top = PAD;
    const height = Math.ceil(top + Math.max(d.n, d.m) * rowHeight + PAD);
    const xLeft = PAD + this.labelWidth + 8;
    const xRight = xLeft + gap;
    this.geometry = { width, height, xLeft, xRight, top, rowHeight };
    const cw = Math.round(width * dpr),
      ch = Math.round(height * dpr);
    if (this.canvas.width !== cw || this.canvas.height !== ch) {
      this.canvas.width = cw;
      this.canvas.height = ch;
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 1;
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, width, height);
    const hover = overlays ? this.hover : null;
    const y = (i: number) => top + (i + 0.5) * rowHeight;
    // Lines: one path per head and opacity level.
    ctx.lineWidth = rowHeight >= 10 ? 2 : 1;
    const count = d.heads.length;
    const paths: Path2D[] = Array.from({ length: ALPHA_LEVELS + 1 }, () => new Path2D());
    const used = new Uint8Array(ALPHA_LEVELS + 1);
    d.heads.forEach((hd, h) => {
      if (!this.visible.has(hd.head)) return;
      for (let k = 0; k <= ALPHA_LEVELS; k++) if (used[k]) paths[k] = new Path2D();
      used.fill(0);
      const w = hd.weights;
      const i0 = hover?.side === 'query' ? hover.index : 0,
        i1 = hover?.side === 'query' ? hover.index + 1 : d.n;
      for (let i = i0; i < i1; i++) {
        const yi = y(i);
        const j0 = hover?.side === 'key' ? hover.index : 0,
          j1 = hover?.side === 'key' ? hover.index + 1 : d.m;
        for (let j = j0, k = i * d.m + j0; j < j1; j++, k++) {
          const v = w[k];
          if (!(v >= LINE_THRESHOLD)) continue;
          const level = Math.min(ALPHA_LEVELS, Math.round(v * ALPHA_LEVELS));
          if (level === 0) continue;
          paths[level].moveTo(xLeft, yi);
          paths[level].lineTo(xRight, y(j));
          used[level] = 1;
        }
      }
      ctx.strokeStyle = headColor(t, h, count);
      for (let k = 1; k <= ALPHA_LEVELS; k++) {
        if (!used[k]) continue;
        ctx.globalAlpha = k / ALPHA_LEVELS;
        ctx.stroke(paths[k]);
      }
    });
    ctx.globalAlpha = 1;
    // Labels: every one when rows are tall enough to read, else every k-th.
    const every = Math.max(1, Math.ceil(11 / rowHeight));
    ctx.font = font({ theme: this.theme }, Math.min(11, Math.max(8, rowHeight - 3)));
    ctx.textBaseline = 'middle';
    const label = (text: string, i: number, x: number, side: 'query' | 'key') => {
      const isHovered = hover?.side === side && hover.index === i;
      if (!isHovered && i % every !== 0) return;
      ctx.fillStyle = isHovered ? t.accent : hover ? t.muted : t.foreground;
      ctx.fillText(displayToken(text), x, y(i));
    };
    ctx.textAlign = 'right';
    for (let i = 0; i < d.n; i++) label(d.tokens[i], i, xLeft - 6, 'query');
    ctx.textAlign = 'left';
    for (let j = 0; j < d.m; j++) label(d.keyTokens[j], j, xRight + 6, 'key');
    this.canvas.dataset.geometry = JSON.stringify({ xLeft, xRight, top, rowHeight, dpr });
    this.canvas.dataset.colors = JSON.stringify(d.heads.map((_, h) => headColor(t, h, count)));
    this.lastRenderMs = performance.now() - started;
  }
}
