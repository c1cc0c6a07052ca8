// What every view reads from the app (the loaded data, the state, the theme) and the few things it
// may ask the app to do. Views never talk to the host themselves.
import type {
  HeadPayload,
  Overview,
  RegionParams,
  RegionPayload,
  Thumbnails,
  VarianceSample,
} from '../src/protocol/messages';
import type { DivergingName, SequentialName } from './colormap';
import type { Cell, HeatmapHighlight } from './heatmap';
import type { LiveHead } from './live';
import type { PanelStore } from './panelModel';
import type { ViewState } from './state';
import type { Theme } from './theme';

export interface PanelContext {
  /** The panel's model: the views subscribe to the slices they draw from (webview/views/tabView.ts). */
  readonly store: PanelStore;
  readonly theme: Theme;
  readonly overview: Overview;
  readonly payload: HeadPayload;
  /** The payload re-softmaxed at the slider's factor. */
  readonly live: LiveHead;
  readonly state: ViewState;
  /** The factor in use (the slider's, else the input's own); null for exported weights. */
  readonly factor: number | null;
  readonly sequential: SequentialName;
  readonly diverging: DivergingName;
  readonly highlight: HeatmapHighlight;
  /** The query row the step-by-step view follows. */
  readonly focusRow: number;

  setState(patch: Partial<ViewState>): void;
  hover(cell: Cell | null): void;
  click(cell: Cell): void;
  cursor(cell: Cell): void;
  lock(row: number | null): void;
  setView(zoom: number, center: Cell): void;
  openHead(layer: number, head: number | 'mean'): void;
  describeCell(cell: Cell, payload?: HeadPayload, live?: LiveHead): { title: string; lines: [string, string][] };

  /** Data loaded on demand by the views that need it. */
  rawHead(): Promise<HeadPayload>;
  /** Every head of the current layer under the current mask (the lines view). */
  layerHeads(): Promise<HeadPayload[]>;
  thumbnails(): Promise<Thumbnails>;
  variance(): Promise<VarianceSample[]>;
  /** Part of a head at full resolution (long sequences, Overview.pooled). */
  region(params: RegionParams): Promise<RegionPayload>;
}

/** A tab's view as a Lit element on the store (webview/views/tabView.ts): it re-renders itself. */
export interface TabElement extends HTMLElement {
  figure(): Promise<Figure>;
}

/** Something a tab shows: built once, updated when the data, state or theme change. */
export interface View {
  readonly element: HTMLElement;
  /** Full update (new head, mask, theme, colours). */
  update(ctx: PanelContext): void;
  /** Fast path while the slider moves (only the factor changed). */
  updateFactor?(ctx: PanelContext): void;
  /** Hover / lock / cursor changed. */
  updateHighlight?(ctx: PanelContext): void;
  /** The view as an exportable figure. */
  figure(ctx: PanelContext): Promise<Figure>;
}

export interface FigureItem {
  readonly caption?: string;
  readonly canvas?: HTMLCanvasElement;
  readonly svg?: SVGSVGElement;
  /** A vector version of a heatmap (small matrices); used instead of the canvas in SVG exports. */
  readonly vector?: SVGSVGElement | null;
}

export interface Figure {
  readonly title: string;
  readonly rows: FigureItem[][];
}
