// Masks decide which keys each query may attend to. They are what separates a bidirectional
// encoder (none) from a left-to-right decoder (causal) or a right-to-left reader (anticausal).
import type { Matrix } from './matrix';

export type MaskWord = 'none' | 'causal' | 'anticausal';
export const MASK_WORDS: readonly MaskWord[] = ['none', 'causal', 'anticausal'];

/** A mask word, or an explicit n×m matrix of 0/1 where 1 means "may attend". */
export type MaskSpec = MaskWord | Matrix;

/** Human names for the directions, as the panel labels them. */
export const MASK_LABELS: Record<MaskWord, string> = {
  none: 'bidirectional',
  causal: 'causal (forward only)',
  anticausal: 'anti-causal (backward only)',
};

export function isMaskWord(value: unknown): value is MaskWord {
  return typeof value === 'string' && (MASK_WORDS as readonly string[]).includes(value);
}

/**
 * The allowed-cell table for n queries over m keys: allowed[i*m + j] === 1 when query i may see key j,
 * or null when every cell is allowed (the common case, kept cheap).
 */
export function allowedCells(mask: MaskSpec, n: number, m: number): Uint8Array | null {
  if (mask === 'none') return null;
  if (mask === 'causal' || mask === 'anticausal') return allowedRows(mask, n, m, 0, n);
  const allowed = new Uint8Array(n * m);
  if (mask.rows !== n || mask.cols !== m) {
    throw new RangeError(`mask is ${mask.rows}×${mask.cols}, expected ${n}×${m}`);
  }
  for (let k = 0; k < n * m; k++) allowed[k] = mask.data[k] !== 0 ? 1 : 0;
  return allowed;
}

/**
 * Rows r0…r1−1 of the n×m allowed-cell table (null when every cell is allowed), without building the
 * other rows: a long sequence's causal table would be n² bytes (268 MB at n = 16384).
 */
export function allowedRows(mask: MaskSpec, n: number, m: number, r0: number, r1: number): Uint8Array | null {
  if (mask === 'none') return null;
  if (typeof mask !== 'string') return allowedCells(mask, n, m)!.slice(r0 * m, r1 * m);
  const out = new Uint8Array((r1 - r0) * m);
  for (let i = r0; i < r1; i++) {
    for (let j = 0; j < m; j++) out[(i - r0) * m + j] = (mask === 'causal' ? j <= i : j >= i) ? 1 : 0;
  }
  return out;
}

/** Rows (queries) that may attend to no key at all; their weights are all zero by definition. */
export function emptyRows(allowed: Uint8Array | null, n: number, m: number): number[] {
  if (!allowed) return m === 0 ? Array.from({ length: n }, (_, i) => i) : [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let any = false;
    for (let j = 0; j < m && !any; j++) any = allowed[i * m + j] === 1;
    if (!any) out.push(i);
  }
  return out;
}
