// From a validated input to everything the views show: per head the unscaled and scaled scores, the
// mask, the weights, the output, per-row sharpness, the scale sweep and the diagonal dominance.
// The CLI prints this, the extension sends it to the panel, the tests compare it with numpy.
import { type Matrix, scaleMatrix } from './matrix';
import { type AttentionResult, attention, multiHeadAttention, softmaxRows } from './attention';
import { type ScaleRule, defaultScaleRule, factorFor, namedRule, refuseRescale, sqrtNeedsDK } from './scale';
import { type MaskSpec, allowedCells, emptyRows } from './mask';
import {
  type RowSharpness,
  type SweepPoint,
  logGrid,
  rowSharpness,
  scaleSweep,
  summarizeSharpness,
  zeroRows,
} from './sharpness';
import { type DiagonalDominance, diagonalDominance } from './selfSimilarity';
import { type AttentionInput, type InputForm, inputShape } from './schema';
import {
  type TextModelSettings,
  DEFAULT_TEXT_SETTINGS,
  countTokens,
  embedTokens,
  seededProjections,
  tokenize,
} from './text';
import { InputError } from './errors';
import { checkComputedHead, maskedScores } from './values';
import { addRowVector, foldBiases } from './bias';
import { type LimitOptions, TEXT_MODEL_MAXIMA, checkDenseCost, limitError, resolveLimits } from './limits';

export interface HeadInspection {
  readonly layer: number;
  readonly head: number;
  /** Key dimension when known (it defines the 1/√d_k scale). */
  readonly dK: number | null;
  /** Factor applied to the logits; null for exported weights, which cannot be re-scaled. */
  readonly factor: number | null;
  /** Unscaled logits (Q·Kᵀ, or the given scores); null for weights. */
  readonly dots: Matrix | null;
  /** dots·factor; null for weights. */
  readonly scores: Matrix | null;
  /** 1 where a query may attend to a key; null when all may. */
  readonly allowed: Uint8Array | null;
  readonly weights: Matrix;
  readonly output: Matrix | null;
  readonly q: Matrix | null;
  readonly k: Matrix | null;
  readonly v: Matrix | null;
  readonly rows: RowSharpness;
  /** Canonical factors first (1, 1/√d_k, 1/d_k), then the log grid; just "as is" for weights. */
  readonly sweep: SweepPoint[];
  /** For square (self-attention) matrices. */
  readonly diagonal: DiagonalDominance | null;
  /** Exported weights: query rows that are fully masked (all zero, or all NaN in the file). */
  readonly maskedRows?: readonly number[];
}

export type MaskName = 'none' | 'causal' | 'anticausal' | 'custom';

export interface Inspection {
  readonly form: InputForm | 'text';
  readonly tokens: string[];
  readonly keyTokens: string[];
  /** For text: each token's [start, end) UTF-16 offsets in the source text. */
  readonly offsets: [number, number][] | null;
  readonly heads: HeadInspection[];
  /** Multi-head output (heads concatenated, ·W_O when given); null for a single head or weights. */
  readonly output: Matrix | null;
  readonly mask: MaskName;
  /** The rule the factors came from (a number equal to 1/√d_k reads 'sqrt'); null for weights. */
  readonly scale: ScaleRule | null;
  readonly warnings: string[];
}

export interface InspectOptions {
  /** Overrides the input's own scale rule. */
  readonly scale?: ScaleRule;
  /** Overrides the input's own mask. */
  readonly mask?: MaskSpec;
  /** Where an override came from, for error messages (a flag or a setting). */
  readonly scaleSource?: string;
  readonly maskSource?: string;
  readonly grid?: readonly number[];
  /** Where the tensors came from, for error messages about their values (default: the JSON path). */
  readonly inputSource?: string;
  /** The file and tensor the values came from, named at the end of value errors. */
  readonly valuesFrom?: string;
  /** The stored dtype of given scores, when known ('f16': −65504 is float16's mask value too). */
  readonly scoresDtype?: string;
  /** The numeric functions to use (default: the reference core); src/core/kernels provides a faster set. */
  readonly engine?: ComputeEngine;
}

/** What inspect() computes with. The reference core and the WebAssembly kernels export these names. */
export interface ComputeEngine {
  readonly attention: typeof attention;
  readonly multiHeadAttention: typeof multiHeadAttention;
  readonly softmaxRows: typeof softmaxRows;
  readonly scaleSweep: typeof scaleSweep;
}

