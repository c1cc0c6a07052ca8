// Fast attention for the extension host and the CLI: the WebAssembly SIMD kernels, with the heads (or,
// for few heads, row ranges) spread over worker threads that share one WebAssembly memory.
//
// API for callers (the extension host calls these; nothing here imports vscode):
//
//   computeMultiHeadFast(x, heads, { mask, scale, wO, keep, signal, residentWeights, weightsVersion })
//       → Promise<{ heads: FastHead[]; output: Matrix; engine }>
//     Multi-head self-attention from X (n × d_model) and each head's W_Q, W_K, W_V: per head Q, K, V,
//     weights, output and (when keep.dots / keep.scores, default true) the unscaled logits and the
//     scaled scores; `output` is the heads' outputs side by side, ·W_O when given. Memory is about
//     heads·n²·4 bytes per kept n×n matrix (weights always): at n = 2048, 12 heads, 200 MB each, so
//     pass keep { dots: false, scores: false } for large n (scores = dots·factor, recomputable).
//     W_Q, W_K, W_V stay packed in the call's memory: the next call with the same Float32Array
//     objects skips copying and packing them (residentWeights.ts). Changed one in place? Pass a new
//     weightsVersion (or residentWeights: false), or that call computes with the old values.
//   computeHeadsFast([{ q, k, v }, …], { mask, scale, keep, signal }) → Promise<{ heads, engine }>
//     Attention for heads whose Q, K, V are given (no projection, no concatenation).
//   sweepStatisticsFast(dots, allowed, factors, { signal }) → Promise<SharpnessSummary[]>
//   scaleSweepFast(dots, allowed, dK, grid?, { signal }) → Promise<SweepPoint[]> (as core scaleSweep)
//     Softmax sharpness of dots·f for many factors without any n×m matrix per factor.
//   matmulFast(a, b, transposed, { signal }) → Promise<Matrix>: A·B or A·Bᵀ, output columns split over
//     the workers (the real models' projections and MLPs), bit-identical to kernels.matmul.
//   shutdownFastAttention() → Promise<void>: terminates the shared pool's workers (call on deactivate).
//   Long sequences (n ≥ 8192, or whenever n×n per head is too much to hold), in ../streaming:
//   streamHeadOverviews(x, heads, { mask, scale, overviewSize, signal }, onHead) computes one head at
//     a time and hands onHead a max-pooled overview (overviewSize² cells) plus the head's output and
//     Q, K, V, never holding an n×n matrix; headRegion(q, k, v, [r0, r1), [c0, c1), { mask, scale })
//     gives a zoomed block at full resolution (its rows against every key).
//
// Results agree with the reference core (src/core/attention.ts) to float32 rounding (test/unit/
// kernels*.test.ts). Matrices are views over the call's SharedArrayBuffer (no copy). A later call
// never overwrites them: a memory is reused only after every returned array has been garbage
// collected (keep a returned Float32Array, not just its .buffer; copy what you post elsewhere).
// releaseCachedMemory() drops the idle memories at once (they also go after 30 s idle).
// `signal` aborting rejects the promise with CancelledError and terminates the workers (a kernel
// cannot be interrupted any other way); the next call starts fresh ones. `engine` says which path ran: 'wasm-parallel', 'wasm' (one thread: no
// worker script, no WebAssembly threads, or a call under POOLED_ATTENTION_MIN_MACS multiply-adds,
// where waking the workers costs more than it saves) or 'js' (no WebAssembly SIMD; the reference core).
// Errors: shapes that do not chain throw the reference's RangeError; a call needing more than 4 GiB of
// WebAssembly memory throws RangeError (use streamHeadOverviews in ../streaming for long sequences).
import type { Matrix } from '../../core/matrix';
import type { AttentionOptions, HeadProjection } from '../../core/attention';
import { factorFor, sweepFactors } from '../../core/scale';
import { allowedCells } from '../../core/mask';
import { type SharpnessSummary, type SweepPoint, logGrid } from '../../core/sharpness';
import * as kernels from '../../core/kernels';
import { type AttentionPlan, planAttention, planSweep, schedule, sweepAccLength } from '../../core/kernels/plan';
import { type HeadParts, readHeadParts, readMatrix, sweepSummaries, writeAttentionInputs } from '../../core/kernels/io';
import { Arena } from '../../core/kernels/arena';
import { AttentionPool, CancelledError } from './pool';
import { MAX_PAGES, SharedMemoryCache } from './memoryCache';
import { gemmPhases, planGemm } from './gemmPlan';
import { weightsTag } from './residentWeights';

