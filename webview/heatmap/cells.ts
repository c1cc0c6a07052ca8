// The matrix as an image: one pixel per cell of the pyramid level that fits the plot (levels are
// max-pooled on demand from the nearest finer one), rasterised into a scratch canvas only when the
// level or window changes, scaled up without smoothing; masked cells hatched over the image.
import { type Grid, type PoolMode, maxPool } from '../../src/core/downsample';
import { lookupTable } from '../colormap';
import { type Rect, type Viewport, levelFor } from '../layout';
import { coveringWindow, rasterize } from '../raster';
import type { Theme } from '../theme';
import type { HeatmapModel } from './types';

interface Scratch {
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  image: ImageData | null;
}

function scratch(): Scratch {
  const canvas = document.createElement('canvas');
  return {
    canvas,
    ctx: canvas.getContext('2d', { willReadFrequently: false }) as CanvasRenderingContext2D,
    image: null,
  };
}

/** ImageData of w×h in a scratch canvas, reused while the size stays. */
function imageOf(s: Scratch, w: number, h: number): ImageData {
  if (!s.image || s.image.width !== w || s.image.height !== h) {
    s.canvas.width = w;
    s.canvas.height = h;
    s.image = s.ctx.createImageData(w, h);
  }
  return s.image;
}

export class CellPainter {
  private model: HeatmapModel | null = null;
  /** Sparse: index k holds level k once it has been pooled. */
  private pyramid: Grid[] = [];
  private readonly raster = scratch();
  private readonly maskLayer = scratch();
  private readonly hatchLayer = scratch();
  private rasterKey = '';
  // Of the draw in progress (set by draw()).
  private theme!: Theme;
  private ctx!: CanvasRenderingContext2D;

  /** New data: the pyramid restarts from the full matrix (a small matrix never needs a level). */
  setModel(model: HeatmapModel): void {
    this.model = model;
    this.pyramid = [{ rows: model.n, cols: model.m, data: model.values, allowed: model.allowed }];
    this.rasterKey = '';
  }

  /** The colours changed: the next draw rasterises again. */
  invalidate(): void {
    this.rasterKey = '';
  }

  draw(ctx: CanvasRenderingContext2D, theme: Theme, plot: Rect, view: Viewport, dpr: number): void {
    this.ctx = ctx;
    this.theme = theme;
    this.drawCells(plot, view, dpr);
  }

  private drawCells(plot: Rect, view: Viewport, dpr: number): void {
    const model = this.model as HeatmapModel;
    const levels = 1 + Math.ceil(Math.log2(Math.max(model.n, model.m)));
    const level = levelFor(view, plot.w * dpr, plot.h * dpr, levels);
    const grid = this.levelGrid(level, model.pool);
    const block = 2 ** level;
    const win = coveringWindow(grid, block, view.row0, view.col0, view.rows, view.cols);
    const key = `${level}:${win.row0}:${win.col0}:${win.rows}:${win.cols}`;
    const hasMask = grid.allowed !== null;
    if (key !== this.rasterKey) {
      const image = imageOf(this.raster, win.cols, win.rows);
      const maskImage = hasMask ? imageOf(this.maskLayer, win.cols, win.rows) : null;
      const maskedColor = this.maskedPixel();
      rasterize(
        grid,
        win,
        model.scale,
        lookupTable(model.colormap),
        maskedColor,
        new Uint32Array(image.data.buffer),
        maskImage ? maskImage.data : null,
      );
      this.raster.ctx.putImageData(image, 0, 0);
      if (maskImage) this.maskLayer.ctx.putImageData(maskImage, 0, 0);
      this.rasterKey = key;
    }
    const sx = view.col0 / block - win.col0,
      sy = view.row0 / block - win.row0;
    const sw = view.cols / block,
      sh = view.rows / block;
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.raster.canvas, sx, sy, sw, sh, plot.x, plot.y, plot.w, plot.h);
    if (hasMask) this.drawHatching(plot, sx, sy, sw, sh, dpr);
  }

  private levelGrid(level: number, pool: PoolMode): Grid {
    let from = level;
    while (!this.pyramid[from]) from--;
    if (from < level) this.pyramid[level] = maxPool(this.pyramid[from], 2 ** (level - from), 2 ** (level - from), pool);
    return this.pyramid[level];
  }

  private maskedCache: { css: string; pixel: number } | null = null;

  private maskedPixel(): number {
    if (this.maskedCache?.css === this.theme.masked) return this.maskedCache.pixel;
    // Parse the theme colour through a 1×1 canvas (accepts any CSS colour syntax).
    const c = this.hatchLayer.ctx;
    this.hatchLayer.canvas.width = 1;
    this.hatchLayer.canvas.height = 1;
    c.fillStyle = this.theme.masked;
    c.fillRect(0, 0, 1, 1);
    const d = c.getImageData(0, 0, 1, 1).data;
    const pixel = new Uint32Array(new Uint8ClampedArray([d[0], d[1], d[2], 255]).buffer)[0];
    this.maskedCache = { css: this.theme.masked, pixel };
    return pixel;
  }

  private drawHatching(plot: Rect, sx: number, sy: number, sw: number, sh: number, dpr: number): void {
    const layer = this.hatchLayer;
    const w = Math.ceil(plot.w * dpr),
      h = Math.ceil(plot.h * dpr);
    if (layer.canvas.width !== w || layer.canvas.height !== h) {
      layer.canvas.width = w;
      layer.canvas.height = h;
    }
    const c = layer.ctx;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.globalCompositeOperation = 'source-over';
    c.clearRect(0, 0, w, h);
    c.imageSmoothingEnabled = false;
    c.drawImage(this.maskLayer.canvas, sx, sy, sw, sh, 0, 0, w, h);
    c.globalCompositeOperation = 'source-in';
    c.strokeStyle = this.theme.hatch;
    c.lineWidth = Math.max(1, dpr);
    const step = 6 * dpr;
    c.beginPath();
    for (let x = -h; x < w; x += step) {
      c.moveTo(x, h);
      c.lineTo(x + h, 0);
    }
    c.stroke();
    c.globalCompositeOperation = 'source-over';
    this.ctx.drawImage(layer.canvas, 0, 0, w, h, plot.x, plot.y, plot.w, plot.h);
  }
}
