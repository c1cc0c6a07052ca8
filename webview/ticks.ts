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
