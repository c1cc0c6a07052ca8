// Padding masks stored beside the maps or Q/K/V: which keys of each batch entry are padding. Two
// conventions with opposite polarity: Hugging Face's `attention_mask` [batch, keys] is 1 where a
// key may be attended, nn.MultiheadAttention's `key_padding_mask` [batch, keys] is True where it is
// ignored (or, as a float mask, 0 and −inf added to the logits). Either way a padded key is masked
// for every query of its entry: scores and Q/K/V get it as an explicit mask before the softmax;
// exported weights must already give those keys ~0, which is checked: weights that do not (a mask
// from another batch order, or with the other polarity) are shown as stored, and the mismatch is said.
import { type Matrix } from '../matrix';
import { type MaskSpec, allowedCells } from '../mask';
import { isFloat } from './dtype';
import { TensorFileError, quote } from './errors';
import { formatShape } from './shape';
import { type TensorFile, type TensorInfo, readSlice } from './tensorFile';

export type PaddingConvention = 'attend' | 'ignore';

export interface PaddingMaskInfo {
  readonly tensor: string;
  readonly shape: readonly number[];
  /** 'attend': 1 = may attend (Hugging Face); 'ignore': True = padding (nn.MultiheadAttention). */
  readonly convention: PaddingConvention;
  /** How the mask's keys line up with the view's: the same, or a generate() prompt's mask (new tokens are never padding). */
  readonly span: 'keys' | 'prompt' | 'sequence';
  /** How the convention reads, for notes and `info`. */
  readonly describes: string;
}

/** Mask names for each kind of attention: the encoder's mask also covers cross-attention's keys. */
const NAMES: Record<'plain' | 'encoder' | 'decoder' | 'cross', readonly string[]> = {
  plain: ['attention_mask', 'key_padding_mask', 'padding_mask'],
  encoder: ['encoder_attention_mask', 'attention_mask', 'key_padding_mask'],
  cross: ['encoder_attention_mask', 'attention_mask', 'key_padding_mask'],
  decoder: ['decoder_attention_mask'],
};

function lastSegment(name: string): string {
  return name.split(/[./]/).pop()!;
}

/** The padding mask tensor for this kind of view, if the file has one (shape checked later against the view). */
export function findPaddingMask(
  file: TensorFile,
  part: 'encoder' | 'decoder' | 'cross' | undefined,
): TensorInfo | undefined {
  const names = NAMES[part ?? 'plain'];
  const found = file.tensors.filter((t) => names.includes(lastSegment(t.name)));
  if (found.length > 1) {
    throw new TensorFileError(
      file.name,
      {},
      `holds ${found.map((t) => quote(t.name)).join(' and ')}: more than one padding mask for these maps; keep one (attention_mask: 1 = attend, key_padding_mask: True = ignore)`,
    );
  }
  const t = found[0];
  if (t && t.dtype === 'unicode')
    throw new TensorFileError(file.name, { tensor: t.name }, 'is a string array, not a padding mask');
  return t;
}

/**
 * Checks a padding mask's shape against the maps: [batch or 1, keys]; under generate() it may be the
 * prompt's mask (the new tokens are never padding) or the whole sequence's (one token longer).
 */
export function paddingMaskInfo(
  file: string,
  t: TensorInfo,
  view: { batch: number; keys: number; generated?: { prompt: number; cross: boolean } },
): PaddingMaskInfo {
  const hf = lastSegment(t.name) !== 'key_padding_mask';
  const convention: PaddingConvention = hf ? 'attend' : 'ignore';
  const describes = hf
    ? 'Hugging Face convention: 1 = attend, 0 = padding'
    : `nn.MultiheadAttention convention: ${isFloat(t.dtype) ? '0 = attend, −inf = padding (added to the logits)' : 'True = padding (ignored)'}`;
  const fail = (rule: string): never => {
    throw new TensorFileError(file, { tensor: t.name }, `${formatShape(t.shape)}: ${rule}`);
  };
  if (t.shape.length !== 2) {
    fail(
      `a padding mask is [batch, keys]${t.shape.length === 4 ? ' (a 4-D mask, as Hugging Face expands it, is per query: save the 2-D attention_mask the tokenizer returned)' : ''}`,
    );
  }
  const [b, k] = t.shape;
  if (b !== 1 && b !== view.batch) fail(`its batch of ${b} is not the maps' batch of ${view.batch}`);
  const g = view.generated;
  let span: PaddingMaskInfo['span'] = 'keys';
  if (k === view.keys) span = 'keys';
  else if (g && !g.cross && k === g.prompt) span = 'prompt';
  else if (g && !g.cross && k === view.keys + 1) span = 'sequence';
  else
    fail(`its ${k} keys are not the maps' ${view.keys}${g && !g.cross ? ` (nor the ${g.prompt}-token prompt)` : ''}`);
  return { tensor: t.name, shape: t.shape, convention, span, describes };
}

export interface EntryPadding {
  /** allowed[j] = 1 when key j of this batch entry may be attended. */
  readonly allowed: Uint8Array;
  readonly masked: number[];
}

