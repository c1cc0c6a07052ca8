// `compute` and `info` for model tensor files (.npy, .npz, .safetensors). Files may be many GB: only
// headers are read up front, then one head at a time, and each head's JSON is written before the
// next is read, so memory stays at one head whatever the file.
import { basename } from 'node:path';
import { type InspectOptions, type Matrix, InputError } from '../core';
import {
  ATTENTION_PARTS,
  type AttentionFile,
  type AttentionPart,
  type HeadData,
  type Meaning,
  type ViewLabels,
  detectAttention,
  detectMeaning,
  findCandidates,
  fileValueOptions,
  inspectFileHead,
  labelsForView,
  layerPosition,
  listTensors,
  paddingMismatch,
  readHead,
  resolvePadding,
  streamHeads,
  tokensFromFile,
  withPadding,
} from '../core/tensorfiles';
import { openTensorPath, readSidecarTokens, readTokensFile } from '../node/tensorPath';
import { nonNegativeInteger, positiveInteger } from './args';
import { headJson } from './serialize';

export const TENSOR_EXTENSIONS = ['.npy', '.npz', '.safetensors', '.pt', '.pth', '.bin'];

export const TENSOR_OPTIONS = {
  tensor: { type: 'string' },
  layer: { type: 'string' },
  head: { type: 'string' },
  batch: { type: 'string' },
  layout: { type: 'string' },
  tokens: { type: 'string' },
  meaning: { type: 'string' },
  'd-k': { type: 'string' },
  kind: { type: 'string' },
} as const;

/** What `info FILE` takes: the options that choose and read the view. */
export const INFO_OPTIONS = {
  tensor: { type: 'string' },
  layout: { type: 'string' },
  meaning: { type: 'string' },
  batch: { type: 'string' },
  kind: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | undefined>;

function readMeaning(value: string | boolean | undefined): Meaning | undefined {
  if (value === undefined) return undefined;
  if (value === 'weights' || value === 'scores') return value;
  throw new InputError('--meaning', `expected weights or scores, found ${JSON.stringify(value)}`);
}

function readKind(value: string | boolean | undefined): AttentionPart | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (ATTENTION_PARTS as readonly string[]).includes(value))
    return value as AttentionPart;
  throw new InputError('--kind', `expected ${ATTENTION_PARTS.join(', ')}, found ${JSON.stringify(value)}`);
}

/** The view options the flags give (--tensor, --layout, --kind, --batch). */
function viewOptions(values: Values) {
  return {
    tensor: values.tensor as string | undefined,
    layout: values.layout as string | undefined,
    kind: readKind(values.kind),
    batch: nonNegativeInteger(values.batch, '--batch') ?? 0,
  };
}

async function openFor(
  path: string,
  values: Values,
): Promise<AttentionFile & { close: () => Promise<void>; labels: ViewLabels }> {
  const { file, close } = await openTensorPath(path);
  try {
    const options = viewOptions(values);
    const view = detectAttention(file, options);
    const meaning = await detectMeaning(file, view, readMeaning(values.meaning), options.batch);
    const padding = await resolvePadding(file, view, meaning, options.batch);
    const tokens =
      typeof values.tokens === 'string'
        ? { tokens: (await readTokensFile(values.tokens)).tokens, source: values.tokens }
        : ((await tokensFromFile(file)) ?? (await readSidecarTokens(path)));
    const labels = await labelsForView(file, view, tokens);
    return { file, view, meaning, tokens, close, labels, ...(padding ? { padding } : {}) };
  } catch (e) {
    await close();
    throw e;
  }
}

/** An explicit mask (--mask FILE, src/cli/maskFile.ts) resolved once the maps' shape and batch are known. */
export type ExplicitMaskReader = (target: {
  queries: number;
  keys: number;
  batch: number;
  batches: number;
}) => Promise<{ allowed: Matrix; note: string }>;

