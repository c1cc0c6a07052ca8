// Reading heads out of a view: one (layer, batch, head) at a time, each a single slice read, and a
// streaming pass over every head in file order so per-head statistics over a whole model need only
// one head in memory at once.
import { type Matrix } from '../matrix';
import { TensorFileError } from './errors';
import { cStrides } from './shape';
import { type AttentionView, type LayerTensors } from './layout';
import { type TensorFile, readMatrix, readRows } from './tensorFile';

export interface HeadIndex {
  /** Position along the view's layers (0…layers-1); view.layerIds[layer] is the number to show. */
  readonly layer: number;
  readonly head: number;
  /** Defaults to 0. */
  readonly batch?: number;
}

export type HeadData =
  | { readonly kind: 'map'; readonly matrix: Matrix }
  | { readonly kind: 'qkv'; readonly q: Matrix; readonly k: Matrix; readonly v: Matrix | null };

export interface HeadSlice {
  readonly layer: number;
  readonly layerId: number;
  readonly head: number;
  readonly batch: number;
  readonly data: HeadData;
}

/** The leading indices of a view's tensors for one head, in the tensors' own axis order. */
export function leadingIndex(view: AttentionView, at: HeadIndex): number[] {
  const batch = at.batch ?? 0;
  return view.axes.slice(0, -2).map((axis) => (axis === 'layers' ? at.layer : axis === 'batch' ? batch : at.head));
}

/**
 * The position along view.layers of a layer number as users see it (view.layerIds: the numbers in
 * per-layer tensor names, else 0…layers-1), for a --layer option.
 */
export function layerPosition(file: TensorFile, view: AttentionView, layerId: number): number {
  const position = view.layerIds.indexOf(layerId);
  if (position < 0) {
    const ids = view.layerIds;
    const range =
      ids.length > 0 && ids.every((id, i) => id === ids[0] + i) ? `${ids[0]}–${ids[ids.length - 1]}` : ids.join(', ');
    throw new TensorFileError(file.name, { tensor: view.id }, `has no layer ${layerId} (layers: ${range})`);
  }
  return position;
}

function tensorsFor(view: AttentionView, layer: number): LayerTensors {
  return view.grouped ? view.layerTensors[layer] : view.layerTensors[0];
}

function checkIndex(file: TensorFile, view: AttentionView, at: HeadIndex): void {
  const check = (what: string, value: number, count: number): void => {
    if (!Number.isInteger(value) || value < 0 || value >= count) {
      throw new TensorFileError(file.name, { tensor: view.id }, `${what} ${value} is out of range (0–${count - 1})`);
    }
  };
  check('layer', at.layer, view.layers);
  check('head', at.head, view.heads);
  check('batch', at.batch ?? 0, view.batch);
}

/** One head: its q×k map, or its Q (n×d_k), K (m×d_k) and V (m×d_v) when the view is q/k/v. */
export async function readHead(file: TensorFile, view: AttentionView, at: HeadIndex): Promise<HeadData> {
  checkIndex(file, view, at);
  const t = tensorsFor(view, at.layer);
  const index = leadingIndex(view, at);
  if (view.kind === 'maps') return { kind: 'map', matrix: await readMatrix(file, t.map!, index) };
  const q = await readMatrix(file, t.q!, index);
  // Grouped-query attention: query head h reads key/value head ⌊h·H_kv/H⌋.
  const kvIndex =
    view.kvHeads === undefined
      ? index
      : leadingIndex(view, { ...at, head: Math.floor((at.head * view.kvHeads) / view.heads) });
  const k = await readMatrix(file, t.k!, kvIndex);
  const v = t.v ? await readMatrix(file, t.v, kvIndex) : null;
  return { kind: 'qkv', q, k, v };
}

/** Query rows r0…r1−1 of one head's q×k map (a long head is read a block of rows at a time). */
export async function readHeadRows(
  file: TensorFile,
  view: AttentionView,
  at: HeadIndex,
  r0: number,
  r1: number,
): Promise<Matrix> {
  checkIndex(file, view, at);
  if (view.kind !== 'maps')
    throw new TensorFileError(
      file.name,
      { tensor: view.id },
      'holds q/k/v, not attention maps: there are no rows to read',
    );
  return readRows(file, tensorsFor(view, at.layer).map!, leadingIndex(view, at), r0, r1);
}

/**
 * Every (layer, head) of one batch entry, one at a time, in the order the bytes lie in the file
 * (so a file handle or a deflate stream moves forward). Memory is two heads at a time: the one
 * yielded and the next, already being read.
 */
export async function* streamHeads(
  file: TensorFile,
  view: AttentionView,
  options: { batch?: number } = {},
): AsyncGenerator<HeadSlice> {
  const batch = options.batch ?? 0;
  checkIndex(file, view, { layer: 0, head: 0, batch });
  const order = new Map(file.tensors.map((t, i) => [t.name, i]));
  const mainOf = (layer: number): string => {
    const t = tensorsFor(view, layer);
    return (view.kind === 'maps' ? t.map : t.q)!;
  };
  const plan: { layer: number; head: number; tensorOrder: number; offset: number }[] = [];
  for (let layer = 0; layer < view.layers; layer++) {
    const info = file.tensor(mainOf(layer));
    const strides = cStrides(info.shape);
    for (let head = 0; head < view.heads; head++) {
      const index = leadingIndex(view, { layer, head, batch });
      const offset = info.fortranOrder ? 0 : index.reduce((acc, x, a) => acc + x * strides[a], 0);
      plan.push({ layer, head, tensorOrder: order.get(info.name) ?? 0, offset });
    }
  }
  plan.sort((a, b) => a.tensorOrder - b.tensorOrder || a.offset - b.offset || a.layer - b.layer || a.head - b.head);
  // The next head is read while the caller works on this one (a file read runs off the main
  // thread), so reading and computing overlap; memory is two heads instead of one.
  const read = (p: (typeof plan)[number]): Promise<HeadData> => {
    const pending = readHead(file, view, { layer: p.layer, head: p.head, batch });
    // Observed at once, so a read that fails while the caller is still busy is not an unhandled
    // rejection; the failure is thrown where the head is awaited.
    pending.catch(() => undefined);
    return pending;
  };
  let next = plan.length > 0 ? read(plan[0]) : null;
  for (let i = 0; i < plan.length; i++) {
    const data = await next!;
    next = i + 1 < plan.length ? read(plan[i + 1]) : null;
    const p = plan[i];
    yield { layer: p.layer, layerId: view.layerIds[p.layer], head: p.head, batch, data };
  }
}
