// The kernel path of the attention core: the same functions, shapes and errors as the reference in
// ../matrix, ../attention and ../sharpness, computed by the WebAssembly SIMD kernels when they are
// loaded and by the reference otherwise. Differences from the reference are float32 rounding: the
// kernels accumulate in float32 (the reference matmul accumulates in float64), use a polynomial exp
// within ~2 ulp, and shift each softmax row by its extreme logit before scaling.
import type { Matrix } from '../matrix';
import * as reference from '../matrix';
import * as referenceAttention from '../attention';
import type { AttentionOptions, AttentionResult, HeadProjection, MultiHeadResult } from '../attention';
import { factorFor, sweepFactors } from '../scale';
import { allowedCells } from '../mask';
import { type SharpnessSummary, type SweepPoint, logGrid } from '../sharpness';
import * as referenceSharpness from '../sharpness';
import { type KernelExports, MASK_NONE, MASK_TABLE, maskKind, panelBytes, rowQuadBytes } from './abi';
import {
  type AttentionPlan,
  type HeadShapes,
  planAttention,
  planSweep,
  runSweepTask,
  runTask,
  schedule,
  sweepAccLength,
} from './plan';
import { readHead, readMatrix, sweepSummaries, writeAttentionInputs } from './io';
import { type KernelRuntime, acquireRuntime, releaseRuntime } from './runtime';

/** Runs body with the kernels, or fallback when they are not loaded or the memory cannot grow. */
function withKernels<T>(fallback: () => T, body: (rt: KernelRuntime) => T): T {
  const rt = acquireRuntime();
  if (!rt) return fallback();
  try {
    return body(rt);
  } catch (error) {
    if (error instanceof RangeError && /memory|grow|allocat/i.test(error.message)) return fallback();
    throw error;
  } finally {
    releaseRuntime(rt);
  }
}

function empty(...dims: number[]): boolean {
  return dims.some((d) => d === 0);
}

