// The panel protocol, defined once. Each request method is one row: how to read its parameters,
// how to read its result, and what the host says while it runs; each notification (webview → host)
// and push (host → webview) is one reader. The TypeScript types (`Methods`, `WebviewMessage`,
// `HostMessage`), the runtime validators (validate.ts) and the dispatch tables (which must have a
// handler per method: src/host/sourceMethods.ts, src/host/session.ts) all come from here.
//
// Adding a method: a row here (its readers in readers.ts, its types in messages.ts), a handler in
// src/host/sourceMethods.ts (source methods, which the worker and the web build then serve too) or
// in session.ts, and the webview's call.
import type { ColorMapName, ExportFormat, HeadIndex, PanelTab } from './messages';
import { COLOR_MAP_NAMES, EXPORT_FORMATS, PANEL_TABS } from './messages';
import {
  MAX_DIM,
  fail,
  finite,
  MAX_NAME,
  MAX_TEXT,
  headIndex,
  integer,
  nullable,
  oneOf,
  readExportParams,
  readExportResult,
  readHeadParams,
  readHeadPayload,
  readNoParams,
  readOverview,
  readOverviewParams,
  record,
  readRegion,
  readRegionParams,
  readThumbnails,
  readThumbnailsParams,
  readVariance,
  string,
} from './readers';

interface MethodRow<P, R> {
  readonly params: (value: unknown) => P;
  readonly result: (value: unknown) => R;
  /** What the host shows while it runs (the progress notification of a slow request). */
  readonly progress: string;
}

const row = <P, R>(
  params: (value: unknown) => P,
  result: (value: unknown) => R,
  progress: string,
): MethodRow<P, R> => ({
  params,
  result,
  progress,
});

export const METHOD_TABLE = {
  overview: row(readOverviewParams, readOverview, 'Computing every head'),
  head: row(readHeadParams, readHeadPayload, 'Computing a head'),
  thumbnails: row(readThumbnailsParams, readThumbnails, 'Building the heads overview'),
  variance: row(readNoParams, readVariance, 'Running the variance experiment'),
  export: row(readExportParams, readExportResult, 'Saving the export'),
  region: row(readRegionParams, readRegion, 'Computing a region at full resolution'),
};

/** Request methods: their parameters and results. */
export type Methods = {
  [M in keyof typeof METHOD_TABLE]: {
    params: ReturnType<(typeof METHOD_TABLE)[M]['params']>;
    result: ReturnType<(typeof METHOD_TABLE)[M]['result']>;
  };
};
export type Method = keyof Methods;
export const METHODS = Object.keys(METHOD_TABLE) as readonly Method[];

/** Methods an InspectionSource answers (the rest, `export`, is the session's own). */
export type SourceMethod = Exclude<Method, 'export'>;

type Readers = Record<string, (o: Record<string, unknown>) => object>;
type MessagesOf<T extends Readers, Kind extends string, Key extends string> = {
  [E in keyof T & string]: { readonly kind: Kind } & { readonly [K in Key]: E } & ReturnType<T[E]>;
}[keyof T & string];

/** The steps of a panel's first load, in the page's clock (ms): hello sent, overview asked and received, first head received, first heatmap drawn. */
export interface FirstDrawMarks {
  /** The bundle's first module ran (page clock: 0 is the page's navigation start). */
  readonly scriptStart: number;
  /** Every module (Lit, the elements' definitions) had run and boot() began. */
  readonly modulesEvaluated: number;
  readonly hello: number;
  readonly overviewAsked: number;
  readonly overview: number;
  readonly head: number;
  readonly drawn: number;
}
export const FIRST_DRAW_STEPS = [
  'scriptStart',
  'modulesEvaluated',
  'hello',
  'overviewAsked',
  'overview',
  'head',
  'drawn',
] as const;

/** An hour of page time: anything later (or negative) is not a load time. */
const MAX_PAGE_MS = 3_600_000;

function flag(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'expected true or false');
  return value;
}

function readFirstDrawMarks(value: unknown): FirstDrawMarks {
  const o = record(value, 'marks');
  const marks = {} as Record<(typeof FIRST_DRAW_STEPS)[number], number>;
  for (const step of FIRST_DRAW_STEPS) {
    const t = finite(o[step], `marks.${step}`);
    if (t < 0 || t > MAX_PAGE_MS) fail(`marks.${step}`, `expected a time in [0, ${MAX_PAGE_MS}] ms`);
    marks[step] = t;
  }
  return marks;
}

/** Webview → host, one-way. */
export const NOTIFICATIONS = {
  /** The user moved to a query token (the host may highlight its text); null clears. */
  focusToken: (o: Record<string, unknown>): { readonly index: number | null; readonly hover?: boolean } => ({
    index: nullable(o.index, (v) => integer(v, 'index', 0, MAX_DIM * MAX_DIM)),
    // Hovered rather than clicked: highlight without scrolling the editor (a sweep of the mouse
    // over the rows must not drag the editor along).
    hover: o.hover === undefined ? undefined : flag(o.hover, 'hover'),
  }),
  /**
   * The panel drew its first heatmap after loading: when each step happened, in milliseconds of the
   * page's own clock (performance.now()). The host turns them into the command-to-first-heatmap figures.
   */
  firstDraw: (o: Record<string, unknown>): { readonly marks: FirstDrawMarks } => ({
    marks: readFirstDrawMarks(o.marks),
  }),
  log: (o: Record<string, unknown>): { readonly level: 'warn' | 'error'; readonly text: string } => ({
    level: oneOf(o.level, ['warn', 'error'] as const, 'level'),
    text: string(o.text, 'text').slice(0, MAX_TEXT),
  }),
} satisfies Readers;

/** Host → webview, one-way. */
export const PUSHES = {
  /** The data changed (a new selection or file): drop everything and ask again. */
  reset: (): object => ({}),
  /** Open a head (e.g. chosen in the sidebar). */
  select: (o: Record<string, unknown>): { readonly layer: number; readonly head: HeadIndex } => ({
    layer: integer(o.layer, 'layer', 0, MAX_DIM),
    head: headIndex(o.head, 'head'),
  }),
  /** Switch to a tab (e.g. the Compare Scalings command opens the scaling view). */
  show: (o: Record<string, unknown>): { readonly tab: PanelTab } => ({ tab: oneOf(o.tab, PANEL_TABS, 'tab') }),
  /** Highlight a query row (the editor cursor moved onto its token); null clears. */
  focusRow: (o: Record<string, unknown>): { readonly index: number | null } => ({
    index: nullable(o.index, (v) => integer(v, 'index', 0, MAX_DIM)),
  }),
  /** Settings from the host: the sequential colour map, and the key the host restores this panel by after a reload. */
  configure: (o: Record<string, unknown>): { readonly colorMap?: ColorMapName; readonly restoreKey?: string } => ({
    colorMap: o.colorMap === undefined ? undefined : oneOf(o.colorMap, COLOR_MAP_NAMES, 'colorMap'),
    restoreKey: o.restoreKey === undefined ? undefined : string(o.restoreKey, 'restoreKey', MAX_NAME),
  }),
  /** Run one of the panel's exports (the Export Current View… command). */
  export: (o: Record<string, unknown>): { readonly format: ExportFormat } => ({
    format: oneOf(o.format, EXPORT_FORMATS, 'format'),
  }),
} satisfies Readers;

export type NotifyMessage = MessagesOf<typeof NOTIFICATIONS, 'notify', 'event'>;
export type PushMessage = MessagesOf<typeof PUSHES, 'push', 'event'>;
