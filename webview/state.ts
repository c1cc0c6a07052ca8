// What the panel remembers across reloads (VS Code keeps it with getState/setState; the report keeps
// it in sessionStorage): the tab, the head, the mask, the scale, colours, zoom and the locked row.
// Restored state is untrusted: sanitizeState keeps only values that fit the current input.
import type { HeadIndex, HeadPayload, MaskName, Overview, Rotation } from '../src/protocol/messages';
import { DIVERGING, SEQUENTIAL, type DivergingName, type SequentialName } from './colormap';

/** The tabs in header order; each has one row in webview/tabs.ts (TAB_VIEWS), its title and view. */
export const TABS = ['attention', 'scaling', 'variance', 'projections', 'heads', 'lines'] as const;
export type TabId = (typeof TABS)[number];

export type SortKey = 'layer' | 'entropy' | 'maxWeight' | 'diagonal' | 'previousToken' | 'sink' | 'induction';
/** The last three are the head catalogue of real model heads (src/core/headCatalogue.ts); offered where the heads have them. */
export const SORT_KEYS: readonly SortKey[] = [
  'layer',
  'entropy',
  'maxWeight',
  'diagonal',
  'previousToken',
  'sink',
  'induction',
];

/** '0–1' is the honest fixed range; 'max' stretches colours to the largest weight (long inputs). */
export type WeightRange = 'unit' | 'max';

export interface ViewState {
  readonly tab: TabId;
  readonly layer: number;
  readonly head: HeadIndex;
  /** null: the input's own mask. */
  readonly mask: MaskName | null;
  /** null: the input's own factor. */
  readonly factor: number | null;
  readonly sequential: SequentialName;
  /** null: follow the theme (dark-centred on dark themes). */
  readonly diverging: DivergingName | null;
  readonly range: WeightRange | null;
  readonly lockedRow: number | null;
  readonly cursor: { readonly row: number; readonly col: number };
  readonly zoom: number;
  readonly center: { readonly row: number; readonly col: number } | null;
  readonly sort: SortKey;
  /** A RoPE model's scores after (the model's) or before the rotation. */
  readonly rotation: Rotation;
  /** The views' explanations unfolded (true) or down to their first sentence (false). */
  readonly explain: boolean;
}

export const DEFAULT_STATE: ViewState = {
  tab: 'attention',
  layer: 0,
  head: 0,
  mask: null,
  factor: null,
  sequential: 'viridis',
  diverging: null,
  range: null,
  lockedRow: null,
  cursor: { row: 0, col: 0 },
  zoom: 1,
  center: null,
  sort: 'layer',
  rotation: 'applied',
  explain: false,
};

const MIN_FACTOR = 1e-4;
const MAX_FACTOR = 1e2;

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Keeps what fits `overview`; everything else falls back to the default. */
export function sanitizeState(value: unknown, overview: Overview): ViewState {
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const d = DEFAULT_STATE;
  const pick = <T>(v: unknown, ok: (x: unknown) => boolean, fallback: T): T => (ok(v) ? (v as T) : fallback);
  const head: HeadIndex =
    o.head === 'mean' && overview.heads > 1 ? 'mean' : isInt(o.head, 0, overview.heads - 1) ? o.head : 0;
  const cursor = o.cursor as Record<string, unknown> | undefined;
  const center = o.center as Record<string, unknown> | undefined;
  return {
    tab: pick(o.tab, (v) => (TABS as readonly unknown[]).includes(v), d.tab),
    layer: isInt(o.layer, 0, overview.layers - 1) ? o.layer : 0,
    head,
    mask: pick(o.mask, (v) => v === null || overview.masks.includes(v as MaskName), null),
    factor: overview.rescalable
      ? pick(o.factor, (v) => v === null || (typeof v === 'number' && v >= MIN_FACTOR && v <= MAX_FACTOR), null)
      : null,
    sequential: pick(o.sequential, (v) => SEQUENTIAL.includes(v as SequentialName), d.sequential),
    diverging: pick(o.diverging, (v) => v === null || DIVERGING.includes(v as DivergingName), null),
    range: pick(o.range, (v) => v === null || v === 'unit' || v === 'max', null),
    lockedRow: pick(o.lockedRow, (v) => v === null || isInt(v, 0, overview.n - 1), null),
    cursor:
      cursor && isInt(cursor.row, 0, overview.n - 1) && isInt(cursor.col, 0, overview.m - 1)
        ? { row: cursor.row, col: cursor.col }
        : d.cursor,
    zoom: pick(o.zoom, (v) => typeof v === 'number' && v >= 1 && v <= 1e4, 1),
    center:
      center &&
      typeof center.row === 'number' &&
      typeof center.col === 'number' &&
      Number.isFinite(center.row) &&
      Number.isFinite(center.col)
        ? { row: center.row, col: center.col }
        : null,
    sort: pick(o.sort, (v) => SORT_KEYS.includes(v as SortKey), d.sort),
    rotation: pick(o.rotation, (v) => v === 'applied' || (v === 'removed' && overview.rotary === true), d.rotation),
    explain: pick(o.explain, (v) => typeof v === 'boolean', d.explain),
  };
}

/** The slider's range, in log10 of the factor. */
export const FACTOR_LOG_RANGE = { min: Math.log10(MIN_FACTOR * 10), max: Math.log10(MAX_FACTOR / 10) } as const;

/** Default colour range: fixed 0–1 while weights can be large; stretched once n makes them small. */
export function defaultRange(m: number): WeightRange {
  return m <= 32 ? 'unit' : 'max';
}

/** The factor in use: the slider's when the head can be re-scaled, else the input's own (null: exported weights). */
export function factorInUse(view: ViewState, p: HeadPayload): number | null {
  if (!p.dots || p.factor === null) return p.factor;
  return view.factor ?? p.factor;
}
