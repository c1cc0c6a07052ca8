// What every drawing module of the heatmap reads for one frame: the canvas and its context, the
// theme, the model, the options and the highlight. Built by the heatmap element before each draw.
import type { Theme } from '../theme';
import type { HeatmapHighlight, HeatmapModel, HeatmapOptions } from './types';

export const LABEL_FONT = 11;
/** Rows or columns closer than this (CSS pixels) are numbered every k-th instead of named. */
export const MIN_LABEL_GAP = 12;

export interface PaintContext {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D;
  readonly theme: Theme;
  readonly model: HeatmapModel;
  readonly options: HeatmapOptions;
  readonly highlight: HeatmapHighlight;
  /** Key labels written across their columns (short keys), not upwards. */
  readonly across: boolean;
}

export function font(p: { readonly theme: Theme }, size = LABEL_FONT): string {
  return `${size}px ${p.theme.fontFamily}`;
}
