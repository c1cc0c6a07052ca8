// The current view as one picture: its canvases and charts laid out in rows under a title, drawn
// onto one canvas for PNG, or gathered into one SVG (small heatmaps as vector cells, larger ones as
// embedded images, charts as they are). Canvases are drawn without their interaction overlays
// (heatmap/exportable.ts): an exported picture shows the data, not where the pointer was.
import type { Figure, FigureItem } from './context';
import { SVG_NS, svg } from './dom';
import { exportCanvas } from './heatmap/exportable';
import type { Theme } from './theme';

const PAD = 16,
  GAP = 18,
  TITLE = 26,
  CAPTION = 18;

interface Placed {
  readonly item: FigureItem;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function sizeOf(item: FigureItem, vector: boolean): { w: number; h: number } {
  const s = vector && item.vector ? item.vector : item.svg;
  if (s) return { w: Number(s.getAttribute('width')) || 300, h: Number(s.getAttribute('height')) || 200 };
  const c = item.canvas as HTMLCanvasElement;
  return { w: parseFloat(c.style.width) || c.width, h: parseFloat(c.style.height) || c.height };
}

function place(figure: Figure, vector: boolean): { placed: Placed[]; width: number; height: number } {
  const placed: Placed[] = [];
  let y = PAD + TITLE,
    width = 0;
  for (const row of figure.rows) {
    let x = PAD,
      rowH = 0;
    for (const item of row) {
      const { w, h } = sizeOf(item, vector);
      const cap = item.caption ? CAPTION : 0;
      placed.push({ item, x, y: y + cap, w, h });
      x += w + GAP;
      rowH = Math.max(rowH, h + cap);
    }
    width = Math.max(width, x - GAP + PAD);
    y += rowH + GAP;
  }
  return { placed, width: Math.max(width, 320), height: y - GAP + PAD };
}

function svgImage(s: SVGSVGElement): Promise<HTMLImageElement> {
  const text = new XMLSerializer().serializeToString(s);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('could not draw a chart into the PNG'));
    };
    img.src = url;
  });
}

/** The figure drawn at `scale` × CSS pixels. */
export async function figureCanvas(figure: Figure, theme: Theme, scale = 2): Promise<HTMLCanvasElement> {
  const { placed, width, height } = place(figure, false);
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.scale(scale, scale);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = theme.foreground;
  ctx.font = `600 14px ${theme.fontFamily}`;
  ctx.textBaseline = 'top';
  ctx.fillText(figure.title, PAD, PAD);
  for (const p of placed) {
    if (p.item.caption) {
      ctx.font = `12px ${theme.fontFamily}`;
      ctx.fillStyle = theme.foreground;
      ctx.fillText(p.item.caption, p.x, p.y - CAPTION + 2);
    }
    if (p.item.svg) ctx.drawImage(await svgImage(p.item.svg), p.x, p.y, p.w, p.h);
    else if (p.item.canvas) ctx.drawImage(exportCanvas(p.item.canvas), p.x, p.y, p.w, p.h);
  }
  return canvas;
}

export async function figurePng(figure: Figure, theme: Theme): Promise<ArrayBuffer> {
  const canvas = await figureCanvas(figure, theme);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the PNG');
  return blob.arrayBuffer();
}

export function figureSvg(figure: Figure, theme: Theme): string {
  const { placed, width, height } = place(figure, true);
  const root = svg('svg', { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}` });
  root.appendChild(svg('rect', { x: 0, y: 0, width, height, fill: theme.background }));
  root.appendChild(
    svg(
      'text',
      {
        x: PAD,
        y: PAD + 13,
        'font-family': theme.fontFamily,
        'font-size': 14,
        'font-weight': 600,
        fill: theme.foreground,
      },
      figure.title,
    ),
  );
  for (const p of placed) {
    if (p.item.caption)
      root.appendChild(
        svg(
          'text',
          { x: p.x, y: p.y - 5, 'font-family': theme.fontFamily, 'font-size': 12, fill: theme.foreground },
          p.item.caption,
        ),
      );
    const vector = p.item.vector ?? p.item.svg;
    if (vector) {
      const copy = vector.cloneNode(true) as SVGSVGElement;
      copy.setAttribute('x', String(p.x));
      copy.setAttribute('y', String(p.y));
      root.appendChild(copy);
    } else if (p.item.canvas) {
      root.appendChild(
        svg('image', {
          x: p.x,
          y: p.y,
          width: p.w,
          height: p.h,
          href: exportCanvas(p.item.canvas).toDataURL('image/png'),
          'image-rendering': 'pixelated',
        }),
      );
    }
  }
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(root);
}
