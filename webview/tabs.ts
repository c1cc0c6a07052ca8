// The panel's tabs, one row each: the header's title and how its view is made. Adding a tab is its id
// in TABS (webview/state.ts, which also sets the header order) and one row here; the compiler asks for
// the row once the id exists. The app builds the headers, the panels and the views from this table.
import type { PanelContext, TabElement, View } from './context';
import type { TabId } from './state';
import { AttentionView } from './views/attention';
import { HeadsView } from './views/heads';
import { LinesView } from './views/lines';
import { ProjectionsView } from './views/projections';
import { ScalingView } from './views/scaling';
import { VarianceView } from './views/variance';

export interface TabEntry {
  readonly title: string;
  /** Made once per loaded input, when the panel is built. */
  readonly create: (ctx: PanelContext) => View | TabElement;
}

export const TAB_VIEWS: Record<TabId, TabEntry> = {
  attention: { title: 'Scores & weights', create: (ctx) => new AttentionView(ctx) },
  scaling: { title: 'Scaling', create: (ctx) => new ScalingView(ctx) },
  variance: { title: 'Why √d_k', create: (ctx) => new VarianceView(ctx) },
  projections: { title: 'Why projections', create: (ctx) => new ProjectionsView(ctx) },
  heads: { title: 'Heads & layers', create: (ctx) => new HeadsView(ctx) },
  lines: { title: 'Lines', create: (ctx) => new LinesView(ctx) },
};
