// The panel's data from a model tensor file (.npy, .npz, .safetensors), read lazily: the overview
// (every head's sharpness, for the heads grid) and the thumbnails come from one streaming pass that
// holds one head at a time; a head the user opens is one positional read. A multi-GB file therefore
// costs the memory of a head or two, never of the file. Self-attention over more than
// FULL_RESOLUTION_TOKENS tokens goes the long way (pooledFileHeads.ts): a block of rows at a time into
// an overview of token blocks, with regions at full resolution on request. Browser-safe: the
// ByteSource is passed in.
import {
  type ComputeEngine,
  type MaskSpec,
  type MaskWord,
  type ScaleRule,
  type HeadInspection,
  FULL_RESOLUTION_TOKENS,
  InputError,
  factorFor,
  isRescalable,
  refuseRescale,
} from '../core';
import {
  type AttentionFile,
  type AxisLabels,
  type HeadData,
  fileValueOptions,
  inspectFileHead,
  paddingMismatch,
  readHead,
  streamHeads,
  withPadding,
} from '../core/tensorfiles';
import { poolToFit, type Grid } from '../core/downsample';
import type {
  HeadIndex,
  HeadPayload,
  HeadSummary,
  MaskName,
  Overview,
  RegionParams,
  RegionPayload,
  Thumbnails,
} from '../protocol/messages';
import { type LongFile, type StreamGivenHead, fileRegion, poolFileHead } from './pooledFileHeads';
import { OVERVIEW_SIDE, PooledHeads } from './pooledHeads';
import { type HeadOptions, type InspectionSource, exact } from './source';
import { meanPayload, payloadOf, summaryOf } from './payload';

export interface TensorFileSourceOptions {
  readonly title: string;
  /** The scale to apply to scores and Q/K/V (default: 1/√d_k when d_k is known, else none). */
  readonly scale?: ScaleRule;
  readonly mask?: 'none' | 'causal' | 'anticausal';
  /** Key dimension for exported scores. */
  readonly dK?: number;
  readonly batch?: number;
  /** Self-attention maps longer than this are shown as an overview of token blocks (default FULL_RESOLUTION_TOKENS). */
  readonly fullResolutionTokens?: number;
  /** Overview blocks per side for long maps (default OVERVIEW_SIDE). */
  readonly overviewSide?: number;
  /** Long Q/K/V heads through the streaming kernels, where the host has them (the node worker). */
  readonly streamGiven?: StreamGivenHead;
  /** Said in the panel header with the view's reason (how the token labels were fitted, …). */
  readonly notes?: readonly string[];
  /** Exported weights are checked and measured with the WebAssembly kernels unless this is the reference. */
  readonly engine?: ComputeEngine;
}

/** The batch entry a file source shows, and how many there are (the Choose Batch Entry command offers the others). */
export interface BatchChoice {
  readonly entries: number;
  readonly shown: number;
  /** An encoder-decoder output: the attention shown and every one the file holds (Choose Attention Kind). */
  readonly parts?: { readonly shown: string; readonly available: readonly string[] };
}

interface Scan {
  readonly summaries: HeadSummary[];
  /** Max-pooled weights per head (layer-major), at `size`. */
  readonly size: number;
  readonly pooled: { layer: number; head: HeadIndex; data: Float32Array }[];
  readonly rows: number;
  readonly cols: number;
  readonly allowed: Uint8Array | null;
}

const NO_SWEEP: readonly number[] = [];

export class TensorFileSource implements InspectionSource {
  private readonly scans = new Map<string, Promise<Scan>>();
  private readonly baseMask: MaskName;
  /** Long maps: the last mask's pooled heads (one pass over the file per mask). */
  private pooledScan: { mask: MaskName; heads: Promise<PooledHeads> } | null = null;
  /** Exported weights that give a padded key weight (found by the open-time sample or a later scan): said in the header. */
  private paddingMismatch: string | null;

