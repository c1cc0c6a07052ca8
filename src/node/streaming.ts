// Long sequences (n ≥ 8192 and beyond): attention one head at a time without ever holding an n×n
// matrix. Each head's weights are computed a chunk of query rows at a time on the worker pool, max-
// pooled into a small overview and discarded; only the overview, the head's output and its Q, K, V
// (O(n·d)) are kept and handed to onHead before the next head starts. Full resolution is computed on
// demand for the region the user zooms into (headRegion): its rows against every key, so the weights
// are exactly those of the full matrix.
import type { Matrix } from '../core/matrix';
import { concatColumns, cropColumns, matrixFrom, project, zeros } from '../core/matrix';
import type { HeadProjection } from '../core/attention';
import { type ScaleRule, factorFor } from '../core/scale';
import { type MaskSpec, allowedCells, allowedRows } from '../core/mask';
import * as reference from '../core/attention';
import { rowSharpness } from '../core/sharpness';
import * as kernels from '../core/kernels';
import { Arena } from '../core/kernels/arena';
import { maskKind, type KernelExports } from '../core/kernels/abi';
import { acquireRuntime, releaseRuntime } from '../core/kernels/runtime';
import { type StreamPlan, forHead, planStream, runStreamTask, streamPhases } from '../core/kernels/streamPlan';
import { AttentionPool, CancelledError, type Engine, borrowSharedMemory, returnSharedMemory } from './parallel';

export interface StreamOptions {
  readonly mask?: MaskSpec;
  readonly scale?: ScaleRule;
  /** Overview cells per side (default 512; at most n). */
  readonly overviewSize?: number;
  readonly signal?: AbortSignal;
  readonly pool?: AttentionPool;
}

export interface HeadOverview {
  readonly head: number;
  readonly factor: number;
  /** Max-pooled weights: cell (a, b) is the largest weight of queries a·cell…, keys b·cell… */
  readonly overview: Matrix;
  /** Query rows (and key columns) per overview cell. */
  readonly cell: number;
  readonly output: Matrix;
  readonly q: Matrix;
  readonly k: Matrix;
  readonly v: Matrix;
  /** Per query row (n each): entropy in nats, largest weight, the weight on its own position. */
  readonly entropy: Float32Array;
  readonly maxWeight: Float32Array;
  readonly diagonal: Float32Array;
}

export interface StreamResult {
  /** The heads' outputs side by side (n × Σd_v). */
  readonly output: Matrix;
  readonly engine: Engine;
}

let defaultPool: AttentionPool | null = null;

function copyOut(buffer: ArrayBufferLike, ptr: number, rows: number, cols: number): Matrix {
  return matrixFrom(rows, cols, new Float32Array(buffer, ptr, rows * cols).slice());
}

/** The kernel's per-row triples (entropy, largest weight, diagonal) as three arrays. */
function deinterleave(stats: Float32Array, n: number): Pick<HeadOverview, 'entropy' | 'maxWeight' | 'diagonal'> {
  const entropy = new Float32Array(n),
    maxWeight = new Float32Array(n),
    diagonal = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    entropy[i] = stats[3 * i];
    maxWeight[i] = stats[3 * i + 1];
    diagonal[i] = stats[3 * i + 2];
  }
  return { entropy, maxWeight, diagonal };
}

/** Runs one head's phases on this thread (no pool): the same tasks, in order. */
function runHeadHere(ex: KernelExports, plan: StreamPlan): void {
  for (const phase of streamPhases(plan, 1)) for (const task of phase) runStreamTask(ex, plan, task, plan.scratch[0]);
}

/**
 * Multi-head self-attention of X for any n, one head at a time; onHead receives each head's overview
 * and output (and may await, e.g. to send it) before the next head is computed.
 */
