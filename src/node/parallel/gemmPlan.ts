// How one matrix product C = A·B (or A·Bᵀ) is laid out in a shared memory and cut into tasks for the
// worker pool: each task owns a strip of output columns (a multiple of the 8-column panel width), packs
// that strip of B into panels and multiplies A by it. Tasks share nothing they write, so they need no
// barrier, and every C element is computed by the same kernel over the same k order as on one thread:
// the result is bit-identical to kernels.matmul / kernels.matmulTransposed.
import type { Arena } from '../../core/kernels/arena';
import { type KernelExports, PANEL_COLS, panelBytes } from '../../core/kernels/abi';
import type { Slot } from '../../core/kernels/plan';

export interface GemmPlan {
  readonly a: Slot;
  /** B as stored: k×m (plain) or m×k (transposed, a torch nn.Linear weight). */
  readonly b: Slot;
  readonly transposed: boolean;
  /** B packed into panels; each task packs its own panels. */
  readonly panels: number;
  readonly c: Slot;
}

export interface GemmTask {
  readonly op: 'gemm';
  /** Output columns [colStart, colEnd); colStart is a multiple of PANEL_COLS. */
  readonly colStart: number;
  readonly colEnd: number;
}

function slot(arena: Arena, rows: number, cols: number): Slot {
  return { ptr: arena.reserve(rows * cols * 4), rows, cols };
}

/** Lays out A (n×k), B and C (n×m) for a product; shapes already checked. */
export function planGemm(arena: Arena, n: number, k: number, m: number, transposed: boolean): GemmPlan {
  const a = slot(arena, n, k);
  const b = transposed ? slot(arena, m, k) : slot(arena, k, m);
  const panels = arena.reserve(panelBytes(k, m));
  const c = slot(arena, n, m);
  return { a, b, transposed, panels, c };
}

/** Splits the m output columns into at most `parts` strips of whole panels. */
export function columnStrips(m: number, parts: number): GemmTask[] {
  const panelCount = Math.ceil(m / PANEL_COLS);
  const count = Math.max(1, Math.min(parts, panelCount));
  const tasks: GemmTask[] = [];
  for (let p = 0; p < count; p++) {
    const first = Math.floor((panelCount * p) / count),
      last = Math.floor((panelCount * (p + 1)) / count);
    if (last > first) tasks.push({ op: 'gemm', colStart: first * PANEL_COLS, colEnd: Math.min(m, last * PANEL_COLS) });
  }
  return tasks;
}

/** Packs this task's strip of B and computes its columns of C. */
export function runGemmTask(ex: KernelExports, plan: GemmPlan, task: GemmTask): void {
  const { a, b, c } = plan;
  const k = a.cols,
    width = task.colEnd - task.colStart;
  const panelStride = panelBytes(k, PANEL_COLS);
  const panels = plan.panels + (task.colStart / PANEL_COLS) * panelStride;
  if (plan.transposed) ex.packTransposedPanels(b.ptr + task.colStart * b.cols * 4, b.cols, width, k, panels);
  else ex.packPanels(b.ptr + task.colStart * 4, b.cols, k, width, panels);
  ex.gemmPanels(a.ptr, k, a.rows, k, panels, panelStride, width, c.ptr + task.colStart * 4, c.cols);
}