  constructor(
    private readonly opened: AttentionFile,
    private readonly labels: AxisLabels,
    private readonly options: TensorFileSourceOptions,
  ) {
    this.baseMask = options.mask ?? 'none';
    this.paddingMismatch = opened.padding?.mismatch ?? null;
    if (opened.meaning.meaning === 'weights' && (options.scale !== undefined || (options.mask ?? 'none') !== 'none')) {
      throw refuseRescale('scale', 'weightsFile');
    }
  }

  /** The batch entry shown and the entries there are: what Choose Batch Entry offers. */
  get batchChoice(): BatchChoice {
    const { batch, batchEntry, part, parts } = this.opened.view;
    return {
      entries: batch,
      shown: batchEntry,
      ...(part && parts?.length ? { parts: { shown: part, available: parts.map((p) => p.part) } } : {}),
    };
  }

  /** The header lines: the view's reason and meaning, the batch entry shown, the padding applied. */
  private warningsHead(): string[] {
    const { view, meaning, padding } = this.opened;
    const lines = [`${view.reason} Read as ${meaning.meaning}: ${meaning.evidence}`];
    if (view.batch > 1)
      lines.push(
        `Batch entry ${view.batchEntry} of ${view.batch} is shown (0–${view.batch - 1}); run “Attention Inspector: Choose Batch Entry…” to show another.`,
      );
    if (view.part && (view.parts?.length ?? 0) > 1)
      lines.push(
        `The ${view.part} attention is shown (the file holds ${view.parts!.map((p) => p.part).join(', ')}); run “Attention Inspector: Choose Attention Kind…” to show another.`,
      );
    if (padding) lines.push(`Padding: ${this.paddingMismatch ?? padding.note}.`);
    lines.push(...(this.options.notes ?? []));
    return lines;
  }

  private get rescalable(): boolean {
    return isRescalable(this.opened.meaning.meaning === 'weights' ? 'weights' : 'scores');
  }

  private get fullResolutionTokens(): number {
    return this.options.fullResolutionTokens ?? FULL_RESOLUTION_TOKENS;
  }

  /** Self-attention (maps or Q/K/V) longer than the panel shows cell by cell. */
  private get long(): boolean {
    const { view } = this.opened;
    return view.queries === view.keys && view.queries > this.fullResolutionTokens;
  }

  /** The factor logits with key dimension dK are soft-maxed at: the same rule as every other input (src/core/scale.ts). */
  private factorFor(dK: number | undefined): number {
    return factorFor(this.options.scale, dK);
  }

  private longFile(mask: MaskName): LongFile {
    const word = this.maskSpec(mask) ?? 'none';
    if (typeof word !== 'string') throw new InputError('mask', 'tensor files carry no explicit mask matrix');
    const meaning = this.opened.meaning.meaning;
    const padding = this.opened.padding;
    if (padding && padding.masked.length > 0 && meaning !== 'weights') {
      throw new InputError(
        padding.mask.tensor,
        `a padding mask is applied up to ${this.fullResolutionTokens} tokens; this file has ${this.opened.view.queries} (compute it with the CLI, which has no such limit)`,
      );
    }
    return {
      file: this.opened.file,
      view: this.opened.view,
      batch: this.opened.view.batchEntry,
      meaning,
      mask: word as MaskWord,
      factor: meaning === 'scores' ? this.factorFor(this.options.dK ?? this.opened.view.dK) : null,
      factorFor: (dK) => this.factorFor(dK),
      streamGiven: this.options.streamGiven,
    };
  }

  /** Every head of a long file read once, a block of rows at a time, for `mask`. */
  private pooled(mask: MaskName): Promise<PooledHeads> {
    if (this.pooledScan?.mask === mask) return this.pooledScan.heads;
    const maps = this.longFile(mask);
    const { view } = this.opened;
    const n = view.queries;
    const cell = Math.ceil(n / Math.max(1, Math.min(n, this.options.overviewSide ?? OVERVIEW_SIDE)));
    const dK = this.options.dK ?? view.dK ?? null;
    const heads = (async () => {
      const records = [];
      for (let layer = 0; layer < view.layers; layer++) {
        for (let head = 0; head < view.heads; head++) records.push(await poolFileHead(maps, layer, head, cell, dK));
      }
      return new PooledHeads(records, view.heads, n, cell, maps.mask);
    })();
    this.pooledScan = { mask, heads };
    heads.catch(() => {
      if (this.pooledScan?.heads === heads) this.pooledScan = null;
    });
    return heads;
  }

