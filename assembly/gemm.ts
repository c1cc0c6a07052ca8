// Dense float32 matrix products with 128-bit SIMD. B is first packed into "panels": column strips 8
// wide, stored row after row (k rows × 8 floats, zero-padded past the last column), so the inner
// loop reads B as two aligned vectors and A as one broadcast scalar per row. A 4×8 block of C lives
// in 8 vector registers for the whole k loop; V8 keeps that (and its temporaries) within the 16 xmm
// registers of x64 without spilling, which larger blocks did not (measured: 4×12 and 6×8 spill).
// The relaxed (fused multiply-add) build keeps the same block: there 6×8 and a two-step k unroll
// were also slower than 4×8 (measured one thread on Node 20: 0.5–0.9× its speed).
// All pointers are byte offsets into linear memory; lengths and leading dimensions count floats.

/** Columns per panel. */
export const NR: i32 = 8;
const PANEL_ROW_BYTES: usize = 32;

/** Bytes needed to pack a k×m matrix into panels. */
export function panelBytes(k: i32, m: i32): usize {
  return <usize>k * PANEL_ROW_BYTES * <usize>((m + NR - 1) / NR);
}

/** Packs B (k×m, row stride ldb) into panels at dst. */
export function packPanels(b: usize, ldb: i32, k: i32, m: i32, dst: usize): void {
  const panels = (m + NR - 1) / NR;
  const rowStride = <usize>ldb << 2;
  for (let jp = 0; jp < panels; jp++) {
    const col = jp * NR;
    const width = min(NR, m - col);
    let src = b + (<usize>col << 2);
    let out = dst + <usize>jp * <usize>k * PANEL_ROW_BYTES;
    if (width == NR) {
      for (let p = 0; p < k; p++) {
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        src += rowStride;
        out += PANEL_ROW_BYTES;
      }
    } else {
      for (let p = 0; p < k; p++) {
        v128.store(out, f32x4.splat(0));
        v128.store(out, f32x4.splat(0), 16);
        for (let c = 0; c < width; c++) store<f32>(out + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
        src += rowStride;
        out += PANEL_ROW_BYTES;
      }
    }
  }
}

/**
 * Packs B = Tᵀ into panels, given T (m×k, row stride ldt): the key matrix K for scores Q·Kᵀ, so the
 * product never materialises Kᵀ.
 */
export function packTransposedPanels(t: usize, ldt: i32, m: i32, k: i32, dst: usize): void {
  const panels = (m + NR - 1) / NR;
  const rowStride = <usize>ldt << 2;
  for (let jp = 0; jp < panels; jp++) {
    const panel = dst + <usize>jp * <usize>k * PANEL_ROW_BYTES;
    const col0 = jp * NR;
    if (col0 + NR <= m) {
      // Eight whole rows of T: four k steps at a time, each 4×4 quarter transposed in registers
      // (the scalar gather was a tenth of a Llama projection's time).
      const r0 = t + <usize>col0 * rowStride;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const src = r0 + (<usize>p << 2);
        const out = panel + <usize>p * PANEL_ROW_BYTES;
        transpose4(src, rowStride, out, PANEL_ROW_BYTES);
        transpose4(src + 4 * rowStride, rowStride, out + 16, PANEL_ROW_BYTES);
      }
      for (; p < k; p++) {
        const out = panel + <usize>p * PANEL_ROW_BYTES;
        for (let c = 0; c < NR; c++) store<f32>(out + (<usize>c << 2), load<f32>(r0 + <usize>c * rowStride + (<usize>p << 2)));
      }
      continue;
    }
    for (let c = 0; c < NR; c++) {
      const col = col0 + c;
      let out = panel + (<usize>c << 2);
      if (col < m) {
        let src = t + <usize>col * rowStride;
        for (let p = 0; p < k; p++) {
          store<f32>(out, load<f32>(src));
          src += 4;
          out += PANEL_ROW_BYTES;
        }
      } else {
        for (let p = 0; p < k; p++) {
          store<f32>(out, 0);
          out += PANEL_ROW_BYTES;
        }
      }
    }
  }
}

/**
 * Four rows (stride bytes apart) × four floats at src, transposed: column c goes to out + c·outStride
 * (PANEL_ROW_BYTES: four panel-row quarters; 16: four consecutive 4-row columns of a row quad).
 */