export async function streamHeadOverviews(
  x: Matrix,
  heads: readonly HeadProjection[],
  options: StreamOptions,
  onHead: (head: HeadOverview) => void | Promise<void>,
): Promise<StreamResult> {
  const shapes = kernels.multiHeadShapes(x, heads, null, options.scale);
  const n = x.rows;
  if (n === 0 || heads.length === 0) throw new RangeError('streamHeadOverviews needs at least one token and one head');
  const mask = options.mask ?? 'none';
  const dK = Math.max(...heads.map((h) => h.W_Q.cols)),
    dV = Math.max(...heads.map((h) => h.W_V.cols));
  const concatCols = heads.reduce((s, h) => s + h.W_V.cols, 0);
  const output = zeros(n, concatCols);
  const pool = options.pool ?? (defaultPool ??= new AttentionPool());
  const parallel = pool.available && kernels.initKernelsSync();
  const signal = options.signal;

  const arena = new Arena();
  const layout = planStream(arena, {
    n,
    dModel: x.cols,
    dK,
    dV,
    overviewSize: options.overviewSize ?? 512,
    maskKind: maskKind(mask),
    executors: parallel ? pool.size : 1,
  });
  const privateRuntime = parallel ? null : acquireRuntime();
  if (!parallel && !privateRuntime) return streamWithReference(x, heads, mask, options, onHead, output);
  let shared: WebAssembly.Memory | null = null;
  let finished = false;
  try {
    let memory: WebAssembly.Memory;
    if (parallel) {
      // From the pool's memory cache: a file's heads are streamed one call each, and a new memory per
      // call would hold hundreds of MB until the collector frees the old ones. Every slot a call
      // reads is written by that call first.
      memory = borrowSharedMemory(arena);
      shared = memory;
    } else {
      arena.commit(privateRuntime!.memory);
      memory = privateRuntime!.memory;
    }
    const f32 = (slot: { ptr: number; rows: number; cols: number }) =>
      new Float32Array(memory.buffer, slot.ptr, slot.rows * slot.cols);
    f32(layout.x).set(x.data);
    // Only an explicit matrix goes in as a table: the word masks are computed inside the kernels
    // (an n×n byte table for a causal mask would be 268 MB at n = 16384).
    if (layout.mask !== 0) new Uint8Array(memory.buffer, layout.mask, n * n).set(allowedCells(mask, n, n)!);
    let col = 0;
    for (let h = 0; h < heads.length; h++) {
      if (signal?.aborted) throw new CancelledError(signal.reason);
      const w = heads[h];
      const plan = forHead(layout, w.W_Q.cols, w.W_V.cols, shapes[h].factor);
      f32(plan.wq).set(w.W_Q.data);
      f32(plan.wk).set(w.W_K.data);
      f32(plan.wv).set(w.W_V.data);
      f32(plan.overview).fill(0);
      if (parallel) await pool.run(memory, { kind: 'stream', plan }, streamPhases(plan, pool.size), signal);
      else runHeadHere(privateRuntime!.exports, plan);
      const buffer = memory.buffer;
      const stats = new Float32Array(buffer, plan.stats.ptr, n * 3);
      const head: HeadOverview = {
        head: h,
        factor: plan.factor,
        cell: plan.rowsPerCell,
        overview: copyOut(buffer, plan.overview.ptr, plan.overview.rows, plan.overview.cols),
        output: copyOut(buffer, plan.out.ptr, n, plan.out.cols),
        q: copyOut(buffer, plan.q.ptr, n, plan.q.cols),
        k: copyOut(buffer, plan.k.ptr, n, plan.k.cols),
        v: copyOut(buffer, plan.v.ptr, n, plan.v.cols),
        ...deinterleave(stats, n),
      };
      for (let i = 0; i < n; i++)
        output.data.set(
          head.output.data.subarray(i * head.output.cols, (i + 1) * head.output.cols),
          i * concatCols + col,
        );
      col += head.output.cols;
      await onHead(head);
    }
    finished = true;
    return { output, engine: parallel ? 'wasm-parallel' : 'wasm' };
  } finally {
    if (privateRuntime) releaseRuntime(privateRuntime);
    // Results were copied out. Only after a clean finish: a cancelled call's workers may still be writing.
    if (shared && finished) returnSharedMemory(shared);
  }
}

/**
 * One head whose Q, K and V are given (a tensor file's q/k/v), through the same streaming kernels:
 * X = [Q | K | V] and W_Q, W_K, W_V select their columns (multiplying by 1 and adding 0 is exact), so
 * the projection phase hands the kernels Q, K and V unchanged. `factor` multiplies q·k.
 */
export async function streamGivenHead(
  q: Matrix,
  k: Matrix,
  v: Matrix,
  factor: number,
  options: StreamOptions,
): Promise<HeadOverview> {
  const n = q.rows;
  if (k.rows !== n || v.rows !== n || k.cols !== q.cols)
    throw new RangeError(
      `streamGivenHead: Q ${q.rows}×${q.cols}, K ${k.rows}×${k.cols}, V ${v.rows}×${v.cols} are not one self-attention head`,
    );
  const dk = q.cols,
    dv = v.cols,
    width = 2 * dk + dv;
  const x = concatColumns([q, k, v]);
  const select = (from: number, cols: number) => {
    const w = zeros(width, cols);
    for (let c = 0; c < cols; c++) w.data[(from + c) * cols + c] = 1;
    return w;
  };
  let result: HeadOverview | null = null;
  await streamHeadOverviews(
    x,
    [{ W_Q: select(0, dk), W_K: select(dk, dk), W_V: select(2 * dk, dv) }],
    { ...options, scale: factor },
    (h) => {
      result = h;
    },
  );
  return result!;
}

