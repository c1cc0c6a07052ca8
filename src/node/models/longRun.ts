// A model run past the whole-matrix size: the long-sequence path of long texts (src/node/streaming.ts)
// applied per head. The forward pass still runs layer by layer, but each head's attention goes through
// the streaming kernels (streamGivenHead: a block of query rows at a time on the worker pool), which
// never hold an n×n matrix; what a head leaves behind is its output (the next layer needs it), its
// max-pooled weights (the overview) and exact per-row figures. A region at full resolution is
// recomputed from the layer's q and k after RoPE (modelRegion), so nothing of n² size is kept.
//
// Memory per layer: the activations (n × hidden, n × intermediate for the MLP), q, k, v (n × (heads +
// 2·kvHeads) · headDim) and, per head, overviewSide² + 3n floats; the streaming kernels' own buffers
// are O(rows per block × n). A mask other than causal/none (padding, a sliding window shorter than
// the text) is an explicit n×n table, 5 bytes per cell (modelMask's float32 and the kernels' bytes).
import type { Matrix } from '../../core/matrix';
import type { MaskSpec } from '../../core/mask';
import { type AttendFn, type HeadOutput } from '../../core/models';
import { columns } from '../../core/models/blocks';
import { type HeadRegion, headRegion, streamGivenHead } from '../streaming';
import type { AttentionPool } from '../parallel';

/** One head of one layer of a long model run, reduced to what the overview shows. */
export interface PooledModelHead extends HeadOutput {
  /** side × side blocks of cell × cell tokens, each the largest weight in its block. */
  readonly overview: Matrix;
  readonly cell: number;
  /** Per query row (n each): entropy in nats, largest weight, the weight on its own position. */
  readonly entropy: Float32Array;
  readonly maxWeight: Float32Array;
  readonly diagonal: Float32Array;
  /** The model's factor on q·kᵀ. */
  readonly factor: number;
}

export interface StreamingAttendOptions {
  /** Overview blocks per side (at most n). */
  readonly overviewSide: number;
  readonly signal?: AbortSignal;
  /** The worker pool (default: the streaming kernels' own). */
  readonly pool?: AttentionPool;
}

/** An AttendFn for runModel whose heads are pooled overviews (the streaming kernels, one head at a time). */
export function attendStreaming(options: StreamingAttendOptions): AttendFn<PooledModelHead> {
  return async (heads, mask, factor) => {
    const out: PooledModelHead[] = [];
    for (const { q, k, v } of heads) {
      // One head at a time: the kernels' buffers are sized for one head, and each head's q, k, v copies
      // are dropped as soon as it is done.
      const h = await streamGivenHead(q, k, v, factor, {
        mask,
        overviewSize: options.overviewSide,
        signal: options.signal,
        pool: options.pool,
      });
      out.push({
        output: h.output,
        overview: h.overview,
        cell: h.cell,
        entropy: h.entropy,
        maxWeight: h.maxWeight,
        diagonal: h.diagonal,
        factor: h.factor,
      });
    }
    return out;
  };
}

/** What a region needs of a layer: q [n, heads·headDim] and k [n, kvHeads·headDim] after RoPE, its mask and factor. */
export interface LayerQK {
  readonly qRot: Matrix;
  readonly kRot: Matrix;
  readonly headDim: number;
  readonly mask: MaskSpec;
  readonly factor: number;
}

/**
 * Query head `head` (reading key/value head `kvHead`) at full resolution: queries rows[0]…rows[1]−1
 * against every key (so each row's softmax is over all n keys, exactly the full matrix's rows),
 * cropped to keys cols[0]…cols[1]−1. Cost O(rows · n · headDim), memory O(rows · n).
 */
export function modelRegion(
  layer: LayerQK,
  head: number,
  kvHead: number,
  rows: readonly [number, number],
  cols: readonly [number, number],
): HeadRegion {
  const d = layer.headDim;
  const q = columns(layer.qRot, head * d, d),
    k = columns(layer.kRot, kvHead * d, d);
  // The region shows scores and weights, not outputs: k stands in for v (same rows, any width would do).
  return headRegion(q, k, k, rows, cols, { mask: layer.mask, scale: layer.factor });
}
