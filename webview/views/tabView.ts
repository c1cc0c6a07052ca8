// The base of every tab's view: a Lit element in light DOM (the panel's CSS and the tests address
// its classes), subscribed to the store through a TabController. While its tab is shown, a change of
// the values it draws from re-renders it at the cheapest level that covers the change: everything
// (new data, theme, colours, the panel's width), the slider's fast path (only the re-softmaxed head),
// or the highlight (hover, lock, cursor, zoom). A hidden tab waits, and catches up when shown if its
// inputs changed meanwhile.
import { LitElement, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { Figure, PanelContext } from '../context';
import { EXPLAIN_CLASS } from '../explain';
import type { PanelModel, PanelStore } from '../panelModel';
import type { TabId } from '../state';

/** What a re-render has to cover, cheapest last. */
export type Redraw = 'full' | 'factor' | 'highlight';

const ORDER: readonly Redraw[] = ['full', 'factor', 'highlight'];

const dataInputs = (s: PanelModel) =>
  [s.overview, s.payload, s.theme, s.width, s.view.sequential, s.view.diverging, s.view.range, s.view.sort] as const;
const liveInputs = (s: PanelModel) => [s.live] as const;
const highlightInputs = (s: PanelModel) =>
  [s.hover, s.view.lockedRow, s.view.cursor, s.view.zoom, s.view.center] as const;

/** Not yet drawn: differs from every slice. */
const NEVER: readonly unknown[] = [Symbol('never drawn')];

export class TabController implements ReactiveController {
  private stops: (() => void)[] = [];
  private pending: Redraw | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: PanelStore,
    private readonly tab: TabId,
  ) {
    host.addController(this);
  }

  private get shown(): boolean {
    const s = this.store.state;
    return s.view.tab === this.tab && s.payload !== null;
  }

  hostConnected(): void {
    // Each slice is read only while the tab is shown; hidden, it holds what the view last drew from.
    const whileShown = <T extends readonly unknown[]>(pick: (s: PanelModel) => T) => {
      let held: readonly unknown[] = NEVER;
      return (s: PanelModel) => (this.shown ? (held = pick(s)) : held);
    };
    this.stops = [
      this.store.watch(whileShown(dataInputs), () => this.request('full')),
      this.store.watch(whileShown(liveInputs), () => this.request('factor')),
      this.store.watch(whileShown(highlightInputs), () => this.request('highlight')),
      this.store.watch(
        (s) => [s.view.explain] as const,
        () => this.host.requestUpdate(),
      ),
    ];
    if (this.shown) this.request('full');
  }

  hostDisconnected(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  private request(level: Redraw): void {
    if (this.pending === null || ORDER.indexOf(level) < ORDER.indexOf(this.pending)) this.pending = level;
    this.host.requestUpdate();
  }

  /** The re-render due since the last one (null: none). */
  take(): Redraw | null {
    const level = this.pending;
    this.pending = null;
    return level;
  }
}

export abstract class TabView extends LitElement {
  private readonly tabController: TabController;

  constructor(
    protected readonly ctx: PanelContext,
    tab: TabId,
  ) {
    super();
    this.tabController = new TabController(this, ctx.store, tab);
    this.className = `view view-${tab}`;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Before rendering: bring the view's parts up to date with what changed in the store. */
  protected override willUpdate(): void {
    const level = this.tabController.take();
    if (level === 'full') this.redraw();
    else if (level === 'factor') this.redrawFactor();
    else if (level === 'highlight') this.redrawHighlight();
  }

  protected override updated(): void {
    // Every explanation folded or unfolded as the view state says (one switch for all of them).
    const open = this.ctx.store.state.view.explain;
    for (const d of this.querySelectorAll<HTMLDetailsElement>(`details.${EXPLAIN_CLASS}`))
      if (d.open !== open) d.open = open;
  }

  /** Everything (new head, mask, theme, colours, width). */
  protected abstract redraw(): void;

  /** The slider's fast path (only the re-softmaxed head changed). */
  protected redrawFactor(): void {
    this.redraw();
  }

  /** Hover, lock, cursor or zoom changed. */
  protected redrawHighlight(): void {}

  /** The view as an exportable figure. */
  abstract figure(): Promise<Figure>;
}
