// The panel's data from a real model (a Hugging Face folder) on a piece of text: the text is
// tokenized with the model's own tokenizer, the forward pass runs once when the source opens
// (src/core/models runModel, on whatever attention and products the caller passes: the worker pool
// in node), and every layer × head becomes one of the panel's heads. Browser-safe: the caller opens
// the model (src/node/openSource.ts does it from disk).
//
// What is kept, and so the memory bound: per head only the unscaled q·kᵀ (n² float32) plus one
// allowed-mask per layer; weights, sharpness and the sweep are recomputed when the panel opens a
// head. So a source holds layers × heads × n² × 4 bytes, which the dense cap (MAX_DENSE_CELLS,
// checked before anything runs) bounds at 768 MiB. The model itself (its open files) is released as
// soon as the pass ends: the captured scores are all the panel needs.
import {
  type ComputeEngine,
  type HeadInspection,
  type LimitOptions,
  type Matrix,
  FULL_RESOLUTION_TOKENS,
  InputError,
  MAX_DENSE_CELLS,
  REFERENCE_ENGINE,
  diagonalDominance,
  resolveLimits,
  rowSharpness,
  summarizeSharpness,
} from '../core';
import type { AttendFn, LayerAttention, LoadedModel, MatmulFn, ModelToken, TokenizedText } from '../core/models';
import { runModel, tokenizeForModel } from '../core/models';
import { catalogueEntry } from '../core/headCatalogue';
import { uniformGenerator } from '../core/random';
import type {
  HeadIndex,
  HeadPayload,
  HeadSummary,
  MaskName,
  Overview,
  Rotation,
  Thumbnails,
} from '../protocol/messages';
import { meanPayload, packThumbnails, payloadOf } from './payload';
import type { HeadOptions, InspectionSource } from './source';

/** Inspect a model folder on a text (or on given token ids: the induction sequence). */
export interface ModelRequest {
  readonly kind: 'model';
  /** The model folder (config.json, safetensors, tokenizer.json). */
  readonly path: string;
  readonly text: string;
  readonly title?: string;
  /** Token ids to run instead of tokenizing `text` (Inspect Induction); labels come from the vocabulary. */
  readonly ids?: readonly number[];
  /** Run the induction sequence instead (inductionIds: this many random tokens, twice). */
  readonly induction?: number;
  /** limits.maxTokens caps the tokens (default 4096). */
  readonly limits?: LimitOptions;
}

/** How the model runs: the caller's attention and products (the worker pool in node), its kernels. */
export interface ModelRunOptions {
  readonly attend?: AttendFn;
  readonly matmul?: MatmulFn;
  readonly engine?: ComputeEngine;
  readonly signal?: AbortSignal;
  /** Told after each layer (progress). */
  readonly onLayer?: (done: number, layers: number) => void;
}

interface CapturedLayer {
  readonly factor: number;
  readonly allowed: Uint8Array | null;
  /** Per query head: the unscaled q·kᵀ, n × n. */
  readonly dots: Float32Array[];
  readonly window: number | null;
  /**
   * RoPE models: q [n, heads·headDim] and k [n, kvHeads·headDim] before the rotation, so a head's
   * q·k without RoPE is computed when asked (n × d per layer held, not another n² per head).
   */
  readonly unrotated: { readonly q: Matrix; readonly k: Matrix } | null;
  readonly kvHeadOf: readonly number[];
}

/** The model folder's short name for titles: the snapshot's repo (models--ORG--NAME) or the folder's own name. */
export function modelDisplayName(path: string): string {
  const parts = path.replace(/[\\/]+$/, '').split(/[\\/]/);
  const repo = parts.find((p) => p.startsWith('models--'));
  if (repo) return repo.slice('models--'.length).split('--').join('/');
  return parts[parts.length - 1] || path;
}

/** A token's label: its text, special tokens in ⟨ ⟩ so they cannot pass for text. */
export function tokenLabel(token: ModelToken): string {
  return token.special ? `⟨${token.text}⟩` : token.text;
}

/** Offsets for the editor link: a special token with no place gets an empty span where it stands. */
export function editorOffsets(tokens: readonly ModelToken[], textLength: number): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  for (const [i, t] of tokens.entries()) {
    if (t.offsets) {
      out.push([t.offsets[0], t.offsets[1]]);
      at = t.offsets[1];
    } else {
      out.push(i === 0 ? [0, 0] : [Math.min(at, textLength), Math.min(at, textLength)]);
    }
  }
  return out;
}