@inline function transpose4(src: usize, stride: usize, out: usize, outStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + stride);
  const r2 = v128.load(src + 2 * stride);
  const r3 = v128.load(src + 3 * stride);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(out, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(out + outStride, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(out + 2 * outStride, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(out + 3 * outStride, i64x2.shuffle(t2, t3, 1, 3));
}

/**
 * acc + a·b. The relaxed build (--enable relaxed-simd) uses f32x4.relaxed_madd, which the runtime
 * lowers to a fused multiply-add where the CPU has one (one rounding instead of two, so the two builds
 * differ in the last bits); the plain build keeps a separate multiply and add. ASC_FEATURE_RELAXED_SIMD
 * is a compile-time constant, so each build contains only its own branch.
 */
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Stores the first `count` (0…4) lanes of v at p. */
function storeLanes(p: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(p, v);
    return;
  }
  if (count > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The first `count` (0…4) floats at p, zeros after. */
function loadLanes(p: usize, count: i32): v128 {
  if (count >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline function storeRow(p: usize, v0: v128, v1: v128, cols: i32): void {
  if (cols == NR) {
    v128.store(p, v0);
    v128.store(p, v1, 16);
  } else {
    storeLanes(p, v0, cols);
    if (cols > 4) storeLanes(p + 16, v1, cols - 4);
  }
}

@inline function loadRow0(p: usize, cols: i32): v128 {
  return cols == NR ? v128.load(p) : loadLanes(p, cols);
}

@inline function loadRow1(p: usize, cols: i32): v128 {
  return cols == NR ? v128.load(p, 16) : cols > 4 ? loadLanes(p + 16, cols - 4) : f32x4.splat(0);
}

/**
 * C[4×cols] (+)= A[4×k] · panel (k×8); A rows are lda floats apart, C rows ldc floats apart. With
 * `accumulate` the block starts from C as stored (a later k block of the same product): C holds the
 * float32 accumulators exactly, so splitting k changes no bit of the result.
 */
function kernel4x8(a: usize, lda: i32, panel: usize, k: i32, c: usize, ldc: i32, cols: i32, accumulate: bool): void {
  const aStride = <usize>lda << 2;
  const cStride = <usize>ldc << 2;
  let a0 = a;
  let a1 = a + aStride;
  let a2 = a1 + aStride;
  let a3 = a2 + aStride;
  let b = panel;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    c00 = loadRow0(c, cols);
    c01 = loadRow1(c, cols);
    c10 = loadRow0(c + cStride, cols);
    c11 = loadRow1(c + cStride, cols);
    c20 = loadRow0(c + 2 * cStride, cols);
    c21 = loadRow1(c + 2 * cStride, cols);
    c30 = loadRow0(c + 3 * cStride, cols);
    c31 = loadRow1(c + 3 * cStride, cols);
  }
  // One k step per iteration: unrolling made V8 hoist loads and spill accumulators (measured slower).
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(c00, x, b0);
    c01 = madd(c01, x, b1);
    x = v128.load32_splat(a1);
    c10 = madd(c10, x, b0);
    c11 = madd(c11, x, b1);
    x = v128.load32_splat(a2);
    c20 = madd(c20, x, b0);
    c21 = madd(c21, x, b1);
    x = v128.load32_splat(a3);
    c30 = madd(c30, x, b0);
    c31 = madd(c31, x, b1);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;
    b += PANEL_ROW_BYTES;
  }
  storeRow(c, c00, c01, cols);
  storeRow(c + cStride, c10, c11, cols);
  storeRow(c + 2 * cStride, c20, c21, cols);
  storeRow(c + 3 * cStride, c30, c31, cols);
}

/** One row of C against a panel: the leftover rows when n is not a multiple of 4. */
function kernel1x8(a: usize, panel: usize, k: i32, c: usize, cols: i32, accumulate: bool): void {
  let b = panel;
  let a0 = a;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  if (accumulate) {
    s0 = loadRow0(c, cols);
    s1 = loadRow1(c, cols);
  }
  for (let p = 0; p < k; p++) {
    const x = v128.load32_splat(a0);
    s0 = madd(s0, x, v128.load(b));
    s1 = madd(s1, x, v128.load(b, 16));
    a0 += 4;
    b += PANEL_ROW_BYTES;
  }
  storeRow(c, s0, s1, cols);
}

/** Rows of A handled per sweep over the panels in gemmPanels: its block (≤ 32 rows) stays in L1/L2 while panels stream. */
const PANEL_ROW_BLOCK: i32 = 32;

/**
 * k steps per block in gemmQuads: a panel's slice (K_BLOCK × 32 bytes = 8 KiB) stays in L1 while every
 * row quad of the row block runs against it, where a whole panel of a Llama projection (k = 2048 or
 * 8192: 64–256 KiB) would not. On this loaded 2-core machine the effect was within the noise; it costs
 * nothing in the result (C holds the float32 accumulators exactly between blocks).
 */
const K_BLOCK: i32 = 256;
/** Rows of A per sweep over the panels in gemmQuads: the block's K_BLOCK slice (≤ 128 KiB) stays in L2. */
const ROW_BLOCK: i32 = 128;

/**
 * C (n×m, row stride ldc) = A (n×k, row stride lda) · B, with B packed by packPanels/
 * packTransposedPanels. Consecutive panels are panelStride bytes apart (panelBytes(k_total, 8) for a
 * packed k_total×m matrix), which lets a caller multiply by a row range of B: pass the panel pointer
 * advanced by firstRow·32 bytes, the shorter k and the original stride. Every element is summed over
 * k in order (one float32 accumulator per element).
 */
export function gemmPanels(a: usize, lda: i32, n: i32, k: i32, bp: usize, panelStride: usize, m: i32, c: usize, ldc: i32): void {
  const panels = (m + NR - 1) / NR;
  const aStride = <usize>lda << 2;
  const cStride = <usize>ldc << 2;
  if (k == 0) {
    for (let i = 0; i < n; i++) memory.fill(c + <usize>i * cStride, 0, <usize>m << 2);
    return;
  }
  // Whole k per call: k blocks here (as gemmQuads has) were not measurably faster for the attention
  // shapes (k = d_k, d_model or n) in interleaved runs on a loaded machine, so this path kept its form.
  for (let i0 = 0; i0 < n; i0 += PANEL_ROW_BLOCK) {
    const iEnd = min(n, i0 + PANEL_ROW_BLOCK);
    for (let jp = 0; jp < panels; jp++) {
      const col = jp * NR;
      const cols = min(NR, m - col);
      const panel = bp + <usize>jp * panelStride;
      let i = i0;
      for (; i + 4 <= iEnd; i += 4) {
        kernel4x8(a + <usize>i * aStride, lda, panel, k, c + <usize>i * cStride + (<usize>col << 2), ldc, cols, false);
      }
      for (; i < iEnd; i++) {
        kernel1x8(a + <usize>i * aStride, panel, k, c + <usize>i * cStride + (<usize>col << 2), cols, false);
      }
    }
  }
}

/** Copies a rows×cols block between row strides (floats): heads' outputs into the concatenation. */
export function copyBlock(src: usize, lds: i32, rows: i32, cols: i32, dst: usize, ldd: i32): void {
  const bytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) memory.copy(dst + ((<usize>i * <usize>ldd) << 2), src + ((<usize>i * <usize>lds) << 2), bytes);
}

/** dst[i] = src[i]·factor for count floats (the scaled scores). */
export function scaleInto(src: usize, count: i32, factor: f32, dst: usize): void {
  const f = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, f32x4.mul(v128.load(src + off), f));
  }
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)) * factor);
}

