// `--mask FILE`: an explicit mask saved beside an export (.npy, an .npz member, a safetensors or
// torch.save tensor: FILE or FILE:NAME). PyTorch has two boolean polarities: nn.MultiheadAttention's
// attn_mask / key_padding_mask say True = may NOT attend, scaled_dot_product_attention's attn_mask
// says True = may attend. A bool mask is read the nn.MultiheadAttention way unless
// --mask-polarity attend; integer 0/1 masks are Hugging Face's attention_mask (1 = attend: nothing
// in PyTorch writes integer masks the other way); float masks are additive (0 = attend, −∞ or
// ≤ −1e30 = masked, as HF's finfo.min masks). What was assumed is always said.
import { basename, extname } from 'node:path';
import { InputError, type Matrix, matrixFrom } from '../core';
import { MASKED_SCORE_AT_OR_BELOW } from '../core/values';
import { type TensorInfo, readSlice } from '../core/tensorfiles';
import { openTensorPath } from '../node/tensorPath';

export type MaskPolarity = 'masked' | 'attend';

/** What the mask must fit: the queries and keys of the maps, and the batch entry shown. */
export interface MaskTarget {
  readonly queries: number;
  readonly keys: number;
  /** The batch entry being shown, and how many the tensor has (1 when it has no batch axis). */
  readonly batch: number;
  readonly batches: number;
}

export interface ExplicitMask {
  /** n × m, 1 where the query may attend to the key (the core's MaskSpec matrix). */
  readonly allowed: Matrix;
  /** One sentence for stderr: the tensor, its shape read as what, and the polarity assumed. */
  readonly note: string;
}

const MASK_FILE_EXTENSIONS = ['.npy', '.npz', '.safetensors', '.pt', '.pth', '.bin'];
/** Names a mask goes by, tried when a file holds several tensors and none is named. */
const MASK_NAMES = ['attn_mask', 'attention_mask', 'key_padding_mask', 'mask', 'padding_mask'];
/** Masks are q × k at most per batch entry; this bounds what is read for one. */
const MAX_MASK_ELEMENTS = 1 << 26;

/** Splits `FILE:NAME` when FILE has a tensor-file extension; null when the value is not a mask file at all. */
export function parseMaskFileArg(value: string): { path: string; name?: string } | null {
  if (MASK_FILE_EXTENSIONS.includes(extname(value).toLowerCase())) return { path: value };
  const colon = value.lastIndexOf(':');
  if (
    colon > 0 &&
    MASK_FILE_EXTENSIONS.includes(extname(value.slice(0, colon)).toLowerCase()) &&
    colon < value.length - 1
  ) {
    return { path: value.slice(0, colon), name: value.slice(colon + 1) };
  }
  return null;
}

export function readPolarityFlag(value: string | boolean | undefined): MaskPolarity | undefined {
  if (value === undefined) return undefined;
  if (value === 'masked' || value === 'attend') return value;
  throw new InputError(
    '--mask-polarity',
    `expected masked (True/1 = may not attend, nn.MultiheadAttention) or attend (True/1 = may attend, scaled_dot_product_attention, HF attention_mask), found ${JSON.stringify(value)}`,
  );
}

function pickTensor(tensors: readonly TensorInfo[], name: string | undefined, where: string): TensorInfo {
  if (name !== undefined) {
    const found = tensors.find((t) => t.name === name);
    if (!found)
      throw new InputError(
        where,
        `no tensor ${JSON.stringify(name)} (it has ${tensors.map((t) => JSON.stringify(t.name)).join(', ')})`,
      );
    return found;
  }
  const numeric = tensors.filter((t) => t.dtype !== 'unicode');
  if (numeric.length === 1) return numeric[0];
  const named = MASK_NAMES.map((n) => numeric.find((t) => t.name === n || t.name.endsWith(`.${n}`))).find(
    (t) => t !== undefined,
  );
  if (named) return named;
  throw new InputError(
    where,
    `holds ${numeric.length} tensors; name the mask as FILE:NAME with one of ${numeric.map((t) => JSON.stringify(t.name)).join(', ')}`,
  );
}

type MaskKind = 'bool' | 'binary' | 'additive';