/**
 * Whether n tokens of this model go the long way (src/node/models/longModelSource.ts: each head a
 * max-pooled overview, regions at full resolution): more than fullResolution tokens, or layers ×
 * heads × n² cells past the dense cap.
 */
export function modelNeedsOverview(n: number, layers: number, heads: number, fullResolution: number): boolean {
  return n > fullResolution || n * n * layers * heads > MAX_DENSE_CELLS;
}

/** The checks every model run makes before any weight is read: the token limit and the model's positions. */
export function checkTokens(where: string, n: number, maxPositions: number, limits: LimitOptions | undefined): void {
  const caps = resolveLimits(limits);
  if (n > caps.maxTokens)
    throw new InputError(
      where,
      `${n} tokens exceed the limit of ${caps.maxTokens} (setting attentionInspector.limits.maxTokens): select less text`,
    );
  if (n > maxPositions)
    throw new InputError(
      where,
      `${n} tokens exceed the model's ${maxPositions} positions (config.json max_position_embeddings): select less text`,
    );
}

/** Refuses a run the panel could not hold whole, before any weight is read (callers without the long path). */
function checkSize(where: string, n: number, layers: number, heads: number): void {
  if (n > FULL_RESOLUTION_TOKENS)
    throw new InputError(
      where,
      `${n} tokens: a model is shown cell by cell up to ${FULL_RESOLUTION_TOKENS} tokens; select less text`,
    );
  const cells = n * n * layers * heads;
  if (cells > MAX_DENSE_CELLS) {
    throw new InputError(
      where,
      `${n} tokens × ${n} × ${layers} layers × ${heads} heads = ${cells} attention cells exceed the limit of ${MAX_DENSE_CELLS} held at once (about 768 MiB of scores): select at most ${Math.floor(Math.sqrt(MAX_DENSE_CELLS / (layers * heads)))} tokens`,
    );
  }
}

/** Every piece of the vocabulary by id, from tokenizer.json (BPE/WordPiece maps, Unigram lists, added tokens). */
export function vocabularyPieces(tokenizerJson: string): string[] {
  const json = JSON.parse(tokenizerJson) as {
    model?: { vocab?: unknown };
    added_tokens?: { id: number; content: string }[];
  };
  const pieces: string[] = [];
  const vocab = json.model?.vocab;
  if (Array.isArray(vocab))
    vocab.forEach((entry, id) => (pieces[id] = Array.isArray(entry) ? String(entry[0]) : String(entry)));
  else if (vocab && typeof vocab === 'object')
    for (const [piece, id] of Object.entries(vocab as Record<string, number>)) pieces[id] = piece;
  for (const t of json.added_tokens ?? []) pieces[t.id] = t.content;
  return pieces;
}

/**
 * The induction sequence for a model: `length` random ordinary token ids (seeded), then the same
 * again, with the tokenizer's own special tokens around them (BOS, or CLS … SEP). An induction head
 * attends, in the second half, to the token after the previous occurrence of the query's token.
 */
export function inductionIds(model: LoadedModel, length: number, seed = 1): number[] {
  const tokenizer = model.tokenizer;
  if (!tokenizer)
    throw new InputError(
      `${model.folder.name}/tokenizer.json`,
      'is missing: the induction sequence needs the vocabulary',
    );
  const special = new Set(tokenizer.specialTokens().map((t) => t.id));
  const frame = tokenizer.encode('').ids;
  const next = uniformGenerator(seed);
  const vocab = Math.min(model.config.vocabSize, tokenizer.vocabSize);
  const half: number[] = [];
  while (half.length < length) {
    const id = Math.floor(next() * vocab);
    if (!special.has(id) && !half.includes(id)) half.push(id);
  }
  return [...frame.slice(0, 1), ...half, ...half, ...frame.slice(1)];
}

