// What the panel receives for a long sequence, whatever computed it (the streaming kernels for a long
// text, a row-by-row pass over a tensor file): per head a max-pooled overview of blocks of `cell` ×
// `cell` tokens and exact per-row figures; from those, the head summaries, the pooled head payloads
// and the heads grid. Browser-safe (no node, no vscode).
import { InputError, type MaskWord } from '../core';
import type { HeadIndex, HeadPayload, HeadSummary, PooledInfo, Thumbnails } from '../protocol/messages';
import { packThumbnails } from './payload';

/** Overview blocks per side: a 16384-token head becomes 1024 × 1024 blocks of 16 × 16 tokens. */
export const OVERVIEW_SIDE = 1024;

/** One head of a long sequence, reduced to what the panel shows. */
export interface PooledHead {
  readonly layer: number;
  readonly head: number;
  /** side × side blocks (side = ⌈n / cell⌉), each the largest weight of its tokens. */
  readonly overview: Float32Array;
  /** Per token row (n each): entropy in nats, largest weight, weight on its own position. */
  readonly entropy: Float32Array;
  readonly maxWeight: Float32Array;
  readonly diagonal: Float32Array;
  /** The factor the weights were computed with (null for exported weights). */
  readonly factor: number | null;
  readonly dK: number | null;
  readonly dV: number | null;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length ? s / values.length : 0;
}

/**
 * Whether query block a may see some key of block b under a word mask (blocks of `cell` tokens); a
 * causal sliding window of `window` tokens (query i sees keys i − window < j ≤ i, as modelMask) also
 * needs some pair of the blocks within it: the closest pair is a's first query and b's last key.
 */
function blockAllowed(mask: MaskWord, a: number, b: number, cell: number, n: number, window: number | null): boolean {
  if (mask === 'none') return true;
  const aFirst = a * cell,
    aLast = Math.min(n, (a + 1) * cell) - 1;
  const bFirst = b * cell,
    bLast = Math.min(n, (b + 1) * cell) - 1;
  if (mask === 'anticausal') return bLast >= aFirst;
  return aLast >= bFirst && (window === null || aFirst - bLast < window);
}

export class PooledHeads {
  readonly side: number;
  /** The blocks' mask per sliding-window length (null: no window), shared by the layers that have it. */
  private readonly allowedByWindow = new Map<number | null, Uint8Array | null>();

  /**
   * `heads` in (layer, head) order, `perLayer` heads in each layer; n tokens in blocks of `cell`.
   * `windows[layer]`: that layer's causal sliding window (a model's layers may differ), else none.
   */
  constructor(
    readonly heads: readonly PooledHead[],
    readonly perLayer: number,
    readonly n: number,
    readonly cell: number,
    readonly mask: MaskWord,
    private readonly windows: readonly (number | null)[] = [],
  ) {
    this.side = Math.ceil(n / cell);
  }

  private windowOf(layer: number): number | null {
    const w = this.windows[layer] ?? null;
    // A window as long as the text masks nothing the causal mask does not.
    return w !== null && w < this.n ? w : null;
  }

  /** The blocks' mask of a layer (null when every block may be seen). */
  private allowedOf(layer: number): Uint8Array | null {
    const window = this.windowOf(layer);
    if (!this.allowedByWindow.has(window)) this.allowedByWindow.set(window, this.pooledAllowed(window));
    return this.allowedByWindow.get(window)!;
  }

  info(fullResolutionTokens: number): PooledInfo {
    return { tokens: this.n, cell: this.cell, fullResolutionTokens };
  }

  /** Block labels: "#0–15 The" (the block's token range and its first token). */
  labels(tokens: readonly string[]): string[] {
    return Array.from(
      { length: this.side },
      (_, b) => `#${b * this.cell}–${Math.min(this.n, (b + 1) * this.cell) - 1} ${tokens[b * this.cell]}`,
    );
  }

  summaries(): HeadSummary[] {
    return this.heads.map((h) => {
      let effective = 0;
      for (let i = 0; i < this.n; i++) effective += Math.exp(h.entropy[i]);
      return {
        layer: h.layer,
        head: h.head,
        dK: h.dK,
        factor: h.factor,
        meanEntropy: mean(h.entropy),
        meanMaxWeight: mean(h.maxWeight),
        meanEffectiveTokens: effective / this.n,
        diagonalShare: mean(h.diagonal),
      };
    });
  }

