// Small SVG charts (lines, dots, vertical markers; linear or log axes) and horizontal bar charts.
// Colours are presentation attributes taken from the theme, so an exported SVG looks the same
// outside the panel and no style attribute is needed (a strict CSP would block one).
import { svg } from './dom';
import { formatNumber, formatTicks } from './format';
import { estimateWidth, fittedLinearTicks, fittedLogTicks, placeMarkerLabels, powerOfTenLabel } from './ticks';
import type { Theme } from './theme';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly Point[];
  readonly color: string;
  readonly line?: boolean;
  readonly dots?: boolean;
  readonly dash?: string;
  /** Larger, outlined dots for a highlighted point. */
  readonly emphasis?: boolean;
}

export interface ChartMarker {
  readonly id: string;
  readonly x: number;
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
}

export interface ChartSpec {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog: boolean;
  readonly yLog: boolean;
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  readonly series: readonly ChartSeries[];
  readonly markers?: readonly ChartMarker[];
  readonly theme: Theme;
  /** Accessible description of what the chart shows. */
  readonly description: string;
}

export interface Chart {
  readonly svg: SVGSVGElement;
  /** Moves a vertical marker (the current factor follows the slider). */
  moveMarker(id: string, x: number, label?: string): void;
}

const M = { left: 52, right: 14, top: 44, bottom: 40 };

function extent(values: number[], log: boolean): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...v),
    hi = Math.max(...v);
  if (lo === hi) {
    lo = log ? lo / 2 : lo - 1;
    hi = log ? hi * 2 : hi + 1;
  }
  if (log) return [lo / 1.3, hi * 1.3];
  const pad = (hi - lo) * 0.06;
  return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
}