/** Bytes packRowQuads writes for n×k: every whole group of four rows, k × 16 bytes each. */
export function rowQuadBytes(n: i32, k: i32): usize {
  return <usize>(n >> 2) * <usize>k * 16;
}

/**
 * Packs the whole groups of four rows of A (n×k, row stride lda) so the four rows' values for one k
 * step are 16 consecutive bytes: the micro-kernel then reads them with one vector load through one
 * pointer (kernel4x8 keeps four row pointers and four broadcast loads per step). The leftover n % 4
 * rows are read from A as stored.
 */
export function packRowQuads(a: usize, lda: i32, n: i32, k: i32, dst: usize): void {
  const stride = <usize>lda << 2;
  for (let g = 0; g + 4 <= n; g += 4) {
    const src = a + <usize>g * stride;
    let out = dst + <usize>(g >> 2) * <usize>k * 16;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      transpose4(src + (<usize>p << 2), stride, out, 16);
      out += 64;
    }
    for (; p < k; p++) {
      const s = src + (<usize>p << 2);
      store<f32>(out, load<f32>(s));
      store<f32>(out, load<f32>(s + stride), 4);
      store<f32>(out, load<f32>(s + 2 * stride), 8);
      store<f32>(out, load<f32>(s + 3 * stride), 12);
      out += 16;
    }
  }
}

