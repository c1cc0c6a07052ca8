// The panel: loads the overview and one head at a time from the host, keeps the view state, and wires
// the parts together: the toolbar, the notices and the status line (Lit elements on the store), the
// tabs (webview/tabs.ts) whose views it tells what changed, and the exports. Views read everything
// through the PanelContext this class implements.
import type {
  HeadIndex,
  HeadPayload,
  HostMessage,
  MaskName,
  Overview,
  RegionParams,
  RegionPayload,
  Thumbnails,
  VarianceSample,
} from '../src/protocol/messages';
import type { HostClient } from './client';
import { PanelData } from './data';
import { PanelNotices } from './elements/notices';
import { PanelStatus } from './elements/status';
import { PanelToolbar, maskTitle } from './elements/toolbar';
import type { PanelModel, PanelStore } from './panelModel';
import { Store, sliceChanged } from './store';
import type { DivergingName, SequentialName } from './colormap';
import type { PanelContext, TabElement, View } from './context';
import { clear, el } from './dom';
import { EXPLAIN_CLASS } from './explain';
import { fileName, matrixCsv, matrixJson, type ShownMatrix } from './exportData';
import { figurePng, figureSvg } from './figure';
import { describeFactor, displayToken, formatNumber } from './format';
import type { Cell, HeatmapHighlight } from './heatmap';
import { type LiveHead, headAtFactor } from './live';
import { DEFAULT_STATE, TABS, type TabId, type ViewState, factorInUse, sanitizeState } from './state';
import { TAB_VIEWS } from './tabs';
import { type Theme, observeTheme, readTheme } from './theme';
import type { StateStore } from './transport';
import type { AttentionView } from './views/attention';

type Push = Extract<HostMessage, { kind: 'push' }>;

