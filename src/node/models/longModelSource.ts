// A model on a selection too long to hold every head whole (modelNeedsOverview: more tokens than
// the full-resolution size, or layers × heads × n² past the dense cap): the panel's long-text path
// applied to a real model. The forward pass runs once, layer by layer, with each head's attention
// through the streaming kernels (longRun.ts attendStreaming), so no n×n matrix is ever held; each
// head leaves a max-pooled overview and exact per-row figures (PooledHeads, as long texts and long
// tensor files), and a clicked block is recomputed at full resolution from that layer's q and k
// after RoPE (modelRegion).
//
// Memory: per head overviewSide² floats (the side shrinks so every head's overview together stays
// within OVERVIEW_BUDGET_CELLS) plus 3n per-row floats; per layer q and k after RoPE, n × (heads +
// kvHeads) × headDim floats, kept for regions. A 4096-token GPT-2 small selection holds 300 MB of
// q and k and 256 MB of overviews, where its whole heads would take 9.7 GB.
import { InputError } from '../../core';
import type { LayerAttention, LoadedModel, TokenizedText } from '../../core/models';
import { modelMask, runModel } from '../../core/models';
import type {
  HeadIndex,
  HeadPayload,
  MaskName,
  Overview,
  RegionParams,
  RegionPayload,
  Thumbnails,
} from '../../protocol/messages';
import { OVERVIEW_SIDE, type PooledHead, PooledHeads } from '../../host/pooledHeads';
import {
  type ModelRequest,
  checkTokens,
  editorOffsets,
  headerLines,
  modelDisplayName,
  shortText,
  tokenLabel,
} from '../../host/modelSource';
import type { HeadOptions, InspectionSource } from '../../host/source';
import { regionPayload, regionSpan } from '../longSequence';
import { type LayerQK, type PooledModelHead, attendStreaming, modelRegion } from './longRun';
import { matmulOnPool } from './run';
import { sharedAttentionPool } from '../parallel';

/** Every head's overview together stays within this many cells (256 MB of float32). */
export const OVERVIEW_BUDGET_CELLS = 64 * 1024 * 1024;

export interface LongModelOptions {
  /** The full-resolution size the text passed (said in the panel's note). */
  readonly fullResolutionTokens: number;
  /** Overview blocks per side at most (default OVERVIEW_SIDE; the budget may lower it). */
  readonly overviewSide?: number;
  readonly signal?: AbortSignal;
  readonly onLayer?: (done: number, layers: number) => void;
}

/** The overview side for layers × heads overviews of n tokens: at most `side`, within the budget. */
export function overviewSideFor(n: number, layers: number, heads: number, side = OVERVIEW_SIDE): number {
  const budget = Math.floor(Math.sqrt(OVERVIEW_BUDGET_CELLS / Math.max(1, layers * heads)));
  return Math.max(1, Math.min(n, side, budget));
}

/** What a region needs of a layer. A sliding-window mask (an n × n table) is rebuilt for each region, not held per layer. */
interface LongLayer extends Omit<LayerQK, 'mask'> {
  readonly kvHeadOf: readonly number[];
  readonly window: number | null;
}

export class LongModelSource implements InspectionSource {
  private constructor(
    private readonly title: string,
    private readonly labels: readonly string[],
    private readonly pooled: PooledHeads,
    private readonly layers: readonly LongLayer[],
    private readonly warnings: string[],
    readonly offsets: [number, number][] | null,
    private readonly baseMask: 'causal' | 'none',
    private readonly fullResolutionTokens: number,
  ) {}