export const REFERENCE_ENGINE: ComputeEngine = { attention, multiHeadAttention, softmaxRows, scaleSweep };

function positionLabels(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(i));
}

function maskName(mask: MaskSpec): MaskName {
  return typeof mask === 'string' ? mask : 'custom';
}

type HeadComputation = Omit<AttentionResult, 'output' | 'emptyRows'> & { readonly output: Matrix | null };
const NO_QKV = { q: null, k: null, v: null };

function fromAttention(
  r: HeadComputation,
  layer: number,
  head: number,
  dK: number | null,
  qkv: { q: Matrix | null; k: Matrix | null; v: Matrix | null },
  grid: readonly number[],
  engine: ComputeEngine = REFERENCE_ENGINE,
): HeadInspection {
  const rows = rowSharpness(r.weights, r.allowed);
  // The sweep re-softmaxes the head at ~28 factors, several times the cost of the head itself, and
  // only the head a panel shows needs it: computed on first read, then kept.
  let sweep: SweepPoint[] | null = null;
  return {
    layer,
    head,
    dK,
    factor: r.factor,
    dots: r.dots,
    scores: r.scores,
    allowed: r.allowed,
    weights: r.weights,
    output: r.output,
    ...qkv,
    rows,
    get sweep(): SweepPoint[] {
      return (sweep ??= engine.scaleSweep(r.dots, r.allowed, dK ?? undefined, grid));
    },
    diagonal: r.weights.rows === r.weights.cols ? diagonalDominance(r.weights) : null,
  };
}

/** A head whose weights came from a model as they are: sharpness is measured, not re-scaled. */
/**
 * `measured`: the weights' rowSharpness and diagonalDominance when a kernel has already formed them
 * (a tensor file's heads, src/core/kernels/weightRows.ts).
 */
export function inspectWeights(
  weights: Matrix,
  layer: number,
  head: number,
  measured?: { readonly rows: RowSharpness; readonly diagonal: DiagonalDominance | null },
): HeadInspection {
  const rows = measured?.rows ?? rowSharpness(weights);
  return {
    layer,
    head,
    dK: null,
    factor: null,
    dots: null,
    scores: null,
    allowed: null,
    weights,
    output: null,
    q: null,
    k: null,
    v: null,
    rows,
    sweep: [{ factor: 1, label: 'unscaled', ...summarizeSharpness(rows) }],
    diagonal: measured ? measured.diagonal : weights.rows === weights.cols ? diagonalDominance(weights) : null,
  };
}

/** Rows of exported weights that do not sum to 1 (masked rows summing to 0 are fine). */
function weightRowWarnings(w: Matrix, layer: number, head: number): string[] {
  for (let i = 0; i < w.rows; i++) {
    let s = 0;
    for (let j = 0; j < w.cols; j++) s += w.data[i * w.cols + j];
    if (s !== 0 && Math.abs(s - 1) > 1e-3)
      return [
        `attentions layer ${layer} head ${head} row ${i} sums to ${s.toPrecision(4)}, not 1: are these scores rather than post-softmax weights?`,
      ];
  }
  return [];
}