  find(layer: number, head: number): PooledHead {
    const found = this.heads.find((h) => h.layer === layer && h.head === head);
    if (!found) throw new InputError('head', `no head ${head} in layer ${layer}`);
    return found;
  }

  private pooledAllowed(window: number | null): Uint8Array | null {
    if (this.mask === 'none') return null;
    const side = this.side;
    const allowed = new Uint8Array(side * side);
    for (let a = 0; a < side; a++)
      for (let b = 0; b < side; b++)
        allowed[a * side + b] = blockAllowed(this.mask, a, b, this.cell, this.n, window) ? 1 : 0;
    return allowed;
  }

  /** Per block row: the mean over its token rows. */
  private blockRows(values: Float32Array): Float32Array {
    const out = new Float32Array(this.side);
    for (let b = 0; b < this.side; b++)
      out[b] = mean(values.subarray(b * this.cell, Math.min(this.n, (b + 1) * this.cell)));
    return out;
  }

  /** The mean of some heads' overviews (a layer's mean head). */
  private meanOverview(chosen: readonly PooledHead[]): Float32Array {
    const weights = new Float32Array(this.side * this.side);
    for (const h of chosen) for (let k = 0; k < weights.length; k++) weights[k] += h.overview[k] / chosen.length;
    return weights;
  }

  /** The pooled payload of one head, or of a layer's mean (the mean of its heads' overviews). */
  payload(layer: number, head: HeadIndex): HeadPayload {
    const chosen = head === 'mean' ? this.heads.filter((h) => h.layer === layer) : [this.find(layer, head)];
    if (chosen.length === 0) throw new InputError('layer', `no layer ${layer}`);
    const n = this.n;
    const weights = this.meanOverview(chosen);
    const perRow = (pick: (h: PooledHead) => Float32Array, map: (x: number) => number = (x) => x) => {
      const acc = new Float32Array(n);
      for (const h of chosen) {
        const v = pick(h);
        for (let i = 0; i < n; i++) acc[i] += map(v[i]) / chosen.length;
      }
      return acc;
    };
    const diagonal = perRow((h) => h.diagonal);
    let onDiagonal = 0;
    for (const h of chosen)
      for (let i = 0; i < n; i++)
        if (h.diagonal[i] > 0 && h.diagonal[i] >= h.maxWeight[i]) onDiagonal += 1 / chosen.length;
    const single = head === 'mean' ? null : chosen[0];
    const allowed = this.allowedOf(layer);
    return {
      layer,
      head,
      variant: 'projected',
      mask: this.mask,
      n: this.side,
      m: this.side,
      dK: single?.dK ?? null,
      dV: single?.dV ?? null,
      factor: single?.factor ?? null,
      dots: null,
      allowed: allowed ? allowed.slice() : null,
      weights,
      entropy: this.blockRows(perRow((h) => h.entropy)),
      maxWeight: this.blockRows(perRow((h) => h.maxWeight)),
      effectiveTokens: this.blockRows(perRow((h) => h.entropy, Math.exp)),
      emptyRows: [],
      sweep: [],
      diagonal: { meanDiagonalWeight: mean(diagonal), argmaxOnDiagonal: onDiagonal / n },
      q: null,
      k: null,
      v: null,
      output: null,
    };
  }

  /** Every head's overview pooled to at most size × size, each layer's mean after its heads. */
  thumbnails(size: number): Thumbnails {
    const items: { layer: number; head: HeadIndex; weights: Float32Array; allowed: Uint8Array | null }[] = [];
    const layers = [...new Set(this.heads.map((h) => h.layer))];
    for (const layer of layers) {
      const inLayer = this.heads.filter((h) => h.layer === layer);
      const allowed = this.allowedOf(layer);
      for (const h of inLayer) items.push({ layer, head: h.head, weights: h.overview, allowed });
      if (inLayer.length > 1) items.push({ layer, head: 'mean', weights: this.meanOverview(inLayer), allowed });
    }
    // One mask for the whole grid when the layers share it, else each tile its layer's (sliding windows).
    const shared = new Set(layers.map((l) => this.allowedOf(l)));
    if (shared.size <= 1)
      return packThumbnails(
        items.map(({ allowed: _a, ...it }) => it),
        this.side,
        this.side,
        layers.length ? this.allowedOf(layers[0]) : null,
        size,
      );
    return packThumbnails(items, this.side, this.side, null, size);
  }
}
