// The layout of the long-sequence path: one head at a time, weights only through per-executor chunk
// buffers into a max-pooled overview (assembly/overview.ts), so memory is O(n·d_model + overview)
// whatever n is. The same layout is reused for every head: the caller writes the head's projections,
// runs the projection phase and the overview phase, and copies the overview and output out.
import type { Arena } from './arena';
import { type KernelExports, MASK_TABLE, alignUp, panelBytes } from './abi';
import { type Slot, rowRanges } from './plan';

/** Query rows per chunk (assembly/overview.ts CHUNK_ROWS). */
export const CHUNK_ROWS = 64;

export interface StreamShapes {
  /** Tokens (queries = keys: self-attention). */
  readonly n: number;
  readonly dModel: number;
  /** Largest d_k and d_v over the heads. */
  readonly dK: number;
  readonly dV: number;
  /** Overview cells per side (at most n). */
  readonly overviewSize: number;
  readonly maskKind: number;
  readonly executors: number;
}

export interface StreamPlan {
  readonly x: Slot;
  readonly wq: Slot;
  readonly wk: Slot;
  readonly wv: Slot;
  readonly q: Slot;
  readonly k: Slot;
  readonly v: Slot;
  readonly out: Slot;
  readonly overview: Slot;
  /** Per query row: entropy, largest weight, diagonal weight (assembly/overview.ts rowStats). */
  readonly stats: Slot;
  readonly rowsPerCell: number;
  readonly colsPerCell: number;
  readonly factor: number;
  readonly maskKind: number;
  /** The n×n byte table for MASK_TABLE, else 0. */
  readonly mask: number;
  /** The head's K packed as Kᵀ panels and V as panels, once per head for every chunk. */
  readonly kPanels: number;
  readonly vPanels: number;
  /** Per executor: projection panels, then (at chunkOffset) its CHUNK_ROWS×n chunk buffer. */
  readonly scratch: readonly number[];
  readonly chunkOffset: number;
}

export type StreamTask =
  | { readonly op: 'project'; readonly rowStart: number; readonly rowEnd: number }
  | { readonly op: 'pack'; readonly which: 1 | 2 }
  | { readonly op: 'overview'; readonly rowStart: number; readonly rowEnd: number };

function slot(arena: Arena, rows: number, cols: number): Slot {
  return { ptr: arena.reserve(rows * cols * 4), rows, cols };
}

/** Lays out the memory for every head of a streaming call (slots sized for the largest head). */
export function planStream(arena: Arena, s: StreamShapes): StreamPlan {
  const cells = Math.max(1, Math.min(s.n, s.overviewSize));
  const rowsPerCell = Math.ceil(s.n / cells);
  const ovSide = Math.ceil(s.n / rowsPerCell);
  const x = slot(arena, s.n, s.dModel);
  const wq = slot(arena, s.dModel, s.dK),
    wk = slot(arena, s.dModel, s.dK),
    wv = slot(arena, s.dModel, s.dV);
  const q = slot(arena, s.n, s.dK),
    k = slot(arena, s.n, s.dK),
    v = slot(arena, s.n, s.dV);
  const out = slot(arena, s.n, s.dV);
  const overview = slot(arena, ovSide, ovSide);
  const stats = slot(arena, s.n, 3);
  const mask = s.maskKind === MASK_TABLE ? arena.reserve(s.n * s.n) : 0;
  const kPanels = arena.reserve(panelBytes(s.dK, s.n));
  const vPanels = arena.reserve(panelBytes(s.n, s.dV));
  const chunkOffset = alignUp(panelBytes(s.dModel, Math.max(s.dK, s.dV)));
  const scratch = Array.from({ length: s.executors }, () => arena.reserve(chunkOffset + CHUNK_ROWS * s.n * 4));
  return {
    x,
    wq,
    wk,
    wv,
    q,
    k,
    v,
    out,
    overview,
    stats,
    rowsPerCell,
    colsPerCell: rowsPerCell,
    factor: 1,
    maskKind: s.maskKind,
    mask,
    kPanels,
    vPanels,
    scratch,
    chunkOffset,
  };
}

/** The plan for one head: its d_k, d_v and factor over the shared layout. */
export function forHead(plan: StreamPlan, dK: number, dV: number, factor: number): StreamPlan {
  const cols = (sl: Slot, c: number): Slot => ({ ptr: sl.ptr, rows: sl.rows, cols: c });
  return {
    ...plan,
    wq: cols(plan.wq, dK),
    wk: cols(plan.wk, dK),
    wv: cols(plan.wv, dV),
    q: cols(plan.q, dK),
    k: cols(plan.k, dK),
    v: cols(plan.v, dV),
    out: cols(plan.out, dV),
    factor,
  };
}

/**
 * Phases for one head: the projections Q, K, V by row ranges (three whole projections would leave
 * one of two workers idle a third of the time), packing K and V, then the overview over row ranges
 * aligned to overview rows.
 */
export function streamPhases(plan: StreamPlan, executors: number): StreamTask[][] {
  const n = plan.q.rows;
  const projections = rowRanges(n, executors).map(([rowStart, rowEnd]): StreamTask => ({
    op: 'project',
    rowStart,
    rowEnd,
  }));
  const cellRows = Math.ceil(n / plan.rowsPerCell);
  // Split on overview-row boundaries so no two tasks pool into the same overview cell.
  const ranges = rowRanges(cellRows, Math.max(1, 4 * executors)).map(([a, b]): StreamTask => ({
    op: 'overview',
    rowStart: a * plan.rowsPerCell,
    rowEnd: Math.min(n, b * plan.rowsPerCell),
  }));
  return [
    projections,
    [
      { op: 'pack', which: 1 },
      { op: 'pack', which: 2 },
    ],
    ranges,
  ];
}

export function runStreamTask(ex: KernelExports, plan: StreamPlan, task: StreamTask, scratch: number): void {
  if (task.op === 'project') {
    const { x } = plan;
    const rows = task.rowEnd - task.rowStart;
    for (const [w, dst] of [
      [plan.wq, plan.q],
      [plan.wk, plan.k],
      [plan.wv, plan.v],
    ] as const) {
      ex.packPanels(w.ptr, w.cols, w.rows, w.cols, scratch);
      ex.gemmPanels(
        x.ptr + task.rowStart * x.cols * 4,
        x.cols,
        rows,
        x.cols,
        scratch,
        panelBytes(w.rows, 8),
        w.cols,
        dst.ptr + task.rowStart * dst.cols * 4,
        dst.cols,
      );
    }
    return;
  }
  const { q, k, v } = plan;
  if (task.op === 'pack') {
    if (task.which === 1) ex.packTransposedPanels(k.ptr, k.cols, k.rows, k.cols, plan.kPanels);
    else ex.packPanels(v.ptr, v.cols, v.rows, v.cols, plan.vPanels);
    return;
  }
  ex.attentionOverview(
    q.ptr,
    q.cols,
    plan.kPanels,
    plan.vPanels,
    q.rows,
    k.rows,
    q.cols,
    v.cols,
    plan.factor,
    task.rowStart,
    task.rowEnd,
    plan.maskKind,
    plan.mask,
    scratch + plan.chunkOffset,
    plan.out.ptr,
    plan.overview.ptr,
    plan.rowsPerCell,
    plan.colsPerCell,
    plan.overview.cols,
    plan.stats.ptr,
  );
}