export { AttentionPool, CancelledError, liveAttentionWorkers } from './pool';
export { sharedKernelVariant, resetSharedKernels } from './sharedKernels';
export type { HeadParts as FastHead } from '../../core/kernels/io';

export type Engine = 'wasm-parallel' | 'wasm' | 'js';

export interface FastOptions extends AttentionOptions {
  /** Keep each head's unscaled logits and scaled scores (n×m each; default true). Weights and outputs are always returned. */
  readonly keep?: { readonly dots?: boolean; readonly scores?: boolean };
  readonly signal?: AbortSignal;
  /** The pool to run on (default: one shared pool of min(2, cores) workers). */
  readonly pool?: AttentionPool;
  /** Reuse a memory whose earlier results have been garbage collected (default true; false always maps fresh memory). */
  readonly reuseMemory?: boolean;
  /** Multiply-adds below which the call runs on this thread (default POOLED_ATTENTION_MIN_MACS; 0 always pools). */
  readonly minMacs?: number;
}

export interface MultiHeadOptions extends FastOptions {
  readonly wO?: Matrix | null;
  /**
   * Keep W_Q, W_K, W_V packed in the call's memory for the next call with the same arrays (default
   * true): that call neither copies nor packs them. The same arrays means the same Float32Array
   * objects; a caller that changes one in place must pass a new weightsVersion (or false here).
   */
  readonly residentWeights?: boolean;
  /** Bump when weight arrays passed before were changed in place (default 0). */
  readonly weightsVersion?: number;
}

export interface FastMultiHeadResult {
  readonly heads: HeadParts[];
  readonly output: Matrix;
  readonly engine: Engine;
}

/**
 * Multiply-adds below which a product stays on this thread: waking the workers for a call costs about
 * as much as a 4-million-MAC product (a 128×128×256 projection).
 */
export const POOLED_GEMM_MIN_MACS = 2 ** 22;

/**
 * The same threshold for an attention call (projections, Q·Kᵀ and weights·V of every head): below it
 * the call runs on this thread (engine 'wasm'). Measured on the 2-core VM under load: the panel's text
 * model at 32 tokens (4 heads, d_model 64, 0.5 M MACs) took 0.3 ms here and 0.7–1.1 ms on the pool,
 * and the pool first wins past about 15 M MACs.
 */
export const POOLED_ATTENTION_MIN_MACS = POOLED_GEMM_MIN_MACS;

let sharedPool: AttentionPool | null = null;

function poolFor(options: { pool?: AttentionPool }): AttentionPool {
  if (options.pool) return options.pool;
  sharedPool ??= new AttentionPool();
  return sharedPool;
}

/** The shared pool (started on first use): long model runs give it to the streaming kernels too, so two cores get two workers. */
export function sharedAttentionPool(): AttentionPool {
  return poolFor({});
}

/** Terminates the shared pool's workers; a later call starts a new pool. */
export async function shutdownFastAttention(): Promise<void> {
  const pool = sharedPool;
  sharedPool = null;
  await pool?.close();
}

const memoryCache = new SharedMemoryCache();

/** A shared memory large enough for an arena's layout, or a RangeError saying how much was needed. */
function sharedMemory(arena: Arena, reuse: boolean | undefined): WebAssembly.Memory {
  return taggedSharedMemory(arena, reuse, null).memory;
}