/** Writes {"file", "tensor", "layout", "meaning", "tokens", "keyTokens", "heads": [...]} head by head. */
export async function computeTensorFile(
  path: string,
  values: Values,
  options: InspectOptions,
  summary: boolean,
  write: (chunk: string) => void,
  note: (line: string) => void,
  explicitMask?: ExplicitMaskReader,
): Promise<void> {
  const opened = await openFor(path, values);
  const { file, view, meaning, close, padding } = opened;
  try {
    const labels = opened.labels.labels;
    const layerArg = nonNegativeInteger(values.layer, '--layer');
    const headArg = nonNegativeInteger(values.head, '--head');
    const batch = view.batchEntry;
    const dK = positiveInteger(values['d-k'], '--d-k');
    if (headArg !== undefined && headArg >= view.heads)
      throw new InputError('--head', `${headArg} is out of range (the tensor has heads 0–${view.heads - 1})`);
    const layerPos = layerArg === undefined ? undefined : layerPosition(file, view, layerArg);
    const mask = explicitMask
      ? await explicitMask({ queries: view.queries, keys: view.keys, batch, batches: view.batch })
      : null;
    const fileOptions = {
      ...options,
      ...(mask ? { mask: mask.allowed } : {}),
      dK: dK ?? (view.kind === 'qkv' ? view.dK : undefined),
      ...fileValueOptions(opened),
      sumTolerance: meaning.tolerance,
    };

    write(
      `{"file":${JSON.stringify(basename(path))},"tensor":${JSON.stringify(view.id)},"layout":${JSON.stringify(view.layout)},"meaning":${JSON.stringify(meaning.meaning)},`,
    );
    write(
      `"tokens":${JSON.stringify(labels.queries)},"keyTokens":${JSON.stringify(labels.keys)},"tokenSource":${JSON.stringify(opened.labels.source)},"heads":[`,
    );
    let first = true;
    const masked: string[] = [];
    let mismatch = padding?.mismatch ?? null;
    const emit = (layerId: number, head: number, data: HeadData) => {
      const weights = meaning.meaning === 'weights';
      if (weights && mismatch === null) mismatch = paddingMismatch(data, padding, `layer ${layerId} head ${head}`);
      const inspected = inspectFileHead(
        data,
        meaning.meaning,
        layerId,
        head,
        withPadding(data, padding, weights, fileOptions),
      );
      if (inspected.maskedRows?.length)
        masked.push(
          `layer ${layerId} head ${head}: ${inspected.maskedRows.length} (${inspected.maskedRows.slice(0, 8).join(', ')}${inspected.maskedRows.length > 8 ? ', …' : ''})`,
        );
      write((first ? '' : ',') + JSON.stringify(headJson(inspected, summary)));
      first = false;
    };
    if (layerPos !== undefined || headArg !== undefined) {
      const layers = layerPos !== undefined ? [layerPos] : Array.from({ length: view.layers }, (_, l) => l);
      const heads = headArg !== undefined ? [headArg] : Array.from({ length: view.heads }, (_, h) => h);
      for (const l of layers)
        for (const h of heads) emit(view.layerIds[l], h, await readHead(file, view, { layer: l, head: h, batch }));
    } else {
      for await (const slice of streamHeads(file, view, { batch })) emit(slice.layerId, slice.head, slice.data);
    }
    write(']}\n');
    // Said last, so a run that fails prints only its error line.
    if (masked.length)
      note(
        `note: ${basename(path)}: fully masked query rows (all zero or all NaN, shown as masked): ${masked.slice(0, 8).join('; ')}${masked.length > 8 ? `; … (${masked.length} heads)` : ''}`,
      );
    for (const n of view.notes) note(`note: ${basename(path)}: ${n}`);
    if (padding) {
      const checkedAll =
        meaning.meaning === 'weights' && padding.masked.length > 0 ? ' (and in every row of the heads shown)' : '';
      note(`note: ${basename(path)}: ${mismatch ?? `${padding.note}${checkedAll}`}`);
    }
    if (opened.labels.note) note(`note: ${basename(path)}: ${opened.labels.note}`);
    if (mask) note(`note: ${mask.note}`);
    if (meaning.meaning !== 'qkv')
      note(
        `note: ${basename(path)}: read as ${meaning.meaning}${meaning.overridden ? ' (as asked)' : ''}: ${meaning.evidence}`,
      );
  } finally {
    await close();
  }
}

/** `info FILE`: the tensors, the candidates, the detected layout and meaning, as JSON. */
export async function tensorInfo(path: string, values: Values): Promise<object> {
  const { file, close } = await openTensorPath(path);
  try {
    const tensors = listTensors(file).map((t) => ({
      name: t.name,
      dtype: t.dtypeLabel,
      shape: t.shape,
      fortranOrder: t.fortranOrder,
      byteOffset: t.byteOffset,
      byteLength: t.byteLength,
      compressed: t.compressed,
    }));
    const candidates = findCandidates(file).map((c) => c.description);
    let detected: object | null = null;
    let problem: string | null = null;
    try {
      const options = viewOptions(values);
      const view = detectAttention(file, options);
      const meaning = await detectMeaning(file, view, readMeaning(values.meaning), options.batch);
      const padding = await resolvePadding(file, view, meaning, options.batch);
      const tokens = (await tokensFromFile(file)) ?? (await readSidecarTokens(path));
      const labels = await labelsForView(file, view, tokens);
      const notes = [...view.notes, ...(padding ? [padding.note] : []), ...(labels.note ? [labels.note] : [])];
      detected = {
        tensor: view.id,
        kind: view.kind,
        layout: view.layout,
        layers: view.layers,
        layerIds: view.layerIds,
        batch: view.batch,
        batchEntry: view.batchEntry,
        heads: view.heads,
        queries: view.queries,
        keys: view.keys,
        dK: view.dK ?? null,
        dV: view.dV ?? null,
        reason: view.reason,
        notes,
        kvHeads: view.kvHeads ?? null,
        part: view.part ?? null,
        parts: view.parts
          ? view.parts.map((p) => ({ kind: p.part, tensor: p.id, layers: p.layers, shape: p.shape }))
          : null,
        generated: view.generated ?? null,
        padding: padding
          ? {
              tensor: padding.mask.tensor,
              shape: padding.mask.shape,
              convention: padding.mask.describes,
              batchEntry: padding.batch,
              paddedKeys: padding.masked,
              note: padding.note,
            }
          : null,
        meaning: meaning.meaning,
        meaningEvidence: meaning.evidence,
        tokens:
          labels.source === 'positions'
            ? null
            : { count: labels.labels.keys.length, queries: labels.labels.queries.length, source: labels.source },
      };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problem = e.message;
    }
    return {
      file: basename(path),
      format: file.format,
      size: file.source.size,
      metadata: file.metadata ?? null,
      tensors,
      candidates,
      detected,
      ...(problem ? { problem } : {}),
    };
  } finally {
    await close();
  }
}
