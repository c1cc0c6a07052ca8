// A view's padding mask made concrete for one batch entry: which keys it pads (from the mask's
// values), and, for exported weights, a check on sampled rows of a few heads that those keys already
// get ~0 (the same rows the weights/scores detection samples). Every head shown is checked again in
// full by its reader (CLI compute, the panel's file source).
import {
  type EntryPadding,
  type PaddingMaskInfo,
  entryPadding,
  mismatchNote,
  paddedWeight,
  paddingNote,
  withKeyPadding,
} from './paddingMask';
import { type HeadData, readHeadRows } from './heads';
import type { MaskSpec } from '../mask';
import { type AttentionView } from './layout';
import { type MeaningResult, sampleRows, sumTolerance } from './meaning';
import { type TensorFile } from './tensorFile';

export interface ResolvedPadding extends EntryPadding {
  readonly mask: PaddingMaskInfo;
  readonly batch: number;
  /** One sentence: which keys the entry pads and what was done or checked. */
  readonly note: string;
  /** Weights: how far a padded key's weight may be from 0. */
  readonly tolerance: number;
  /** Weights that give a padded key weight in the sampled rows: said instead of the check's success. */
  readonly mismatch?: string;
  /** Self-attention: the key position of query row 0 (queries are the last keys); null for cross-attention. */
  readonly queryKey: number | null;
}

/** The padding of `batch`, checked against sampled rows of the first, middle and last head when the maps are weights. */
export async function resolvePadding(
  file: TensorFile,
  view: AttentionView,
  meaning: MeaningResult,
  batch: number,
): Promise<ResolvedPadding | undefined> {
  const mask = view.padding;
  if (!mask) return undefined;
  const entry = await entryPadding(file, mask, view.keys, batch);
  const tolerance = meaning.tolerance ?? sumTolerance('f32');
  const queryKey = view.part === 'cross' ? null : view.keys - view.queries;
  let checked: { rows: number; heads: number; paddedQueries: boolean } | undefined;
  let mismatch: string | undefined;
  if (meaning.meaning === 'weights' && entry.masked.length > 0) {
    const heads = [...new Set([0, Math.floor((view.layers * view.heads - 1) / 2), view.layers * view.heads - 1])];
    const rows = sampleRows(view.queries);
    for (const flat of heads) {
      const at = { layer: Math.floor(flat / view.heads), head: flat % view.heads, batch };
      for (const r of rows) {
        const found = paddedWeight(await readHeadRows(file, view, at, r, r + 1), entry.allowed, tolerance, r, queryKey);
        if (found && mismatch === undefined)
          mismatch = mismatchNote(mask, batch, found, `layer ${view.layerIds[at.layer]} head ${at.head}`);
      }
    }
    checked = {
      rows: rows.length * heads.length,
      heads: heads.length,
      paddedQueries: queryKey !== null && entry.masked.some((j) => j >= queryKey),
    };
  }
  const note = mismatch ?? paddingNote(mask, batch, entry, meaning.meaning, checked);
  return { ...entry, mask, batch, note, tolerance, queryKey, ...(mismatch ? { mismatch } : {}) };
}

/**
 * The options one head is inspected with, the padding applied: scores and Q/K/V get the padded keys
 * masked for every query (on top of `options.mask`, if any). Weights are shown as stored; see
 * paddingMismatch for their check.
 */
export function withPadding<O extends { readonly mask?: MaskSpec; readonly maskSource?: string }>(
  data: HeadData,
  padding: ResolvedPadding | undefined,
  weights: boolean,
  options: O,
): O {
  if (!padding || padding.masked.length === 0 || (data.kind === 'map' && weights)) return options;
  const n = data.kind === 'map' ? data.matrix.rows : data.q.rows;
  const m = data.kind === 'map' ? data.matrix.cols : data.k.rows;
  return {
    ...options,
    mask: withKeyPadding(options.mask, padding.allowed, n, m),
    maskSource: options.maskSource ?? padding.mask.tensor,
  };
}

/** Exported weights of one head against the padding: the mismatch sentence, or null when every padded key gets ~0. */
export function paddingMismatch(data: HeadData, padding: ResolvedPadding | undefined, where: string): string | null {
  if (!padding || padding.masked.length === 0 || data.kind !== 'map') return null;
  const found = paddedWeight(data.matrix, padding.allowed, padding.tolerance, 0, padding.queryKey);
  return found ? mismatchNote(padding.mask, padding.batch, found, where) : null;
}