/** sharedMemory preferring one that holds `tag` (memoryCache.acquireTagged). */
function taggedSharedMemory(
  arena: Arena,
  reuse: boolean | undefined,
  tag: string | null,
): { memory: WebAssembly.Memory; holdsTag: boolean } {
  const pages = Math.max(arena.pages, 2);
  if (pages > MAX_PAGES) {
    throw new RangeError(
      `this computation needs ${(arena.bytes / 2 ** 30).toFixed(1)} GiB of WebAssembly memory, over the 4 GiB limit (fewer tokens, keep.dots/keep.scores false, or one head at a time with streamHeadOverviews)`,
    );
  }
  return reuse === false
    ? { memory: new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }), holdsTag: false }
    : memoryCache.acquireTagged(pages, tag);
}

/** A cached shared memory for a call that copies its results out; give it back with returnSharedMemory. */
export function borrowSharedMemory(arena: Arena): WebAssembly.Memory {
  return sharedMemory(arena, true);
}

/** Hands a borrowed memory back to the cache at once (nothing returned to the caller views it). */
export function returnSharedMemory(memory: WebAssembly.Memory): void {
  memoryCache.lend(memory, []);
}

/** Every array a result exposes: the memory is reused only after all of them are collected. */
function viewsOf(heads: readonly HeadParts[], extra: readonly (Matrix | null)[] = []): Float32Array[] {
  const matrices = heads.flatMap((h) => [h.q, h.k, h.v, h.dots, h.scores, h.weights, h.output]).concat(extra);
  return matrices.filter((m): m is Matrix => m !== null).map((m) => m.data);
}

/** Drops the idle memories kept for reuse (they are also dropped after 30 s idle). */
export function releaseCachedMemory(): void {
  memoryCache.clear();
}

/** Bytes of idle memory kept for reuse (for tests and diagnostics). */
export function cachedMemoryBytes(): number {
  return memoryCache.idleBytes;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError(signal.reason);
}

/** Whether this call can use the worker pool. */
function parallelReady(pool: AttentionPool): boolean {
  return pool.available && kernels.initKernelsSync();
}

/** Drops what the caller did not ask to keep from a single-thread result. */
function trimmed(head: HeadParts, keep: FastOptions['keep']): HeadParts {
  return {
    ...head,
    dots: keep?.dots === false ? null : head.dots,
    scores: keep?.scores === false ? null : head.scores,
  };
}

async function runPlanInPool(
  pool: AttentionPool,
  memory: WebAssembly.Memory,
  plan: AttentionPlan,
  signal: AbortSignal | undefined,
): Promise<void> {
  await pool.run(memory, { kind: 'attention', plan }, schedule(plan, pool.size), signal);
}

/** Multi-head self-attention, heads in parallel. See the comment at the top of this file. */
export async function computeMultiHeadFast(
  x: Matrix,
  heads: readonly HeadProjection[],
  options: MultiHeadOptions = {},
): Promise<FastMultiHeadResult> {
  const wO = options.wO ?? null;
  const shapes = kernels.multiHeadShapes(x, heads, wO, options.scale);
  throwIfAborted(options.signal);
  const pool = poolFor(options);
  const degenerate =
    heads.length === 0 || x.rows === 0 || x.cols === 0 || heads.some((h) => h.W_Q.cols === 0 || h.W_V.cols === 0);
  const macs = heads.reduce(
    (sum, h) =>
      sum + x.rows * x.cols * (h.W_Q.cols + h.W_K.cols + h.W_V.cols) + x.rows * x.rows * (h.W_Q.cols + h.W_V.cols),
    wO ? x.rows * wO.rows * wO.cols : 0,
  );
  if (degenerate || macs < (options.minMacs ?? POOLED_ATTENTION_MIN_MACS) || !parallelReady(pool)) {
    const engine: Engine = kernels.kernelsReady() && !degenerate ? 'wasm' : 'js';
    const result = kernels.multiHeadAttention(x, heads, wO, options);
    return { heads: result.heads.map((h) => trimmed(h, options.keep)), output: result.output, engine };
  }
  const mask = options.mask ?? 'none';
  const allowed = allowedCells(mask, x.rows, x.rows);
  const arena = new Arena();
  const layout = planAttention(arena, {
    x,
    heads: shapes,
    wO,
    concat: true,
    maskKind: kernels.maskKind(mask),
    executors: pool.size,
    keep: options.keep,
  });
  const tag = options.residentWeights === false ? null : weightsTag(heads, options.weightsVersion ?? 0);
  const { memory, holdsTag } = taggedSharedMemory(arena, options.reuseMemory, tag);
  // The panels sit at the same offsets in every call with these weight shapes (planAttention lays
  // them out first), so a memory tagged with this call's weights already holds them packed.
  const plan: AttentionPlan = holdsTag ? { ...layout, packWeights: false } : layout;
  writeAttentionInputs(memory.buffer, plan, { x, heads, wO, allowed });
  // A failed or cancelled call drops its memory: a terminated worker may still be writing to it.
  await runPlanInPool(pool, memory, plan, options.signal);
  if (tag !== null) memoryCache.setTag(memory, tag);
  const buffer = memory.buffer;
  const result: FastMultiHeadResult = {
    heads: plan.heads.map((h) => readHeadParts(buffer, h, allowed, false)),
    output: readMatrix(buffer, plan.output ?? plan.concat!, false),
    engine: 'wasm-parallel',
  };
  if (options.reuseMemory !== false) memoryCache.lend(memory, viewsOf(result.heads, [result.output]));
  return result;
}

