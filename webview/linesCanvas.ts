// The lines picture (BertViz's head view, CircuitsVis's attention lines): query tokens in a column on
// the left, key tokens on the right, one line per (query, key) pair whose opacity is the weight, the
// heads of a layer overlaid in distinct colours. Pairs below LINE_THRESHOLD are not drawn (they would
// be invisible anyway); the rest are sorted once per head by opacity level when the data arrives
// (linesByLevel), so toggling a head never rescans the weights and a path holds one level's lines.
// Fast at 512 tokens: a layer there has ~60 000 visible lines, and Chromium's software canvas
// strokes each in 25–70 µs (its pixels, ~800 of them per line), over a second for the whole
// picture. So the full picture is drawn into an offscreen canvas in slices of a few milliseconds,
// one animation frame each, strongest lines first, shown as it grows; the panel never blocks.
// Hovering a token draws only its lines (at most heads × tokens, within a frame) and leaving it
// copies the kept picture back. Token text is drawn with fillText (never parsed as HTML).
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

/**
 * One head's drawable pairs grouped by opacity level: the cell indices (i·m + j) of level L are
 * `cells[start[L] .. start[L + 1])`. Level 0 (below the threshold) holds nothing.
 */
export interface LevelledLines {
  readonly cells: Int32Array;
  readonly start: Int32Array;
}

/** The opacity level (0 … ALPHA_LEVELS) of a weight; 0: not drawn. */
function levelOf(v: number): number {
  return v >= LINE_THRESHOLD ? Math.min(ALPHA_LEVELS, Math.round(v * ALPHA_LEVELS)) : 0;
}

/** Counting sort of a head's cells by opacity level, dropping the invisible ones. */
export function linesByLevel(weights: Float32Array): LevelledLines {
  const start = new Int32Array(ALPHA_LEVELS + 2);
  for (let k = 0; k < weights.length; k++) {
    const l = levelOf(weights[k]);
    if (l > 0) start[l + 1]++;
  }
  for (let l = 1; l <= ALPHA_LEVELS + 1; l++) start[l] += start[l - 1];
  const cells = new Int32Array(start[ALPHA_LEVELS + 1]);
  const fill = start.slice();
  for (let k = 0; k < weights.length; k++) {
    const l = levelOf(weights[k]);
    if (l > 0) cells[fill[l]++] = k;
  }
  return { cells, start };
}

/** How long one slice of the full picture may take before yielding to the next frame. */
const SLICE_MS = 8;
/** Lines per path (and per time check) while drawing the full picture. */
const PATH_LINES = 64;