/** A·B for A (n×k) and B (k×m). */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}×${a.cols} · ${b.rows}×${b.cols} do not chain`);
  if (empty(a.rows, a.cols, b.cols)) return reference.matmul(a, b);
  return gemmPacked(
    a,
    b,
    b.cols,
    () => reference.matmul(a, b),
    (ex, pb, panels) => ex.packPanels(pb, b.cols, a.cols, b.cols, panels),
  );
}

/** X·W: projects token rows into another space. */
export const project = matmul;

/** A·Bᵀ for A (n×k) and B (m×k): the logits Q·Kᵀ without materialising Kᵀ. */
export function matmulTransposed(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols)
    throw new RangeError(`matmulTransposed: ${a.rows}×${a.cols} · (${b.rows}×${b.cols})ᵀ do not chain`);
  if (empty(a.rows, a.cols, b.rows)) return reference.matmulTransposed(a, b);
  return gemmPacked(
    a,
    b,
    b.rows,
    () => reference.matmulTransposed(a, b),
    (ex, pb, panels) => ex.packTransposedPanels(pb, a.cols, b.rows, a.cols, panels),
  );
}

/**
 * A (n×k) times the k×m operand that `pack` lays out in panels from B's bytes (B as given, or
 * transposed): both products differ only in how B is packed.
 */
function gemmPacked(
  a: Matrix,
  b: Matrix,
  m: number,
  fallback: () => Matrix,
  pack: (ex: KernelExports, pb: number, panels: number) => void,
): Matrix {
  return withKernels(fallback, ({ exports: ex, memory, arena }) => {
    const n = a.rows,
      k = a.cols;
    const pa = arena.reserve(n * k * 4),
      quads = arena.reserve(rowQuadBytes(n, k)),
      pb = arena.reserve(k * m * 4),
      panels = arena.reserve(panelBytes(k, m)),
      pc = arena.reserve(n * m * 4);
    arena.commit(memory);
    new Float32Array(memory.buffer, pa, n * k).set(a.data);
    new Float32Array(memory.buffer, pb, k * m).set(b.data);
    pack(ex, pb, panels);
    ex.packRowQuads(pa, k, n, k, quads);
    ex.gemmQuads(quads, pa, k, n, k, panels, panelBytes(k, 8), m, pc, m);
    return readMatrix(memory.buffer, { ptr: pc, rows: n, cols: m }, true);
  });
}

/** Unscaled logits Q·Kᵀ. */
export function dotScores(q: Matrix, k: Matrix): Matrix {
  return matmulTransposed(q, k);
}

/** Row-wise stable softmax of scores·factor over the allowed cells (masked cells 0, empty rows all 0). */
export function softmaxRows(scores: Matrix, allowed: Uint8Array | null = null, factor = 1): Matrix {
  const { rows: n, cols: m } = scores;
  if (empty(n, m)) return referenceAttention.softmaxRows(scores, allowed, factor);
  return withKernels(
    () => referenceAttention.softmaxRows(scores, allowed, factor),
    ({ exports: ex, memory, arena }) => {
      const ps = arena.reserve(n * m * 4),
        pd = arena.reserve(n * m * 4),
        pm = allowed ? arena.reserve(n * m) : 0;
      arena.commit(memory);
      new Float32Array(memory.buffer, ps, n * m).set(scores.data);
      if (allowed) new Uint8Array(memory.buffer, pm, n * m).set(allowed.subarray(0, n * m));
      ex.softmaxRows(ps, m, n, m, 0, allowed ? MASK_TABLE : MASK_NONE, pm, factor, pd, m);
      return readMatrix(memory.buffer, { ptr: pd, rows: n, cols: m }, true);
    },
  );
}

/** A·V. */
export function weightedValues(weights: Matrix, v: Matrix): Matrix {
  return matmul(weights, v);
}

/** Runs every phase of a plan on this thread. */
function runPlan(rt: KernelRuntime, plan: AttentionPlan): void {
  for (const phase of schedule(plan, 1)) for (const task of phase) runTask(rt.exports, plan, task, plan.scratch[0]);
}

/** Scaled dot-product attention for one head, fused (logits, softmax and A·V per block of queries). */
export function attention(q: Matrix, k: Matrix, v: Matrix, options: AttentionOptions = {}): AttentionResult {
  if (q.cols !== k.cols) throw new RangeError(`Q has d_k ${q.cols} but K has ${k.cols}`);
  if (k.rows !== v.rows) throw new RangeError(`K has ${k.rows} keys but V has ${v.rows} rows`);
  if (empty(q.rows, k.rows, q.cols, v.cols)) return referenceAttention.attention(q, k, v, options);
  const mask = options.mask ?? 'none';
  const factor = factorFor(options.scale, q.cols);
  const allowed = allowedCells(mask, q.rows, k.rows);
  return withKernels(
    () => referenceAttention.attention(q, k, v, options),
    (rt) => {
      const plan = planAttention(rt.arena, {
        heads: [{ factor, q, k, v }],
        concat: false,
        maskKind: maskKind(mask),
        executors: 1,
      });
      rt.arena.commit(rt.memory);
      writeAttentionInputs(rt.memory.buffer, plan, { heads: [{ q, k, v }], allowed });
      runPlan(rt, plan);
      const { q: _q, k: _k, v: _v, ...result } = readHead(rt.memory.buffer, plan.heads[0], allowed, true);
      return result;
    },
  );
}

/** Shapes of a multi-head self-attention call, checked with the reference's messages. */
export function multiHeadShapes(
  x: Matrix,
  heads: readonly HeadProjection[],
  wO: Matrix | null,
  scale: AttentionOptions['scale'],
): HeadShapes[] {
  const shapes = heads.map((h) => {
    for (const w of [h.W_Q, h.W_K, h.W_V]) {
      if (x.cols !== w.rows) throw new RangeError(`matmul: ${x.rows}×${x.cols} · ${w.rows}×${w.cols} do not chain`);
    }
    if (h.W_Q.cols !== h.W_K.cols) throw new RangeError(`Q has d_k ${h.W_Q.cols} but K has ${h.W_K.cols}`);
    return { factor: factorFor(scale, h.W_Q.cols), wq: h.W_Q, wk: h.W_K, wv: h.W_V };
  });
  const concatCols = heads.reduce((s, h) => s + h.W_V.cols, 0);
  if (wO && wO.rows !== concatCols)
    throw new RangeError(`matmul: ${x.rows}×${concatCols} · ${wO.rows}×${wO.cols} do not chain`);
  return shapes;
}

/** Multi-head self-attention: each head projects X, attends, and the outputs are concatenated (·W_O). */
export function multiHeadAttention(
  x: Matrix,
  heads: readonly HeadProjection[],
  wO: Matrix | null,
  options: AttentionOptions = {},
): MultiHeadResult {
  const shapes = multiHeadShapes(x, heads, wO, options.scale);
  if (heads.length === 0 || empty(x.rows, x.cols) || heads.some((h) => empty(h.W_Q.cols, h.W_V.cols))) {
    return referenceAttention.multiHeadAttention(x, heads, wO, options);
  }
  const mask = options.mask ?? 'none';
  const allowed = allowedCells(mask, x.rows, x.rows);
  return withKernels(
    () => referenceAttention.multiHeadAttention(x, heads, wO, options),
    (rt) => {
      const plan = planAttention(rt.arena, {
        x,
        heads: shapes,
        wO,
        concat: true,
        maskKind: maskKind(mask),
        executors: 1,
      });
      rt.arena.commit(rt.memory);
      writeAttentionInputs(rt.memory.buffer, plan, { x, heads, wO, allowed });
      runPlan(rt, plan);
      const buffer = rt.memory.buffer;
      return {
        heads: plan.heads.map((h) => readHead(buffer, h, allowed, true)),
        output: readMatrix(buffer, plan.output ?? plan.concat!, true),
      };
    },
  );
}

/**
 * Softmax sharpness for each factor: the means over rows of entropy, normalized entropy, max weight,
 * effective keys exp(H) and Jacobian norm, as summarizeSharpness(rowSharpness(softmaxRows(dots,
 * allowed, f), allowed)) would give, but one pass per row per factor and no n×m matrix per factor.
 */
export function sweepStatistics(
  dots: Matrix,
  allowed: Uint8Array | null,
  factors: readonly number[],
): SharpnessSummary[] {
  const fallback = (): SharpnessSummary[] =>
    factors.map((f) =>
      referenceSharpness.summarizeSharpness(
        referenceSharpness.rowSharpness(referenceAttention.softmaxRows(dots, allowed, f), allowed),
      ),
    );
  if (empty(dots.rows, dots.cols, factors.length)) return fallback();
  return withKernels(fallback, ({ exports: ex, memory, arena }) => {
    const plan = planSweep(arena, dots, allowed !== null, factors.length, 1);
    arena.commit(memory);
    const buffer = memory.buffer;
    new Float32Array(buffer, plan.dots.ptr, dots.data.length).set(dots.data);
    if (allowed)
      new Uint8Array(buffer, plan.mask, dots.rows * dots.cols).set(allowed.subarray(0, dots.rows * dots.cols));
    new Float32Array(buffer, plan.factors, factors.length).set(factors);
    const length = sweepAccLength(factors.length);
    const acc = new Float64Array(length);
    for (const task of plan.tasks) {
      if (task.op !== 'sweep') continue;
      const slots = new Float64Array(buffer, task.acc, length);
      slots.fill(0);
      runSweepTask(ex, plan, task);
      for (let i = 0; i < length; i++) acc[i] += slots[i];
    }
    return sweepSummaries(acc, factors.length);
  });
}

/** The reference scaleSweep's points (canonical factors first, then the grid) from sweepStatistics. */
export function scaleSweep(
  dots: Matrix,
  allowed: Uint8Array | null,
  dK: number | undefined,
  grid: readonly number[] = logGrid(),
): SweepPoint[] {
  const points = sweepFactors(dK, grid);
  const stats = sweepStatistics(
    dots,
    allowed,
    points.map((p) => p.factor),
  );
  return points.map(({ factor, label }, i) => ({ factor, label, ...stats[i] }));
}
