// The attention step every architecture shares, captured as the model computes it: per query head
// the unscaled q·kᵀ (after RoPE where there is one), the model's own scale factor, its mask (causal,
// sliding window, padded keys) and the softmax weights, i.e. what transformers returns with
// output_attentions=True under attn_implementation="eager". Grouped-query attention keeps which
// key/value head each query head reads.
import type { Matrix } from '../matrix';
import { type AttentionResult } from '../attention';
import type { MaskSpec } from '../mask';
import * as kernels from '../kernels';
import { type MatmulFn, columns, setColumns } from './blocks';
import { zeros, matrixFrom } from '../matrix';

export interface GivenHead {
  readonly q: Matrix;
  readonly k: Matrix;
  readonly v: Matrix;
}

/** What the forward pass needs of an attended head: its output (the rest is the caller's to keep). */
export interface HeadOutput {
  readonly output: Matrix;
}

/**
 * Runs attention for heads whose q, k, v are given: in this thread by default, on the worker pool in
 * node. H is what each head becomes: the whole matrices (AttentionResult, the default), or for long
 * sequences a pooled overview (src/node/models/longRun.ts), which never holds an n×n matrix.
 */
export type AttendFn<H extends HeadOutput = AttentionResult> = (
  heads: readonly GivenHead[],
  mask: MaskSpec,
  factor: number,
) => Promise<H[]>;

/** The WebAssembly kernels (or the reference core where SIMD is missing), one head after another. */
export const attendInThread: AttendFn = async (heads, mask, factor) =>
  heads.map(({ q, k, v }) => kernels.attention(q, k, v, { scale: factor, mask }));

export interface LayerAttention<H extends HeadOutput = AttentionResult> {
  readonly layer: number;
  /** The model's factor on q·kᵀ (1/√head_dim, GPT-2's 1/(layer+1) when configured). */
  readonly factor: number;
  readonly mask: MaskSpec;
  /** Per query head, what `attend` made of it: by default dots (unscaled q·kᵀ), scores (dots·factor), allowed, weights, output. */
  readonly heads: readonly H[];
  /** Per query head, the key/value head it shares (grouped-query attention); the identity otherwise. */
  readonly kvHeadOf: readonly number[];
  /** The sliding window of this layer, or null. */
  readonly window: number | null;
  /** On request (keepQK): q [n, heads·headDim] and k [n, kvHeads·headDim] before and after RoPE (the same when there is no RoPE). */
  readonly qk?: { readonly qPre: Matrix; readonly kPre: Matrix; readonly qRot: Matrix; readonly kRot: Matrix };
}

export interface ModelInput {
  readonly ids: readonly number[];
  readonly tokenTypeIds?: readonly number[];
  /** 1 for a real token, 0 for padding (keys with 0 are masked for every query). */
  readonly attentionMask?: readonly number[];
}

export interface ForwardOptions<H extends HeadOutput = AttentionResult> {
  /** Required whenever H is not AttentionResult (the default runs attendInThread, whose heads are AttentionResults). */
  readonly attend?: AttendFn<H>;
  /** The projections' and MLPs' products (default: this thread's kernels). */
  readonly matmul?: MatmulFn;
  readonly keepQK?: boolean;
  /** Called once per layer, in order, as soon as its attention is known; keep what you need of it. */
  readonly onLayer?: (layer: LayerAttention<H>) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

export interface ForwardResult {
  /** The last hidden state [n, hidden] (after the final norm where the model has one). */
  readonly hidden: Matrix;
}

/** Which keys each query may see: causal or not, a sliding window, padded keys. A word mask when it can be one. */
export function modelMask(
  n: number,
  causal: boolean,
  window: number | null,
  attentionMask: readonly number[] | undefined,
): MaskSpec {
  const padded = attentionMask?.some((m) => m === 0) ?? false;
  if (!padded && window === null) return causal ? 'causal' : 'none';
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let ok = !causal || j <= i;
      if (window !== null && j <= i - window) ok = false;
      if (attentionMask && attentionMask[j] === 0) ok = false;
      data[i * n + j] = ok ? 1 : 0;
    }
  }
  return matrixFrom(n, n, data);
}

/**
 * Splits q [n, heads·d], k and v [n, kvHeads·d] into heads, attends (query head h reads key/value
 * head ⌊h / (heads/kvHeads)⌋, as repeat_kv does) and puts the heads' outputs side by side [n, heads·d].
 * q, k and v start at columns `at` of their matrices (GPT-2 passes its fused qkv three times, so the
 * heads are cut from it directly, without a q, k, v copy in between).
 */
export async function multiHeadSelfAttention<H extends HeadOutput>(
  q: Matrix,
  k: Matrix,
  v: Matrix,
  shape: { heads: number; kvHeads: number; headDim: number },
  mask: MaskSpec,
  factor: number,
  attend: AttendFn<H>,
  at: { readonly q: number; readonly k: number; readonly v: number } = { q: 0, k: 0, v: 0 },
): Promise<{ heads: H[]; kvHeadOf: number[]; output: Matrix }> {
  const { heads, kvHeads, headDim } = shape;
  const group = heads / kvHeads;
  const kvHeadOf = Array.from({ length: heads }, (_, h) => Math.floor(h / group));
  const ks = Array.from({ length: kvHeads }, (_, g) => columns(k, at.k + g * headDim, headDim));
  const vs = Array.from({ length: kvHeads }, (_, g) => columns(v, at.v + g * headDim, headDim));
  const given = kvHeadOf.map((g, h) => ({ q: columns(q, at.q + h * headDim, headDim), k: ks[g], v: vs[g] }));
  const results = await attend(given, mask, factor);
  const output = zeros(q.rows, heads * headDim);
  results.forEach((r, h) => setColumns(output, r.output, h * headDim));
  return { heads: results, kvHeadOf, output };
}

/** options.attend, or this thread's kernels (whose heads are AttentionResults: H's default, as ForwardOptions says). */
export function attendOf<H extends HeadOutput>(options: ForwardOptions<H>): AttendFn<H> {
  return options.attend ?? (attendInThread as unknown as AttendFn<H>);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
}
