// Row-wise softmax of scores·factor over the allowed keys, four lanes at a time.
// Stability and accuracy: each row is shifted by its pivot before exp, t = (s − pivot)·factor, where
// the pivot is the row's max for factor > 0 and its min for factor < 0, so t ≤ 0 and the pivot's
// weight is exactly e⁰ = 1. Subtracting in the unscaled domain first keeps logits of ±1e4 exact to
// float32 for the keys that carry weight (s − pivot is exact when s is near the pivot).
// Masked cells get exactly 0; a row with no allowed key is all zeros (never NaN).

/** Mask kinds shared with the TypeScript side. */
export const MASK_NONE: i32 = 0;
export const MASK_CAUSAL: i32 = 1; // key j allowed for query i when j ≤ i
export const MASK_ANTICAUSAL: i32 = 2; // when j ≥ i
export const MASK_TABLE: i32 = 3; // explicit 0/1 bytes, n×m row-major

// The constants of vexp, each splatted to four lanes, kept in memory rather than written inline: V8
// rematerialises an inline v128 constant with three instructions at every use inside a loop (it does
// not hoist them), while a constant loaded from memory costs one load (measured: exp 2.6× faster).
const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two so n·LN2_HI is exact for the |n| ≤ 127 used here (Cody–Waite reduction).
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// Below EXP_LOW exp underflows float32's normal range; those lanes are flushed to exactly 0.
const EXP_LOW: f32 = -87.33654;
const EXP_HIGH: f32 = 88.37626;
// 1.5·2²³: adding it rounds a float of magnitude < 2²² to an integer held in the low mantissa bits.
const ROUND_MAGIC: f32 = 12582912.0;
const EXP_TABLE = memory.data<f32>([
  EXP_LOW, EXP_LOW, EXP_LOW, EXP_LOW,
  EXP_HIGH, EXP_HIGH, EXP_HIGH, EXP_HIGH,
  LOG2E, LOG2E, LOG2E, LOG2E,
  ROUND_MAGIC, ROUND_MAGIC, ROUND_MAGIC, ROUND_MAGIC,
  LN2_HI, LN2_HI, LN2_HI, LN2_HI,
  LN2_LO, LN2_LO, LN2_LO, LN2_LO,
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4,
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  1, 1, 1, 1,
], 16);
// The exponent bias 127 as i32 lanes.
const BIAS_TABLE = memory.data<i32>([127, 127, 127, 127], 16);

/**
 * e^x for four lanes, within ~2 ulp of the correctly rounded float32: x = n·ln2 + r with |r| ≤ ln2/2,
 * 1 + r + r²·P(r) with P the degree-5 minimax polynomial (Cephes' expf), and 2ⁿ put straight into the exponent bits. n is rounded by
 * the ROUND_MAGIC addition, whose bit pattern then already holds n (cheaper on x64 than nearest +
 * trunc_sat, which V8 lowers to several instructions). Lanes below EXP_LOW (including −∞) give 0,
 * whatever garbage the scaling produced there; e⁰ is exactly 1. Callers pass x ≤ 0 (softmax shifts
 * by the pivot) or discard the lane, so only the upper clamp is kept.
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const t = EXP_TABLE;
  const low = v128.load(t);
  const xc = f32x4.pmin(x, v128.load(t, 16));
  const magic = v128.load(t, 48);
  const shifted = f32x4.add(f32x4.mul(xc, v128.load(t, 32)), magic);
  const n = f32x4.sub(shifted, magic);
  let r = f32x4.sub(xc, f32x4.mul(n, v128.load(t, 64)));
  r = f32x4.sub(r, f32x4.mul(n, v128.load(t, 80)));
  // Estrin's scheme (pairs, then r², r⁴) keeps the dependency chain half as long as Horner's.
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const p01 = f32x4.add(f32x4.mul(v128.load(t, 96), r), v128.load(t, 112));
  const p23 = f32x4.add(f32x4.mul(v128.load(t, 128), r), v128.load(t, 144));
  const p45 = f32x4.add(f32x4.mul(v128.load(t, 160), r), v128.load(t, 176));
  const poly = f32x4.add(f32x4.add(p45, f32x4.mul(r2, p23)), f32x4.mul(r4, p01));
  const p = f32x4.add(f32x4.add(r, v128.load(t, 192)), f32x4.mul(r2, poly));
  // shifted's bits are 0x4B400000 + n; adding the bias and shifting by 23 drops the 0x4B4 part.
  const scale = i32x4.shl(i32x4.add(shifted, v128.load(BIAS_TABLE)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, low));
}

/** All-ones lanes where the 4 mask bytes at p are non-zero. */
// @ts-ignore: decorator
@inline export function maskLanes(p: usize): v128 {
  const words = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
  return i32x4.ne(words, i32x4.splat(0));
}

/** Allowed key range [lo, hi) of query row i for the word masks (the table mask refines it). */
// @ts-ignore: decorator
@inline export function rangeLo(kind: i32, i: i32, m: i32): i32 {
  return kind == MASK_ANTICAUSAL ? min(i, m) : 0;
}
// @ts-ignore: decorator
@inline export function rangeHi(kind: i32, i: i32, m: i32): i32 {
  return kind == MASK_CAUSAL ? min(i + 1, m) : m;
}

// Row extremes over the allowed cells, returned through globals (AssemblyScript has no tuples).
let rowMax: f32 = 0;
let rowMin: f32 = 0;
let rowKeys: i32 = 0;

