// The JSON tensor schema: matrices are arrays of rows (row-vector convention). A document gives
// exactly one of: Q/K/V; X with W_Q/W_K/W_V or heads[]; scores; attentions. Validation is strict and
// every error names the JSON path and the rule, e.g. `$.heads[1].W_K: expected 12 rows (d_model of X), found 11`.
import { type Matrix, fromRows, transpose } from './matrix';
import type { HeadBias } from './bias';
import { type MaskSpec, isMaskWord, MASK_WORDS } from './mask';
import type { HeadProjection } from './attention';
import { type ScaleRule, isScaleRule, refuseRescale, sqrtNeedsDK } from './scale';
import { InputError } from './errors';
import { findJsonSyntaxError } from './jsonSyntax';
import {
  type NonJsonLiteral,
  blankLiterals,
  findNonJsonLiterals,
  isMaskedScoreLiteral,
  literalError,
} from './jsonLiterals';
import { type LimitOptions, limitError, resolveLimits, utf8Length } from './limits';

export interface CommonFields {
  /** Query labels (length n). */
  readonly tokens?: string[];
  /** Key labels (length m) for cross attention. */
  readonly keyTokens?: string[];
  readonly mask?: MaskSpec;
  readonly scale?: ScaleRule;
}

export type AttentionInput = CommonFields &
  (
    | { readonly form: 'qkv'; readonly Q: Matrix; readonly K: Matrix; readonly V: Matrix }
    | {
        readonly form: 'projected';
        readonly X: Matrix;
        /** W_* in the row-vector [in, out] layout, whatever the document's weight_layout. */
        readonly heads: HeadProjection[];
        readonly W_O: Matrix | null;
        readonly multiHead: boolean;
        /** Per head b_Q, b_K, b_V (added after the projection); absent when the document gives none. */
        readonly biases?: readonly HeadBias[];
        /** Added to the output after ·W_O. */
        readonly b_O?: Float32Array;
      }
    | { readonly form: 'scores'; readonly scores: Matrix[]; readonly dK?: number }
    | { readonly form: 'weights'; readonly layers: Matrix[][] }
  );

export type InputForm = AttentionInput['form'];

const FORM_KEYS = {
  qkv: ['Q', 'K', 'V'],
  projected: ['X', 'W_Q', 'W_K', 'W_V', 'b_Q', 'b_K', 'b_V', 'heads', 'W_O', 'b_O', 'weight_layout'],
  scores: ['scores', 'd_k'],
  weights: ['attentions'],
} as const;
const COMMON_KEYS = ['tokens', 'key_tokens', 'mask', 'scale'];
const ALLOWED_KEYS = new Set<string>([...Object.values(FORM_KEYS).flat(), ...COMMON_KEYS]);
const HEAD_KEYS = ['W_Q', 'W_K', 'W_V', 'b_Q', 'b_K', 'b_V'];

/**
 * How W_* are given: "xw" is the row-vector [in, out] (Q = X·W_Q, GPT-2's Conv1D, TransformerLens);
 * "linear" is nn.Linear's [out, in] (y = x·Wᵀ + b), transposed on read.
 */
type WeightLayout = 'xw' | 'linear';

/** float32 overflows to Infinity beyond this; such values are rejected like Infinity itself. */
const FLOAT32_MAX = 3.4028234663852886e38;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? value.slice(0, 20) + '…' : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function finiteNumber(value: unknown, path: string, maskedAllowed = false): number {
  if (typeof value !== 'number') throw new InputError(path, `expected a number, found ${describe(value)}`);
  // Scores only: −∞ is a masked cell (Python's json.dump writes -Infinity for masked_fill(-inf)).
  if (maskedAllowed && value === -Infinity) return value;
  if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
    throw new InputError(
      path,
      `expected a finite number, found ${Number.isFinite(value) ? value : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN'} (out of float32 range)`,
    );
  }
  return value;
}

