// Long attention in a tensor file (self-attention over more than FULL_RESOLUTION_TOKENS tokens): each
// head is taken a block of query rows at a time (exported maps: one positional read each; Q/K/V: the
// rows' q·k against every key), its weights (as exported, or the softmax of the logits) max-pooled
// into the overview and measured row by row, then dropped. Memory is one block of rows, never the
// n×n head; a region is its rows computed again.
import {
  type MaskWord,
  type Matrix,
  allowedRows,
  cropColumns,
  factorFor,
  matrixFrom,
  rowSharpness,
  softmaxWithSharpness,
} from '../core';
import * as kernels from '../core/kernels';
import { type AttentionView, type TensorFile, readHead, readHeadRows } from '../core/tensorfiles';
import type { RegionParams, RegionPayload } from '../protocol/messages';
import type { PooledHead } from './pooledHeads';
import { exact } from './source';

/** Rows read at once: about 32 MB of float32 at n = 16384. */
const ROWS_PER_READ_CELLS = 1 << 23;

export interface LongFile {
  readonly file: TensorFile;
  readonly view: AttentionView;
  readonly batch: number;
  /** Exported weights are shown as they are; exported scores and Q/K/V logits go through softmax at `factor`. */
  readonly meaning: 'weights' | 'scores' | 'qkv';
  /** The factor for scores; for Q/K/V, factorFor(d_k) gives each head's. */
  readonly factor: number | null;
  readonly factorFor?: (dK: number) => number;
  readonly mask: MaskWord;
  /** Where it exists (the node worker), one Q/K/V head through the multi-threaded streaming kernels. */
  readonly streamGiven?: StreamGivenHead;
}

/** Computes one self-attention head from its Q, K, V: its overview in blocks of `cell` and row figures. */
export type StreamGivenHead = (
  q: Matrix,
  k: Matrix,
  v: Matrix,
  factor: number,
  mask: MaskWord,
  cell: number,
) => Promise<Pick<PooledHead, 'overview' | 'entropy' | 'maxWeight' | 'diagonal'>>;

/** Where one head's rows come from: the file's map rows, or q·k from the head's Q and K. */
interface HeadRows {
  rows(r0: number, r1: number): Promise<Matrix>;
  readonly factor: number | null;
  readonly dK: number | null;
  readonly dV: number | null;
}

async function headRows(long: LongFile, layer: number, head: number, dK: number | null): Promise<HeadRows> {
  const at = { layer, head, batch: long.batch };
  if (long.meaning !== 'qkv') {
    return {
      rows: (r0, r1) => readHeadRows(long.file, long.view, at, r0, r1),
      factor: long.meaning === 'scores' ? long.factor : null,
      dK,
      dV: null,
    };
  }
  const data = await readHead(long.file, long.view, at);
  if (data.kind !== 'qkv') throw new Error('expected q/k/v');
  const { q, k } = data;
  const d = q.cols;
  return {
    rows: async (r0, r1) => kernels.matmulTransposed(matrixFrom(r1 - r0, d, q.data.subarray(r0 * d, r1 * d)), k),
    factor: long.factorFor ? long.factorFor(d) : factorFor(undefined, d),
    dK: d,
    dV: data.v ? data.v.cols : null,
  };
}

/** Weights and per-row figures of rows r0…r1−1 (logits: softmax at the factor under the mask). */
function weightsOf(
  long: LongFile,
  rows: Matrix,
  r0: number,
  factor: number | null,
): { weights: Float32Array; entropy: Float32Array; maxWeight: Float32Array } {
  const n = long.view.queries,
    m = long.view.keys;
  if (long.meaning === 'weights') {
    const s = rowSharpness(rows);
    return { weights: rows.data, entropy: s.entropy, maxWeight: s.maxWeight };
  }
  const allowed = allowedRows(long.mask, n, m, r0, r0 + rows.rows);
  return softmaxWithSharpness(rows, allowed, factor ?? 1);
}

