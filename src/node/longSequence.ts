// A text too long to show cell by cell (more than fullResolutionTokens tokens): the panel gets a
// max-pooled overview of each head instead of its n×n matrices, and asks for any region at full
// resolution. The heads are computed one at a time by the streaming kernels (streaming.ts), which
// never hold an n×n matrix: what stays in memory is, per head, the overview (at most OVERVIEW_SIDE²
// values), per-row figures and Q, K, V (O(n·d)).
import { type HeadProjection, InputError, type MaskWord, type Matrix, type ScaleSpec, isMaskWord, matrixFrom } from '../core';
import { MASK_TITLES, type HeadIndex, type HeadPayload, type HeadSummary, type MaskName, type Overview, type RegionParams, type RegionPayload, type Thumbnails } from '../protocol/messages';
import { packThumbnails } from '../host/payload';
import { type HeadOptions, type InspectionSource, type SourceSpec, exact } from '../host/source';
import type { AttentionPool } from './parallel';
import { type HeadOverview, headRegion, streamHeadOverviews } from './streaming';

/** Overview blocks per side: a 16384-token head becomes 1024 × 1024 blocks of 16 × 16 tokens. */
export const OVERVIEW_SIDE = 1024;

export interface LongTextInput {
  readonly x: Matrix;
  readonly heads: readonly HeadProjection[];
  readonly tokens: readonly string[];
}

export interface LongTextOptions {
  readonly title: string;
  readonly spec: SourceSpec;
  readonly scale?: ScaleSpec;
  readonly mask?: MaskWord;
  readonly fullResolutionTokens: number;
  /** Overview blocks per side (default OVERVIEW_SIDE). */
  readonly overviewSide?: number;
  readonly pool?: AttentionPool;
  /** Cancels the streaming pass (the worker is terminated to cancel; tests use this). */
  readonly signal?: AbortSignal;
}

interface Computed {
  readonly mask: MaskWord;
  readonly heads: HeadOverview[];
}

/** Whether query block a may see some key of block b under a word mask (blocks of `cell` tokens). */
function blockAllowed(mask: MaskWord, a: number, b: number, cell: number, n: number): boolean {
  if (mask === 'none') return true;
  const aLast = Math.min(n, (a + 1) * cell) - 1, bFirst = b * cell;
  const aFirst = a * cell, bLast = Math.min(n, (b + 1) * cell) - 1;
  return mask === 'causal' ? aLast >= bFirst : bLast >= aFirst;
}

function mean(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length ? s / values.length : 0;
}

export class LongTextSource implements InspectionSource {
  readonly spec: SourceSpec;
  private computed: Promise<Computed> | null = null;
  private readonly n: number;
  private readonly baseMask: MaskWord;

  constructor(private readonly input: LongTextInput, private readonly options: LongTextOptions) {
    this.spec = options.spec;
    this.n = input.x.rows;
    this.baseMask = options.mask ?? 'none';
  }

  /** Block labels: "#0–15 The" (the block's token range and its first token). */
  private blockLabels(cell: number): string[] {
    const side = Math.ceil(this.n / cell);
    return Array.from({ length: side }, (_, b) => `#${b * cell}–${Math.min(this.n, (b + 1) * cell) - 1} ${this.input.tokens[b * cell]}`);
  }

  private wordMask(mask: MaskName | undefined): MaskWord {
    const m = mask ?? this.baseMask;
    if (!isMaskWord(m)) throw new InputError('mask', `a text has no ${MASK_TITLES[m]}; use none, causal or anticausal`);
    return m;
  }

  /** Every head through the streaming kernels once per mask (the last mask asked for is kept). */
  private compute(mask: MaskWord): Promise<Computed> {
    const current = this.computed;
    if (current) {
      return current.then((c) => (c.mask === mask ? c : this.recompute(mask)), () => this.recompute(mask));
    }
    return this.recompute(mask);
  }

  private recompute(mask: MaskWord): Promise<Computed> {
    const heads: HeadOverview[] = [];
    const run = streamHeadOverviews(this.input.x, this.input.heads, { mask, scale: this.options.scale, overviewSize: this.options.overviewSide ?? OVERVIEW_SIDE, pool: this.options.pool, signal: this.options.signal }, (h) => {
      heads.push(h);
    }).then(() => ({ mask, heads }));
    this.computed = run;
    return run;
  }

  private summary(h: HeadOverview): HeadSummary {
    let effective = 0;
    for (let i = 0; i < h.entropy.length; i++) effective += Math.exp(h.entropy[i]);
    return {
      layer: 0, head: h.head, dK: h.q.cols, factor: h.factor,
      meanEntropy: mean(h.entropy),
      meanMaxWeight: mean(h.maxWeight),
      meanEffectiveTokens: effective / this.n,
      diagonalShare: mean(h.diagonal),
    };
  }

  async overview(mask?: MaskName): Promise<Overview> {
    const word = this.wordMask(mask);
    const c = await this.compute(word);
    const cell = c.heads[0].cell;
    const labels = this.blockLabels(cell);
    return {
      title: this.options.title,
      form: 'text',
      n: labels.length,
      m: labels.length,
      tokens: labels,
      keyTokens: labels.slice(),
      layers: 1,
      heads: c.heads.length,
      mask: word,
      masks: ['none', 'causal', 'anticausal'],
      rescalable: false,
      hasVectors: false,
      hasRaw: false,
      summaries: c.heads.map((h) => this.summary(h)),
      warnings: [`${this.n} tokens: more than ${this.options.fullResolutionTokens}, so each cell is a block of ${cell} × ${cell} tokens showing its largest weight; click a cell for that region at full resolution.`],
      pooled: { tokens: this.n, cell, fullResolutionTokens: this.options.fullResolutionTokens },
    };
  }

