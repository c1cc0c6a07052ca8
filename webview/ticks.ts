// Axis ticks for the charts: decades (and 2, 5 in between when there is room) on log axes, round
// steps on linear ones.

export function linearTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/** Powers of ten within [lo, hi] (both > 0); adds 2× and 5× when fewer than `min` decades fit. */
export function logTicks(lo: number, hi: number, min = 3): number[] {
  if (!(lo > 0 && hi > lo)) return [lo];
  const a = Math.ceil(Math.log10(lo) - 1e-9),
    b = Math.floor(Math.log10(hi) + 1e-9);
  const decades: number[] = [];
  for (let e = a; e <= b; e++) decades.push(10 ** e);
  if (decades.length >= min) return decades;
  const out: number[] = [];
  for (let e = a - 1; e <= b; e++)
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
    }
  return out;
}

/** Superscript exponents for tick labels: 10⁻³. */
export function powerOfTenLabel(v: number): string {
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - 10 ** e) > 1e-9 * v) return String(Number(v.toPrecision(3)));
  if (e >= 0 && e <= 3) return String(10 ** e);
  const sup: Record<string, string> = {
    '-': '⁻',
    '0': '⁰',
    '1': '¹',
    '2': '²',
    '3': '³',
    '4': '⁴',
    '5': '⁵',
    '6': '⁶',
    '7': '⁷',
    '8': '⁸',
    '9': '⁹',
  };
  return (
    '10' +
    String(e)
      .split('')
      .map((c) => sup[c])
      .join('')
  );
}

// ---- labels that never collide ------------------------------------------------------------------
// Every axis, legend and marker label goes through these: a label is a span of pixels along its
// axis, and a set of labels is thinned (or moved to another row) until no two spans come within
// `gap` pixels. The property tests (test/unit/webview.ticks.test.ts) hold this for any range and width.

export type LabelAlign = 'start' | 'center' | 'end';

export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The pixels a label of `width` covers when anchored at `x`. */
export function labelSpan(x: number, width: number, align: LabelAlign): Span {
  const start = align === 'start' ? x : align === 'end' ? x - width : x - width / 2;
  return { start, end: start + width };
}

/** Do two spans come closer than `gap`? */
export function spansCollide(a: Span, b: Span, gap: number): boolean {
  return a.start < b.end + gap && b.start < a.end + gap;
}

/**
 * An upper bound of a label's width in CSS pixels at `fontSize`, for SVG charts, which cannot measure
 * text before they are in the page: digits, signs and the decimal point are at most 0.62 em in
 * the UI fonts VS Code ships (a letter label counts 0.7 em).
 */
export function estimateWidth(text: string, fontSize = 10): number {
  let em = 0;
  for (const c of text) em += /[0-9.,−+\-e⁰¹²³⁴⁵⁶⁷⁸⁹⁻ ]/.test(c) ? 0.62 : 0.7;
  return em * fontSize + 1;
}

/**
 * Which labels to keep (indices into `spans`, in order) so that no two collide: the first always,
 * the last whenever it clears the first, and each one between when it clears both the last kept
 * and the last. `spans` must be in axis order.
 */
export function thinLabels(spans: readonly Span[], gap = 4): number[] {
  if (spans.length === 0) return [];
  const last = spans.length - 1;
  const keepLast = last > 0 && !spansCollide(spans[0], spans[last], gap);
  const kept = [0];
  for (let i = 1; i < last; i++) {
    if (spansCollide(spans[kept[kept.length - 1]], spans[i], gap)) continue;
    if (keepLast && spansCollide(spans[i], spans[last], gap)) continue;
    kept.push(i);
  }
  if (keepLast) kept.push(last);
  return kept;
}

/** The labels of a set of ticks, all at once (one format per axis: format.ts formatTicks). */
export type TickLabels = (values: readonly number[]) => readonly string[];

/** Do the labels of `ticks`, centred on their positions, all clear each other by `gap`? */
function labelsFit(
  ticks: readonly number[],
  at: (v: number) => number,
  labels: TickLabels,
  extent: (text: string) => number,
  gap: number,
): boolean {
  const texts = labels(ticks);
  const spans = ticks.map((v, i) => labelSpan(at(v), extent(texts[i]), 'center'));
  for (let i = 1; i < spans.length; i++) if (spansCollide(spans[i - 1], spans[i], gap)) return false;
  return true;
}

/**
 * Linear ticks over [lo, hi] drawn along `length` pixels whose labels never collide: the round step
 * grows (fewer ticks) until the labels fit with `gap` between them; at worst a single tick.
 * `extent(label)` is the label's size along the axis (its width on x, its height on y).
 */
export function fittedLinearTicks(
  lo: number,
  hi: number,
  length: number,
  labels: TickLabels,
  extent: (text: string) => number,
  target = 5,
  gap = 6,
): number[] {
  const at = (v: number) => (hi > lo ? ((v - lo) / (hi - lo)) * length : 0);
  for (let t = target; t >= 1; t--) {
    const ticks = linearTicks(lo, hi, t);
    if (labelsFit(ticks, at, labels, extent, gap)) return ticks;
  }
  // Even one round step is too many labels for the length: keep the first tick alone.
  return linearTicks(lo, hi, 1).slice(0, 1);
}

/** Log ticks over [lo, hi] whose labels never collide: every k-th tick, k growing until they fit. */
export function fittedLogTicks(
  lo: number,
  hi: number,
  length: number,
  labels: TickLabels,
  extent: (text: string) => number,
  gap = 6,
): number[] {
  const all = logTicks(lo, hi);
  const at = (v: number) =>
    hi > lo ? ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * length : 0;
  for (let k = 1; k <= all.length; k++) {
    const ticks = all.filter((_, i) => i % k === 0);
    if (labelsFit(ticks, at, labels, extent, gap)) return ticks;
  }
  return all.slice(0, 1);
}

/**
 * Rows for marker labels (vertical lines labelled at the top of a chart): each label goes to the
 * first row where it collides with no label already placed, written right of its line, or left of
 * it when it would run past `right`. Returns each label's row and anchor.
 */
export function placeMarkerLabels(
  markers: readonly { readonly x: number; readonly width: number }[],
  right: number,
  gap = 4,
): { row: number; align: 'start' | 'end'; span: Span }[] {
  const rows: Span[][] = [];
  return markers.map((mk) => {
    const align: 'start' | 'end' = mk.x + 3 + mk.width > right ? 'end' : 'start';
    const span = labelSpan(align === 'start' ? mk.x + 3 : mk.x - 3, mk.width, align);
    let row = rows.findIndex((placed) => placed.every((s) => !spansCollide(s, span, gap)));
    if (row < 0) {
      row = rows.length;
      rows.push([]);
    }
    rows[row].push(span);
    return { row, align, span };
  });
}
