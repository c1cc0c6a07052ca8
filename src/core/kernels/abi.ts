// The WebAssembly kernels' interface as TypeScript sees it (assembly/index.ts is the other side).
// Every pointer is a byte offset into the module's linear memory; every length and leading dimension
// counts float32 elements. Pointers past 2 GiB arrive as negative i32 and are read back as unsigned.
import type { MaskSpec } from '../mask';

export interface KernelExports {
  packPanels(b: number, ldb: number, k: number, m: number, dst: number): void;
  packTransposedPanels(t: number, ldt: number, m: number, k: number, dst: number): void;
  gemmPanels(
    a: number,
    lda: number,
    n: number,
    k: number,
    bp: number,
    panelStride: number,
    m: number,
    c: number,
    ldc: number,
  ): void;
  rowQuadBytes(n: number, k: number): number;
  packRowQuads(a: number, lda: number, n: number, k: number, dst: number): void;
  gemmQuads(
    aq: number,
    a: number,
    lda: number,
    n: number,
    k: number,
    bp: number,
    panelStride: number,
    m: number,
    c: number,
    ldc: number,
  ): void;
  copyBlock(src: number, lds: number, rows: number, cols: number, dst: number, ldd: number): void;
  scaleInto(src: number, count: number, factor: number, dst: number): void;
  softmaxRows(
    s: number,
    lds: number,
    n: number,
    m: number,
    rowOffset: number,
    kind: number,
    mask: number,
    factor: number,
    d: number,
    ldd: number,
  ): void;
  attentionHead(
    q: number,
    ldq: number,
    k: number,
    ldk: number,
    v: number,
    ldv: number,
    n: number,
    m: number,
    dk: number,
    dv: number,
    factor: number,
    rowStart: number,
    rowEnd: number,
    kind: number,
    mask: number,
    dots: number,
    scores: number,
    weights: number,
    out: number,
    scratch: number,
    rowBase: number,
  ): void;
  attentionOverview(
    q: number,
    ldq: number,
    kp: number,
    vp: number,
    n: number,
    m: number,
    dk: number,
    dv: number,
    factor: number,
    rowStart: number,
    rowEnd: number,
    kind: number,
    mask: number,
    chunk: number,
    out: number,
    overview: number,
    rowsPerCell: number,
    colsPerCell: number,
    ovCols: number,
    stats: number,
  ): void;
  rowStats(w: number, rows: number, m: number, rowStart: number, stats: number): void;
  panelBytes(k: number, m: number): number;
  attentionScratchBytes(m: number, dk: number, dv: number): number;
  sweepRows(
    dots: number,
    ldd: number,
    n: number,
    m: number,
    rowOffset: number,
    kind: number,
    mask: number,
    factors: number,
    nf: number,
    acc: number,
  ): void;
}

/** Mask kinds, as in assembly/softmax.ts. */
export const MASK_NONE = 0;
export const MASK_CAUSAL = 1;
export const MASK_ANTICAUSAL = 2;
export const MASK_TABLE = 3;

/** The word masks are computed inside the kernels; an explicit matrix goes in as a byte table. */
export function maskKind(mask: MaskSpec): number {
  if (mask === 'none') return MASK_NONE;
  if (mask === 'causal') return MASK_CAUSAL;
  if (mask === 'anticausal') return MASK_ANTICAUSAL;
  return MASK_TABLE;
}

/** Columns per packed panel and bytes per panel row (assembly/gemm.ts). */
export const PANEL_COLS = 8;
const PANEL_ROW_BYTES = 32;

/** Bytes to pack a k×m matrix into panels (same as the module's panelBytes, without the u32 limit). */
export function panelBytes(k: number, m: number): number {
  return k * PANEL_ROW_BYTES * Math.ceil(m / PANEL_COLS);
}

/** Bytes packRowQuads writes for an n×k A: its whole groups of four rows (assembly/gemm.ts rowQuadBytes). */
export function rowQuadBytes(n: number, k: number): number {
  return Math.floor(n / 4) * k * 16;
}

/** Scratch for attentionHead: Kᵀ panels plus V panels. */
export function attentionScratchBytes(m: number, dk: number, dv: number): number {
  return panelBytes(dk, m) + panelBytes(m, dv);
}

/** f64 slots per sweep factor (Σ entropy, Σ normalized entropy, Σ max weight, Σ exp(entropy), Σ Jacobian norm). */
export const SWEEP_SLOTS = 5;

/** Linear memory below this holds the module's constant data (math tables); arenas start here. */
export const ARENA_BASE = 65536;
export const WASM_PAGE = 65536;

/** Rounds up to a multiple of 64 bytes: vector loads stay aligned and regions do not share cache lines. */
export function alignUp(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