export function inspect(input: AttentionInput, options: InspectOptions = {}): Inspection {
  const { n, m } = inputShape(input);
  const grid = options.grid ?? logGrid();
  const engine = options.engine ?? REFERENCE_ENGINE;
  const tokens = input.tokens ?? positionLabels(n);
  const keyTokens = input.keyTokens ?? (n === m && input.tokens ? input.tokens : positionLabels(m));
  const warnings: string[] = [];

  if (input.form === 'weights') {
    if (options.scale !== undefined) throw refuseRescale(options.scaleSource ?? 'scale', 'weightsOverride');
    if (options.mask !== undefined)
      throw new InputError(
        options.maskSource ?? 'mask',
        'the input is post-softmax attentions; a mask can no longer apply (give scores or Q/K/V)',
      );
    const heads = input.layers.flatMap((layer, l) => layer.map((w, h) => inspectWeights(w, l, h)));
    input.layers.forEach((layer, l) => layer.forEach((w, h) => warnings.push(...weightRowWarnings(w, l, h))));
    const empty = zeroRows(heads[0].weights);
    if (empty.length)
      warnings.push(`${empty.length} query row(s) have all-zero weights (masked out): ${empty.slice(0, 8).join(', ')}`);
    return {
      form: input.form,
      tokens,
      keyTokens,
      offsets: null,
      heads,
      output: null,
      mask: 'none',
      scale: null,
      warnings,
    };
  }

  // The whole cost up front: every head's n × m scores and weights are held at once.
  const denseHeads =
    input.form === 'projected' ? input.heads.length : input.form === 'scores' ? input.scores.length : 1;
  checkDenseCost(
    options.inputSource ?? (input.form === 'projected' ? '$.X' : input.form === 'qkv' ? '$.Q' : '$.scores'),
    n,
    m,
    denseHeads,
    'give fewer tokens or heads',
  );
  const mask = options.mask ?? input.mask ?? 'none';
  const dK = input.form === 'qkv' ? input.Q.cols : input.form === 'scores' ? input.dK : undefined;
  // Projected heads each know their d_k (the width of W_Q); only given scores may lack one.
  const keyDimKnown = input.form === 'projected' ? input.heads[0].W_Q.cols : dK;
  const scale = options.scale ?? input.scale ?? defaultScaleRule(keyDimKnown);
  if (scale === 'sqrt' && keyDimKnown === undefined)
    throw sqrtNeedsDK(options.scale !== undefined ? (options.scaleSource ?? 'scale') : '$.scale');
  let heads: HeadInspection[];
  let output: Matrix | null = null;
  if (input.form === 'qkv') {
    heads = [
      fromAttention(
        engine.attention(input.Q, input.K, input.V, { scale, mask }),
        0,
        0,
        input.Q.cols,
        { q: input.Q, k: input.K, v: input.V },
        grid,
        engine,
      ),
    ];
  } else if (input.form === 'projected') {
    // Biases ride along as a ones column of X (src/core/bias.ts): q, k, v come out as X·W + b.
    const folded = input.biases ? foldBiases(input.X, input.heads, input.biases) : { x: input.X, heads: input.heads };
    const result = engine.multiHeadAttention(folded.x, folded.heads, input.W_O, { scale, mask });
    heads = result.heads.map((r, h) => fromAttention(r, 0, h, r.q.cols, { q: r.q, k: r.k, v: r.v }, grid, engine));
    if (input.multiHead) output = input.b_O ? addRowVector(result.output, input.b_O) : result.output;
  } else {
    const maskAllowed = allowedCells(mask, n, m);
    const factor = factorFor(scale, dK);
    const source = options.inputSource ?? '$.scores';
    // Given scores have no values to average, so their output is absent. Masked scores (−∞, ≤ −1e30)
    // join the mask; NaN and +∞ are refused by position (src/core/values.ts).
    heads = input.scores.map((given, h) => {
      const { dots, allowed } = maskedScores(
        given,
        maskAllowed,
        input.scores.length > 1 ? `${source} head ${h}` : source,
        options.scoresDtype,
        options.valuesFrom,
      );
      if (allowed !== maskAllowed) {
        const masked = emptyRows(allowed, n, m).filter((i) => !emptyRows(maskAllowed, n, m).includes(i));
        if (masked.length)
          warnings.push(
            `${input.scores.length > 1 ? `head ${h}: ` : ''}${masked.length} query row(s) have every score masked (−∞) in the input: ${masked.slice(0, 8).join(', ')}${masked.length > 8 ? ', …' : ''}; their weights are all zero`,
          );
      }
      return fromAttention(
        {
          dots,
          factor,
          scores: scaleMatrix(dots, factor),
          allowed,
          weights: engine.softmaxRows(dots, allowed, factor),
          output: null,
        },
        0,
        h,
        dK ?? null,
        NO_QKV,
        grid,
        engine,
      );
    });
  }
  const where = options.inputSource ?? (input.form === 'projected' ? '$.X' : input.form === 'qkv' ? '$.Q' : '$.scores');
  refuseUndefinedWeights(heads, where);
  for (const h of heads)
    checkComputedHead(
      h.dots!,
      h.factor!,
      h.allowed,
      h.weights,
      heads.length > 1 ? `${where} head ${h.head}` : where,
      options.valuesFrom,
    );
  for (const i of emptyRows(allowedCells(mask, n, m), n, m)) {
    warnings.push(
      `query ${i} (${JSON.stringify(tokens[i])}) may attend to no key under the mask: its weights and output are all zero`,
    );
  }
  return {
    form: input.form,
    tokens,
    keyTokens,
    offsets: null,
    heads,
    output,
    mask: maskName(mask),
    scale: namedRule(scale, dK),
    warnings,
  };
}