/** A non-empty, rectangular array of rows of finite numbers (scores: −∞ too, with `maskedAllowed`). */
export function readMatrix(value: unknown, path: string, maskedAllowed = false): Matrix {
  if (!Array.isArray(value))
    throw new InputError(path, `expected a matrix (an array of rows), found ${describe(value)}`);
  if (value.length === 0) throw new InputError(path, 'empty matrix (expected at least one row)');
  let width = -1;
  value.forEach((r: unknown, i) => {
    if (!Array.isArray(r))
      throw new InputError(`${path}[${i}]`, `expected a row (an array of numbers), found ${describe(r)}`);
    if (r.length === 0) throw new InputError(`${path}[${i}]`, 'empty row (expected at least one number)');
    if (width === -1) width = r.length;
    else if (r.length !== width)
      throw new InputError(`${path}[${i}]`, `ragged rows: expected ${width} numbers like row 0, found ${r.length}`);
    r.forEach((x: unknown, j) => finiteNumber(x, `${path}[${i}][${j}]`, maskedAllowed));
  });
  return fromRows(value as number[][]);
}

function depthOf(value: unknown): number {
  let d = 0;
  let v = value;
  while (Array.isArray(v)) {
    d++;
    v = v[0];
  }
  return d;
}

/** A stack of equal-shaped matrices: depth 2 gives one, depth 3 gives value.length. */
function readMatrixStack(
  value: unknown,
  path: string,
  allowedDepths: readonly number[],
  what: string,
  maskedAllowed = false,
): { matrices: Matrix[][]; depth: number } {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InputError(
      path,
      Array.isArray(value) ? `empty ${what}` : `expected ${what} as nested arrays, found ${describe(value)}`,
    );
  }
  const depth = depthOf(value);
  if (!allowedDepths.includes(depth)) {
    throw new InputError(path, `expected ${allowedDepths.map((d) => `${d}-D`).join(', ')} ${what}, found ${depth}-D`);
  }
  const layers: Matrix[][] = [];
  const asLayers = depth === 4 ? (value as unknown[]) : [value];
  asLayers.forEach((layer, l) => {
    const layerPath = depth === 4 ? `${path}[${l}]` : path;
    if (depth === 4 && (!Array.isArray(layer) || layer.length === 0))
      throw new InputError(layerPath, `expected a non-empty array of heads, found ${describe(layer)}`);
    const heads = depth === 2 ? [layer] : (layer as unknown[]);
    layers.push(heads.map((h, i) => readMatrix(h, depth === 2 ? layerPath : `${layerPath}[${i}]`, maskedAllowed)));
  });
  const first = layers[0][0];
  layers.forEach((heads, l) =>
    heads.forEach((m, h) => {
      if (m.rows !== first.rows || m.cols !== first.cols) {
        const at = depth === 4 ? `${path}[${l}][${h}]` : `${path}[${h}]`;
        throw new InputError(
          at,
          `expected ${first.rows}×${first.cols} like the first matrix, found ${m.rows}×${m.cols}`,
        );
      }
    }),
  );
  return { matrices: layers, depth };
}

function expectRows(m: Matrix, rows: number, path: string, why: string): void {
  if (m.rows !== rows) throw new InputError(path, `expected ${rows} rows (${why}), found ${m.rows}`);
}
function expectCols(m: Matrix, cols: number, path: string, why: string): void {
  if (m.cols !== cols) throw new InputError(path, `expected ${cols} columns (${why}), found ${m.cols}`);
}

export function readScaleRule(value: unknown, path: string): ScaleRule {
  if (isScaleRule(value)) return value;
  throw new InputError(path, `expected "sqrt", "none" or a positive finite number, found ${describe(value)}`);
}

export function readMask(value: unknown, path: string, n: number, m: number): MaskSpec {
  if (typeof value === 'string') {
    if (isMaskWord(value)) return value;
    throw new InputError(
      path,
      `unknown mask ${describe(value)} (expected ${MASK_WORDS.join(', ')} or an ${n}×${m} matrix of 0/1)`,
    );
  }
  const mask = readMatrix(value, path);
  if (mask.rows !== n || mask.cols !== m)
    throw new InputError(path, `expected a ${n}×${m} mask (queries × keys), found ${mask.rows}×${mask.cols}`);
  for (let k = 0; k < mask.data.length; k++) {
    const x = mask.data[k];
    if (x !== 0 && x !== 1)
      throw new InputError(`${path}[${Math.floor(k / m)}][${k % m}]`, `expected 0 or 1 (1 = may attend), found ${x}`);
  }
  return mask;
}

function readTokens(value: unknown, path: string, count: number, what: string): string[] {
  if (!Array.isArray(value)) throw new InputError(path, `expected an array of strings, found ${describe(value)}`);
  value.forEach((t, i) => {
    if (typeof t !== 'string') throw new InputError(`${path}[${i}]`, `expected a string, found ${describe(t)}`);
  });
  if (value.length !== count) throw new InputError(path, `expected ${count} tokens (${what}), found ${value.length}`);
  return value as string[];
}

