// The heatmap's shapes: what it draws (the model), what is highlighted, what it reports back, and
// how it is laid out. Shared by the element and its drawing modules.
import type { PoolMode } from '../../src/core/downsample';
import type { ColorScale, DivergingName, SequentialName } from '../colormap';

export interface Cell {
  readonly row: number;
  readonly col: number;
}

export interface HeatmapModel {
  readonly n: number;
  readonly m: number;
  readonly values: Float32Array;
  readonly allowed: Uint8Array | null;
  readonly scale: ColorScale;
  readonly colormap: SequentialName | DivergingName;
  readonly pool: PoolMode;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  /** Per-row bars right of the plot (entropy); null for none. */
  readonly bar: {
    readonly values: Float32Array;
    readonly max: number;
    readonly title: string;
    readonly unit: string;
  } | null;
  readonly legendTitle: string;
  /** The legend's words for masked cells (default "masked"; e.g. "masked (causal, from the file)"). */
  readonly maskLabel?: string;
  /** Values to mark on the legend. */
  readonly legendTicks: readonly number[];
  /** The legend's tick labels, all in one format (format.ts formatTicks); else scaleLabel per tick. */
  readonly tickLabels?: (values: readonly number[]) => string[];
  /** How a value is shown in a cell and on the legend. */
  readonly scaleLabel?: (v: number) => string;
  /**
   * The positions the axes number rows and columns by, when not 0, 1, 2…: a region of a long
   * sequence starts at its first token; an overview of blocks counts tokens, `step` per block.
   */
  readonly positions?: { readonly row0: number; readonly col0: number; readonly step: number };
}

/** The position an axis shows for row (or column) i. */
export function positionOf(model: HeatmapModel, i: number, axis: 'row' | 'col'): number {
  const p = model.positions;
  return p ? (axis === 'row' ? p.row0 : p.col0) + i * p.step : i;
}

export interface HeatmapHighlight {
  readonly hover: Cell | null;
  readonly locked: number | null;
  readonly cursor: Cell | null;
}

export interface HeatmapCallbacks {
  /** The pointer moved over a cell (null: left the plot). */
  hover?(cell: Cell | null): void;
  /** A click (not a drag) on a cell. */
  click?(cell: Cell): void;
  /** Arrow keys moved the cursor. */
  cursor?(cell: Cell): void;
  /** Enter locks the cursor's row; Escape unlocks (null). */
  lock?(row: number | null): void;
  /** Zoom or pan changed. */
  view?(zoom: number, center: Cell): void;
  /** Lines for the tooltip at a cell: [label, value] pairs. */
  describe?(cell: Cell): { title: string; lines: [string, string][] };
}

export interface HeatmapOptions {
  /** Accessible name, e.g. "Attention weights". */
  readonly name: string;
  /** Largest plot side in CSS pixels. */
  readonly maxPlot: number;
  readonly interactive: boolean;
  /** Write each cell's value when cells are large enough. */
  readonly showValues: boolean;
  /** Token labels (off for small multiples). */
  readonly labels: boolean;
  readonly legend: boolean;
  /** The fraction of the panel's width this heatmap may take (1/2 when two sit side by side). */
  readonly widthShare: number;
}
