// In-page side of the render benchmark (bundled by bench/render.mjs): the panel's own Heatmap and
// the scale slider's re-softmax, timed against two per-cell baselines that draw one rectangle (or
// one SVG element) per cell, the way DOM- and SVG-based attention viewers do.
import { headAtFactor } from '../webview/live';
import { Heatmap } from '../webview/heatmap';
import { lookupTable, lutIndex, cssColor } from '../webview/colormap';
import { readTheme } from '../webview/theme';
import type { HeadPayload } from '../src/protocol/messages';
import { LinesCanvas, linesByLevel } from '../webview/linesCanvas';

/** A deterministic n×n softmax-weights matrix with some sharp rows (xorshift noise). */
function weightsMatrix(n: number): { logits: Float32Array; weights: Float32Array } {
  const logits = new Float32Array(n * n);
  let x = 2463534242;
  for (let k = 0; k < logits.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    logits[k] = ((x >>> 0) / 4294967296) * 6 - 3;
  }
  const weights = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity,
      sum = 0;
    for (let j = 0; j < n; j++) max = Math.max(max, logits[i * n + j]);
    for (let j = 0; j < n; j++) sum += weights[i * n + j] = Math.exp(logits[i * n + j] - max);
    for (let j = 0; j < n; j++) weights[i * n + j] /= sum;
  }
  return { logits, weights };
}

const labels = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function flush(canvas: HTMLCanvasElement): void {
  // Reading one pixel makes the canvas finish its queued drawing, so the time includes it.
  (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, 1, 1);
}

function heatmapFor(n: number, values: Float32Array) {
  const theme = readTheme();
  const h = new Heatmap(theme, {
    name: 'bench',
    maxPlot: 800,
    interactive: false,
    showValues: false,
    labels: true,
    legend: true,
    widthShare: 1,
  });
  document.getElementById('app')!.replaceChildren(h.element);
  const model = (v: Float32Array) => ({
    n,
    m: n,
    values: v,
    allowed: null,
    scale: { kind: 'sequential' as const, lo: 0, hi: 1 },
    colormap: 'viridis' as const,
    pool: 'max' as const,
    rowLabels: labels(n),
    colLabels: labels(n),
    bar: null,
    legendTitle: 'weight',
    legendTicks: [0, 0.5, 1],
  });
  return { h, model, first: model(values) };
}

/** ms for: a new matrix (pyramid + raster + draw), a redraw (hover), and a zoomed view at 1 px per cell or more. */
export function panelFrames(
  n: number,
  repeats: number,
): { newMatrix: number; redraw: number; zoomed: number; plot: string } {
  const { weights } = weightsMatrix(n);
  const { h, model, first } = heatmapFor(n, weights);
  const newMatrix: number[] = [],
    redraw: number[] = [],
    zoomed: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    h.setModel(r === 0 ? first : model(weights));
    h.render();
    flush(h.canvas);
    newMatrix.push(performance.now() - t);
    t = performance.now();
    h.setHighlight({ hover: { row: r, col: r }, locked: null, cursor: null });
    h.render();
    flush(h.canvas);
    redraw.push(performance.now() - t);
  }
  for (let r = 0; r < repeats; r++) {
    h.setView(Math.max(1, n / 256), { row: n / 2 + r, col: n / 2 });
    const t = performance.now();
    h.render();
    flush(h.canvas);
    zoomed.push(performance.now() - t);
  }
  return {
    newMatrix: median(newMatrix),
    redraw: median(redraw),
    zoomed: median(zoomed),
    plot: h.canvas.dataset.plot ?? '',
  };
}

/** Baseline 1: one fillRect per cell on a canvas of the same plot size. */
export function perCellCanvas(n: number): number {
  const { weights } = weightsMatrix(n);
  const lut = lookupTable('viridis');
  const scale = { kind: 'sequential' as const, lo: 0, hi: 1 };
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 800;
  document.getElementById('app')!.replaceChildren(canvas);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const cell = 800 / n;
  const t = performance.now();
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      ctx.fillStyle = cssColor(lut[lutIndex(scale, weights[i * n + j])]);
      ctx.fillRect(j * cell, i * cell, cell, cell);
    }
  flush(canvas);
  return performance.now() - t;
}

/** Baseline 2: one SVG <rect> per cell, laid out and painted. */
export async function perCellSvg(n: number): Promise<number> {
  const { weights } = weightsMatrix(n);
  const lut = lookupTable('viridis');
  const scale = { kind: 'sequential' as const, lo: 0, hi: 1 };
  const NS = 'http://www.w3.org/2000/svg';
  const t = performance.now();
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', '800');
  svg.setAttribute('height', '800');
  const cell = 800 / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = document.createElementNS(NS, 'rect');
      r.setAttribute('x', String(j * cell));
      r.setAttribute('y', String(i * cell));
      r.setAttribute('width', String(cell));
      r.setAttribute('height', String(cell));
      r.setAttribute('fill', cssColor(lut[lutIndex(scale, weights[i * n + j])]));
      svg.appendChild(r);
    }
  document.getElementById('app')!.replaceChildren(svg);
  svg.getBoundingClientRect();
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return performance.now() - t;
}

