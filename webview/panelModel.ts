// The panel's model, held in one Store: the view state (what the person chose; persisted), what has
// been loaded for it, the theme, the hovered cell and the status line.
import type { HeadPayload, Overview } from '../src/protocol/messages';
import type { Cell } from './heatmap';
import type { LiveHead } from './live';
import type { ViewState } from './state';
import type { Store } from './store';
import type { Theme } from './theme';

export interface PanelModel {
  readonly view: ViewState;
  readonly overview: Overview | null;
  readonly payload: HeadPayload | null;
  /** The payload re-softmaxed at the slider's factor. */
  readonly live: LiveHead | null;
  readonly theme: Theme;
  readonly hover: Cell | null;
  /** The panel's width in pixels: heatmaps size themselves to it, so a resize redraws the shown tab. */
  readonly width: number;
  /** The footer's line: the head and factor shown, or the outcome of the last action. */
  readonly status: string;
}

export type PanelStore = Store<PanelModel>;