export class App implements PanelContext {
  private readonly model: Store<PanelModel>;
  private readonly data: PanelData;
  private views: Record<TabId, View | TabElement> | null = null;
  /** Per tab, the inputs it was last drawn from: a tab redraws when shown only if they changed. */
  private readonly drawnFrom = new Map<TabId, { data: readonly unknown[]; highlight: readonly unknown[] }>();
  private loadSeq = 0;
  private pendingTab: TabId | null = null;
  private readonly toolbar: PanelToolbar;
  private readonly main: HTMLElement;
  private tabs: HTMLElement | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: HostClient,
    private readonly saved: StateStore,
    private readonly report: boolean,
  ) {
    this.model = new Store<PanelModel>({
      view: DEFAULT_STATE,
      overview: null,
      payload: null,
      live: null,
      theme: readTheme(),
      hover: null,
      width: root.clientWidth,
      status: '',
    });
    this.data = new PanelData(client);
    this.watchModel();
    this.toolbar = new PanelToolbar(this.model, {
      setState: (patch) => this.setState(patch),
      exportAs: (format) =>
        void this.exportFormat(format).catch((e: unknown) =>
          this.setStatus(`export failed: ${e instanceof Error ? e.message : String(e)}`),
        ),
      report,
    });
    this.main = el('div', { cls: 'main' }, el('p', { cls: 'muted', text: 'Loading…' }));
    clear(root);
    root.append(this.toolbar, new PanelNotices(this.model), this.main, new PanelStatus(this.model));
    // An explanation folded or unfolded by hand: all of them follow, and the state remembers it
    // (toggle does not bubble, so it is caught on the way down).
    root.addEventListener(
      'toggle',
      (e) => {
        const d = e.target as HTMLDetailsElement;
        if (d.classList?.contains(EXPLAIN_CLASS) && d.open !== this.state.explain) this.setState({ explain: d.open });
      },
      true,
    );
    observeTheme(() => this.onTheme());
    // Heatmaps size themselves to the panel's width when drawn: the shown tab redraws when it changes.
    let frame = 0;
    new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.model.set({ width: root.clientWidth }));
    }).observe(root);
  }

  // ---- PanelContext ----------------------------------------------------------------------------

  get store(): PanelStore {
    return this.model;
  }

  get theme(): Theme {
    return this.model.state.theme;
  }

  get overview(): Overview {
    return this.model.state.overview as Overview;
  }

  get payload(): HeadPayload {
    return this.model.state.payload as HeadPayload;
  }

  get live(): LiveHead {
    return this.model.state.live as LiveHead;
  }

  get state(): ViewState {
    return this.model.state.view;
  }

  get highlight(): HeatmapHighlight {
    return { hover: this.model.state.hover, locked: this.state.lockedRow, cursor: this.state.cursor };
  }

  get factor(): number | null {
    return factorInUse(this.state, this.payload);
  }

  get sequential(): SequentialName {
    return this.state.sequential;
  }

  get diverging(): DivergingName {
    return (
      this.state.diverging ??
      (this.theme.kind === 'light' || this.theme.kind === 'high-contrast-light' ? 'blue-white-red' : 'blue-dark-orange')
    );
  }

  get focusRow(): number {
    return Math.min(this.state.lockedRow ?? this.state.cursor.row ?? 0, this.overview.n - 1);
  }

  // ---- start and data ----------------------------------------------------------------------------

  async start(): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const own = await this.data.overview(null);
      if (seq !== this.loadSeq) return;
      let view = sanitizeState(this.saved.get(), own);
      if (this.pendingTab) view = { ...view, tab: this.pendingTab };
      this.pendingTab = null;
      const overview = view.mask && view.mask !== own.mask ? await this.data.overview(view.mask) : own;
      const payload = await this.data.head(view, overview.mask);
      if (seq !== this.loadSeq) return;
      this.maskShown = view.mask;
      this.model.set({
        view,
        overview,
        payload,
        live: headAtFactor(payload, factorInUse(view, payload) ?? 1),
        hover: null,
      });
      this.build();
      this.redrawActive();
      this.updateStatusLine();
      this.root.setAttribute('aria-busy', 'false');
      document.body.dataset.ready = '1';
      // The next frame puts the first head on screen: the host's load timeline ends there.
      requestAnimationFrame(() => this.client.firstDraw());
    } catch (e) {
      this.fail(e);
    }
  }

  /** What follows from a change of the model: each reaction watches only the values it needs. */
  private watchModel(): void {
    const m = this.model;
    m.watch(
      (s) => [s.view] as const,
      ([view]) => this.saved.set(view),
    );
    m.watch(
      (s) => [s.view.layer, s.view.head, s.view.mask, s.view.rotation] as const,
      (_, s) => {
        if (this.views) void this.reload(s.view.mask);
      },
    );
    m.watch(
      (s) => [s.payload, s.view.factor] as const,
      ([payload], s) => {
        if (payload) m.set({ live: headAtFactor(payload, factorInUse(s.view, payload) ?? 1) });
      },
    );
    m.watch(
      (s) => [s.view.tab] as const,
      ([tab]) => {
        if (this.tabs) (this.tabs as unknown as { selectedIndex: number }).selectedIndex = TABS.indexOf(tab);
      },
    );
    m.watch(
      (s) => [s.payload, s.live, s.overview] as const,
      () => this.updateStatusLine(),
    );
    m.watch(
      (s) => [s.view.explain] as const,
      () => this.syncExplanations(),
    );
    m.subscribe(() => this.redrawActive());
  }

  onPush(push: Push): void {
    if (push.event === 'reset') {
      this.data.reset();
      this.views = null;
      this.tabs = null;
      this.drawnFrom.clear();
      void this.start();
    } else if (push.event === 'configure') {
      if (push.colorMap) this.setState({ sequential: push.colorMap });
    } else if (push.event === 'show') {
      // Before the first overview arrives, remember the tab so start() opens on it.
      this.pendingTab = push.tab;
      if (this.views) this.setState({ tab: push.tab });
    } else if (push.event === 'export') {
      void this.exportFormat(push.format).catch((e: unknown) =>
        this.setStatus(`export failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    } else if (!this.model.state.overview || !this.views) {
      return;
    } else if (push.event === 'focusRow') {
      // The host speaks in tokens; a long sequence's rows are blocks of tokens.
      const row = push.index === null ? null : Math.floor(push.index / (this.overview.pooled?.cell ?? 1));
      if (row === null || row >= this.overview.n) this.setState({ lockedRow: null });
      else this.setState({ lockedRow: row, cursor: { row, col: this.state.cursor.col } });
    } else {
      const head = push.head === 'mean' || push.head < this.overview.heads ? push.head : 0;
      this.setState({ layer: Math.min(push.layer, this.overview.layers - 1), head, tab: 'attention' });
    }
  }

  /** One of the toolbar's exports, asked for by the host (the Export Current View… command). */
  private async exportFormat(format: 'png' | 'svg' | 'csv' | 'json' | 'html'): Promise<void> {
    if (!this.views) throw new Error('the panel has not loaded yet');
    if (format === 'png' || format === 'svg') return this.exportFigure(format);
    if (format === 'csv' || format === 'json') return this.exportMatrix(format);
    return this.exportReport();
  }

  /** Loads the head the state names (after a head, layer or mask change). */
  private async reload(mask: MaskName | null): Promise<void> {
    const seq = ++this.loadSeq;
    this.setStatus('Loading…');
    try {
      const overview = mask === this.maskShown ? this.overview : await this.data.overview(mask);
      const payload = await this.data.head(this.state, overview.mask);
      if (seq !== this.loadSeq) return;
      this.maskShown = mask;
      this.model.set({ overview, payload });
    } catch (e) {
      this.setStatus(`error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The mask the loaded overview was asked for (null: the input's own). */
  private maskShown: MaskName | null = null;

  rawHead(): Promise<HeadPayload> {
    return this.data.rawHead(this.state.mask, this.overview.mask);
  }

  layerHeads(): Promise<HeadPayload[]> {
    const { layer } = this.state;
    const heads = Array.from({ length: this.overview.heads }, (_, head) => head);
    return Promise.all(heads.map((head) => this.data.head({ layer, head, mask: this.state.mask }, this.overview.mask)));
  }

  thumbnails(): Promise<Thumbnails> {
    return this.data.thumbnails(this.overview, this.state.mask);
  }

  variance(): Promise<VarianceSample[]> {
    return this.data.variance();
  }

  region(params: RegionParams): Promise<RegionPayload> {
    return this.data.region(params);
  }

  // ---- state --------------------------------------------------------------------------------------

  setState(patch: Partial<ViewState>): void {
    if ('mask' in patch && patch.mask !== this.state.mask && this.model.state.overview)
      this.data.dropThumbnails(patch.mask ?? this.overview.mask);
    this.model.set({ view: { ...this.state, ...patch } });
  }

  hover(cell: Cell | null): void {
    this.model.set({ hover: cell });
    // The editor follows the hovered row while no row is locked (a locked row keeps its token lit).
    if (this.state.lockedRow === null) {
      const row = cell?.row ?? null;
      if (row !== this.hoverSent) {
        this.hoverSent = row;
        this.focusToken(row, true);
      }
    }
  }

  /** The row whose token the editor shows for a hover (sent only when it changes). */
  private hoverSent: number | null = null;

  click(cell: Cell): void {
    this.setState({ lockedRow: this.state.lockedRow === cell.row ? null : cell.row, cursor: cell });
    this.focusToken(this.state.lockedRow);
  }

  /** Tells the host which token to highlight in the editor (a long sequence's row is a block: its first token). */
  private focusToken(row: number | null, hover = false): void {
    if (!hover) this.hoverSent = null;
    this.client.focusToken(row === null ? null : row * (this.overview.pooled?.cell ?? 1), hover);
  }

  cursor(cell: Cell): void {
    this.setState({ cursor: cell });
    for (const h of this.activeHeatmapsAnnounce()) h(this.describeText(cell));
  }

  lock(row: number | null): void {
    this.setState({ lockedRow: row });
    this.focusToken(row);
  }

  setView(zoom: number, center: Cell): void {
    this.setState({ zoom, center: zoom <= 1.0001 ? null : center });
  }

  openHead(layer: number, head: HeadIndex): void {
    this.setState({ layer, head, tab: 'attention' });
  }

  describeCell(
    cell: Cell,
    payload: HeadPayload = this.payload,
    live: LiveHead = this.live,
  ): { title: string; lines: [string, string][] } {
    const { tokens, keyTokens, m } = this.overview;
    const k = cell.row * m + cell.col;
    const masked = payload.allowed !== null && payload.allowed[k] === 0;
    const lines: [string, string][] = [
      ['query', `“${displayToken(tokens[cell.row], 30)}” (row ${cell.row})`],
      ['key', `“${displayToken(keyTokens[cell.col], 30)}” (column ${cell.col})`],
    ];
    const f = live.factor;
    if (payload.dots) {
      lines.push(['raw score q·k', masked ? 'masked' : formatNumber(payload.dots[k])]);
      if (f !== null)
        lines.push([`scaled × ${formatNumber(f)}`, masked ? 'masked' : formatNumber(payload.dots[k] * f)]);
    }
    lines.push(['weight', masked ? '0 (masked)' : formatNumber(live.weights[k])]);
    const h = live.rows.entropy[cell.row];
    lines.push(['row entropy', `${formatNumber(h)} nats (≈ ${formatNumber(Math.exp(h), 2)} keys)`]);
    return { title: `${displayToken(tokens[cell.row], 20)} → ${displayToken(keyTokens[cell.col], 20)}`, lines };
  }

  private describeText(cell: Cell): string {
    const d = this.describeCell(cell);
    return `${d.title}. ${d.lines
      .slice(2)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`;
  }

  private activeHeatmapsAnnounce(): ((text: string) => void)[] {
    const v = this.views?.attention as AttentionView | undefined;
    return v ? [(text) => v.heatmaps()[1].announce(text)] : [];
  }

  // ---- building the UI ----------------------------------------------------------------------------

  /** The tabs and their views, from the table in webview/tabs.ts. */
  private build(): void {
    const views = {} as Record<TabId, View | TabElement>;
    const tabs = el('vscode-tabs');
    for (const id of TABS) {
      const view = (views[id] = TAB_VIEWS[id].create(this));
      tabs.append(el('vscode-tab-header', { text: TAB_VIEWS[id].title, attrs: { slot: 'header', 'data-tab': id } }));
      tabs.append(el('vscode-tab-panel', { attrs: { 'data-tab': id } }, isElement(view) ? view : view.element));
    }
    this.views = views;
    tabs.addEventListener('vsc-tabs-select', (e) => {
      const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      const id = TABS[index];
      if (id && id !== this.state.tab) this.setState({ tab: id });
    });
    this.tabs = tabs;
    clear(this.main);
    this.main.append(tabs);
    (tabs as unknown as { selectedIndex: number }).selectedIndex = TABS.indexOf(this.state.tab);
    wrapTabHeaders(tabs);
    this.syncExplanations();
  }

  /** Every explanation folded or unfolded as the view state says. */
  private syncExplanations(): void {
    for (const d of this.root.querySelectorAll<HTMLDetailsElement>(`details.${EXPLAIN_CLASS}`))
      if (d.open !== this.state.explain) d.open = this.state.explain;
  }

  /**
   * Brings the shown tab up to date with the model: a full update when its data inputs changed, the
   * slider's fast path when only the re-softmaxed head did, a highlight update when only the hover,
   * lock, cursor or zoom did. Hidden tabs are brought up to date when they are shown.
   */
  private redrawActive(force = false): void {
    const views = this.views;
    const s = this.model.state;
    if (!views || !s.payload) return;
    const id = s.view.tab;
    const v = s.view;
    const data = [s.overview, s.payload, s.theme, s.width, v.sequential, v.diverging, v.range, v.sort];
    const live = [s.live];
    const highlight = [s.hover, v.lockedRow, v.cursor, v.zoom, v.center];
    const before = this.drawnFrom.get(id);
    this.drawnFrom.set(id, { data: [...data, ...live], highlight });
    const view = views[id];
    if (isElement(view)) return;
    if (force || !before || sliceChanged(before.data.slice(0, data.length), data)) view.update(this);
    else if (sliceChanged(before.data.slice(data.length), live)) (view.updateFactor ?? view.update).call(view, this);
    else if (sliceChanged(before.highlight, highlight)) view.updateHighlight?.(this);
  }

  private onTheme(): void {
    this.toolbar.syncTheme();
    this.model.set({ theme: readTheme() });
  }

  private updateStatusLine(): void {
    const p = this.payload;
    const f = this.factor;
    const parts = [
      p.head === 'mean' ? 'mean of heads' : `head ${p.head}`,
      this.overview.layers > 1 ? `layer ${p.layer}` : '',
      p.dK !== null ? `d_k = ${p.dK}` : '',
      f !== null ? `factor ${describeFactor(f, p.dK)}` : 'weights as exported',
      maskTitle(p, p.mask),
      `mean entropy ${formatNumber(this.live.summary.meanEntropy)} nats`,
    ].filter(Boolean);
    this.setStatus(parts.join(' · '));
  }

  private setStatus(text: string): void {
    this.model.set({ status: text });
  }

  private fail(e: unknown): void {
    clear(this.main);
    this.main.append(
      el(
        'div',
        { cls: 'error-box' },
        el('h2', { text: 'The inspector could not load this input' }),
        el('p', { text: e instanceof Error ? e.message : String(e) }),
      ),
    );
    this.root.setAttribute('aria-busy', 'false');
    document.body.dataset.ready = 'error';
  }

  // ---- export -------------------------------------------------------------------------------------

  private baseName(): (string | number)[] {
    const p = this.payload;
    return ['attention', this.overview.layers > 1 ? `L${p.layer}` : '', p.head === 'mean' ? 'mean' : `H${p.head}`];
  }

  private async exportFigure(format: 'png' | 'svg'): Promise<void> {
    if (!this.views) return;
    const view = this.views[this.state.tab];
    const figure = await (isElement(view) ? view.figure() : view.figure(this));
    if (figure.rows.length === 0) throw new Error('nothing to export in this view yet');
    const name = fileName([...this.baseName(), this.state.tab], format);
    const data = format === 'png' ? await figurePng(figure, this.theme) : figureSvg(figure, this.theme);
    await this.save(format, name, data);
  }

  shownMatrix(): ShownMatrix {
    const p = this.payload,
      f = this.live.factor;
    return {
      title: this.overview.title,
      layer: p.layer,
      head: p.head,
      mask: p.mask,
      factor: f,
      tokens: this.overview.tokens,
      keyTokens: this.overview.keyTokens,
      n: p.n,
      m: p.m,
      scores: p.dots && f !== null ? p.dots.map((x) => x * f) : null,
      weights: this.live.weights,
      allowed: p.allowed,
    };
  }

  private async exportMatrix(format: 'csv' | 'json'): Promise<void> {
    const shown = this.shownMatrix();
    const data = format === 'csv' ? matrixCsv(shown, 'weights') : matrixJson(shown);
    await this.save(format, fileName([...this.baseName(), 'weights'], format), data);
  }

  private async exportReport(): Promise<void> {
    const result = await this.client.request('export', {
      format: 'html',
      name: fileName(['attention-report'], 'html'),
    });
    this.setStatus(
      result.saved ? `Saved the report${result.location ? ` to ${result.location}` : ''}` : 'Report not saved',
    );
  }

  private async save(format: 'png' | 'svg' | 'csv' | 'json', name: string, data: ArrayBuffer | string): Promise<void> {
    const result = await this.client.request('export', { format, name, data });
    this.setStatus(
      result.saved
        ? `Saved ${name}${result.location && result.location !== 'download' ? ` to ${result.location}` : ''}`
        : `${name} not saved`,
    );
  }
}

function isElement(view: View | TabElement): view is TabElement {
  return view instanceof HTMLElement;
}

/** The tab headers wrap onto a second line when the panel is narrow, instead of being cut off. */
const WRAP = new CSSStyleSheet();
WRAP.replaceSync('.tablist { flex-wrap: wrap; row-gap: 2px; }');

function wrapTabHeaders(tabs: HTMLElement): void {
  // vscode-tabs keeps its header row in its shadow root, which the panel's CSS cannot reach.
  const apply = () => {
    const root = tabs.shadowRoot;
    if (root && !root.adoptedStyleSheets.includes(WRAP)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, WRAP];
  };
  apply();
  void (tabs as unknown as { updateComplete?: Promise<unknown> }).updateComplete?.then(apply);
}
