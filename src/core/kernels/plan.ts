// How an attention call is laid out in linear memory and cut into tasks. The same plan runs on one
// thread (the core's kernels over a private memory) or on the worker pool (src/node/parallel, over a
// shared memory): a plan is plain numbers, so it can be posted to workers, and runTask is the only
// code that calls the kernels for it.
import type { Arena } from './arena';
import {
  type KernelExports,
  MASK_ANTICAUSAL,
  MASK_CAUSAL,
  MASK_TABLE,
  SWEEP_SLOTS,
  attentionScratchBytes,
  panelBytes,
} from './abi';

/** A row-major float32 matrix at byte offset ptr. */
export interface Slot {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
}

export interface Shape {
  readonly rows: number;
  readonly cols: number;
}

export interface HeadPlan {
  readonly factor: number;
  /** Projections X·W (multi-head self-attention only; null when Q, K, V are given). */
  readonly wq: Slot | null;
  readonly wk: Slot | null;
  readonly wv: Slot | null;
  /**
   * The projections packed into panels (0 when Q, K, V are given). They come first in the layout, so
   * calls with the same weight shapes put them at the same offsets: a memory that still holds them
   * packed from an earlier call with the same arrays can skip writing and packing (packWeights false).
   */
  readonly wqPanels: number;
  readonly wkPanels: number;
  readonly wvPanels: number;
  readonly q: Slot;
  readonly k: Slot;
  readonly v: Slot;
  /** Unscaled logits and scaled scores; null when the call does not keep them. */
  readonly dots: Slot | null;
  readonly scores: Slot | null;
  readonly weights: Slot;
  readonly out: Slot;
}

export interface AttentionPlan {
  /** Whether the tasks pack wq/wk/wv into their panels (false: the panels already hold them). */
  readonly packWeights: boolean;
  readonly x: Slot | null;
  readonly heads: readonly HeadPlan[];
  readonly maskKind: number;
  /** The n×m byte table for MASK_TABLE, else 0. */
  readonly mask: number;
  /** Heads' outputs side by side (n × Σd_v); null for a single head's attention. */
  readonly concat: Slot | null;
  readonly wO: Slot | null;
  /** W_O packed into panels (written by the packOutput task). */
  readonly wOPanels: number;
  /** concat·W_O when W_O is given. */
  readonly output: Slot | null;
  /** One scratch region per executor (thread). */
  readonly scratch: readonly number[];
}

export type Task =
  | { readonly op: 'head'; readonly head: number }
  | { readonly op: 'project'; readonly head: number; readonly which: 0 | 1 | 2 }
  | { readonly op: 'attend'; readonly head: number; readonly rowStart: number; readonly rowEnd: number }
  | { readonly op: 'packOutput' }
  | { readonly op: 'output'; readonly rowStart: number; readonly rowEnd: number }
  | { readonly op: 'sweep'; readonly rowStart: number; readonly rowEnd: number; readonly acc: number };

function slot(arena: Arena, rows: number, cols: number): Slot {
  return { ptr: arena.reserve(rows * cols * 4), rows, cols };
}

export interface HeadShapes {
  readonly factor: number;
  /** Given Q, K, V (attention only) … */
  readonly q?: Shape;
  readonly k?: Shape;
  readonly v?: Shape;
  /** … or projections of X (multi-head self-attention). */
  readonly wq?: Shape;
  readonly wk?: Shape;
  readonly wv?: Shape;
}

export interface PlanRequest {
  /** X (n × d_model) for multi-head self-attention; absent when each head's Q, K, V are given. */
  readonly x?: Shape;
  readonly heads: readonly HeadShapes[];
  readonly wO?: Shape | null;
  /** Whether the heads' outputs are concatenated (multi-head) or each head stands alone. */
  readonly concat: boolean;
  readonly maskKind: number;
  readonly executors: number;
  /** Whether to keep each head's dots and scores (default both); weights and outputs are always kept. */
  readonly keep?: { readonly dots?: boolean; readonly scores?: boolean };
}