/** The tokens for a request: the tokenizer's on text, or given ids labelled from the vocabulary. */
export async function tokensFor(model: LoadedModel, request: ModelRequest): Promise<TokenizedText> {
  const given =
    request.induction !== undefined ? inductionIds(model, inductionLength(model, request.induction)) : request.ids;
  if (!given) return tokenizeForModel(model, request.text);
  const text = await model.folder.readText('tokenizer.json');
  const pieces = text ? vocabularyPieces(text) : [];
  const tokens: ModelToken[] = given.map((id) => {
    const special = model.tokenizer?.isSpecial(id) ?? false;
    return { id, piece: pieces[id] ?? String(id), text: pieces[id] ?? `#${id}`, offsets: null, special };
  });
  const note =
    request.induction !== undefined
      ? [
          `Induction sequence: ${(given.length - (given.length % 2)) / 2} random tokens, then the same tokens again; a head's induction score is its mean weight on the token after the previous occurrence.`,
        ]
      : [];
  return { ids: given.slice(), tokens, tokenTypeIds: given.map(() => 0), warnings: note };
}

/** The induction half-length asked for, within the model's positions (two halves and up to two special tokens). */
function inductionLength(model: LoadedModel, asked: number): number {
  if (!Number.isInteger(asked) || asked < 2)
    throw new InputError('induction', `expected at least 2 random tokens, found ${asked}`);
  return Math.max(2, Math.min(asked, Math.floor((model.config.maxPositions - 2) / 2)));
}

export function headerLines(
  model: LoadedModel,
  name: string,
  layers: readonly { readonly factor: number; readonly window: number | null }[],
  kvHeadOf: readonly number[],
  tokenWarnings: readonly string[],
): string[] {
  const c = model.config;
  const factor = layers[0]?.factor ?? 1 / Math.sqrt(c.headDim);
  const sameFactor = layers.every((l) => Math.abs(l.factor - factor) < 1e-12);
  const scaling = sameFactor
    ? `q·k × ${factor.toPrecision(4)}${Math.abs(factor - 1 / Math.sqrt(c.headDim)) < 1e-9 ? ` (1/√${c.headDim})` : ''}`
    : `q·k × a factor per layer (${layers.map((l) => l.factor.toPrecision(3)).join(', ')})`;
  const lines = [
    `Model ${name} (${c.architecture}): ${c.layers} layers × ${c.heads} heads, head size ${c.headDim}. Scores are the model's own ${scaling}${c.rope ? ' after RoPE (the RoPE switch shows q·k before the rotation)' : ''}, with its ${c.causal ? 'causal' : 'bidirectional'} mask; the canonical factor is that scaling.`,
  ];
  if (c.kvHeads < c.heads) {
    const group = c.heads / c.kvHeads;
    lines.push(
      `Grouped-query attention: ${c.heads} query heads share ${c.kvHeads} key/value heads, ${group} each (head h reads key/value head ⌊h/${group}⌋; kv head ${kvHeadOf.join(', ')} per head).`,
    );
  }
  const windowed = layers.map((l, i) => (l.window !== null ? i : -1)).filter((i) => i >= 0);
  if (windowed.length)
    lines.push(
      `Sliding window: layer${windowed.length > 1 ? 's' : ''} ${windowed.join(', ')} attend to the last ${layers[windowed[0]].window} tokens; keys outside the band are masked cells.`,
    );
  lines.push(...tokenWarnings);
  return lines;
}

export class ModelSource implements InspectionSource {
  private readonly engine: ComputeEngine;
  private readonly baseMask: MaskName;

  private constructor(
    private readonly title: string,
    private readonly labels: string[],
    private readonly layers: CapturedLayer[],
    private readonly summaries: HeadSummary[],
    private readonly warnings: string[],
    readonly offsets: [number, number][] | null,
    engine: ComputeEngine | undefined,
    causal: boolean,
    private readonly headDim: number,
  ) {
    this.engine = engine ?? REFERENCE_ENGINE;
    const custom = layers.some((l) => l.window !== null);
    this.baseMask = custom ? 'custom' : causal ? 'causal' : 'none';
  }