/** Per cell: 1 = may attend, from the stored values by the dtype's convention. */
function allowedFrom(
  values: Float32Array,
  info: TensorInfo,
  polarity: MaskPolarity | undefined,
  where: string,
): { cells: Uint8Array; kind: MaskKind; assumed: string } {
  const cells = new Uint8Array(values.length);
  const float = info.dtype === 'f16' || info.dtype === 'bf16' || info.dtype === 'f32' || info.dtype === 'f64';
  const binary = values.every((x) => x === 0 || x === 1);
  // A float mask of 0s and 1s is attention_mask.float(); one of 0s alone is an additive mask that masks nothing.
  if (info.dtype === 'bool' || (!float && binary) || (float && binary && values.some((x) => x === 1))) {
    const kind: MaskKind = info.dtype === 'bool' ? 'bool' : 'binary';
    // bool: nn.MultiheadAttention's polarity by default; 0/1 numbers: Hugging Face's attention_mask.
    const attendWhenOne = polarity !== undefined ? polarity === 'attend' : kind === 'binary';
    for (let i = 0; i < values.length; i++) cells[i] = (values[i] === 1) === attendWhenOne ? 1 : 0;
    const one = kind === 'bool' ? 'True' : '1';
    const assumed = attendWhenOne
      ? `${one} = may attend (${polarity ? 'as --mask-polarity attend says' : 'Hugging Face attention_mask, assumed for 0/1 integer masks'}; pass --mask-polarity masked if ${one} means masked out)`
      : `${one} = masked out (${polarity ? 'as --mask-polarity masked says' : "nn.MultiheadAttention's attn_mask/key_padding_mask, assumed for bool masks"}; pass --mask-polarity attend if ${one} means may attend, as in scaled_dot_product_attention)`;
    return { cells, kind, assumed };
  }
  if (!float) {
    const k = values.findIndex((x) => x !== 0 && x !== 1);
    throw new InputError(where, `value ${values[k]} at element ${k}: an integer mask holds 0 and 1 only`);
  }
  if (polarity !== undefined)
    throw new InputError(
      '--mask-polarity',
      'applies to boolean and 0/1 masks; this float mask is additive (0 = attend, −∞ = masked)',
    );
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === 0) cells[i] = 1;
    else if (x <= MASKED_SCORE_AT_OR_BELOW || (info.dtype === 'f16' && x === -65504)) cells[i] = 0;
    else {
      throw new InputError(
        where,
        `value ${x} at element ${i}: an additive mask holds 0 (attend) and −∞ or ≤ −1e30 (masked); other values are a bias, not a mask: add it to the scores before saving`,
      );
    }
  }
  return {
    cells,
    kind: 'additive',
    assumed:
      'additive: 0 = may attend, −∞ or finfo.min = masked (as Hugging Face and nn.MultiheadAttention float masks)',
  };
}

/** The shape read as [q, k], [b, q, k], key padding [k] or [b, k] (HF's [b, 1, q, k] / [b, 1, 1, k] too). */
function resolveShape(
  shape: readonly number[],
  target: MaskTarget,
  where: string,
): { batches: number; perQuery: boolean; reading: string } {
  const { queries: n, keys: m } = target;
  let s = [...shape];
  if (s.length === 4 && s[1] === 1) s = [s[0], s[2], s[3]]; // HF's [batch, 1 (heads), q or 1, k]
  const fits = (b: number) => b === 1 || b === target.batches;
  const wanted = `[${n}, ${m}] (queries × keys), [batch, ${n}, ${m}], key padding [${m}] or [batch, ${m}]`;
  if (s.length === 1 && s[0] === m)
    return { batches: 1, perQuery: false, reading: 'key padding [k] (one flag per key)' };
  if (s.length === 2 && s[0] === n && s[1] === m) {
    // [n, m] could also be key padding [batch, k] when the batch is n: the per-query reading is picked.
    const also =
      target.batches === n && n > 1
        ? ` (picked over key padding [batch, k], which the shape also fits: save it as [batch, 1, k] to mean that)`
        : '';
    return { batches: 1, perQuery: true, reading: `[q, k]${also}` };
  }
  if (s.length === 2 && s[1] === m && fits(s[0]))
    return { batches: s[0], perQuery: false, reading: 'key padding [batch, k]' };
  if (s.length === 3 && s[1] === n && s[2] === m && fits(s[0]))
    return { batches: s[0], perQuery: true, reading: '[batch, q, k]' };
  if (s.length === 3 && s[1] === 1 && s[2] === m && fits(s[0]))
    return { batches: s[0], perQuery: false, reading: 'key padding [batch, 1, k]' };
  const batchNote =
    (s.length === 2 || s.length === 3) && s[s.length - 1] === m && !fits(s[0])
      ? `; its first axis (${s[0]}) is not the tensor's batch (${target.batches})`
      : '';
  throw new InputError(
    where,
    `shape [${shape.join(', ')}] does not fit ${n} queries × ${m} keys: expected ${wanted}${batchNote}`,
  );
}

/** Reads `--mask FILE[:NAME]` as the n × m allowed cells of batch entry target.batch. */
export async function readMaskFile(
  arg: { path: string; name?: string },
  polarity: MaskPolarity | undefined,
  target: MaskTarget,
): Promise<ExplicitMask> {
  const { file, close } = await openTensorPath(arg.path);
  try {
    const info = pickTensor(file.tensors, arg.name, `--mask ${arg.path}`);
    const where = `--mask ${basename(arg.path)}: tensor ${JSON.stringify(info.name)}`;
    if (info.dtype === 'unicode') throw new InputError(where, 'holds strings, not a mask');
    const elements = info.shape.reduce((p, d) => p * d, 1);
    if (elements > MAX_MASK_ELEMENTS)
      throw new InputError(
        where,
        `${elements} elements is more than a mask for ${target.queries} × ${target.keys} needs`,
      );
    const { batches, perQuery, reading } = resolveShape(info.shape, target, where);
    const values = (await readSlice(file, info)).data;
    const { cells, assumed } = allowedFrom(values, info, polarity, where);
    const per = perQuery ? target.queries * target.keys : target.keys;
    const b = batches === 1 ? 0 : target.batch;
    const mine = cells.subarray(b * per, (b + 1) * per);
    const out = new Float32Array(target.queries * target.keys);
    for (let i = 0; i < target.queries; i++)
      for (let j = 0; j < target.keys; j++) out[i * target.keys + j] = perQuery ? mine[i * target.keys + j] : mine[j];
    const entry = batches > 1 ? `, batch entry ${b}` : '';
    return {
      allowed: matrixFrom(target.queries, target.keys, out),
      note: `mask from ${basename(arg.path)}: tensor ${JSON.stringify(info.name)} [${info.shape.join(', ')}] ${info.dtypeLabel} read as ${reading}${entry}, ${assumed}`,
    };
  } finally {
    await close();
  }
}
