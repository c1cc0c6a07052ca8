// `compute` and `info` for model tensor files (.npy, .npz, .safetensors). Files may be many GB: only
// headers are read up front, then one head at a time, and each head's JSON is written before the
// next is read, so memory stays at one head whatever the file.
import { basename } from 'node:path';
import { type InspectOptions, type Matrix, InputError } from '../core';
import {
  type AttentionFile, type HeadData, type Meaning, axisLabels, detectAttention, detectMeaning, findCandidates, fileValueOptions, inspectFileHead, layerPosition, listTensors, readHead, streamHeads, tokensFromFile,
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
} as const;

type Values = Record<string, string | boolean | undefined>;

function readMeaning(value: string | boolean | undefined): Meaning | undefined {
  if (value === undefined) return undefined;
  if (value === 'weights' || value === 'scores') return value;
  throw new InputError('--meaning', `expected weights or scores, found ${JSON.stringify(value)}`);
}

async function openFor(path: string, values: Values): Promise<AttentionFile & { close: () => Promise<void>; tokenSource: string }> {
  const { file, close } = await openTensorPath(path);
  try {
    const view = detectAttention(file, { tensor: values.tensor as string | undefined, layout: values.layout as string | undefined });
    const batch = nonNegativeInteger(values.batch, '--batch') ?? 0;
    const meaning = await detectMeaning(file, view, readMeaning(values.meaning), Math.min(batch, view.batch - 1));
    let tokens = null;
    let tokenSource = 'positions';
    if (typeof values.tokens === 'string') {
      tokens = await readTokensFile(values.tokens);
      tokenSource = values.tokens;
    } else {
      tokens = (await tokensFromFile(file)) ?? (await readSidecarTokens(path));
      if (tokens) tokenSource = tokens.source;
    }
    return { file, view, meaning, tokens, close, tokenSource };
  } catch (e) {
    await close();
    throw e;
  }
}

/** An explicit mask (--mask FILE, src/cli/maskFile.ts) resolved once the maps' shape and batch are known. */
export type ExplicitMaskReader = (target: { queries: number; keys: number; batch: number; batches: number }) => Promise<{ allowed: Matrix; note: string }>;

/** Writes {"file", "tensor", "layout", "meaning", "tokens", "keyTokens", "heads": [...]} head by head. */
export async function computeTensorFile(path: string, values: Values, options: InspectOptions, summary: boolean, write: (chunk: string) => void, note: (line: string) => void, explicitMask?: ExplicitMaskReader): Promise<void> {
  const opened = await openFor(path, values);
  const { file, view, meaning, close } = opened;
  try {
    const labels = axisLabels(basename(path), view, opened.tokens ? opened.tokens.tokens : null);
    const layerArg = nonNegativeInteger(values.layer, '--layer');
    const headArg = nonNegativeInteger(values.head, '--head');
    const batch = nonNegativeInteger(values.batch, '--batch') ?? 0;
    const dK = positiveInteger(values['d-k'], '--d-k');
    if (headArg !== undefined && headArg >= view.heads) throw new InputError('--head', `${headArg} is out of range (the tensor has heads 0–${view.heads - 1})`);
    if (batch >= view.batch) throw new InputError('--batch', `${batch} is out of range (the tensor has batch entries 0–${view.batch - 1})`);
    const layerPos = layerArg === undefined ? undefined : layerPosition(file, view, layerArg);
    const mask = explicitMask ? await explicitMask({ queries: view.queries, keys: view.keys, batch, batches: view.batch }) : null;
    const fileOptions = { ...options, ...(mask ? { mask: mask.allowed } : {}), dK: dK ?? (view.kind === 'qkv' ? view.dK : undefined), ...fileValueOptions(opened), sumTolerance: meaning.tolerance };

    write(`{"file":${JSON.stringify(basename(path))},"tensor":${JSON.stringify(view.id)},"layout":${JSON.stringify(view.layout)},"meaning":${JSON.stringify(meaning.meaning)},`);
    write(`"tokens":${JSON.stringify(labels.queries)},"keyTokens":${JSON.stringify(labels.keys)},"tokenSource":${JSON.stringify(opened.tokenSource)},"heads":[`);
    let first = true;
    const masked: string[] = [];
    const emit = (layerId: number, head: number, data: HeadData) => {
      const inspected = inspectFileHead(data, meaning.meaning, layerId, head, fileOptions);
      if (inspected.maskedRows?.length) masked.push(`layer ${layerId} head ${head}: ${inspected.maskedRows.length} (${inspected.maskedRows.slice(0, 8).join(', ')}${inspected.maskedRows.length > 8 ? ', …' : ''})`);
      write((first ? '' : ',') + JSON.stringify(headJson(inspected, summary)));
      first = false;
    };
    if (layerPos !== undefined || headArg !== undefined) {
      const layers = layerPos !== undefined ? [layerPos] : Array.from({ length: view.layers }, (_, l) => l);
      const heads = headArg !== undefined ? [headArg] : Array.from({ length: view.heads }, (_, h) => h);
      for (const l of layers) for (const h of heads) emit(view.layerIds[l], h, await readHead(file, view, { layer: l, head: h, batch }));
    } else {
      for await (const slice of streamHeads(file, view, { batch })) emit(slice.layerId, slice.head, slice.data);
    }
    write(']}\n');
    // Said last, so a run that fails prints only its error line.
    if (masked.length) note(`note: ${basename(path)}: fully masked query rows (all zero or all NaN, shown as masked): ${masked.slice(0, 8).join('; ')}${masked.length > 8 ? `; … (${masked.length} heads)` : ''}`);
    for (const n of view.notes) note(`note: ${basename(path)}: ${n}`);
    if (mask) note(`note: ${mask.note}`);
    if (meaning.meaning !== 'qkv') note(`note: ${basename(path)}: read as ${meaning.meaning}${meaning.overridden ? ' (as asked)' : ''}: ${meaning.evidence}`);
  } finally {
    await close();
  }
}

/** `info FILE`: the tensors, the candidates, the detected layout and meaning, as JSON. */
export async function tensorInfo(path: string, values: Values): Promise<object> {
  const { file, close } = await openTensorPath(path);
  try {
    const tensors = listTensors(file).map((t) => ({ name: t.name, dtype: t.dtypeLabel, shape: t.shape, fortranOrder: t.fortranOrder, byteOffset: t.byteOffset, byteLength: t.byteLength, compressed: t.compressed }));
    const candidates = findCandidates(file).map((c) => c.description);
    let detected: object | null = null;
    let problem: string | null = null;
    try {
      const view = detectAttention(file, { tensor: values.tensor as string | undefined, layout: values.layout as string | undefined });
      const meaning = await detectMeaning(file, view, readMeaning(values.meaning));
      const tokens = (await tokensFromFile(file)) ?? (await readSidecarTokens(path));
      detected = {
        tensor: view.id, kind: view.kind, layout: view.layout, layers: view.layers, layerIds: view.layerIds, batch: view.batch, heads: view.heads,
        queries: view.queries, keys: view.keys, dK: view.dK ?? null, dV: view.dV ?? null, reason: view.reason, notes: view.notes, kvHeads: view.kvHeads ?? null,
        meaning: meaning.meaning, meaningEvidence: meaning.evidence, tokens: tokens ? { count: tokens.tokens.length, source: tokens.source } : null,
      };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problem = e.message;
    }
    return { file: basename(path), format: file.format, size: file.source.size, metadata: file.metadata ?? null, tensors, candidates, detected, ...(problem ? { problem } : {}) };
  } finally {
    await close();
  }
}