  /**
   * Tokenizes, checks the size, runs the forward pass and keeps every head's scores. Refusals are
   * one-line InputErrors naming the model folder; an abort (Cancel) rejects with the signal's reason.
   */
  static async run(
    model: LoadedModel,
    request: ModelRequest,
    options: ModelRunOptions = {},
    tokenizedAlready?: TokenizedText,
  ): Promise<ModelSource> {
    const name = modelDisplayName(request.path);
    const tokenized = tokenizedAlready ?? (await tokensFor(model, request));
    const c = model.config;
    const n = tokenized.ids.length;
    checkTokens(`${request.path}: text`, n, c.maxPositions, request.limits);
    checkSize(`${request.path}: text`, n, c.layers, c.heads);
    const engine = options.engine;
    const layers: CapturedLayer[] = [];
    const summaries: HeadSummary[] = [];
    let kvHeadOf: readonly number[] = [];
    const onLayer = (layer: LayerAttention): void => {
      kvHeadOf = layer.kvHeadOf;
      const allowed = layer.heads[0]?.allowed ?? null;
      layers.push({
        factor: layer.factor,
        allowed,
        dots: layer.heads.map((h) => h.dots.data),
        window: layer.window,
        unrotated: c.rope && layer.qk ? { q: layer.qk.qPre, k: layer.qk.kPre } : null,
        kvHeadOf: layer.kvHeadOf,
      });
      layer.heads.forEach((h, head) =>
        summaries.push(
          summaryOfModelHead(
            h.weights,
            h.allowed,
            layer.layer,
            head,
            c.headDim,
            layer.factor,
            layer.kvHeadOf[head],
            tokenized.ids,
          ),
        ),
      );
      options.onLayer?.(layers.length, c.layers);
    };
    await runModel(
      model,
      { ids: tokenized.ids, tokenTypeIds: tokenized.tokenTypeIds },
      { attend: options.attend, matmul: options.matmul, signal: options.signal, onLayer, keepQK: c.rope !== null },
    );
    const given = request.ids !== undefined || request.induction !== undefined;
    const title =
      request.title ?? `${name}: ${shortText(given ? tokenized.tokens.map((t) => t.text).join('') : request.text)}`;
    const offsets = given ? null : editorOffsets(tokenized.tokens, request.text.length);
    return new ModelSource(
      title,
      tokenized.tokens.map(tokenLabel),
      layers,
      summaries,
      headerLines(model, name, layers, kvHeadOf, tokenized.warnings),
      offsets,
      engine,
      c.causal,
      c.headDim,
    );
  }

  private get n(): number {
    return this.labels.length;
  }

  private checkMask(mask: MaskName | undefined): MaskName {
    const m = mask ?? this.baseMask;
    if (m !== this.baseMask)
      throw new InputError(
        'mask',
        `a model's mask (${this.baseMask}) is part of its computation: later layers depend on it, so it cannot be switched here`,
      );
    return m;
  }

  /** True for a RoPE model: heads can be shown without the rotation. */
  private get rotary(): boolean {
    return this.layers.some((l) => l.unrotated !== null);
  }