/** The slider at n: re-softmax of the head at a new factor, new sharpness, new pyramid, drawn. */
export function sliderFrames(n: number, frames: number): { msPerFrame: number; fps: number; softmaxMs: number } {
  const { logits, weights } = weightsMatrix(n);
  const payload = {
    layer: 0,
    head: 0,
    variant: 'projected',
    mask: 'none',
    n,
    m: n,
    dK: 64,
    dV: null,
    factor: 0.125,
    dots: logits,
    allowed: null,
    weights,
    entropy: new Float32Array(n),
    maxWeight: new Float32Array(n),
    effectiveTokens: new Float32Array(n),
    emptyRows: [],
    sweep: [],
    diagonal: null,
    q: null,
    k: null,
    v: null,
    output: null,
  } as HeadPayload;
  const { h, model } = heatmapFor(n, weights);
  h.setModel(model(weights));
  h.render();
  const total: number[] = [],
    softmax: number[] = [];
  for (let f = 0; f < frames; f++) {
    const factor = 10 ** (-2 + (3 * f) / frames);
    const t0 = performance.now();
    const live = headAtFactor(payload, factor);
    const t1 = performance.now();
    h.setModel({
      ...model(live.weights),
      bar: { values: live.rows.entropy, max: Math.log(n), title: 'entropy', unit: 'nats' },
    });
    h.render();
    flush(h.canvas);
    total.push(performance.now() - t0);
    softmax.push(t1 - t0);
  }
  const ms = median(total);
  return { msPerFrame: ms, fps: 1000 / ms, softmaxMs: median(softmax) };
}

/**
 * A layer's heads as attention looks in trained models: each head its own sharpness (logits
 * uniform in ±3 times 0.5 … 4.9), every third one also a previous-token head. Softmax rows.
 */
function layerWeights(n: number, heads: number): Float32Array[] {
  const { logits } = weightsMatrix(n);
  return Array.from({ length: heads }, (_, h) => {
    const sharp = 0.5 + 0.4 * h;
    const w = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      let max = -Infinity,
        sum = 0;
      const row = (j: number) => logits[((i + 7 * h) % n) * n + j] * sharp + (h % 3 === 0 && j === i - 1 ? 6 : 0);
      for (let j = 0; j < n; j++) max = Math.max(max, row(j));
      for (let j = 0; j < n; j++) sum += w[i * n + j] = Math.exp(row(j) - max);
      for (let j = 0; j < n; j++) w[i * n + j] /= sum;
    }
    return w;
  });
}

/**
 * The lines view at n tokens × `heads` heads (ms, median of `repeats`): new weights (sorting their
 * lines, then the full picture drawn frame by frame to the end) and the longest frame it took; a
 * head toggled (the full picture again); hovering a query and a key (its lines only, at once);
 * leaving the token (the kept picture copied back); and the lines the full picture holds.
 */
export async function linesFrames(
  n: number,
  heads: number,
  repeats: number,
): Promise<{
  newData: number;
  longestFrame: number;
  toggle: number;
  hoverQuery: number;
  hoverKey: number;
  leave: number;
  lines: number;
}> {
  const weights = layerWeights(n, heads);
  const picture = new LinesCanvas(readTheme(), () => 900);
  document.getElementById('app')!.replaceChildren(picture.canvas);
  const data = {
    n,
    m: n,
    tokens: labels(n),
    keyTokens: labels(n),
    heads: weights.map((w, head) => ({ head, weights: w })),
  };
  const all = new Set(weights.map((_, h) => h));
  const times = {
    newData: [] as number[],
    longestFrame: [] as number[],
    toggle: [] as number[],
    hoverQuery: [] as number[],
    hoverKey: [] as number[],
    leave: [] as number[],
  };
  const timed = async (into: number[], step: () => void) => {
    const t = performance.now();
    step();
    await picture.whenComplete();
    flush(picture.canvas);
    into.push(performance.now() - t);
  };
  for (let r = 0; r < repeats; r++) {
    await timed(times.newData, () => {
      picture.setData({ ...data, heads: data.heads.map((h) => ({ ...h })) });
      picture.setVisible(all);
      picture.setHover(null);
      picture.render();
    });
    times.longestFrame.push(picture.longestSliceMs);
    await timed(times.toggle, () => {
      picture.setVisible(new Set([...all].filter((h) => h !== r % heads)));
      picture.render();
    });
    await timed(times.hoverQuery, () => {
      picture.setHover({ side: 'query', index: (r * 37) % n });
      picture.render();
    });
    await timed(times.hoverKey, () => {
      picture.setHover({ side: 'key', index: (r * 53) % n });
      picture.render();
    });
    await timed(times.leave, () => {
      picture.setHover(null);
      picture.render();
    });
  }
  let lines = 0;
  for (const w of weights) lines += linesByLevel(w).cells.length;
  return {
    newData: median(times.newData),
    longestFrame: median(times.longestFrame),
    toggle: median(times.toggle),
    hoverQuery: median(times.hoverQuery),
    hoverKey: median(times.hoverKey),
    leave: median(times.leave),
    lines,
  };
}

(window as unknown as { bench: unknown }).bench = { panelFrames, perCellCanvas, perCellSvg, sliderFrames, linesFrames };
document.body.dataset.ready = '1';
