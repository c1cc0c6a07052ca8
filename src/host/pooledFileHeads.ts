// Long attention maps in a tensor file (self-attention over more than FULL_RESOLUTION_TOKENS tokens):
// each head is read a block of rows at a time (one positional read each), its weights (as exported,
// or the softmax of exported scores) max-pooled into the overview and measured row by row, then
// dropped. Memory is one block of rows, never the n×n head; a region is its rows read again.
import { type MaskWord, type Matrix, allowedRows, rowSharpness, softmaxWithSharpness } from '../core';
import { type AttentionView, type TensorFile, readHeadRows } from '../core/tensorfiles';
import type { RegionParams, RegionPayload } from '../protocol/messages';
import type { PooledHead } from './pooledHeads';
import { exact } from './source';

/** Rows read at once: about 32 MB of float32 at n = 16384. */
const ROWS_PER_READ_CELLS = 1 << 23;

export interface FileMaps {
  readonly file: TensorFile;
  readonly view: AttentionView;
  readonly batch: number;
  /** Exported weights are shown as they are; exported scores go through softmax at `factor`. */
  readonly meaning: 'weights' | 'scores';
  readonly factor: number | null;
  readonly mask: MaskWord;
}

/** Weights and per-row figures of rows r0…r1−1 (scores: softmax at the factor under the mask). */
function weightsOf(maps: FileMaps, rows: Matrix, r0: number): { weights: Float32Array; entropy: Float32Array; maxWeight: Float32Array } {
  const n = maps.view.queries, m = maps.view.keys;
  if (maps.meaning === 'weights') {
    const s = rowSharpness(rows);
    return { weights: rows.data, entropy: s.entropy, maxWeight: s.maxWeight };
  }
  const allowed = allowedRows(maps.mask, n, m, r0, r0 + rows.rows);
  return softmaxWithSharpness(rows, allowed, maps.factor ?? 1);
}

/** One head through the file a block of rows at a time: its overview (blocks of `cell`) and row figures. */
export async function poolFileHead(maps: FileMaps, layer: number, head: number, cell: number, dK: number | null): Promise<PooledHead> {
  const n = maps.view.queries, m = maps.view.keys;
  const side = Math.ceil(n / cell), sideCols = Math.ceil(m / cell);
  const overview = new Float32Array(side * sideCols);
  const entropy = new Float32Array(n), maxWeight = new Float32Array(n), diagonal = new Float32Array(n);
  const colBlock = new Int32Array(m);
  for (let j = 0; j < m; j++) colBlock[j] = (j / cell) | 0;
  // Whole blocks of rows per read, so no overview row is split between reads.
  const step = Math.max(cell, Math.floor(ROWS_PER_READ_CELLS / m / cell) * cell);
  for (let r0 = 0; r0 < n; r0 += step) {
    const r1 = Math.min(n, r0 + step);
    const rows = await readHeadRows(maps.file, maps.view, { layer, head, batch: maps.batch }, r0, r1);
    const w = weightsOf(maps, rows, r0);
    entropy.set(w.entropy, r0);
    maxWeight.set(w.maxWeight, r0);
    for (let i = 0; i < r1 - r0; i++) {
      const row = r0 + i;
      const src = i * m, dst = ((row / cell) | 0) * sideCols;
      for (let j = 0; j < m; j++) {
        const v = w.weights[src + j];
        const k = dst + colBlock[j];
        if (v > overview[k]) overview[k] = v;
      }
      if (row < m) diagonal[row] = w.weights[src + row];
    }
  }
  return { layer, head, overview, entropy, maxWeight, diagonal, factor: maps.meaning === 'scores' ? maps.factor : null, dK, dV: null };
}

/** Queries × keys of one head at full resolution: its rows read again, each normalised over all keys. */
export async function fileRegion(maps: FileMaps, params: RegionParams, labels: { queries: readonly string[]; keys: readonly string[] }): Promise<RegionPayload> {
  const n = maps.view.queries, m = maps.view.keys;
  const r0 = params.row0, c0 = params.col0;
  const r1 = Math.min(n, r0 + params.rows), c1 = Math.min(m, c0 + params.cols);
  const rows = await readHeadRows(maps.file, maps.view, { layer: params.layer, head: params.head, batch: maps.batch }, r0, r1);
  const w = weightsOf(maps, rows, r0);
  const width = c1 - c0;
  const crop = (data: Float32Array) => {
    const out = new Float32Array((r1 - r0) * width);
    for (let i = 0; i < r1 - r0; i++) out.set(data.subarray(i * m + c0, i * m + c1), i * width);
    return out;
  };
  const full = allowedRows(maps.meaning === 'scores' ? maps.mask : 'none', n, m, r0, r1);
  let allowed: Uint8Array | null = null;
  if (full) {
    allowed = new Uint8Array((r1 - r0) * width);
    for (let i = 0; i < r1 - r0; i++) allowed.set(full.subarray(i * m + c0, i * m + c1), i * width);
  }
  return {
    row0: r0, rows: r1 - r0, col0: c0, cols: width,
    tokens: labels.queries.slice(r0, r1),
    keyTokens: labels.keys.slice(c0, c1),
    factor: maps.meaning === 'scores' ? maps.factor ?? 1 : null,
    dots: maps.meaning === 'scores' ? crop(rows.data) : null,
    weights: crop(w.weights),
    allowed: allowed ? exact(allowed) : null,
    entropy: exact(w.entropy),
  };
}
