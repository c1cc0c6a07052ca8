// One pass over a head of exported (post-softmax) weights for its per-row sharpness: the sums that
// src/core/sharpness.ts rowSharpness forms per row, four weights a step. p·ln p is the shared
// plnp (plnp.ts: no division, no branch; ~1e-7 absolute in ln p, as float32 rounding); Σp and the entropy
// are float64 over blocks of float32 partial sums (relative error ~1e-7, as float32 figures are
// stored anyway), Σp² and Σp³ float64 throughout as the reference forms them.
import { plnp } from './plnp';

/**
 * f64 slots per row in the output: −Σ p ln p, max p, Σ p, Σ p², Σ p³, the first column holding the
 * max (the argmax diagonalDominance counts), and 1 when every weight of the row is finite and ≥ 0
 * (else 0, and the other slots mean nothing: the caller checks that row with the reference).
 */
export const WEIGHT_ROW_SLOTS: i32 = 7;
/** The largest finite float32's bits: a weight's bits (after +0, so −0 is +0) above it are NaN, ±inf or < 0. */
const FLOAT_MAX_BITS: u32 = 0x7f7fffff;
/** Four-weight steps summed in float32 before they join the float64 sums. */
const BLOCK: i32 = 16;

// @ts-ignore: decorator
@inline function addLanes(acc: v128, x: v128): v128 {
  return f64x2.add(f64x2.add(acc, f64x2.promote_low_f32x4(x)), f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)));
}

/**
 * Rows [0, rows) of an n×m weight matrix w (row stride m) into out, WEIGHT_ROW_SLOTS f64 per row.
 */
export function weightRowSums(w: usize, rows: i32, m: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const src = w + ((<usize>r * <usize>m) << 2);
    let h = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    // The largest bits of p + 0 (−0 becomes +0): for finite p ≥ 0 the order of the bits is the order
    // of the values, so this is the row's max and, when ≤ FLOAT_MAX_BITS, the proof that every weight
    // is finite and ≥ 0 (NaN, ±inf and negatives have larger bits). One instruction a step for both.
    let top = i32x4.splat(0);
    let j = 0;
    while (j + 4 <= m) {
      // BLOCK weights per lane of Σp and −Σp ln p (terms of one sign: no cancellation) summed in
      // float32, then added into the float64 sums.
      const end = min(m, j + BLOCK * 4);
      let bh = f32x4.splat(0), b1 = f32x4.splat(0);
      for (; j + 4 <= end; j += 4) {
        const p = f32x4.add(v128.load(src + (<usize>j << 2)), f32x4.splat(0));
        top = i32x4.max_u(top, p);
        bh = f32x4.add(bh, plnp(p));
        b1 = f32x4.add(b1, p);
        // Σp² and Σp³ in float64 for every weight: the Jacobian norm √(Σp² − 2Σp³ + (Σp²)²) cancels
        // for sharp rows (float32 partial sums were off by 1e-4 there).
        const lo = f64x2.promote_low_f32x4(p);
        const hi = f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1));
        const lo2 = f64x2.mul(lo, lo), hi2 = f64x2.mul(hi, hi);
        s2 = f64x2.add(s2, f64x2.add(lo2, hi2));
        s3 = f64x2.add(s3, f64x2.add(f64x2.mul(lo2, lo), f64x2.mul(hi2, hi)));
      }
      h = addLanes(h, bh);
      s1 = addLanes(s1, b1);
    }
    let entropy = -(f64x2.extract_lane(h, 0) + f64x2.extract_lane(h, 1));
    let sum = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    let sumSq = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    let sumCube = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
    let bits = max(
      max(<u32>i32x4.extract_lane(top, 0), <u32>i32x4.extract_lane(top, 1)),
      max(<u32>i32x4.extract_lane(top, 2), <u32>i32x4.extract_lane(top, 3)),
    );
    for (; j < m; j++) {
      const p = load<f32>(src + (<usize>j << 2)) + 0;
      bits = max(bits, reinterpret<u32>(p));
      entropy -= <f64>f32x4.extract_lane(plnp(f32x4.splat(p)), 0);
      const q = <f64>p;
      sum += q;
      sumSq += q * q;
      sumCube += q * q * q;
    }
    const clean = bits <= FLOAT_MAX_BITS;
    const best = reinterpret<f32>(bits);
    // The first column at the max: four columns a step to the first step that holds it.
    let argmax = -1;
    if (clean) {
      const target = f32x4.splat(best);
      let k = 0;
      while (k + 4 <= m && !v128.any_true(f32x4.eq(v128.load(src + (<usize>k << 2)), target))) k += 4;
      while (k < m && load<f32>(src + (<usize>k << 2)) != best) k++;
      argmax = k < m ? k : -1;
    }
    const dst = out + ((<usize>r * <usize>WEIGHT_ROW_SLOTS) << 3);
    store<f64>(dst, entropy);
    store<f64>(dst, <f64>best, 8);
    store<f64>(dst, sum, 16);
    store<f64>(dst, sumSq, 24);
    store<f64>(dst, sumCube, 32);
    store<f64>(dst, <f64>argmax, 40);
    store<f64>(dst, clean ? 1 : 0, 48);
  }
}
