// A heatmap as vector SVG for exports of small matrices: one rect per cell, hatched masked cells,
// token labels as text, a gradient legend. Larger matrices are exported from the canvas instead.
import { legendTickLayout } from './heatmap/legend';
import { estimateWidth } from './ticks';
import { cssColor, lookupTable, lutIndex, unpackRgba } from './colormap';
import { svg } from './dom';
import { displayToken, formatNumber } from './format';
import type { HeatmapModel } from './heatmap';
import type { Theme } from './theme';

/** Above this many cells the SVG would be too heavy: the caller embeds the canvas as an image. */
export const MAX_VECTOR_CELLS = 4096;

let uid = 0;

export function heatmapSvg(model: HeatmapModel, theme: Theme): SVGSVGElement | null {
  const { n, m } = model;
  if (n * m > MAX_VECTOR_CELLS) return null;
  // Ids must stay unique when several heatmaps are composed into one exported SVG.
  const id = `h${++uid}`;
  const cell = Math.max(6, Math.min(44, Math.floor(440 / Math.max(n, m))));
  const showLabels = cell >= 10;
  const labelW = showLabels ? 96 : 8,
    labelH = showLabels ? 86 : 8;
  const barW = model.bar ? 52 : 0;
  const pw = cell * m,
    ph = cell * n;
  const width = labelW + pw + barW + 16,
    height = labelH + ph + 56;
  const font = { 'font-family': theme.fontFamily, 'font-size': 11, fill: theme.foreground };
  const root = svg('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}` });
  root.appendChild(svg('rect', { x: 0, y: 0, width, height, fill: theme.background }));
  const defs = svg('defs');
  const hatch = svg(
    'pattern',
    { id: `${id}-hatch`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    svg('rect', { width: 6, height: 6, fill: theme.masked }),
    svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: theme.hatch, 'stroke-width': 1.5 }),
  );
  defs.appendChild(hatch);
  root.appendChild(defs);
  const lut = lookupTable(model.colormap);
  const label = model.scaleLabel ?? ((v: number) => formatNumber(v, 2));
  const cells = svg('g', { transform: `translate(${labelW} ${labelH})` });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      const masked = model.allowed !== null && model.allowed[k] === 0;
      const fill = masked ? `url(#${id}-hatch)` : cssColor(lut[lutIndex(model.scale, model.values[k])]);
      cells.appendChild(svg('rect', { x: j * cell, y: i * cell, width: cell, height: cell, fill }));
      if (!masked && cell >= 30) {
        const colour = lut[lutIndex(model.scale, model.values[k])];
        const [r, g, b] = unpackRgba(colour);
        const light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 120;
        cells.appendChild(
          svg(
            'text',
            {
              ...font,
              'font-family': theme.monoFamily,
              fill: light ? '#000' : '#fff',
              x: j * cell + cell / 2,
              y: i * cell + cell / 2 + 4,
              'text-anchor': 'middle',
            },
            label(model.values[k]),
          ),
        );
      }
    }
  }
  root.appendChild(cells);
  if (showLabels) {
    for (let i = 0; i < n; i++)
      root.appendChild(
        svg(
          'text',
          { ...font, x: labelW - 5, y: labelH + i * cell + cell / 2 + 4, 'text-anchor': 'end' },
          displayToken(model.rowLabels[i], 14),
        ),
      );
    for (let j = 0; j < m; j++)
      root.appendChild(
        svg(
          'text',
          { ...font, transform: `translate(${labelW + j * cell + cell / 2 + 4} ${labelH - 5}) rotate(-90)` },
          displayToken(model.colLabels[j], 14),
        ),
      );
  }
  if (model.bar) {
    const bar = model.bar;
    const x0 = labelW + pw + 6;
    root.appendChild(svg('text', { ...font, fill: theme.muted, 'font-size': 10, x: x0, y: labelH - 4 }, bar.title));
    for (let i = 0; i < n; i++) {
      root.appendChild(
        svg('rect', {
          x: x0,
          y: labelH + i * cell + 1,
          width: Math.max(0, (bar.values[i] / Math.max(bar.max, 1e-12)) * (barW - 8)),
          height: Math.max(1, cell - 2),
          fill: theme.series[0],
        }),
      );
    }
  }
  // Legend: a gradient with the tick values.
  const ly = labelH + ph + 14;
  const grad = svg('linearGradient', { id: `${id}-legend`, x1: 0, x2: 1, y1: 0, y2: 0 });
  for (let s = 0; s <= 16; s++)
    grad.appendChild(svg('stop', { offset: s / 16, 'stop-color': cssColor(lut[Math.round((s / 16) * 255)]) }));
  defs.appendChild(grad);
  const lw = Math.max(pw, 160);
  root.appendChild(
    svg('text', { ...font, fill: theme.muted, 'font-size': 10, x: labelW, y: ly - 3 }, model.legendTitle),
  );
  root.appendChild(
    svg('rect', { x: labelW, y: ly, width: lw, height: 10, fill: `url(#${id}-legend)`, stroke: theme.border }),
  );
  for (const tick of legendTickLayout(model, lw, (text) => estimateWidth(text, 10)))
    root.appendChild(
      svg('text', { ...font, 'font-size': 10, x: labelW + tick.x, y: ly + 24, 'text-anchor': tick.align }, tick.text),
    );
  return root;
}