  /** q·kᵀ of one head before RoPE (float64 sums, stored as float32 like the model's own dots). */
  private unrotatedDots(l: CapturedLayer, head: number): Float32Array {
    const u = l.unrotated;
    if (!u) throw new InputError('rotation', 'this model has no rotary position encoding (RoPE) to remove');
    const n = this.n,
      d = this.headDim;
    const q = u.q.data,
      k = u.k.data;
    const qc = head * d,
      kc = l.kvHeadOf[head] * d;
    const out = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      const qi = i * u.q.cols + qc;
      for (let j = 0; j < n; j++) {
        const kj = j * u.k.cols + kc;
        let sum = 0;
        for (let t = 0; t < d; t++) sum += q[qi + t] * k[kj + t];
        out[i * n + j] = sum;
      }
    }
    return out;
  }

  private inspection(layer: number, head: number, withSweep: boolean, rotation: Rotation = 'applied'): HeadInspection {
    const l = this.layers[layer];
    if (!l) throw new InputError('layer', `no layer ${layer} (this model has ${this.layers.length})`);
    const rotated = l.dots[head];
    if (!rotated)
      throw new InputError('head', `no head ${head} in layer ${layer} (this model has ${l.dots.length} per layer)`);
    const data = rotation === 'removed' ? this.unrotatedDots(l, head) : rotated;
    const n = this.n;
    const dots: Matrix = { rows: n, cols: n, data };
    const weights = this.engine.softmaxRows(dots, l.allowed, l.factor);
    const scores: Matrix = { rows: n, cols: n, data: Float32Array.from(data, (x) => x * l.factor) };
    const dK = this.summaries[0]?.dK ?? null;
    const rows = rowSharpness(weights, l.allowed);
    return {
      layer,
      head,
      dK,
      factor: l.factor,
      dots,
      scores,
      allowed: l.allowed,
      weights,
      output: null,
      q: null,
      k: null,
      v: null,
      rows,
      sweep: withSweep ? this.engine.scaleSweep(dots, l.allowed, dK ?? undefined) : [],
      diagonal: diagonalDominance(weights),
    };
  }

  async overview(mask?: MaskName): Promise<Overview> {
    const m = this.checkMask(mask);
    return {
      title: this.title,
      form: 'scores',
      n: this.n,
      m: this.n,
      tokens: this.labels.slice(),
      keyTokens: this.labels.slice(),
      layers: this.layers.length,
      heads: this.layers[0]?.dots.length ?? 0,
      mask: m,
      masks: [],
      rescalable: true,
      hasVectors: false,
      hasRaw: false,
      rotary: this.rotary,
      summaries: this.summaries.slice(),
      warnings: this.warnings.slice(),
    };
  }

  async head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    const mask = this.checkMask(options.mask);
    if ((options.variant ?? 'projected') === 'raw')
      throw new InputError('variant', 'a model has no raw (Q = K = V = X) variant');
    const rotation = options.rotation ?? 'applied';
    if (rotation === 'removed' && !this.rotary)
      throw new InputError('rotation', 'this model has no rotary position encoding (RoPE) to remove');
    const tag = this.rotary ? { rotation } : {};
    if (head === 'mean') {
      const count = this.layers[layer]?.dots.length ?? 0;
      if (count === 0) throw new InputError('layer', `no layer ${layer} (this model has ${this.layers.length})`);
      return {
        ...meanPayload(
          Array.from({ length: count }, (_, h) => this.inspection(layer, h, false, rotation)),
          layer,
          mask,
        ),
        ...tag,
      };
    }
    return { ...payloadOf(this.inspection(layer, head, true, rotation), 'projected', mask), ...tag };
  }

  async thumbnails(size: number, mask?: MaskName): Promise<Thumbnails> {
    this.checkMask(mask);
    const items: { layer: number; head: HeadIndex; weights: Float32Array; allowed: Uint8Array | null }[] = [];
    this.layers.forEach((l, layer) => {
      const ws = l.dots.map((_, h) => this.inspection(layer, h, false).weights.data);
      ws.forEach((weights, head) => items.push({ layer, head, weights, allowed: l.allowed }));
      if (ws.length > 1) {
        const mean = new Float32Array(ws[0].length);
        for (const w of ws) for (let k = 0; k < w.length; k++) mean[k] += w[k] / ws.length;
        items.push({ layer, head: 'mean', weights: mean, allowed: l.allowed });
      }
    });
    // Each layer's own mask: a sliding-window layer's band differs from a full causal layer's.
    const shared = this.layers.every((l) => sameMask(l.allowed, this.layers[0]?.allowed ?? null));
    return shared
      ? packThumbnails(
          items.map(({ allowed: _a, ...it }) => it),
          this.n,
          this.n,
          this.layers[0]?.allowed ?? null,
          size,
        )
      : packThumbnails(items, this.n, this.n, null, size);
  }
}

function sameMask(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function shortText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `“${flat.slice(0, 60)}…”` : `“${flat}”`;
}

/** A real head's summary: the sharpness figures every source gives, the catalogue, its key/value head. */
function summaryOfModelHead(
  weights: Matrix,
  allowed: Uint8Array | null,
  layer: number,
  head: number,
  dK: number,
  factor: number,
  kvHead: number,
  ids: readonly number[],
): HeadSummary {
  const s = summarizeSharpness(rowSharpness(weights, allowed));
  const c = catalogueEntry(weights.data, weights.rows, ids);
  return {
    layer,
    head,
    dK,
    factor,
    meanEntropy: s.meanEntropy,
    meanMaxWeight: s.meanMaxWeight,
    meanEffectiveTokens: s.meanEffectiveTokens,
    diagonalShare: c.diagonalShare,
    previousTokenScore: c.previousTokenScore,
    firstTokenMass: c.firstTokenMass,
    inductionScore: c.inductionScore,
    kvHead,
  };
}