/** Without WebAssembly: the same results from the reference core, a chunk of rows at a time. */
async function streamWithReference(
  x: Matrix,
  heads: readonly HeadProjection[],
  mask: MaskSpec,
  options: StreamOptions,
  onHead: (head: HeadOverview) => void | Promise<void>,
  output: Matrix,
): Promise<StreamResult> {
  const n = x.rows;
  const cells = Math.max(1, Math.min(n, options.overviewSize ?? 512));
  const cell = Math.ceil(n / cells);
  const side = Math.ceil(n / cell);
  let col = 0;
  for (let h = 0; h < heads.length; h++) {
    if (options.signal?.aborted) throw new CancelledError(options.signal.reason);
    const w = heads[h];
    const q = project(x, w.W_Q),
      k = project(x, w.W_K),
      v = project(x, w.W_V);
    const overview = zeros(side, side);
    const out = zeros(n, v.cols);
    const entropy = new Float32Array(n),
      maxWeight = new Float32Array(n),
      diagonal = new Float32Array(n);
    for (let r0 = 0; r0 < n; r0 += 64) {
      const r1 = Math.min(n, r0 + 64);
      const block = headRegion(q, k, v, [r0, r1], [0, n], { mask, scale: options.scale }, false);
      out.data.set(block.output.data, r0 * v.cols);
      const rows = rowSharpness(block.weights);
      entropy.set(rows.entropy, r0);
      maxWeight.set(rows.maxWeight, r0);
      for (let i = r0; i < r1; i++) diagonal[i] = block.weights.data[(i - r0) * n + i];
      for (let i = r0; i < r1; i++) {
        for (let j = 0; j < n; j++) {
          const cellIndex = Math.floor(i / cell) * side + Math.floor(j / cell);
          overview.data[cellIndex] = Math.max(overview.data[cellIndex], block.weights.data[(i - r0) * n + j]);
        }
      }
    }
    for (let i = 0; i < n; i++) output.data.set(out.data.subarray(i * v.cols, (i + 1) * v.cols), i * output.cols + col);
    col += v.cols;
    await onHead({
      head: h,
      factor: factorFor(options.scale, q.cols),
      overview,
      cell,
      output: out,
      q,
      k,
      v,
      entropy,
      maxWeight,
      diagonal,
    });
  }
  return { output, engine: 'js' };
}

export interface HeadRegion {
  /** Rows [rows[0], rows[1]) × columns [cols[0], cols[1]) of the head's matrices. */
  readonly rows: readonly [number, number];
  readonly cols: readonly [number, number];
  readonly dots: Matrix;
  readonly scores: Matrix;
  /** Each row normalised over all n keys (so it is exactly the full matrix's block). */
  readonly weights: Matrix;
  readonly allowed: Uint8Array | null;
  /** The region's queries' outputs (rows × d_v): the full rows' weights times V. */
  readonly output: Matrix;
}

function rowSlice(a: Matrix, r0: number, r1: number): Matrix {
  return matrixFrom(r1 - r0, a.cols, a.data.subarray(r0 * a.cols, r1 * a.cols));
}

function colSlice(a: Matrix, c0: number, c1: number): Matrix {
  return c0 === 0 && c1 === a.cols ? a : matrixFrom(a.rows, c1 - c0, cropColumns(a.data, a.rows, a.cols, c0, c1));
}

/**
 * Full resolution for a region of one head (from the q, k, v that streamHeadOverviews handed over):
 * queries rows[0]…rows[1]−1 against every key, cropped to keys cols[0]…cols[1]−1. Cost is
 * O(rows·n·d), memory O(rows·n).
 */
export function headRegion(
  q: Matrix,
  k: Matrix,
  v: Matrix,
  rows: readonly [number, number],
  cols: readonly [number, number],
  options: { mask?: MaskSpec; scale?: ScaleRule } = {},
  useKernels = true,
): HeadRegion {
  const n = q.rows,
    m = k.rows;
  const [r0, r1] = rows,
    [c0, c1] = cols;
  if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 < r1 && r1 <= n))
    throw new RangeError(`region rows [${r0}, ${r1}) are not inside 0…${n}`);
  if (!(Number.isInteger(c0) && Number.isInteger(c1) && 0 <= c0 && c0 < c1 && c1 <= m))
    throw new RangeError(`region columns [${c0}, ${c1}) are not inside 0…${m}`);
  const full = allowedRows(options.mask ?? 'none', n, m, r0, r1);
  // The region's rows of the mask, as an explicit table (a word mask depends on the absolute row).
  const rowMask = full ? matrixFrom(r1 - r0, m, Float32Array.from(full)) : 'none';
  const run = useKernels ? kernels.attention : reference.attention;
  const r = run(rowSlice(q, r0, r1), k, v, { mask: rowMask, scale: options.scale });
  const allowed = full ? cropColumns(full, r1 - r0, m, c0, c1) : null;
  return {
    rows: [r0, r1],
    cols: [c0, c1],
    dots: colSlice(r.dots, c0, c1),
    scores: colSlice(r.scores, c0, c1),
    weights: colSlice(r.weights, c0, c1),
    allowed,
    output: r.output,
  };
}