/** One head through the file a block of rows at a time: its overview (blocks of `cell`) and row figures. */
export async function poolFileHead(
  long: LongFile,
  layer: number,
  head: number,
  cell: number,
  dK: number | null,
): Promise<PooledHead> {
  if (long.meaning === 'qkv' && long.streamGiven) return streamedQkvHead(long, long.streamGiven, layer, head, cell);
  const n = long.view.queries,
    m = long.view.keys;
  const side = Math.ceil(n / cell),
    sideCols = Math.ceil(m / cell);
  const overview = new Float32Array(side * sideCols);
  const entropy = new Float32Array(n),
    maxWeight = new Float32Array(n),
    diagonal = new Float32Array(n);
  const colBlock = new Int32Array(m);
  for (let j = 0; j < m; j++) colBlock[j] = (j / cell) | 0;
  // Whole blocks of rows per read, so no overview row is split between reads.
  const step = Math.max(cell, Math.floor(ROWS_PER_READ_CELLS / m / cell) * cell);
  const source = await headRows(long, layer, head, dK);
  for (let r0 = 0; r0 < n; r0 += step) {
    const r1 = Math.min(n, r0 + step);
    const w = weightsOf(long, await source.rows(r0, r1), r0, source.factor);
    entropy.set(w.entropy, r0);
    maxWeight.set(w.maxWeight, r0);
    for (let i = 0; i < r1 - r0; i++) {
      const row = r0 + i;
      const src = i * m,
        dst = ((row / cell) | 0) * sideCols;
      for (let j = 0; j < m; j++) {
        const v = w.weights[src + j];
        const k = dst + colBlock[j];
        if (v > overview[k]) overview[k] = v;
      }
      if (row < m) diagonal[row] = w.weights[src + row];
    }
  }
  return { layer, head, overview, entropy, maxWeight, diagonal, factor: source.factor, dK: source.dK, dV: source.dV };
}

/** A Q/K/V head through the streaming kernels (the same figures as the row pass below, faster). */
async function streamedQkvHead(
  long: LongFile,
  stream: StreamGivenHead,
  layer: number,
  head: number,
  cell: number,
): Promise<PooledHead> {
  const data = await readHead(long.file, long.view, { layer, head, batch: long.batch });
  if (data.kind !== 'qkv') throw new Error('expected q/k/v');
  const { q, k } = data;
  // Without values there is no output, but the weights are the same: a zero column stands in.
  const v = data.v ?? matrixFrom(k.rows, 1, new Float32Array(k.rows));
  const factor = long.factorFor ? long.factorFor(q.cols) : factorFor(undefined, q.cols);
  const figures = await stream(q, k, v, factor, long.mask, cell);
  return { layer, head, ...figures, factor, dK: q.cols, dV: data.v ? data.v.cols : null };
}

/** Queries × keys of one head at full resolution: its rows read again, each normalised over all keys. */
export async function fileRegion(
  long: LongFile,
  params: RegionParams,
  labels: { queries: readonly string[]; keys: readonly string[] },
): Promise<RegionPayload> {
  const n = long.view.queries,
    m = long.view.keys;
  const r0 = params.row0,
    c0 = params.col0;
  const r1 = Math.min(n, r0 + params.rows),
    c1 = Math.min(m, c0 + params.cols);
  const source = await headRows(long, params.layer, params.head, null);
  const rows = await source.rows(r0, r1);
  const w = weightsOf(long, rows, r0, source.factor);
  const width = c1 - c0;
  const crop = <T extends Float32Array | Uint8Array>(data: T) => cropColumns(data, r1 - r0, m, c0, c1);
  const full = allowedRows(long.meaning === 'weights' ? 'none' : long.mask, n, m, r0, r1);
  const allowed = full ? crop(full) : null;
  return {
    row0: r0,
    rows: r1 - r0,
    col0: c0,
    cols: width,
    tokens: labels.queries.slice(r0, r1),
    keyTokens: labels.keys.slice(c0, c1),
    factor: source.factor,
    dots: long.meaning === 'weights' ? null : crop(rows.data),
    weights: crop(w.weights),
    allowed: allowed ? exact(allowed) : null,
    entropy: exact(w.entropy),
  };
}