  private async pooledOverview(mask: MaskName): Promise<Overview> {
    const { view, meaning } = this.opened;
    const pooled = await this.pooled(mask);
    const labels = pooled.labels(this.labels.queries);
    return {
      title: this.options.title,
      form: meaning.meaning,
      n: labels.length,
      m: labels.length,
      tokens: labels,
      keyTokens: labels.slice(),
      layers: view.layers,
      heads: view.heads,
      mask,
      masks: this.rescalable ? ['none', 'causal', 'anticausal'] : [],
      rescalable: false,
      hasVectors: false,
      hasRaw: false,
      summaries: pooled.summaries(),
      warnings: [
        ...this.warningsHead(),
        `${view.queries} tokens: more than ${this.fullResolutionTokens}, so each cell is a block of ${pooled.cell} × ${pooled.cell} tokens showing its largest weight; click a cell for that region at full resolution.`,
      ],
      pooled: pooled.info(this.fullResolutionTokens),
    };
  }

  async region(params: RegionParams): Promise<RegionPayload> {
    if (!this.long) throw new InputError('region', 'this input is shown at full resolution already');
    const { view } = this.opened;
    const mask = params.mask ?? this.baseMask;
    if (params.layer >= view.layers || params.head >= view.heads)
      throw new InputError('head', `no head ${params.head} in layer ${params.layer}`);
    if (params.row0 >= view.queries || params.col0 >= view.keys)
      throw new InputError('region', `starts past the last token (${view.queries - 1})`);
    return fileRegion(this.longFile(mask), params, this.labels);
  }

  private maskSpec(mask: MaskName): MaskSpec | undefined {
    if (!this.rescalable) {
      if (mask !== 'none') throw new InputError('mask', 'exported attention weights cannot be re-masked');
      return undefined;
    }
    if (mask === 'custom') throw new InputError('mask', 'tensor files carry no explicit mask matrix');
    return mask;
  }

  private inspectHead(
    data: HeadData,
    layer: number,
    head: number,
    mask: MaskName,
    grid?: readonly number[],
  ): HeadInspection {
    const { view, meaning, padding } = this.opened;
    const options = {
      scale: this.options.scale,
      mask: this.maskSpec(mask),
      dK: this.options.dK ?? view.dK,
      grid,
      ...fileValueOptions(this.opened),
      sumTolerance: meaning.tolerance,
      engine: this.options.engine,
    };
    // The padding mask beside the maps: applied to scores and Q/K/V, checked against weights.
    const weights = meaning.meaning === 'weights';
    if (weights && this.paddingMismatch === null)
      this.paddingMismatch = paddingMismatch(data, padding, `layer ${view.layerIds[layer]} head ${head}`);
    return inspectFileHead(data, meaning.meaning, layer, head, withPadding(data, padding, weights, options));
  }

  /** One pass over every head in file order: summaries and pooled thumbnails together. */
  private scan(mask: MaskName, size: number): Promise<Scan> {
    const key = `${mask}:${size}`;
    let found = this.scans.get(key);
    if (!found) {
      found = this.runScan(mask, size);
      found.catch(() => this.scans.delete(key));
      this.scans.set(key, found);
    }
    return found;
  }