  /** Runs the forward pass with every head pooled; refusals are one-line InputErrors naming the folder. */
  static async run(
    model: LoadedModel,
    request: ModelRequest,
    tokenized: TokenizedText,
    options: LongModelOptions,
  ): Promise<LongModelSource> {
    const c = model.config;
    const n = tokenized.ids.length;
    checkTokens(`${request.path}: text`, n, c.maxPositions, request.limits);
    const side = overviewSideFor(n, c.layers, c.heads, options.overviewSide);
    // One pool for the products and the streaming kernels: two cores get two workers, not four.
    const pool = sharedAttentionPool();
    const records: PooledHead[] = [];
    const layers: LongLayer[] = [];
    const windows: (number | null)[] = [];
    let kvHeadOf: readonly number[] = [];
    const onLayer = (layer: LayerAttention<PooledModelHead>): void => {
      kvHeadOf = layer.kvHeadOf;
      if (!layer.qk) throw new Error('the long model run needs q and k (keepQK)');
      layers.push({
        qRot: layer.qk.qRot,
        kRot: layer.qk.kRot,
        headDim: c.headDim,
        factor: layer.factor,
        kvHeadOf: layer.kvHeadOf,
        window: layer.window,
      });
      windows.push(layer.window);
      layer.heads.forEach((h, head) =>
        records.push({
          layer: layer.layer,
          head,
          overview: h.overview.data,
          entropy: h.entropy,
          maxWeight: h.maxWeight,
          diagonal: h.diagonal,
          factor: h.factor,
          dK: c.headDim,
          dV: c.headDim,
        }),
      );
      options.onLayer?.(layers.length, c.layers);
    };
    await runModel(
      model,
      { ids: tokenized.ids, tokenTypeIds: tokenized.tokenTypeIds },
      {
        attend: attendStreaming({ overviewSide: side, signal: options.signal, pool }),
        matmul: matmulOnPool(options.signal, undefined, pool),
        keepQK: true,
        onLayer,
        signal: options.signal,
      },
    );
    const cell = Math.ceil(n / side);
    const pooled = new PooledHeads(records, c.heads, n, cell, c.causal ? 'causal' : 'none', windows);
    const name = modelDisplayName(request.path);
    const given = request.ids !== undefined || request.induction !== undefined;
    const title =
      request.title ?? `${name}: ${shortText(given ? tokenized.tokens.map((t) => t.text).join('') : request.text)}`;
    const warnings = [
      ...headerLines(model, name, layers, kvHeadOf, tokenized.warnings),
      `${n} tokens: past the ${options.fullResolutionTokens} tokens or ${c.layers} layers × ${c.heads} heads × n² cells a model is held whole for, so each cell is a block of ${cell} × ${cell} tokens showing its largest weight, with exact per-row entropy and largest weight; click a cell for that region at full resolution. The previous-token, first-token and induction figures need whole rows and are left out.`,
    ];
    return new LongModelSource(
      title,
      tokenized.tokens.map(tokenLabel),
      pooled,
      layers,
      warnings,
      given ? null : editorOffsets(tokenized.tokens, request.text.length),
      c.causal ? 'causal' : 'none',
      options.fullResolutionTokens,
    );
  }

  private checkMask(mask: MaskName | undefined): void {
    if (mask !== undefined && mask !== this.baseMask)
      throw new InputError(
        'mask',
        `a model's mask (${this.baseMask}) is part of its computation: later layers depend on it, so it cannot be switched here`,
      );
  }

  async overview(mask?: MaskName): Promise<Overview> {
    this.checkMask(mask);
    const labels = this.pooled.labels(this.labels);
    return {
      title: this.title,
      form: 'scores',
      n: labels.length,
      m: labels.length,
      tokens: labels,
      keyTokens: labels.slice(),
      layers: this.layers.length,
      heads: this.pooled.perLayer,
      mask: this.baseMask,
      masks: [],
      rescalable: false,
      hasVectors: false,
      hasRaw: false,
      summaries: this.pooled.summaries().map((s) => ({ ...s, kvHead: this.layers[s.layer].kvHeadOf[s.head] })),
      warnings: this.warnings.slice(),
      pooled: this.pooled.info(this.fullResolutionTokens),
    };
  }

  async head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    this.checkMask(options.mask);
    if ((options.variant ?? 'projected') === 'raw')
      throw new InputError('variant', 'a model has no raw (Q = K = V = X) variant');
    if ((options.rotation ?? 'applied') === 'removed')
      throw new InputError(
        'rotation',
        `scores without RoPE are shown for selections a model is held whole for (up to ${this.fullResolutionTokens} tokens)`,
      );
    if (!this.layers[layer]) throw new InputError('layer', `no layer ${layer} (this model has ${this.layers.length})`);
    return this.pooled.payload(layer, head);
  }

  async thumbnails(size: number, mask?: MaskName): Promise<Thumbnails> {
    this.checkMask(mask);
    return this.pooled.thumbnails(size);
  }

  /** Rows × keys of one head at full resolution: its rows against every key (after RoPE), cropped. */
  async region(params: RegionParams): Promise<RegionPayload> {
    this.checkMask(params.mask);
    const l = this.layers[params.layer];
    const n = this.labels.length;
    if (!l || !Number.isInteger(params.head) || params.head < 0 || params.head >= l.kvHeadOf.length)
      throw new InputError('head', `no head ${params.head} in layer ${params.layer}`);
    const { rows, cols } = regionSpan(params, n);
    const mask = modelMask(n, this.baseMask === 'causal', l.window, undefined);
    const r = modelRegion({ ...l, mask }, params.head, l.kvHeadOf[params.head], rows, cols);
    return regionPayload(r, this.labels, l.factor, this.pooled.find(params.layer, params.head).entropy);
  }
}