export interface GivenHead {
  readonly q: Matrix;
  readonly k: Matrix;
  readonly v: Matrix;
}

/** Attention for heads with given Q, K, V (all heads the same n and m), in parallel. */
export async function computeHeadsFast(
  heads: readonly GivenHead[],
  options: FastOptions = {},
): Promise<{ heads: HeadParts[]; engine: Engine }> {
  for (const { q, k, v } of heads) {
    if (q.cols !== k.cols) throw new RangeError(`Q has d_k ${q.cols} but K has ${k.cols}`);
    if (k.rows !== v.rows) throw new RangeError(`K has ${k.rows} keys but V has ${v.rows} rows`);
    if (q.rows !== heads[0].q.rows || k.rows !== heads[0].k.rows)
      throw new RangeError('all heads must have the same number of queries and keys');
  }
  throwIfAborted(options.signal);
  const pool = poolFor(options);
  const degenerate = heads.some(({ q, k, v }) => q.rows === 0 || k.rows === 0 || q.cols === 0 || v.cols === 0);
  const macs = heads.reduce((sum, { q, k, v }) => sum + q.rows * k.rows * (q.cols + v.cols), 0);
  if (
    heads.length === 0 ||
    degenerate ||
    macs < (options.minMacs ?? POOLED_ATTENTION_MIN_MACS) ||
    !parallelReady(pool)
  ) {
    const engine: Engine = kernels.kernelsReady() && !degenerate ? 'wasm' : 'js';
    return {
      heads: heads.map(({ q, k, v }) => trimmed({ q, k, v, ...kernels.attention(q, k, v, options) }, options.keep)),
      engine,
    };
  }
  const mask = options.mask ?? 'none';
  const n = heads[0].q.rows,
    m = heads[0].k.rows;
  const allowed = allowedCells(mask, n, m);
  const arena = new Arena();
  const plan = planAttention(arena, {
    heads: heads.map(({ q, k, v }) => ({ factor: factorFor(options.scale, q.cols), q, k, v })),
    concat: false,
    maskKind: kernels.maskKind(mask),
    executors: pool.size,
    keep: options.keep,
  });
  const memory = sharedMemory(arena, options.reuseMemory);
  writeAttentionInputs(memory.buffer, plan, { heads, allowed });
  await runPlanInPool(pool, memory, plan, options.signal);
  const buffer = memory.buffer;
  const result = plan.heads.map((h) => readHeadParts(buffer, h, allowed, false));
  if (options.reuseMemory !== false) memoryCache.lend(memory, viewsOf(result));
  return { heads: result, engine: 'wasm-parallel' };
}