export class LinesCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private data: LinesData | null = null;
  private levelled: LevelledLines[] = [];
  private visible = new Set<number>();
  private hover: LinesHover = null;
  private labelWidth = 40;
  private dataVersion = 0;
  /** The full picture (no hover), what it is drawn from, and the drawing still to do. */
  private kept: HTMLCanvasElement | null = null;
  private keptKey = '';
  private job: Generator<void, void, void> | null = null;
  private frame = 0;
  private waiting: (() => void)[] = [];
  geometry: LinesGeometry | null = null;
  /** Milliseconds the last synchronous draw took, and the lines it stroked (the benchmark reads them). */
  lastRenderMs = 0;
  lastLineCount = 0;
  /** The longest slice of the last full picture (ms: how long the panel was busy in one frame). */
  longestSliceMs = 0;

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

  /** New weights (a layer, mask or factor change): their lines are sorted once, here. */
  setData(data: LinesData): void {
    this.data = data;
    this.dataVersion++;
    this.levelled = data.heads.map((h) => linesByLevel(h.weights));
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

  /** Resolves when the full picture is complete (tests, exports, the benchmark). */
  whenComplete(): Promise<void> {
    return this.job === null ? Promise.resolve() : new Promise((done) => this.waiting.push(done));
  }

  /**
   * Draws now: the hovered token's lines, or the full picture as far as it is drawn (the rest
   * follows frame by frame). `overlays: false` (exports) draws the full picture to the end first.
   */
  render(overlays = true): void {
    const d = this.data;
    if (!d) return;
    const started = performance.now();
    const dpr = Math.max(1, window.devicePixelRatio || 1);
    const rowHeight = rowHeightFor(Math.max(d.n, d.m));
    const gap = Math.max(120, Math.min(420, this.width() - 2 * this.labelWidth - 2 * PAD - 16));
    const width = Math.ceil(2 * PAD + 2 * this.labelWidth + gap + 16);
    const top = PAD;
    const height = Math.ceil(top + Math.max(d.n, d.m) * rowHeight + PAD);
    const xLeft = PAD + this.labelWidth + 8;
    const g: LinesGeometry = { width, height, xLeft, xRight: xLeft + gap, top, rowHeight };
    this.geometry = g;
    const cw = Math.round(width * dpr),
      ch = Math.round(height * dpr);
    if (this.canvas.width !== cw || this.canvas.height !== ch) {
      this.canvas.width = cw;
      this.canvas.height = ch;
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const t = this.theme;
    const key = [
      this.dataVersion,
      [...this.visible].sort((a, b) => a - b).join(','),
      t.kind,
      t.background,
      t.foreground,
      t.series.join(','),
      cw,
      ch,
    ].join('|');
    if (this.keptKey !== key) this.startPicture(d, g, dpr, key);
    if (!overlays) this.finishPicture();
    const hover = overlays ? this.hover : null;
    this.lastLineCount = 0;
    if (hover === null) this.showKept();
    else {
      const ctx = this.ctx;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.globalAlpha = 1;
      ctx.fillStyle = t.background;
      ctx.fillRect(0, 0, width, height);
      this.lastLineCount = this.hoveredLines(ctx, d, g, hover);
      this.labels(ctx, d, g, hover);
    }
    this.canvas.dataset.geometry = JSON.stringify({ xLeft, xRight: g.xRight, top, rowHeight, dpr });
    this.canvas.dataset.colors = JSON.stringify(d.heads.map((_, h) => headColor(t, h, d.heads.length)));
    this.lastRenderMs = performance.now() - started;
  }

  private showKept(): void {
    if (!this.kept) return;
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.globalAlpha = 1;
    this.ctx.drawImage(this.kept, 0, 0);
  }

  /** Starts the full picture over: background and labels at once, the lines slice by slice. */
  private startPicture(d: LinesData, g: LinesGeometry, dpr: number, key: string): void {
    this.keptKey = key;
    const kept = this.kept ?? document.createElement('canvas');
    this.kept = kept;
    kept.width = Math.round(g.width * dpr);
    kept.height = Math.round(g.height * dpr);
    const ctx = kept.getContext('2d') as CanvasRenderingContext2D;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, g.width, g.height);
    this.labels(ctx, d, g, null);
    this.job = this.allLines(ctx, d, g);
    this.longestSliceMs = 0;
    this.canvas.dataset.complete = '0';
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.step());
  }

  /**
   * One frame's slice of the full picture, shown unless a token is hovered. The canvas records
   * strokes and rasterizes them only when its pixels are next used, so a slice is not timed by the
   * strokes it issues but as a whole, pixels included (the copy to the visible canvas, or one pixel
   * read when a token is hovered), and the next slice's line budget follows from it.
   */
  private step(): void {
    if (this.job === null) return;
    const began = performance.now();
    let paths = 0;
    const budget = Math.max(1, Math.round(this.sliceLines / PATH_LINES));
    while (paths++ < budget) if (this.advance()) break;
    if (this.hover === null) this.showKept();
    else this.kept?.getContext('2d')?.getImageData(0, 0, 1, 1);
    const took = performance.now() - began;
    this.longestSliceMs = Math.max(this.longestSliceMs, took);
    // At most doubling per frame: the strongest lines come first and cost as much as any.
    this.sliceLines = Math.min(
      2 * this.sliceLines,
      Math.max(PATH_LINES, (this.sliceLines * SLICE_MS) / Math.max(0.5, took)),
    );
    if (this.job !== null) this.frame = requestAnimationFrame(() => this.step());
  }

  /** Lines per slice, adapted to the last slice's time (starts low: the first slice stays short). */
  private sliceLines = 4 * PATH_LINES;

  /** One path of the job; true when the picture is complete. */
  private advance(): boolean {
    if (this.job === null) return true;
    if (!this.job.next().done) return false;
    this.job = null;
    this.canvas.dataset.complete = '1';
    for (const done of this.waiting.splice(0)) done();
    return true;
  }

  private finishPicture(): void {
    cancelAnimationFrame(this.frame);
    while (!this.advance());
  }

  /**
   * Every visible head's lines, strongest level first (what matters shows first), one path of up
   * to PATH_LINES lines per step.
   */
  private *allLines(ctx: CanvasRenderingContext2D, d: LinesData, g: LinesGeometry): Generator<void, void, void> {
    const count = d.heads.length;
    const y = (i: number) => g.top + (i + 0.5) * g.rowHeight;
    ctx.lineWidth = g.rowHeight >= 10 ? 2 : 1;
    for (let level = ALPHA_LEVELS; level >= 1; level--)
      for (const [h, hd] of d.heads.entries()) {
        if (!this.visible.has(hd.head)) continue;
        const { cells, start } = this.levelled[h];
        if (start[level + 1] === start[level]) continue;
        ctx.strokeStyle = headColor(this.theme, h, count);
        ctx.globalAlpha = level / ALPHA_LEVELS;
        for (let c0 = start[level]; c0 < start[level + 1]; c0 += PATH_LINES) {
          ctx.beginPath();
          for (let c = c0, end = Math.min(start[level + 1], c0 + PATH_LINES); c < end; c++) {
            const k = cells[c];
            const i = (k / d.m) | 0;
            ctx.moveTo(g.xLeft, y(i));
            ctx.lineTo(g.xRight, y(k - i * d.m));
          }
          ctx.stroke();
          yield;
        }
      }
    ctx.globalAlpha = 1;
  }

  /** Only the hovered token's row (a query) or column (a key): at most heads × tokens lines. */
  private hoveredLines(
    ctx: CanvasRenderingContext2D,
    d: LinesData,
    g: LinesGeometry,
    hover: NonNullable<LinesHover>,
  ): number {
    const y = (i: number) => g.top + (i + 0.5) * g.rowHeight;
    ctx.lineWidth = g.rowHeight >= 10 ? 2 : 1;
    let stroked = 0;
    for (const [h, hd] of d.heads.entries()) {
      if (!this.visible.has(hd.head)) continue;
      ctx.strokeStyle = headColor(this.theme, h, d.heads.length);
      const paths = new Map<number, Path2D>();
      const along = hover.side === 'query' ? d.m : d.n;
      for (let x = 0; x < along; x++) {
        const i = hover.side === 'query' ? hover.index : x,
          j = hover.side === 'query' ? x : hover.index;
        const level = levelOf(hd.weights[i * d.m + j]);
        if (level === 0) continue;
        let path = paths.get(level);
        if (!path) paths.set(level, (path = new Path2D()));
        path.moveTo(g.xLeft, y(i));
        path.lineTo(g.xRight, y(j));
        stroked++;
      }
      for (const [level, path] of paths) {
        ctx.globalAlpha = level / ALPHA_LEVELS;
        ctx.stroke(path);
      }
    }
    ctx.globalAlpha = 1;
    return stroked;
  }

  /** Token labels: every one when rows are tall enough to read, else every k-th (and the hovered one). */
  private labels(ctx: CanvasRenderingContext2D, d: LinesData, g: LinesGeometry, hover: LinesHover): void {
    const t = this.theme;
    const y = (i: number) => g.top + (i + 0.5) * g.rowHeight;
    const every = Math.max(1, Math.ceil(11 / g.rowHeight));
    ctx.globalAlpha = 1;
    ctx.font = font({ theme: t }, Math.min(11, Math.max(8, g.rowHeight - 3)));
    ctx.textBaseline = 'middle';
    const label = (text: string, i: number, x: number, side: 'query' | 'key') => {
      const isHovered = hover?.side === side && hover.index === i;
      if (!isHovered && i % every !== 0) return;
      ctx.fillStyle = isHovered ? t.accent : hover ? t.muted : t.foreground;
      ctx.fillText(displayToken(text), x, y(i));
    };
    ctx.textAlign = 'right';
    for (let i = 0; i < d.n; i++) label(d.tokens[i], i, g.xLeft - 6, 'query');
    ctx.textAlign = 'left';
    for (let j = 0; j < d.m; j++) label(d.keyTokens[j], j, g.xRight + 6, 'key');
  }
}