export function lineChart(spec: ChartSpec): Chart {
  const t = spec.theme;
  const { width, height } = spec;
  const pw = width - M.left - M.right,
    ph = height - M.top - M.bottom;
  const all = spec.series.flatMap((s) => s.points);
  const [x0, x1] = spec.xDomain ?? extent([...all.map((p) => p.x), ...(spec.markers ?? []).map((m) => m.x)], spec.xLog);
  const [y0, y1] =
    spec.yDomain ??
    extent(
      all.map((p) => p.y),
      spec.yLog,
    );
  const fx = (x: number) =>
    M.left +
    (spec.xLog ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * pw;
  const fy = (y: number) =>
    M.top +
    ph -
    (spec.yLog ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * ph;
  const font = { 'font-family': t.fontFamily, 'font-size': 11, fill: t.foreground };
  const root = svg('svg', {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${spec.title}. ${spec.description}`,
    class: 'chart',
  });
  root.appendChild(svg('rect', { x: 0, y: 0, width, height, fill: t.background }));
  root.appendChild(svg('text', { ...font, x: M.left, y: 16, 'font-weight': 600, 'font-size': 12 }, spec.title));
  // Grid and ticks, thinned until no two labels collide (ticks.ts).
  // One format per axis (format.ts formatTicks): "0.05, 0.10, 0.15", never "0.05, 0.1".
  const xLabels = (vs: readonly number[]) => (spec.xLog ? vs.map(powerOfTenLabel) : formatTicks(vs));
  const yLabels = (vs: readonly number[]) => (spec.yLog ? vs.map(powerOfTenLabel) : formatTicks(vs));
  const wide = (text: string) => estimateWidth(text, 10);
  const high = () => 11;
  const xt = spec.xLog ? fittedLogTicks(x0, x1, pw, xLabels, wide) : fittedLinearTicks(x0, x1, pw, xLabels, wide);
  const yt = spec.yLog ? fittedLogTicks(y0, y1, ph, yLabels, high) : fittedLinearTicks(y0, y1, ph, yLabels, high, 4);
  const xText = xLabels(xt),
    yText = yLabels(yt);
  const grid = svg('g', { stroke: t.border, 'stroke-width': 1 });
  for (const [i, v] of xt.entries()) {
    const x = fx(v);
    grid.appendChild(svg('line', { x1: x, x2: x, y1: M.top, y2: M.top + ph }));
    root.appendChild(
      svg(
        'text',
        { ...font, fill: t.muted, x, y: M.top + ph + 14, 'text-anchor': 'middle', 'font-size': 10 },
        xText[i],
      ),
    );
  }
  for (const [i, v] of yt.entries()) {
    const y = fy(v);
    grid.appendChild(svg('line', { x1: M.left, x2: M.left + pw, y1: y, y2: y }));
    root.appendChild(
      svg('text', { ...font, fill: t.muted, x: M.left - 5, y: y + 3, 'text-anchor': 'end', 'font-size': 10 }, yText[i]),
    );
  }
  root.insertBefore(grid, root.childNodes[2] ?? null);
  root.appendChild(svg('rect', { x: M.left, y: M.top, width: pw, height: ph, fill: 'none', stroke: t.border }));
  root.appendChild(
    svg('text', { ...font, fill: t.muted, x: M.left + pw / 2, y: height - 6, 'text-anchor': 'middle' }, spec.xLabel),
  );
  root.appendChild(
    svg(
      'text',
      { ...font, fill: t.muted, transform: `translate(12 ${M.top + ph / 2}) rotate(-90)`, 'text-anchor': 'middle' },
      spec.yLabel,
    ),
  );
  // Markers under the data.
  const markers = new Map<string, { line: SVGLineElement; text: SVGTextElement; x: number }>();
  const clampX = (x: number) => Math.min(M.left + pw, Math.max(M.left, x));
  // Each label on the first row where it overlaps no other, left of its line near the right edge:
  // "1", "1/√d_k", "1/d_k" and the slider never print over one another wherever the slider goes.
  const layoutMarkers = () => {
    const all = [...markers.values()];
    const placed = placeMarkerLabels(
      all.map((m) => ({ x: m.x, width: estimateWidth(m.text.textContent ?? '', 10) })),
      M.left + pw,
    );
    all.forEach((m, i) => {
      const p = placed[i];
      m.text.setAttribute('x', String(p.align === 'start' ? m.x + 3 : m.x - 3));
      m.text.setAttribute('y', String(M.top + 11 + 12 * p.row));
      m.text.setAttribute('text-anchor', p.align);
    });
  };
  (spec.markers ?? []).forEach((mk) => {
    const x = clampX(fx(mk.x));
    const line = svg('line', {
      x1: x,
      x2: x,
      y1: M.top,
      y2: M.top + ph,
      stroke: mk.color,
      'stroke-width': 1.5,
      'stroke-dasharray': mk.dash ?? '',
    });
    const text = svg('text', { ...font, fill: mk.color, x: x + 3, y: M.top + 11, 'font-size': 10 }, mk.label);
    root.append(line, text);
    markers.set(mk.id, { line, text, x });
  });
  layoutMarkers();
  // Series.
  spec.series.forEach((s) => {
    const pts = s.points.filter(
      (p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.xLog || p.x > 0) && (!spec.yLog || p.y > 0),
    );
    if (s.line !== false && pts.length > 1) {
      root.appendChild(
        svg('polyline', {
          points: pts.map((p) => `${fx(p.x).toFixed(2)},${fy(p.y).toFixed(2)}`).join(' '),
          fill: 'none',
          stroke: s.color,
          'stroke-width': 2 * t.strokeWidth,
          'stroke-dasharray': s.dash ?? '',
          'stroke-linejoin': 'round',
        }),
      );
    }
    if (s.dots) {
      for (const p of pts)
        root.appendChild(
          svg('circle', {
            cx: fx(p.x),
            cy: fy(p.y),
            r: s.emphasis ? 5.5 : 3,
            fill: s.emphasis ? t.background : s.color,
            stroke: s.color,
            'stroke-width': s.emphasis ? 2.5 : 1,
          }),
        );
    }
  });
  // Legend under the title (a single series is named by the title already).
  if (spec.series.length > 1) {
    const legend = svg('g', {});
    let lx = M.left;
    for (const s of spec.series) {
      legend.appendChild(
        s.dots && s.line === false
          ? svg('circle', {
              cx: lx + 5,
              cy: M.top - 15,
              r: 3.5,
              fill: s.emphasis ? t.background : s.color,
              stroke: s.color,
              'stroke-width': s.emphasis ? 2 : 1,
            })
          : svg('line', {
              x1: lx,
              x2: lx + 14,
              y1: M.top - 15,
              y2: M.top - 15,
              stroke: s.color,
              'stroke-width': 2,
              'stroke-dasharray': s.dash ?? '',
            }),
      );
      legend.appendChild(svg('text', { ...font, 'font-size': 10, x: lx + 18, y: M.top - 11 }, s.name));
      lx += 18 + estimateWidth(s.name, 10) + 10;
    }
    root.appendChild(legend);
  }
  return {
    svg: root,
    moveMarker(id, x, label) {
      const mk = markers.get(id);
      if (!mk || !(x > 0 || !spec.xLog)) return;
      const px = clampX(fx(x));
      mk.line.setAttribute('x1', String(px));
      mk.line.setAttribute('x2', String(px));
      mk.x = px;
      if (label !== undefined) mk.text.textContent = label;
      layoutMarkers();
    },
  };
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly note?: string;
}

/** Horizontal bars with labels on the left and values on the right (weights of one query). */
export function barChart(
  bars: readonly Bar[],
  options: { width: number; max: number; theme: Theme; title: string; rowHeight?: number; labelWidth?: number },
): SVGSVGElement {
  const t = options.theme;
  const rh = options.rowHeight ?? 18;
  const labelW = options.labelWidth ?? 96,
    valueW = 56;
  const width = options.width;
  const height = 22 + bars.length * rh + 4;
  const bw = width - labelW - valueW - 8;
  const font = { 'font-family': t.fontFamily, 'font-size': 11, fill: t.foreground };
  const root = svg('svg', {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': options.title,
    class: 'chart',
  });
  root.appendChild(svg('rect', { x: 0, y: 0, width, height, fill: t.background }));
  root.appendChild(svg('text', { ...font, x: 0, y: 13, 'font-weight': 600 }, options.title));
  bars.forEach((b, i) => {
    const y = 22 + i * rh;
    root.appendChild(svg('text', { ...font, x: labelW - 6, y: y + rh * 0.68, 'text-anchor': 'end' }, b.label));
    root.appendChild(svg('rect', { x: labelW, y: y + 2, width: bw, height: rh - 4, fill: t.border, opacity: 0.35 }));
    root.appendChild(
      svg('rect', {
        x: labelW,
        y: y + 2,
        width: Math.max(0, (b.value / Math.max(options.max, 1e-12)) * bw),
        height: rh - 4,
        fill: b.color,
      }),
    );
    root.appendChild(
      svg(
        'text',
        { ...font, x: labelW + bw + 6, y: y + rh * 0.68, 'font-family': t.monoFamily },
        b.note ?? formatNumber(b.value),
      ),
    );
  });
  return root;
}