/** Max, min and number of allowed keys of row s over [lo, hi), honouring the mask bytes when mask ≠ 0. */
export function rowExtremes(s: usize, lo: i32, hi: i32, mask: usize): void {
  let vmax = f32x4.splat(-Infinity);
  let vmin = f32x4.splat(Infinity);
  let mx: f32 = -Infinity;
  let mn: f32 = Infinity;
  let keys = 0;
  let j = lo;
  if (mask == 0) {
    for (; j + 4 <= hi; j += 4) {
      const v = v128.load(s + (<usize>j << 2));
      vmax = f32x4.pmax(vmax, v);
      vmin = f32x4.pmin(vmin, v);
    }
    for (; j < hi; j++) {
      const v = load<f32>(s + (<usize>j << 2));
      mx = max(mx, v);
      mn = min(mn, v);
    }
    keys = hi - lo;
  } else {
    let count = i32x4.splat(0);
    for (; j + 4 <= hi; j += 4) {
      const v = v128.load(s + (<usize>j << 2));
      const ok = maskLanes(mask + <usize>j);
      vmax = f32x4.pmax(vmax, v128.bitselect(v, f32x4.splat(-Infinity), ok));
      vmin = f32x4.pmin(vmin, v128.bitselect(v, f32x4.splat(Infinity), ok));
      count = i32x4.sub(count, ok); // ok lanes are −1
    }
    keys = i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1) + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3);
    for (; j < hi; j++) {
      if (load<u8>(mask + <usize>j) == 0) continue;
      const v = load<f32>(s + (<usize>j << 2));
      mx = max(mx, v);
      mn = min(mn, v);
      keys++;
    }
  }
  rowMax = max(mx, max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3))));
  rowMin = min(mn, min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3))));
  rowKeys = keys;
}

export function lastRowMax(): f32 { return rowMax; }
export function lastRowMin(): f32 { return rowMin; }
export function lastRowKeys(): i32 { return rowKeys; }

/** The shift that makes every t = (s − pivot)·factor ≤ 0. */
// @ts-ignore: decorator
@inline export function pivotFor(factor: f32): f32 {
  return factor >= 0 ? rowMax : rowMin;
}

/** Horizontal sum of four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Softmax of one row: d[j] = exp((s[j] − pivot)·factor) / Σ over allowed j in [lo, hi); 0 elsewhere. */
export function softmaxRow(s: usize, d: usize, m: i32, lo: i32, hi: i32, mask: usize, factor: f32): void {
  const rowBytes = <usize>m << 2;
  if (lo >= hi) {
    memory.fill(d, 0, rowBytes);
    return;
  }
  rowExtremes(s, lo, hi, mask);
  if (rowKeys == 0) {
    memory.fill(d, 0, rowBytes);
    return;
  }
  if (lo > 0) memory.fill(d, 0, <usize>lo << 2);
  if (hi < m) memory.fill(d + (<usize>hi << 2), 0, <usize>(m - hi) << 2);
  const pivot = f32x4.splat(pivotFor(factor));
  const f = f32x4.splat(factor);
  let sum = f32x4.splat(0);
  let sum2 = f32x4.splat(0);
  let j = lo;
  // Two vectors per iteration: exp is a long dependency chain, and two independent chains keep the
  // out-of-order core busy.
  for (; j + 8 <= hi; j += 8) {
    const off = <usize>j << 2;
    let e0 = vexp(f32x4.mul(f32x4.sub(v128.load(s + off), pivot), f));
    let e1 = vexp(f32x4.mul(f32x4.sub(v128.load(s + off, 16), pivot), f));
    if (mask != 0) {
      e0 = v128.and(e0, maskLanes(mask + <usize>j));
      e1 = v128.and(e1, maskLanes(mask + <usize>j + 4));
    }
    v128.store(d + off, e0);
    v128.store(d + off, e1, 16);
    sum = f32x4.add(sum, e0);
    sum2 = f32x4.add(sum2, e1);
  }
  sum = f32x4.add(sum, sum2);
  for (; j + 4 <= hi; j += 4) {
    const off = <usize>j << 2;
    let e = vexp(f32x4.mul(f32x4.sub(v128.load(s + off), pivot), f));
    if (mask != 0) e = v128.and(e, maskLanes(mask + <usize>j));
    v128.store(d + off, e);
    sum = f32x4.add(sum, e);
  }
  let total = hsum(sum);
  for (; j < hi; j++) {
    const off = <usize>j << 2;
    let e: f32 = 0;
    if (mask == 0 || load<u8>(mask + <usize>j) != 0) {
      e = f32x4.extract_lane(vexp(f32x4.mul(f32x4.sub(f32x4.splat(load<f32>(s + off)), pivot), f)), 0);
    }
    store<f32>(d + off, e);
    total += e;
  }
  const inv = f32x4.splat(<f32>1 / total);
  j = lo;
  for (; j + 4 <= hi; j += 4) {
    const off = <usize>j << 2;
    v128.store(d + off, f32x4.mul(v128.load(d + off), inv));
  }
  const invS = <f32>1 / total;
  for (; j < hi; j++) {
    const off = <usize>j << 2;
    store<f32>(d + off, load<f32>(d + off) * invS);
  }
}

/**
 * Softmax of n rows of scores·factor (row strides lds/ldd floats). Query i of this block is query
 * rowOffset + i of the whole matrix (the causal masks need the absolute index); for MASK_TABLE, mask
 * points at this block's first row of n×m bytes.
 */
export function softmaxRows(s: usize, lds: i32, n: i32, m: i32, rowOffset: i32, kind: i32, mask: usize, factor: f32, d: usize, ldd: i32): void {
  for (let i = 0; i < n; i++) {
    const q = rowOffset + i;
    const rowMask = kind == MASK_TABLE ? mask + <usize>i * <usize>m : 0;
    softmaxRow(s + ((<usize>i * <usize>lds) << 2), d + ((<usize>i * <usize>ldd) << 2), m, rangeLo(kind, q, m), rangeHi(kind, q, m), rowMask, factor);
  }
}