/** A non-empty array of finite numbers: a bias vector. */
function readVector(value: unknown, path: string, length: number, why: string): Float32Array {
  if (!Array.isArray(value))
    throw new InputError(path, `expected a vector (an array of ${length} numbers, ${why}), found ${describe(value)}`);
  if (value.length !== length) throw new InputError(path, `expected ${length} numbers (${why}), found ${value.length}`);
  return Float32Array.from(value.map((x: unknown, i) => finiteNumber(x, `${path}[${i}]`)));
}

/** The "weight_layout" field: "xw" (default, [in, out]) or "linear" (nn.Linear's [out, in]). */
function readWeightLayout(value: unknown): WeightLayout {
  if (value === undefined || value === 'xw') return 'xw';
  if (value === 'linear') return 'linear';
  throw new InputError(
    '$.weight_layout',
    `expected "xw" (W is [in, out]: Q = X·W) or "linear" (nn.Linear's [out, in]: Q = X·Wᵀ), found ${describe(value)}`,
  );
}

const LINEAR_NOTE = '; weight_layout "linear" gives W as nn.Linear\'s [out, in]';

/**
 * A weight matrix with `inDim` inputs, returned in the row-vector [in, out] layout. "linear" gives
 * it as [out, in]: its columns are the inputs, and it is transposed here, once.
 */
function readWeight(value: unknown, path: string, layout: WeightLayout, inDim: number, inWhat: string): Matrix {
  const w = readMatrix(value, path);
  if (layout === 'xw') {
    expectRows(w, inDim, path, inWhat);
    return w;
  }
  expectCols(w, inDim, path, `${inWhat}${LINEAR_NOTE}`);
  return transpose(w);
}

function readHead(
  value: unknown,
  path: string,
  dModel: number,
  layout: WeightLayout,
): { projection: HeadProjection; bias: HeadBias } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InputError(path, `expected an object with W_Q, W_K, W_V, found ${describe(value)}`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!HEAD_KEYS.includes(key))
      throw new InputError(`${path}.${key}`, 'unknown field (a head has W_Q, W_K, W_V and optionally b_Q, b_K, b_V)');
  }
  for (const key of ['W_Q', 'W_K', 'W_V'])
    if (!(key in o)) throw new InputError(`${path}.${key}`, 'missing (a head needs W_Q, W_K and W_V)');
  const W_Q = readWeight(o.W_Q, `${path}.W_Q`, layout, dModel, 'd_model of X');
  const W_K = readWeight(o.W_K, `${path}.W_K`, layout, dModel, 'd_model of X');
  const W_V = readWeight(o.W_V, `${path}.W_V`, layout, dModel, 'd_model of X');
  if (W_K.cols !== W_Q.cols) {
    const given = layout === 'xw' ? 'columns' : 'rows';
    throw new InputError(
      `${path}.W_K`,
      `expected ${W_Q.cols} ${given} (d_k of W_Q${layout === 'linear' ? LINEAR_NOTE : ''}), found ${W_K.cols}`,
    );
  }
  const bias = (key: 'b_Q' | 'b_K' | 'b_V', w: Matrix, what: string) =>
    key in o ? readVector(o[key], `${path}.${key}`, w.cols, what) : null;
  return {
    projection: { W_Q, W_K, W_V },
    bias: {
      b_Q: bias('b_Q', W_Q, 'd_k, one per query feature'),
      b_K: bias('b_K', W_K, 'd_k, one per key feature'),
      b_V: bias('b_V', W_V, 'd_v, one per value feature'),
    },
  };
}

/** The query/key counts of a parsed input, for validating tokens and masks. */
export function inputShape(input: AttentionInput): { n: number; m: number } {
  switch (input.form) {
    case 'qkv':
      return { n: input.Q.rows, m: input.K.rows };
    case 'projected':
      return { n: input.X.rows, m: input.X.rows };
    case 'scores':
      return { n: input.scores[0].rows, m: input.scores[0].cols };
    case 'weights':
      return { n: input.layers[0][0].rows, m: input.layers[0][0].cols };
  }
}

/**
 * Validates a parsed JSON value against the schema. With `limits`, more queries or keys than
 * limits.maxTokens is refused too (attention allocates n×m per head); without, only the schema applies.
 */
