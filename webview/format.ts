// Numbers as the panel shows them: three significant digits, exponents only for the very large or
// small, a real minus sign. (Exports write plain ASCII numbers; see exportData.ts.)

export function formatNumber(x: number, significant = 3): string {
  if (Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  let s: string;
  if (a >= 1e5 || a < 1e-3) s = x.toExponential(Math.max(0, significant - 1)).replace('e+', 'e');
  else if (a >= 10 ** significant) s = x.toFixed(0);
  else s = String(Number(x.toPrecision(significant)));
  return s.replace(/-/g, '−');
}

/**
 * The labels of one axis or legend in one format: every label with the same number of decimals (the
 * most any value needs at `significant` digits, so 0.05 beside 0.1 reads "0.05", "0.10"), zero as
 * "0", and exponents for all when the largest value needs one. Values tiny beside the largest (a
 * rounding residue such as 1e−17 for 0) count as zero. Non-finite values read "−∞" / "∞" / "—".
 */
export function formatTicks(values: readonly number[], significant = 3): string[] {
  let big = 0;
  for (const v of values) if (Number.isFinite(v)) big = Math.max(big, Math.abs(v));
  if (big === 0 || big >= 1e5 || big < 1e-3) return values.map((v) => formatNumber(v, significant));
  const lead = Math.floor(Math.log10(big));
  // Never more decimals than the smallest value shown to `significant` digits needs, and at most
  // two beyond what the largest needs (a flat axis of 1.0001, 1.0002 keeps its differences).
  const cap = Math.max(0, significant - 1 - lead) + 2;
  const zero = big * 1e-9;
  let decimals = 0;
  for (const v of values) {
    if (!Number.isFinite(v) || Math.abs(v) <= zero) continue;
    const shown = Number(v.toPrecision(significant));
    for (let d = 0; d <= cap; d++)
      if (Math.abs(Number(shown.toFixed(d)) - shown) <= 1e-9 * Math.abs(shown)) {
        decimals = Math.max(decimals, d);
        break;
      } else if (d === cap) decimals = cap;
  }
  return values.map((v) => {
    if (!Number.isFinite(v)) return formatNumber(v);
    const s = v.toFixed(decimals);
    return Number(s) === 0 ? '0' : s.replace('-', '−');
  });
}

/** A factor with its meaning when it is one of the paper's: "0.25 = 1/√d_k". */
export function describeFactor(factor: number, dK: number | null): string {
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  const value = formatNumber(factor);
  if (near(factor, 1)) return `${value} (unscaled)`;
  if (dK !== null && near(factor, 1 / Math.sqrt(dK))) return `${value} = 1/√d_k`;
  if (dK !== null && near(factor, 1 / dK)) return `${value} = 1/d_k`;
  return value;
}

/** A percentage for shares in [0, 1]. */
export function formatShare(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Shortens a label to `max` characters with an ellipsis, and makes invisible tokens visible. */
export function displayToken(token: string, max = 24): string {
  const visible =
    token === ''
      ? '∅'
      : token
          .replace(/\n/g, '↵')
          .replace(/\t/g, '⇥')
          .replace(/^ +| +$/g, (s) => '·'.repeat(s.length));
  const chars = Array.from(visible);
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : visible;
}
