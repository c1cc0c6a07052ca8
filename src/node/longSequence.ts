// A text too long to show cell by cell (more than fullResolutionTokens tokens): the panel gets a
// max-pooled overview of each head instead of its n×n matrices, and asks for any region at full
// resolution. The heads are computed one at a time by the streaming kernels (streaming.ts), which
// never hold an n×n matrix: what stays in memory is, per head, the overview (at most OVERVIEW_SIDE²
// values), per-row figures and Q, K, V (O(n·d)).
import {
  type HeadProjection,
  InputError,
  type MaskWord,
  type Matrix,
  type ScaleRule,
  isMaskWord,
  matrixFrom,
} from '../core';
import {
  MASK_TITLES,
  type HeadIndex,
  type HeadPayload,
  type MaskName,
  type Overview,
  type RegionParams,
  type RegionPayload,
  type Thumbnails,
} from '../protocol/messages';
import { OVERVIEW_SIDE, PooledHeads } from '../host/pooledHeads';
import { type HeadOptions, type InspectionSource, type SourceSpec, exact } from '../host/source';
import type { AttentionPool } from './parallel';
import { type HeadOverview, type HeadRegion, headRegion, streamHeadOverviews } from './streaming';

export interface LongTextInput {
  readonly x: Matrix;
  readonly heads: readonly HeadProjection[];
  readonly tokens: readonly string[];
}

export interface LongTextOptions {
  readonly title: string;
  readonly spec: SourceSpec;
  readonly scale?: ScaleRule;
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
  /** The streaming results (Q, K, V for regions) and what the panel is sent. */
  readonly heads: HeadOverview[];
  readonly pooled: PooledHeads;
}

export class LongTextSource implements InspectionSource {
  readonly spec: SourceSpec;
  private computed: Promise<Computed> | null = null;
  private readonly n: number;
  private readonly baseMask: MaskWord;

  constructor(
    private readonly input: LongTextInput,
    private readonly options: LongTextOptions,
  ) {
    this.spec = options.spec;
    this.n = input.x.rows;
    this.baseMask = options.mask ?? 'none';
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
      return current.then(
        (c) => (c.mask === mask ? c : this.recompute(mask)),
        () => this.recompute(mask),
      );
    }
    return this.recompute(mask);
  }

  private recompute(mask: MaskWord): Promise<Computed> {
    const heads: HeadOverview[] = [];
    const run = streamHeadOverviews(
      this.input.x,
      this.input.heads,
      {
        mask,
        scale: this.options.scale,
        overviewSize: this.options.overviewSide ?? OVERVIEW_SIDE,
        pool: this.options.pool,
        signal: this.options.signal,
      },
      (h) => {
        heads.push(h);
      },
    ).then((): Computed => {
      const records = heads.map((h) => ({
        layer: 0,
        head: h.head,
        overview: h.overview.data,
        entropy: h.entropy,
        maxWeight: h.maxWeight,
        diagonal: h.diagonal,
        factor: h.factor,
        dK: h.q.cols,
        dV: h.v.cols,
      }));
      return { mask, heads, pooled: new PooledHeads(records, heads.length, this.n, heads[0].cell, mask) };
    });
    this.computed = run;
    return run;
  }

  async overview(mask?: MaskName): Promise<Overview> {
    const word = this.wordMask(mask);
    const { pooled } = await this.compute(word);
    const labels = pooled.labels(this.input.tokens);
    return {
      title: this.options.title,
      form: 'text',
      n: labels.length,
      m: labels.length,
      tokens: labels,
      keyTokens: labels.slice(),
      layers: 1,
      heads: pooled.heads.length,
      mask: word,
      masks: ['none', 'causal', 'anticausal'],
      rescalable: false,
      hasVectors: false,
      hasRaw: false,
      summaries: pooled.summaries(),
      warnings: [
        `${this.n} tokens: more than ${this.options.fullResolutionTokens}, so each cell is a block of ${pooled.cell} × ${pooled.cell} tokens showing its largest weight; click a cell for that region at full resolution.`,
      ],
      pooled: pooled.info(this.options.fullResolutionTokens),
    };
  }

  async head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    if (options.variant === 'raw')
      throw new InputError(
        'variant',
        `raw attention (Q = K = V = X) is shown for up to ${this.options.fullResolutionTokens} tokens`,
      );
    const { pooled } = await this.compute(this.wordMask(options.mask));
    if (layer !== 0) throw new InputError('layer', `a text has one layer, not ${layer + 1}`);
    return pooled.payload(layer, head);
  }

  async thumbnails(size: number, mask?: MaskName): Promise<Thumbnails> {
    return (await this.compute(this.wordMask(mask))).pooled.thumbnails(size);
  }

  /** Rows × keys of one head at full resolution: its rows against every key, cropped. */
  async region(params: RegionParams): Promise<RegionPayload> {
    const mask = this.wordMask(params.mask);
    const c = await this.compute(mask);
    const h = c.heads[params.head];
    if (params.layer !== 0 || !h) throw new InputError('head', `no head ${params.head} in layer ${params.layer}`);
    const { rows, cols } = regionSpan(params, this.n);
    const r = headRegion(h.q, h.k, h.v, rows, cols, { mask, scale: this.options.scale });
    return regionPayload(r, this.input.tokens, h.factor, h.entropy);
  }
}

/** The tokens a region asks for, cropped to the text's n; one line when it starts past the last token. */
export function regionSpan(
  params: RegionParams,
  n: number,
): { rows: readonly [number, number]; cols: readonly [number, number] } {
  const r0 = params.row0,
    c0 = params.col0;
  if (r0 >= n || c0 >= n) throw new InputError('region', `starts past the last token (${n - 1})`);
  return { rows: [r0, Math.min(n, r0 + params.rows)], cols: [c0, Math.min(n, c0 + params.cols)] };
}

/** A region computed at full resolution as the panel receives it: its tokens, matrices and rows' entropy (n per head). */
export function regionPayload(
  r: HeadRegion,
  tokens: readonly string[],
  factor: number,
  entropy: Float32Array,
): RegionPayload {
  const [r0, r1] = r.rows,
    [c0, c1] = r.cols;
  return {
    row0: r0,
    rows: r1 - r0,
    col0: c0,
    cols: c1 - c0,
    tokens: tokens.slice(r0, r1),
    keyTokens: tokens.slice(c0, c1),
    factor,
    dots: exact(r.dots.data),
    weights: exact(r.weights.data),
    allowed: r.allowed ? exact(r.allowed) : null,
    entropy: exact(entropy.slice(r0, r1)),
  };
}

/** Identity projections: the raw (Q = K = V = X) text model as one head, for long raw texts. */
export function identityHead(dModel: number): HeadProjection {
  const eye = new Float32Array(dModel * dModel);
  for (let i = 0; i < dModel; i++) eye[i * dModel + i] = 1;
  const w = matrixFrom(dModel, dModel, eye);
  return { W_Q: w, W_K: w, W_V: w };
}