export function readAttentionInput(doc: unknown, limits?: LimitOptions): AttentionInput {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new InputError('$', `expected a JSON object, found ${describe(doc)}`);
  const o = doc as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!ALLOWED_KEYS.has(key))
      throw new InputError(
        `$.${key}`,
        `unknown field (expected Q/K/V, X with W_Q/W_K/W_V or heads, scores, attentions, and optionally ${COMMON_KEYS.join(', ')})`,
      );
  }
  const present = (Object.keys(FORM_KEYS) as InputForm[]).filter((f) =>
    f === 'projected' ? 'X' in o : f === 'scores' ? 'scores' in o : FORM_KEYS[f].some((k) => k in o),
  );
  if (present.length === 0)
    throw new InputError(
      '$',
      'no tensors: give Q, K and V; or X with W_Q, W_K, W_V (or heads); or scores; or attentions',
    );
  if (present.length > 1)
    throw new InputError(
      '$',
      `give exactly one input form, found ${present.map((f) => FORM_KEYS[f][0]).join(' and ')}`,
    );
  const form = present[0];
  for (const [f, keys] of Object.entries(FORM_KEYS)) {
    if (f === form) continue;
    for (const key of keys)
      if (key in o) throw new InputError(`$.${key}`, `does not belong with ${FORM_KEYS[form][0]} (a ${form} input)`);
  }

  let body: AttentionInput;
  if (form === 'qkv') {
    for (const key of ['Q', 'K', 'V'])
      if (!(key in o)) throw new InputError(`$.${key}`, 'missing (Q, K and V go together)');
    const Q = readMatrix(o.Q, '$.Q');
    const K = readMatrix(o.K, '$.K');
    const V = readMatrix(o.V, '$.V');
    expectCols(K, Q.cols, '$.K', 'd_k of Q');
    expectRows(V, K.rows, '$.V', 'one per key in K');
    body = { form, Q, K, V };
  } else if (form === 'projected') {
    const X = readMatrix(o.X, '$.X');
    const single = ['W_Q', 'W_K', 'W_V'].some((k) => k in o);
    if (single && 'heads' in o)
      throw new InputError('$.heads', 'give either W_Q/W_K/W_V (one head) or heads (multi-head), not both');
    if (!single && !('heads' in o)) throw new InputError('$', 'X needs W_Q, W_K and W_V, or heads');
    const layout = readWeightLayout(o.weight_layout);
    if (!single)
      for (const key of ['b_Q', 'b_K', 'b_V'])
        if (key in o)
          throw new InputError(`$.${key}`, 'with heads, each head gives its own biases ($.heads[i].b_Q, …)');
    let read: { projection: HeadProjection; bias: HeadBias }[];
    if (single) {
      const fields = Object.fromEntries(HEAD_KEYS.filter((k) => k in o).map((k) => [k, o[k]]));
      read = [readHead(fields, '$', X.cols, layout)];
    } else {
      if (!Array.isArray(o.heads) || o.heads.length === 0)
        throw new InputError('$.heads', `expected a non-empty array of heads, found ${describe(o.heads)}`);
      read = o.heads.map((h, i) => readHead(h, `$.heads[${i}]`, X.cols, layout));
    }
    const heads = read.map((r) => r.projection);
    let W_O: Matrix | null = null;
    if ('W_O' in o) {
      if (single) throw new InputError('$.W_O', 'W_O goes with heads (multi-head)');
      W_O = readWeight(
        o.W_O,
        '$.W_O',
        layout,
        heads.reduce((s, h) => s + h.W_V.cols, 0),
        "the sum of the heads' d_v",
      );
    }
    let b_O: Float32Array | undefined;
    if ('b_O' in o) {
      if (W_O === null) throw new InputError('$.b_O', 'b_O is the bias of W_O: give W_O with it');
      b_O = readVector(o.b_O, '$.b_O', W_O.cols, 'd_out, the output columns of W_O');
    }
    const hasBias = read.some((r) => r.bias.b_Q || r.bias.b_K || r.bias.b_V);
    body = {
      form,
      X,
      heads,
      W_O,
      multiHead: !single,
      ...(hasBias ? { biases: read.map((r) => r.bias) } : {}),
      ...(b_O ? { b_O } : {}),
    };
  } else if (form === 'scores') {
    const { matrices } = readMatrixStack(o.scores, '$.scores', [2, 3], 'scores (n×m or heads×n×m)', true);
    let dK: number | undefined;
    if ('d_k' in o) {
      if (typeof o.d_k !== 'number' || !Number.isInteger(o.d_k) || o.d_k < 1)
        throw new InputError('$.d_k', `expected a positive integer (the key dimension), found ${describe(o.d_k)}`);
      dK = o.d_k;
    }
    body = { form, scores: matrices[0], dK };
  } else {
    const { matrices } = readMatrixStack(
      o.attentions,
      '$.attentions',
      [2, 3, 4],
      'attentions (n×m, heads×n×m or layers×heads×n×m)',
    );
    matrices.forEach((heads, l) =>
      heads.forEach((w, h) => {
        const k = w.data.findIndex((x) => x < 0);
        if (k >= 0)
          throw new InputError(
            `$.attentions…[layer ${l}][head ${h}][${Math.floor(k / w.cols)}][${k % w.cols}]`,
            `expected a weight ≥ 0 (attentions are post-softmax), found ${w.data[k]}`,
          );
      }),
    );
    if ('scale' in o) throw refuseRescale('$.scale', 'weightsField');
    if ('mask' in o)
      throw new InputError(
        '$.mask',
        'attentions are post-softmax weights; a mask can no longer apply (give scores or Q/K/V)',
      );
    body = { form, layers: matrices };
  }

  const { n, m } = inputShape(body);
  if (limits) {
    const caps = resolveLimits(limits);
    const first = FORM_KEYS[form][0];
    if (n > caps.maxTokens) throw limitError(`$.${first}`, `${n} query rows`, 'maxTokens', caps, 'tokens');
    if (m > caps.maxTokens)
      throw limitError(`$.${form === 'qkv' ? 'K' : first}`, `${m} keys`, 'maxTokens', caps, 'tokens');
  }
  const extra: { -readonly [K in keyof CommonFields]: CommonFields[K] } = {};
  if ('tokens' in o) extra.tokens = readTokens(o.tokens, '$.tokens', n, 'one per query row');
  if ('key_tokens' in o) extra.keyTokens = readTokens(o.key_tokens, '$.key_tokens', m, 'one per key column');
  if ('mask' in o) extra.mask = readMask(o.mask, '$.mask', n, m);
  if ('scale' in o) {
    extra.scale = readScaleRule(o.scale, '$.scale');
    if (extra.scale === 'sqrt' && body.form === 'scores' && body.dK === undefined) throw sqrtNeedsDK('$.scale', true);
  }
  return { ...body, ...extra };
}