/**
 * Entries up to float32's maximum are accepted one by one, but q·k (or a projection) of such entries
 * can pass it; a file may hold NaN or +Infinity scores. Softmax of such a row is undefined (NaN
 * weights), so the input is refused with the cell where it happened. -Infinity (a masked logit) is fine.
 */
function refuseUndefinedWeights(heads: readonly HeadInspection[], where: string): void {
  for (const h of heads) {
    const w = h.weights.data.findIndex((x) => !Number.isFinite(x));
    if (w < 0) continue;
    const cols = h.weights.cols;
    const i = Math.floor(w / cols);
    const row = h.dots ? Array.from(h.dots.data.subarray(i * cols, (i + 1) * cols)) : [];
    const j = row.findIndex((x) => Number.isNaN(x) || x === Infinity);
    const cell = `${heads.length > 1 ? `head ${h.head}, ` : ''}query ${i}${j >= 0 ? `, key ${j}` : ''}`;
    const cause =
      j >= 0
        ? `the score is ${row[j]} (q·k overflows float32, |q·k| > 3.4e38, or is not a number)`
        : 'a scaled score overflows';
    throw new InputError(where, `at ${cell} ${cause}, so softmax is undefined: scale the input down`);
  }
}

const MODEL_SETTINGS = {
  dModel: 'attentionInspector.seededModel.tokenWidth',
  dK: 'attentionInspector.seededModel.queryKeyWidth',
  dV: 'attentionInspector.seededModel.valueWidth',
  heads: 'attentionInspector.seededModel.heads',
} as const;

/** The text model's sizes are positive integers within the settings' maxima, checked before anything is built. */
function checkTextModel(s: TextModelSettings): void {
  for (const key of Object.keys(TEXT_MODEL_MAXIMA) as (keyof typeof TEXT_MODEL_MAXIMA)[]) {
    const value = s[key];
    if (!Number.isSafeInteger(value) || value < 1)
      throw new InputError(
        `text model ${key}`,
        `expected a positive integer, found ${value} (setting ${MODEL_SETTINGS[key]})`,
      );
    if (value > TEXT_MODEL_MAXIMA[key])
      throw new InputError(
        `text model ${key}`,
        `${value} exceeds the maximum of ${TEXT_MODEL_MAXIMA[key]} (setting ${MODEL_SETTINGS[key]})`,
      );
  }
}

/** `maxTokens` as a number (the original API) or as part of the limits; the limits' defaults otherwise. */
function textLimits(limits: number | LimitOptions | undefined) {
  return resolveLimits(typeof limits === 'number' ? { maxTokens: limits } : limits);
}

/**
 * Builds the attention input for a piece of text: tokens with offsets, embeddings (+ positions),
 * seeded projections. More tokens than limits.maxTokens (default 4096) is an InputError naming the
 * cap and the setting that raises it; nothing is embedded before that check.
 */
export function textInput(
  text: string,
  settings: Partial<TextModelSettings> = {},
  limits?: number | LimitOptions,
): { input: AttentionInput; offsets: [number, number][] } {
  const s = { ...DEFAULT_TEXT_SETTINGS, ...settings };
  checkTextModel(s);
  const caps = textLimits(limits);
  const tokens = tokenize(text, s.tokenizer, caps.maxTokens + 1);
  if (tokens.length === 0) throw new InputError('text', 'no tokens found (the text is empty or only white space)');
  if (tokens.length > caps.maxTokens) {
    // Counting stopped one past the cap; count the rest (cheap: no token objects) for the message.
    throw limitError('text', `${countTokens(text, s.tokenizer)} tokens`, 'maxTokens', caps);
  }
  const x = embedTokens(tokens, s);
  const labels = tokens.map((t) => t.text);
  const offsets = tokens.map((t) => [t.start, t.end] as [number, number]);
  if (s.raw) return { input: { form: 'qkv', Q: x, K: x, V: x, tokens: labels }, offsets };
  const { heads, W_O } = seededProjections(s);
  return { input: { form: 'projected', X: x, heads, W_O, multiHead: true, tokens: labels }, offsets };
}

export function inspectText(
  text: string,
  settings: Partial<TextModelSettings> = {},
  options: InspectOptions = {},
  limits?: number | LimitOptions,
): Inspection {
  const { input, offsets } = textInput(text, settings, limits);
  return { ...inspect(input, { inputSource: 'text', ...options }), form: 'text', offsets };
}