/** Softmax sharpness of dots·f for each factor f, rows split over the workers (as kernels.sweepStatistics). */
export async function sweepStatisticsFast(
  dots: Matrix,
  allowed: Uint8Array | null,
  factors: readonly number[],
  options: { signal?: AbortSignal; pool?: AttentionPool } = {},
): Promise<SharpnessSummary[]> {
  throwIfAborted(options.signal);
  const pool = poolFor(options);
  if (dots.rows === 0 || dots.cols === 0 || factors.length === 0 || !parallelReady(pool))
    return kernels.sweepStatistics(dots, allowed, factors);
  const arena = new Arena();
  const plan = planSweep(arena, dots, allowed !== null, factors.length, 2 * pool.size);
  const memory = sharedMemory(arena, true);
  const buffer = memory.buffer;
  new Float32Array(buffer, plan.dots.ptr, dots.data.length).set(dots.data);
  for (const task of plan.tasks)
    if (task.op === 'sweep') new Float64Array(buffer, task.acc, sweepAccLength(factors.length)).fill(0);
  if (allowed) new Uint8Array(buffer, plan.mask, dots.rows * dots.cols).set(allowed.subarray(0, dots.rows * dots.cols));
  new Float32Array(buffer, plan.factors, factors.length).set(factors);
  await pool.run(memory, { kind: 'sweep', plan }, [plan.tasks], options.signal);
  const length = sweepAccLength(factors.length);
  const acc = new Float64Array(length);
  for (const task of plan.tasks) {
    if (task.op !== 'sweep') continue;
    const slots = new Float64Array(buffer, task.acc, length);
    for (let i = 0; i < length; i++) acc[i] += slots[i];
  }
  memoryCache.lend(memory, []);
  return sweepSummaries(acc, factors.length);
}

/** The core scaleSweep's points (canonical factors, then the grid), computed by sweepStatisticsFast. */
export async function scaleSweepFast(
  dots: Matrix,
  allowed: Uint8Array | null,
  dK: number | undefined,
  grid: readonly number[] = logGrid(),
  options: { signal?: AbortSignal; pool?: AttentionPool } = {},
): Promise<SweepPoint[]> {
  const points = sweepFactors(dK, grid);
  const stats = await sweepStatisticsFast(
    dots,
    allowed,
    points.map((p) => p.factor),
    options,
  );
  return points.map(({ factor, label }, i) => ({ factor, label, ...stats[i] }));
}

/**
 * A·B (B k×m) or, with transposed, A·Bᵀ (B m×k, the nn.Linear layout), output columns split over the
 * pool's workers in strips of whole panels. Bit-identical to kernels.matmul / kernels.matmulTransposed
 * (same kernel, same k order per element); small products, and hosts without the pool, run there.
 * The result is a fresh array (copied out of the shared memory, which goes back to the cache at once).
 */
export async function matmulFast(
  a: Matrix,
  b: Matrix,
  transposed: boolean,
  options: { signal?: AbortSignal; pool?: AttentionPool; minMacs?: number } = {},
): Promise<Matrix> {
  const k = a.cols,
    m = transposed ? b.rows : b.cols;
  if ((transposed ? b.cols : b.rows) !== k) {
    throw new RangeError(
      `${transposed ? 'matmulTransposed' : 'matmul'}: ${a.rows}×${a.cols} · ${transposed ? `(${b.rows}×${b.cols})ᵀ` : `${b.rows}×${b.cols}`} do not chain`,
    );
  }
  throwIfAborted(options.signal);
  const pool = poolFor(options);
  const n = a.rows;
  if (n * k * m < (options.minMacs ?? POOLED_GEMM_MIN_MACS) || n === 0 || k === 0 || m === 0 || !parallelReady(pool)) {
    return transposed ? kernels.matmulTransposed(a, b) : kernels.matmul(a, b);
  }
  const arena = new Arena();
  const plan = planGemm(arena, n, k, m, transposed);
  const memory = sharedMemory(arena, true);
  const buffer = memory.buffer;
  new Float32Array(buffer, plan.a.ptr, n * k).set(a.data.subarray(0, n * k));
  new Float32Array(buffer, plan.b.ptr, k * m).set(b.data.subarray(0, k * m));
  // Twice as many strips as workers: a worker slowed by the other engineers' load does not hold the rest.
  await pool.run(memory, { kind: 'gemm', plan }, gemmPhases(n, m, 2 * pool.size), options.signal);
  const c = readMatrix(buffer, plan.c, true);
  memoryCache.lend(memory, []);
  return c;
}