/** Lays out inputs, outputs and per-executor scratch for an attention call (shapes already validated). */
export function planAttention(arena: Arena, req: PlanRequest): AttentionPlan {
  const panelsOf = (w: Shape | undefined): number => (req.x && w ? arena.reserve(panelBytes(w.rows, w.cols)) : 0);
  const packed = req.heads.map((h) => [panelsOf(h.wq), panelsOf(h.wk), panelsOf(h.wv)] as const);
  const x = req.x ? slot(arena, req.x.rows, req.x.cols) : null;
  let scratchBytes = 0;
  const heads = req.heads.map((h, i): HeadPlan => {
    const projected = x !== null;
    const wq = projected ? slot(arena, h.wq!.rows, h.wq!.cols) : null;
    const wk = projected ? slot(arena, h.wk!.rows, h.wk!.cols) : null;
    const wv = projected ? slot(arena, h.wv!.rows, h.wv!.cols) : null;
    const q = projected ? slot(arena, x.rows, wq!.cols) : slot(arena, h.q!.rows, h.q!.cols);
    const k = projected ? slot(arena, x.rows, wk!.cols) : slot(arena, h.k!.rows, h.k!.cols);
    const v = projected ? slot(arena, x.rows, wv!.cols) : slot(arena, h.v!.rows, h.v!.cols);
    const n = q.rows,
      m = k.rows;
    scratchBytes = Math.max(scratchBytes, attentionScratchBytes(m, q.cols, v.cols));
    return {
      factor: h.factor,
      wq,
      wk,
      wv,
      wqPanels: packed[i][0],
      wkPanels: packed[i][1],
      wvPanels: packed[i][2],
      q,
      k,
      v,
      dots: req.keep?.dots === false ? null : slot(arena, n, m),
      scores: req.keep?.scores === false ? null : slot(arena, n, m),
      weights: slot(arena, n, m),
      out: slot(arena, n, v.cols),
    };
  });
  const n = heads.length > 0 ? heads[0].q.rows : 0;
  const m = heads.length > 0 ? heads[0].k.rows : 0;
  const mask = req.maskKind === MASK_TABLE ? arena.reserve(n * m) : 0;
  const concatCols = heads.reduce((s, h) => s + h.out.cols, 0);
  const concat = req.concat ? slot(arena, n, concatCols) : null;
  const wO = req.concat && req.wO ? slot(arena, req.wO.rows, req.wO.cols) : null;
  const wOPanels = wO ? arena.reserve(panelBytes(wO.rows, wO.cols)) : 0;
  const output = wO ? slot(arena, n, wO.cols) : null;
  const scratch = Array.from({ length: req.executors }, () => arena.reserve(scratchBytes));
  return { packWeights: true, x, heads, maskKind: req.maskKind, mask, concat, wO, wOPanels, output, scratch };
}

/** Splits [0, n) into `parts` nearly equal row ranges (multiples of 4 where possible). */
export function rowRanges(n: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(parts, Math.ceil(n / 4)));
  const out: [number, number][] = [];
  for (let p = 0; p < count; p++) {
    const start = Math.round((n * p) / count / 4) * 4;
    const end = p === count - 1 ? n : Math.round((n * (p + 1)) / count / 4) * 4;
    if (end > start) out.push([start, end]);
  }
  return out;
}

/**
 * The plan's tasks in phases: tasks within a phase are independent; a phase starts when the previous
 * one is done. With enough heads each head is one task (projection and attention fused, no barrier);
 * with fewer heads than 2 tasks per executor, heads are split into row ranges after a projection phase.
 */
export function schedule(plan: AttentionPlan, executors: number): Task[][] {
  const phases: Task[][] = [];
  const headCount = plan.heads.length;
  const pack: Task[] = plan.wO ? [{ op: 'packOutput' }] : [];
  if (executors <= 1 || headCount >= 2 * executors) {
    phases.push([...plan.heads.map((_, head): Task => ({ op: 'head', head })), ...pack]);
  } else {
    if (plan.x)
      phases.push([
        ...plan.heads.flatMap((_, head) => ([0, 1, 2] as const).map((which): Task => ({ op: 'project', head, which }))),
        ...pack,
      ]);
    const splits = Math.ceil((2 * executors) / Math.max(1, headCount));
    phases.push([
      ...plan.heads.flatMap((h, head) =>
        rowRanges(h.q.rows, splits).map(([rowStart, rowEnd]): Task => ({ op: 'attend', head, rowStart, rowEnd })),
      ),
      ...(plan.x ? [] : pack),
    ]);
  }
  if (plan.concat) {
    phases.push(
      rowRanges(plan.concat.rows, executors <= 1 ? 1 : 2 * executors).map(([rowStart, rowEnd]): Task => ({
        op: 'output',
        rowStart,
        rowEnd,
      })),
    );
  }
  return phases.filter((p) => p.length > 0);
}

function project(ex: KernelExports, plan: AttentionPlan, w: Slot, panels: number, dst: Slot): void {
  const x = plan.x!;
  if (plan.packWeights) ex.packPanels(w.ptr, w.cols, w.rows, w.cols, panels);
  ex.gemmPanels(x.ptr, x.cols, x.rows, x.cols, panels, panelBytes(w.rows, 8), w.cols, dst.ptr, dst.cols);
}

