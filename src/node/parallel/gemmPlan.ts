// How one matrix product C = A·B (or A·Bᵀ) is laid out in a shared memory and cut into tasks for the
// worker pool, in two phases: first A's rows are packed in groups of four (packRowQuads, a row range
// per task), then each task owns a strip of output columns (a multiple of the 8-column panel width),
// packs that strip of B into panels and multiplies the packed A by it. Tasks of a phase share nothing
// they write, and every C element is computed by the same kernel over the same k order as on one
// thread: the result is bit-identical to kernels.matmul / kernels.matmulTransposed.
import type { Arena } from '../../core/kernels/arena';
import { type KernelExports, PANEL_COLS, panelBytes, rowQuadBytes } from '../../core/kernels/abi';
import type { Slot } from '../../core/kernels/plan';

export interface GemmPlan {
  readonly a: Slot;
  /** B as stored: k×m (plain) or m×k (transposed, a torch nn.Linear weight). */
  readonly b: Slot;
  readonly transposed: boolean;
  /** B packed into panels; each task packs its own panels. */
  readonly panels: number;
  /** A's whole groups of four rows packed (rowQuadBytes), by the first phase. */
  readonly quads: number;
  readonly c: Slot;
}

export interface ColumnStrip {
  readonly op: 'gemm';
  /** Output columns [colStart, colEnd); colStart is a multiple of PANEL_COLS. */
  readonly colStart: number;
  readonly colEnd: number;
}

export interface RowQuadRange {
  readonly op: 'packRows';
  /** Rows [rowStart, rowEnd) of A, both multiples of 4 (n's leftover rows are read unpacked). */
  readonly rowStart: number;
  readonly rowEnd: number;
}

export type GemmTask = ColumnStrip | RowQuadRange;

function slot(arena: Arena, rows: number, cols: number): Slot {
  return { ptr: arena.reserve(rows * cols * 4), rows, cols };
}

/** Lays out A (n×k), B and C (n×m) for a product; shapes already checked. */
export function planGemm(arena: Arena, n: number, k: number, m: number, transposed: boolean): GemmPlan {
  const a = slot(arena, n, k);
  const b = transposed ? slot(arena, m, k) : slot(arena, k, m);
  const panels = arena.reserve(panelBytes(k, m));
  const quads = arena.reserve(rowQuadBytes(n, k));
  const c = slot(arena, n, m);
  return { a, b, transposed, panels, quads, c };
}

/** Splits the m output columns into at most `parts` strips of whole panels. */
export function columnStrips(m: number, parts: number): ColumnStrip[] {
  const panelCount = Math.ceil(m / PANEL_COLS);
  const count = Math.max(1, Math.min(parts, panelCount));
  const tasks: ColumnStrip[] = [];
  for (let p = 0; p < count; p++) {
    const first = Math.floor((panelCount * p) / count),
      last = Math.floor((panelCount * (p + 1)) / count);
    if (last > first) tasks.push({ op: 'gemm', colStart: first * PANEL_COLS, colEnd: Math.min(m, last * PANEL_COLS) });
  }
  return tasks;
}

/** Splits A's whole groups of four rows into at most `parts` ranges for the packing phase. */
export function rowQuadRanges(n: number, parts: number): RowQuadRange[] {
  const groups = Math.floor(n / 4);
  const count = Math.max(1, Math.min(parts, groups));
  const tasks: RowQuadRange[] = [];
  for (let p = 0; p < count; p++) {
    const first = Math.floor((groups * p) / count),
      last = Math.floor((groups * (p + 1)) / count);
    if (last > first) tasks.push({ op: 'packRows', rowStart: first * 4, rowEnd: last * 4 });
  }
  return tasks;
}

/** The phases of a product: pack A's row quads (none when n < 4), then the column strips. */
export function gemmPhases(n: number, m: number, parts: number): GemmTask[][] {
  const packing = rowQuadRanges(n, parts);
  return packing.length ? [packing, columnStrips(m, parts)] : [columnStrips(m, parts)];
}

/** Packs this task's rows of A, or packs this task's strip of B and computes its columns of C. */
export function runGemmTask(ex: KernelExports, plan: GemmPlan, task: GemmTask): void {
  const { a, b, c } = plan;
  if (task.op === 'packRows') {
    const rows = task.rowEnd - task.rowStart;
    ex.packRowQuads(a.ptr + task.rowStart * a.cols * 4, a.cols, rows, a.cols, plan.quads + task.rowStart * a.cols * 4);
    return;
  }
  const k = a.cols,
    width = task.colEnd - task.colStart;
  const panelStride = panelBytes(k, PANEL_COLS);
  const panels = plan.panels + (task.colStart / PANEL_COLS) * panelStride;
  if (plan.transposed) ex.packTransposedPanels(b.ptr + task.colStart * b.cols * 4, b.cols, width, k, panels);
  else ex.packPanels(b.ptr + task.colStart * 4, b.cols, k, width, panels);
  ex.gemmQuads(plan.quads, a.ptr, k, a.rows, k, panels, panelStride, width, c.ptr + task.colStart * 4, c.cols);
}