/**
 * kernel4x8 over a packed quad (packRowQuads): A's four values per k step are one vector at aq,
 * broadcast lane by lane with shuffles, so a step is 3 loads and 8 multiply-adds instead of 6 and 8.
 * Measured in one process against kernel4x8 on Llama shapes (one thread): 0.9–1.3×, median about
 * 1.1× (k = 8192: 1.1–1.4×); a two-step unroll with broadcast loads was no faster.
 */
function kernelQuad(aq: usize, panel: usize, k: i32, c: usize, ldc: i32, cols: i32, accumulate: bool): void {
  const cStride = <usize>ldc << 2;
  let a = aq;
  let b = panel;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    c00 = loadRow0(c, cols);
    c01 = loadRow1(c, cols);
    c10 = loadRow0(c + cStride, cols);
    c11 = loadRow1(c + cStride, cols);
    c20 = loadRow0(c + 2 * cStride, cols);
    c21 = loadRow1(c + 2 * cStride, cols);
    c30 = loadRow0(c + 3 * cStride, cols);
    c31 = loadRow1(c + 3 * cStride, cols);
  }
  const end = aq + (<usize>k << 4);
  while (a < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const xs = v128.load(a);
    let x = i32x4.shuffle(xs, xs, 0, 0, 0, 0);
    c00 = madd(c00, x, b0);
    c01 = madd(c01, x, b1);
    x = i32x4.shuffle(xs, xs, 1, 1, 1, 1);
    c10 = madd(c10, x, b0);
    c11 = madd(c11, x, b1);
    x = i32x4.shuffle(xs, xs, 2, 2, 2, 2);
    c20 = madd(c20, x, b0);
    c21 = madd(c21, x, b1);
    x = i32x4.shuffle(xs, xs, 3, 3, 3, 3);
    c30 = madd(c30, x, b0);
    c31 = madd(c31, x, b1);
    a += 16;
    b += PANEL_ROW_BYTES;
  }
  storeRow(c, c00, c01, cols);
  storeRow(c + cStride, c10, c11, cols);
  storeRow(c + 2 * cStride, c20, c21, cols);
  storeRow(c + 3 * cStride, c30, c31, cols);
}

/**
 * gemmPanels with A's whole row quads packed at aq (packRowQuads(a, lda, n, k, aq)); the n % 4 rows
 * left over are read from a. Same sums in the same order as gemmPanels: bit-identical results.
 */
export function gemmQuads(aq: usize, a: usize, lda: i32, n: i32, k: i32, bp: usize, panelStride: usize, m: i32, c: usize, ldc: i32): void {
  const panels = (m + NR - 1) / NR;
  const aStride = <usize>lda << 2;
  const cStride = <usize>ldc << 2;
  if (k == 0) {
    for (let i = 0; i < n; i++) memory.fill(c + <usize>i * cStride, 0, <usize>m << 2);
    return;
  }
  const quadBytes = <usize>k * 16;
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const iEnd = min(n, i0 + ROW_BLOCK);
    for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
      const kc = min(K_BLOCK, k - k0);
      const accumulate = k0 > 0;
      for (let jp = 0; jp < panels; jp++) {
        const col = jp * NR;
        const cols = min(NR, m - col);
        const panel = bp + <usize>jp * panelStride + <usize>k0 * PANEL_ROW_BYTES;
        let i = i0;
        for (; i + 4 <= iEnd; i += 4) {
          kernelQuad(aq + <usize>(i >> 2) * quadBytes + (<usize>k0 << 4), panel, kc, c + <usize>i * cStride + (<usize>col << 2), ldc, cols, accumulate);
        }
        for (; i < iEnd; i++) {
          kernel1x8(a + <usize>i * aStride + (<usize>k0 << 2), panel, kc, c + <usize>i * cStride + (<usize>col << 2), cols, accumulate);
        }
      }
    }
  }
}