  /** Per block row: the mean over its token rows. */
  private blockRows(values: Float32Array, cell: number): Float32Array {
    const side = Math.ceil(this.n / cell);
    const out = new Float32Array(side);
    for (let b = 0; b < side; b++) out[b] = mean(values.subarray(b * cell, Math.min(this.n, (b + 1) * cell)));
    return out;
  }

  private pooledAllowed(mask: MaskWord, cell: number): Uint8Array | null {
    if (mask === 'none') return null;
    const side = Math.ceil(this.n / cell);
    const allowed = new Uint8Array(side * side);
    for (let a = 0; a < side; a++) for (let b = 0; b < side; b++) allowed[a * side + b] = blockAllowed(mask, a, b, cell, this.n) ? 1 : 0;
    return allowed;
  }

  async head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    if (options.variant === 'raw') throw new InputError('variant', `raw attention (Q = K = V = X) is shown for up to ${this.options.fullResolutionTokens} tokens`);
    if (options.scale !== undefined) throw new InputError('scale', `re-scaling is available for up to ${this.options.fullResolutionTokens} tokens; this text has ${this.n}`);
    const mask = this.wordMask(options.mask);
    const c = await this.compute(mask);
    if (layer !== 0) throw new InputError('layer', `a text has one layer, not ${layer + 1}`);
    const chosen = head === 'mean' ? c.heads : [c.heads[head]];
    if (!chosen[0]) throw new InputError('head', `no head ${head} (this text has ${c.heads.length})`);
    const cell = chosen[0].cell;
    const side = chosen[0].overview.rows;
    const weights = new Float32Array(side * side);
    for (const h of chosen) for (let k = 0; k < weights.length; k++) weights[k] += h.overview.data[k] / chosen.length;
    const perRow = (pick: (h: HeadOverview) => Float32Array, map: (x: number) => number = (x) => x) => {
      const acc = new Float32Array(this.n);
      for (const h of chosen) { const v = pick(h); for (let i = 0; i < this.n; i++) acc[i] += map(v[i]) / chosen.length; }
      return this.blockRows(acc, cell);
    };
    const diagonal = perRow((h) => h.diagonal);
    let onDiagonal = 0;
    for (const h of chosen) for (let i = 0; i < this.n; i++) if (h.diagonal[i] >= h.maxWeight[i]) onDiagonal += 1 / chosen.length;
    return {
      layer: 0, head, variant: 'projected', mask, n: side, m: side,
      dK: head === 'mean' ? null : chosen[0].q.cols, dV: head === 'mean' ? null : chosen[0].v.cols,
      factor: head === 'mean' ? null : chosen[0].factor,
      dots: null,
      allowed: this.pooledAllowed(mask, cell),
      weights,
      entropy: perRow((h) => h.entropy),
      maxWeight: perRow((h) => h.maxWeight),
      effectiveTokens: perRow((h) => h.entropy, Math.exp),
      emptyRows: [],
      sweep: [],
      diagonal: { meanDiagonalWeight: mean(diagonal), argmaxOnDiagonal: onDiagonal / this.n },
      q: null, k: null, v: null, output: null,
    };
  }

  async thumbnails(size: number, mask?: MaskName): Promise<Thumbnails> {
    const word = this.wordMask(mask);
    const c = await this.compute(word);
    const side = c.heads[0].overview.rows;
    const items: { layer: number; head: HeadIndex; weights: Float32Array }[] = c.heads.map((h) => ({ layer: 0, head: h.head, weights: h.overview.data }));
    const meanWeights = new Float32Array(side * side);
    for (const it of items) for (let k = 0; k < meanWeights.length; k++) meanWeights[k] += it.weights[k] / items.length;
    items.push({ layer: 0, head: 'mean', weights: meanWeights });
    return packThumbnails(items, side, side, this.pooledAllowed(word, c.heads[0].cell), size);
  }

  /** Rows × keys of one head at full resolution: its rows against every key, cropped. */
  async region(params: RegionParams): Promise<RegionPayload> {
    const mask = this.wordMask(params.mask);
    const c = await this.compute(mask);
    const h = c.heads[params.head];
    if (params.layer !== 0 || !h) throw new InputError('head', `no head ${params.head} in layer ${params.layer}`);
    const r0 = params.row0, c0 = params.col0;
    const r1 = Math.min(this.n, r0 + params.rows), c1 = Math.min(this.n, c0 + params.cols);
    if (r0 >= this.n || c0 >= this.n) throw new InputError('region', `starts past the last token (${this.n - 1})`);
    const r = headRegion(h.q, h.k, h.v, [r0, r1], [c0, c1], { mask, scale: this.options.scale });
    return {
      row0: r0, rows: r1 - r0, col0: c0, cols: c1 - c0,
      tokens: this.input.tokens.slice(r0, r1),
      keyTokens: this.input.tokens.slice(c0, c1),
      factor: h.factor,
      dots: exact(r.dots.data),
      weights: exact(r.weights.data),
      allowed: r.allowed ? exact(r.allowed) : null,
      entropy: exact(h.entropy.slice(r0, r1)),
    };
  }
}

/** Identity projections: the raw (Q = K = V = X) text model as one head, for long raw texts. */
export function identityHead(dModel: number): HeadProjection {
  const eye = new Float32Array(dModel * dModel);
  for (let i = 0; i < dModel; i++) eye[i * dModel + i] = 1;
  const w = matrixFrom(dModel, dModel, eye);
  return { W_Q: w, W_K: w, W_V: w };
}