  private async runScan(mask: MaskName, size: number): Promise<Scan> {
    const { file, view } = this.opened;
    const byHead = new Map<string, { summary: HeadSummary; pooled: Grid }>();
    // Per-layer running sums for the layer's mean head (one n×m accumulator at a time per layer).
    const sums = new Map<number, { acc: Float64Array; count: number }>();
    let allowed: Uint8Array | null = null;
    let rows = 0,
      cols = 0;
    for await (const slice of streamHeads(file, view, { batch: this.opened.view.batchEntry })) {
      const h = this.inspectHead(slice.data, slice.layer, slice.head, mask, NO_SWEEP);
      const grid = poolToFit(
        { rows: h.weights.rows, cols: h.weights.cols, data: h.weights.data, allowed: h.allowed } as Grid,
        size,
        size,
        'max',
      ).grid;
      byHead.set(`${slice.layer}:${slice.head}`, { summary: summaryOf(h), pooled: grid });
      rows = grid.rows;
      cols = grid.cols;
      allowed = grid.allowed;
      let s = sums.get(slice.layer);
      if (!s) sums.set(slice.layer, (s = { acc: new Float64Array(grid.data.length), count: 0 }));
      for (let k = 0; k < grid.data.length; k++) s.acc[k] += grid.data[k];
      s.count++;
    }
    const summaries: HeadSummary[] = [];
    const pooled: Scan['pooled'] = [];
    for (let layer = 0; layer < view.layers; layer++) {
      for (let head = 0; head < view.heads; head++) {
        const entry = byHead.get(`${layer}:${head}`)!;
        summaries.push(entry.summary);
        pooled.push({ layer, head, data: entry.pooled.data });
      }
      // The mean thumbnail is the mean of pooled maps: a preview; the opened mean head is exact.
      const s = sums.get(layer);
      if (s && view.heads > 1) pooled.push({ layer, head: 'mean', data: Float32Array.from(s.acc, (x) => x / s.count) });
    }
    return { summaries, size, pooled, rows, cols, allowed };
  }

  async overview(mask: MaskName = this.baseMask): Promise<Overview> {
    if (this.long) return this.pooledOverview(mask);
    const { view, meaning } = this.opened;
    const scan = await this.scan(mask, 64);
    return {
      title: this.options.title,
      form: meaning.meaning === 'weights' ? 'weights' : meaning.meaning === 'scores' ? 'scores' : 'qkv',
      n: view.queries,
      m: view.keys,
      tokens: this.labels.queries.slice(),
      keyTokens: this.labels.keys.slice(),
      layers: view.layers,
      heads: view.heads,
      mask,
      masks: this.rescalable ? ['none', 'causal', 'anticausal'] : [],
      rescalable: this.rescalable,
      hasVectors: view.kind === 'qkv',
      hasRaw: false,
      summaries: scan.summaries,
      warnings: this.warningsHead(),
    };
  }

  async head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    const mask = options.mask ?? this.baseMask;
    if ((options.variant ?? 'projected') === 'raw')
      throw new InputError(
        'variant',
        'tensor files have no token vectors X, so there is no raw (Q = K = V = X) variant',
      );
    const { file, view } = this.opened;
    const batch = this.opened.view.batchEntry;
    if (this.long) {
      return (await this.pooled(mask)).payload(layer, head);
    }
    if (head === 'mean') {
      const heads: HeadInspection[] = [];
      for (let h = 0; h < view.heads; h++)
        heads.push(this.inspectHead(await readHead(file, view, { layer, head: h, batch }), layer, h, mask, NO_SWEEP));
      return meanPayload(heads, layer, mask);
    }
    const data = await readHead(file, view, { layer, head, batch });
    return payloadOf(this.inspectHead(data, layer, head, mask), 'projected', mask);
  }

  async thumbnails(size: number, mask: MaskName = this.baseMask): Promise<Thumbnails> {
    if (this.long) return (await this.pooled(mask)).thumbnails(size);
    const scan = await this.scan(mask, size);
    const data = new Float32Array(scan.pooled.length * scan.rows * scan.cols);
    scan.pooled.forEach((p, i) => data.set(p.data, i * scan.rows * scan.cols));
    return {
      rows: scan.rows,
      cols: scan.cols,
      items: scan.pooled.map(({ layer, head }) => ({ layer, head })),
      data,
      allowed: scan.allowed ? exact(scan.allowed) : null,
    };
  }
}