/** Which keys batch entry `batch` may attend, from the mask's values (each checked: 0/1, booleans, or 0/−inf). */
export async function entryPadding(
  file: TensorFile,
  mask: PaddingMaskInfo,
  keys: number,
  batch: number,
): Promise<EntryPadding> {
  const row = mask.shape[0] === 1 ? 0 : batch;
  const { data } = await readSlice(file, mask.tensor, [row]);
  const info = file.tensor(mask.tensor);
  const allowed = new Uint8Array(keys).fill(1); // generate()'s new tokens (past a prompt mask) are never padding
  const count = mask.span === 'sequence' ? keys : data.length;
  for (let j = 0; j < count; j++) {
    const x = data[j];
    let pad: boolean;
    if (mask.convention === 'ignore' && isFloat(info.dtype)) {
      if (x !== 0 && !(x <= -1e30))
        throw new TensorFileError(
          file.name,
          { tensor: mask.tensor },
          `value ${x} at [${row}, ${j}]: a float key_padding_mask holds 0 (attend) or −inf (padding)`,
        );
      pad = x !== 0;
    } else {
      if (x !== 0 && x !== 1)
        throw new TensorFileError(
          file.name,
          { tensor: mask.tensor },
          `value ${x} at [${row}, ${j}]: a padding mask holds 0 and 1 (${mask.describes})`,
        );
      pad = mask.convention === 'attend' ? x === 0 : x === 1;
    }
    allowed[j] = pad ? 0 : 1;
  }
  const masked: number[] = [];
  allowed.forEach((a, j) => a === 0 && masked.push(j));
  return { allowed, masked };
}

/** The mask a scores or Q/K/V head is computed under: `mask` (a word or matrix, default none) with the padded keys removed from every row. */
export function withKeyPadding(mask: MaskSpec | undefined, allowed: Uint8Array, n: number, m: number): Matrix {
  const base = mask === undefined ? null : allowedCells(mask, n, m);
  const data = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) data[i * m + j] = allowed[j] === 1 && (base === null || base[i * m + j] === 1) ? 1 : 0;
  return { rows: n, cols: m, data };
}

/** A padded key that a query still gives weight to: the evidence that a mask does not match its weights. */
export interface PaddedWeight {
  readonly key: number;
  readonly query: number;
  readonly weight: number;
}

/**
 * Exported weights beside a padding mask: the first padded key some query gives more than
 * `tolerance` (null when every padded key gets ~0). Skipped: rows that are all NaN
 * (nn.MultiheadAttention's fully masked queries), and in self-attention the rows of queries that are
 * padding themselves (`queryKey`: the key position of head row 0, null for cross-attention): with
 * every key masked, Hugging Face's finfo.min makes such a row uniform, which means nothing.
 * `firstRow` is the head row that w's row 0 is.
 */
export function paddedWeight(
  w: Matrix,
  allowed: Uint8Array,
  tolerance: number,
  firstRow: number,
  queryKey: number | null,
): PaddedWeight | null {
  for (let i = 0; i < w.rows; i++) {
    const row = w.data.subarray(i * w.cols, (i + 1) * w.cols);
    if (row.every((x) => Number.isNaN(x))) continue;
    if (queryKey !== null && allowed[queryKey + firstRow + i] === 0) continue;
    for (let j = 0; j < w.cols; j++) {
      if (allowed[j] === 0 && Math.abs(row[j]) > tolerance) return { key: j, query: firstRow + i, weight: row[j] };
    }
  }
  return null;
}

/** The sentence for weights that give a padded key weight: shown as stored, the mask not used. */
export function mismatchNote(mask: PaddingMaskInfo, batch: number, found: PaddedWeight, where: string): string {
  return `${quote(mask.tensor)} pads key ${found.key} of batch entry ${batch}, but ${where} query ${found.query} gives it weight ${Number(found.weight.toPrecision(4))}: this mask does not match these weights (another batch order, or the other polarity?); the weights are shown as stored`;
}

/** What the padding means for the entry shown, for `info`, stderr and the panel. */
export function paddingNote(
  mask: PaddingMaskInfo,
  batch: number,
  padding: EntryPadding,
  meaning: 'weights' | 'scores' | 'qkv',
  checked?: { rows: number; heads: number; paddedQueries: boolean },
): string {
  const span =
    mask.span === 'prompt'
      ? ' (the mask covers the prompt; generated tokens are never padding)'
      : mask.span === 'sequence'
        ? ' (the mask covers the whole sequence; its last token was never fed back)'
        : '';
  if (padding.masked.length === 0) return `${quote(mask.tensor)}: batch entry ${batch} has no padding${span}`;
  const keys = `${padding.masked.length === 1 ? 'key' : 'keys'} ${listKeys(padding.masked)}`;
  const what =
    meaning === 'weights'
      ? `the weights give ${padding.masked.length === 1 ? 'it' : 'them'} ~0${checked ? ` in every row checked (${checked.rows} rows of ${checked.heads} head${checked.heads === 1 ? '' : 's'}${checked.paddedQueries ? '; the rows of queries that are padding themselves mean nothing and are not checked' : ''})` : ''}, as the mask says`
      : 'masked for every query before the softmax';
  return `${quote(mask.tensor)}: batch entry ${batch} pads ${keys}${span}: ${what}`;
}

function listKeys(keys: readonly number[]): string {
  return keys.length > 12 ? `${keys.slice(0, 12).join(', ')}, … (${keys.length})` : keys.join(', ');
}