function attendRows(
  ex: KernelExports,
  plan: AttentionPlan,
  h: HeadPlan,
  rowStart: number,
  rowEnd: number,
  scratch: number,
): void {
  ex.attentionHead(
    h.q.ptr,
    h.q.cols,
    h.k.ptr,
    h.k.cols,
    h.v.ptr,
    h.v.cols,
    h.q.rows,
    h.k.rows,
    h.q.cols,
    h.v.cols,
    h.factor,
    rowStart,
    rowEnd,
    plan.maskKind,
    plan.mask,
    h.dots?.ptr ?? 0,
    h.scores?.ptr ?? 0,
    h.weights.ptr,
    h.out.ptr,
    scratch,
    0,
  );
}

/** Runs one task of an attention plan (or a sweep task of a sweep plan) with this executor's scratch. */
export function runTask(ex: KernelExports, plan: AttentionPlan, task: Task, scratch: number): void {
  switch (task.op) {
    case 'head': {
      const h = plan.heads[task.head];
      if (plan.x) {
        project(ex, plan, h.wq!, h.wqPanels, h.q);
        project(ex, plan, h.wk!, h.wkPanels, h.k);
        project(ex, plan, h.wv!, h.wvPanels, h.v);
      }
      attendRows(ex, plan, h, 0, h.q.rows, scratch);
      return;
    }
    case 'project': {
      const h = plan.heads[task.head];
      const [w, panels, dst] =
        task.which === 0
          ? [h.wq!, h.wqPanels, h.q]
          : task.which === 1
            ? [h.wk!, h.wkPanels, h.k]
            : [h.wv!, h.wvPanels, h.v];
      project(ex, plan, w, panels, dst);
      return;
    }
    case 'attend':
      attendRows(ex, plan, plan.heads[task.head], task.rowStart, task.rowEnd, scratch);
      return;
    case 'packOutput': {
      const w = plan.wO!;
      ex.packPanels(w.ptr, w.cols, w.rows, w.cols, plan.wOPanels);
      return;
    }
    case 'output': {
      const concat = plan.concat!;
      const rows = task.rowEnd - task.rowStart;
      let col = 0;
      for (const h of plan.heads) {
        ex.copyBlock(
          h.out.ptr + task.rowStart * h.out.cols * 4,
          h.out.cols,
          rows,
          h.out.cols,
          concat.ptr + (task.rowStart * concat.cols + col) * 4,
          concat.cols,
        );
        col += h.out.cols;
      }
      const out = plan.output;
      if (out) {
        const w = plan.wO!;
        ex.gemmPanels(
          concat.ptr + task.rowStart * concat.cols * 4,
          concat.cols,
          rows,
          concat.cols,
          plan.wOPanels,
          panelBytes(w.rows, 8),
          w.cols,
          out.ptr + task.rowStart * out.cols * 4,
          out.cols,
        );
      }
      return;
    }
    case 'sweep':
      throw new Error('sweep task given to an attention plan');
  }
}

/** The scale sweep's layout: the logits, their mask, the factors and one accumulator per task. */
export interface SweepPlan {
  readonly dots: Slot;
  readonly maskKind: number;
  readonly mask: number;
  readonly factors: number;
  readonly factorCount: number;
  readonly tasks: readonly Task[];
}

/** f64 values in one sweep accumulator: SWEEP_SLOTS per factor, then the count of rows with a key. */
export function sweepAccLength(factorCount: number): number {
  return factorCount * SWEEP_SLOTS + 1;
}

export function planSweep(
  arena: Arena,
  dots: Shape,
  hasTable: boolean,
  factorCount: number,
  parts: number,
  dotsPtr?: number,
): SweepPlan {
  const d: Slot =
    dotsPtr !== undefined ? { ptr: dotsPtr, rows: dots.rows, cols: dots.cols } : slot(arena, dots.rows, dots.cols);
  const mask = hasTable ? arena.reserve(dots.rows * dots.cols) : 0;
  const factors = arena.reserve(factorCount * 4);
  const tasks = rowRanges(dots.rows, parts).map(([rowStart, rowEnd]): Task => ({
    op: 'sweep',
    rowStart,
    rowEnd,
    acc: arena.reserve(sweepAccLength(factorCount) * 8),
  }));
  return { dots: d, maskKind: hasTable ? MASK_TABLE : 0, mask, factors, factorCount, tasks };
}

export function runSweepTask(ex: KernelExports, plan: SweepPlan, task: Task): void {
  if (task.op !== 'sweep') throw new Error(`${task.op} task given to a sweep plan`);
  const { dots } = plan;
  const rows = task.rowEnd - task.rowStart;
  const mask = plan.mask === 0 ? 0 : plan.mask + task.rowStart * dots.cols;
  ex.sweepRows(
    dots.ptr + task.rowStart * dots.cols * 4,
    dots.cols,
    rows,
    dots.cols,
    task.rowStart,
    plan.maskKind,
    mask,
    plan.factors,
    plan.factorCount,
    task.acc,
  );
}

export { MASK_CAUSAL, MASK_ANTICAUSAL };