/**
 * Parses JSON text; syntax errors name the byte offset and what was expected there. With `limits`,
 * text over limits.maxJsonBytes is refused before parsing, and the token cap applies (readAttentionInput).
 */
export function parseAttentionJson(text: string, limits?: LimitOptions): AttentionInput {
  if (limits) {
    const caps = resolveLimits(limits);
    // Each UTF-16 unit is at most 3 UTF-8 bytes: only text that might be over the cap is measured.
    if (text.length * 3 > caps.maxJsonBytes) {
      const bytes = utf8Length(text);
      if (bytes > caps.maxJsonBytes)
        throw limitError('$', `${bytes} bytes of JSON`, 'maxJsonBytes', caps, 'bytes read into memory');
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = parseWithPythonLiterals(text);
  }
  return readAttentionInput(doc, limits);
}

/**
 * JSON.parse refused the text. Python's json.dump writes NaN, Infinity and -Infinity bare; each is
 * blanked to a same-length placeholder (so byte offsets stay true), then the text must be JSON.
 * -Infinity in scores is a masked cell; any other such literal is refused by path and byte offset.
 */
function parseWithPythonLiterals(text: string): unknown {
  const literals: NonJsonLiteral[] = findNonJsonLiterals(text);
  const blanked = literals.length ? blankLiterals(text, literals) : text;
  const problem = findJsonSyntaxError(blanked);
  if (problem) {
    const byte = new TextEncoder().encode(text.slice(0, problem.index)).length;
    throw new InputError(`$ (byte ${byte})`, `invalid JSON: ${problem.reason}`);
  }
  const refused = literals.find((l) => !isMaskedScoreLiteral(l));
  if (refused) throw literalError(text, refused);
  return JSON.parse(blanked);
}
