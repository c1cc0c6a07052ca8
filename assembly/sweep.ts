// The scale sweep: how sharp softmax(dots·factor) is, for many factors, without materialising any
// n×m weight matrix. Per row the extremes and key count are found once; then each factor is one pass
// over the row with t = (s − pivot)·f ≤ 0 and e = exp(t). The c keys at the pivot have e = 1 exactly;
// over the others the pass sums R1 = Σe, R2 = Σe², D = Σe²(1 − e), and over all T = Σe·t. With
// Z = c + R1 and p = e/Z: entropy H = ln Z − T/Z (two non-negative terms), max weight = 1/Z, and the
// softmax Jacobian's squared Frobenius norm Σp² − 2Σp³ + (Σp²)², which cancels to nearly 0 for a
// sharp row when evaluated as written, is expanded into non-negative terms:
//   Z⁴·‖J‖² = c²(c−1) + 2cR1(c−1) + c²R2 + 2cD + 2R1((c−1)R2 + D) + cR1² + R1²R2 + R2².
import { vexp, maskLanes, rangeLo, rangeHi, rowExtremes, lastRowKeys, lastRowMax, lastRowMin, hsum, MASK_TABLE } from './softmax';

/** f64 slots per factor in the accumulator: Σ entropy, Σ normalized entropy, Σ max weight, Σ exp(entropy), Σ Jacobian norm. */
export const SWEEP_SLOTS: i32 = 5;

/**
 * Adds the sharpness of rows [0, n) of dots (row stride ldd) to acc (nf × SWEEP_SLOTS f64, then one
 * f64 counting the rows with at least one allowed key). factors is nf f32. Query i here is query
 * rowOffset + i of the whole matrix; for MASK_TABLE, mask points at this block's first row.
 */
export function sweepRows(dots: usize, ldd: i32, n: i32, m: i32, rowOffset: i32, kind: i32, mask: usize, factors: usize, nf: i32, acc: usize): void {
  for (let i = 0; i < n; i++) {
    const qi = rowOffset + i;
    const lo = rangeLo(kind, qi, m);
    const hi = rangeHi(kind, qi, m);
    if (lo >= hi) continue;
    const s = dots + ((<usize>i * <usize>ldd) << 2);
    const rowMask = kind == MASK_TABLE ? mask + <usize>i * <usize>m : 0;
    rowExtremes(s, lo, hi, rowMask);
    const keys = lastRowKeys();
    if (keys == 0) continue;
    const logKeys = keys > 1 ? Math.log(<f64>keys) : 0;
    for (let fi = 0; fi < nf; fi++) {
      const factor = load<f32>(factors + (<usize>fi << 2));
      const pivot = f32x4.splat(factor >= 0 ? lastRowMax() : lastRowMin());
      const f = f32x4.splat(factor);
      let r1 = f32x4.splat(0), r2 = f32x4.splat(0), dd = f32x4.splat(0), t = f32x4.splat(0), ties = i32x4.splat(0);
      let j = lo;
      for (; j + 4 <= hi; j += 4) {
        let x = f32x4.mul(f32x4.sub(v128.load(s + (<usize>j << 2)), pivot), f);
        let e = vexp(x);
        let atPivot = f32x4.ge(x, f32x4.splat(0));
        if (rowMask != 0) {
          const ok = maskLanes(rowMask + <usize>j);
          e = v128.and(e, ok);
          x = v128.and(x, ok);
          atPivot = v128.and(atPivot, ok);
        }
        t = f32x4.add(t, f32x4.mul(e, x));
        ties = i32x4.sub(ties, atPivot); // true lanes are −1
        const rest = v128.andnot(e, atPivot);
        const rest2 = f32x4.mul(rest, rest);
        r1 = f32x4.add(r1, rest);
        r2 = f32x4.add(r2, rest2);
        dd = f32x4.add(dd, f32x4.mul(rest2, f32x4.sub(f32x4.splat(1), rest)));
      }
      let c = <f64>(i32x4.extract_lane(ties, 0) + i32x4.extract_lane(ties, 1) + i32x4.extract_lane(ties, 2) + i32x4.extract_lane(ties, 3));
      let s1 = <f64>hsum(r1), s2 = <f64>hsum(r2), sd = <f64>hsum(dd), st = <f64>hsum(t);
      for (; j < hi; j++) {
        if (rowMask != 0 && load<u8>(rowMask + <usize>j) == 0) continue;
        const xv = f32x4.mul(f32x4.sub(f32x4.splat(load<f32>(s + (<usize>j << 2))), pivot), f);
        const x = <f64>f32x4.extract_lane(xv, 0);
        const e = <f64>f32x4.extract_lane(vexp(xv), 0);
        st += e * x;
        if (x >= 0) {
          c += 1;
        } else {
          s1 += e;
          s2 += e * e;
          sd += e * e * (1 - e);
        }
      }
      const z = c + s1;
      const h = Math.max(0, Math.log(z) - st / z);
      const z2 = z * z;
      const jacobian2 = (c * c * (c - 1) + 2 * c * s1 * (c - 1) + c * c * s2 + 2 * c * sd + 2 * s1 * ((c - 1) * s2 + sd) + c * s1 * s1 + s1 * s1 * s2 + s2 * s2) / (z2 * z2);
      const slot = acc + ((<usize>fi * <usize>SWEEP_SLOTS) << 3);
      store<f64>(slot, load<f64>(slot) + h);
      store<f64>(slot, load<f64>(slot, 8) + (keys > 1 ? h / logKeys : 0), 8);
      store<f64>(slot, load<f64>(slot, 16) + 1 / z, 16);
      store<f64>(slot, load<f64>(slot, 24) + Math.exp(h), 24);
      store<f64>(slot, load<f64>(slot, 32) + Math.sqrt(jacobian2), 32);
    }
    const countSlot = acc + ((<usize>nf * <usize>SWEEP_SLOTS) << 3);
    store<f64>(countSlot, load<f64>(countSlot) + 1);
  }
}
