// The panel: loads the overview and one head at a time from the host, keeps the view state, builds
// the toolbar (head, mask, scale slider, colours, export) and the tabs, and tells the views what
// changed. Views read everything through the PanelContext this class implements.
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
import { MASK_TITLES } from '../src/protocol/messages';
import type { HostClient } from './client';
import { PanelData } from './data';
import { ropeSwitch } from './ropeSwitch';
import { factorMarks } from './factors';
import { PanelStatus } from './elements/status';
import type { PanelModel } from './panelModel';
import { Store, sliceChanged } from './store';
import { COLORMAP_LABELS, DIVERGING, SEQUENTIAL, type DivergingName, type SequentialName } from './colormap';
import type { PanelContext, View } from './context';
import { clear, el } from './dom';
import { fileName, matrixCsv, matrixJson, type ShownMatrix } from './exportData';
import { figurePng, figureSvg } from './figure';
import { describeFactor, displayToken, formatNumber } from './format';
import type { Cell, HeatmapHighlight } from './heatmap';
import { type LiveHead, headAtFactor } from './live';
import { DEFAULT_STATE, TABS, type TabId, type ViewState, defaultRange, sanitizeState } from './state';
import { type Theme, observeTheme, readTheme } from './theme';
import type { StateStore } from './transport';
import { maskInUse } from './heatmap/maskShape';
import { AttentionView } from './views/attention';
import { HeadsView } from './views/heads';
import { LinesView } from './views/lines';
import { ProjectionsView } from './views/projections';
import { ScalingView } from './views/scaling';
import { VarianceView } from './views/variance';

const TAB_TITLES: Record<TabId, string> = {
  attention: 'Scores & weights',
  lines: 'Lines',
  scaling: 'Scaling',
  variance: 'Why √d_k',
  projections: 'Why projections',
  heads: 'Heads & layers',
};

const SLIDER_MAX_LOG = 1;
const SNAP = 0.03;

type Push = Extract<HostMessage, { kind: 'push' }>;

interface SelectLike extends HTMLElement {
  value: string;
}

export class App implements PanelContext {
  private readonly model: Store<PanelModel>;
  private readonly data: PanelData;
  private views: Record<TabId, View> | null = null;
  /** Per tab, the inputs it was last drawn from: a tab redraws when shown only if they changed. */
  private readonly drawnFrom = new Map<TabId, { data: readonly unknown[]; highlight: readonly unknown[] }>();
  private loadSeq = 0;
  private pendingTab: TabId | null = null;
  private factorFrame = 0;
  private pendingFactor: number | null = null;
  private readonly status: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly warnings: HTMLElement;
  private readonly main: HTMLElement;
  private tabs: HTMLElement | null = null;
  private controls: {
    layer: SelectLike | null;
    head: SelectLike;
    masks: HTMLElement | null;
    slider: HTMLInputElement | null;
    sliderText: HTMLElement | null;
    marks: HTMLDataListElement | null;
    markButtons: HTMLElement | null;
    sequential: SelectLike;
    diverging: SelectLike;
    range: SelectLike;
  } | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: HostClient,
    private readonly store: StateStore,
    private readonly report: boolean,
  ) {
    this.model = new Store<PanelModel>({
      view: DEFAULT_STATE,
      overview: null,
      payload: null,
      live: null,
      theme: readTheme(),
      hover: null,
      status: '',
    });
    this.data = new PanelData(client);
    this.watchModel();
    this.toolbar = el('header', { cls: 'toolbar' });
    this.warnings = el('div', { cls: 'warnings', attrs: { role: 'status' } });
    this.main = el('div', { cls: 'main' }, el('p', { cls: 'muted', text: 'Loading…' }));
    this.status = new PanelStatus(this.model);
    clear(root);
    root.append(this.toolbar, this.warnings, this.main, this.status);
    observeTheme(() => this.onTheme());
    // Heatmaps size themselves to the panel's width when drawn: redraw when the panel is resized.
    let width = root.clientWidth,
      frame = 0;
    new ResizeObserver(() => {
      if (root.clientWidth === width || !this.views) return;
      width = root.clientWidth;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.redrawActive(true));
    }).observe(root);
  }

  // ---- PanelContext ----------------------------------------------------------------------------

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
    return factorOf(this.state, this.payload);
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
      let view = sanitizeState(this.store.get(), own);
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
        live: headAtFactor(payload, factorOf(view, payload) ?? 1),
        hover: null,
      });
      this.build();
      this.redrawActive();
      this.updateStatusLine();
      this.root.setAttribute('aria-busy', 'false');
      document.body.dataset.ready = '1';
    } catch (e) {
      this.fail(e);
    }
  }

  /** What follows from a change of the model: each reaction watches only the values it needs. */
  private watchModel(): void {
    const m = this.model;
    m.watch(
      (s) => [s.view] as const,
      ([view]) => this.store.set(view),
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
        if (payload) m.set({ live: headAtFactor(payload, factorOf(s.view, payload) ?? 1) });
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
      () => {
        this.syncSlider();
        this.updateStatusLine();
      },
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
      this.syncControls();
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
  }

  click(cell: Cell): void {
    this.setState({ lockedRow: this.state.lockedRow === cell.row ? null : cell.row, cursor: cell });
    this.focusToken(this.state.lockedRow);
  }

  /** Tells the host which token to highlight in the editor (a long sequence's row is a block: its first token). */
  private focusToken(row: number | null): void {
    this.client.focusToken(row === null ? null : row * (this.overview.pooled?.cell ?? 1));
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

  private build(): void {
    this.buildToolbar();
    const views: Record<TabId, View> = {
      attention: new AttentionView(this),
      lines: new LinesView(this),
      scaling: new ScalingView(this),
      variance: new VarianceView(),
      projections: new ProjectionsView(this),
      heads: new HeadsView(this),
    };
    this.views = views;
    const tabs = el('vscode-tabs');
    for (const id of TABS) {
      tabs.append(el('vscode-tab-header', { text: TAB_TITLES[id], attrs: { slot: 'header', 'data-tab': id } }));
      tabs.append(el('vscode-tab-panel', { attrs: { 'data-tab': id } }, views[id].element));
    }
    tabs.addEventListener('vsc-tabs-select', (e) => {
      const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      const id = TABS[index];
      if (id && id !== this.state.tab) this.setState({ tab: id });
    });
    this.tabs = tabs;
    clear(this.main);
    this.main.append(tabs);
    (tabs as unknown as { selectedIndex: number }).selectedIndex = TABS.indexOf(this.state.tab);
    this.renderWarnings();
  }

  private buildToolbar(): void {
    clear(this.toolbar);
    const o = this.overview;
    const size = o.pooled
      ? `${o.pooled.tokens} tokens in ${o.n} × ${o.m} blocks of ${o.pooled.cell}`
      : `${o.n} × ${o.m}`;
    const shape = `${size}${o.layers > 1 ? ` · ${o.layers} layers` : ''} · ${o.heads} head${o.heads > 1 ? 's' : ''}`;
    this.toolbar.append(
      el(
        'div',
        { cls: 'title-row' },
        el('h1', { text: 'Attention Inspector' }),
        el('span', { cls: 'source-title', text: o.title }),
        el('span', { cls: 'badge', text: o.form }),
        el('span', { cls: 'muted', text: shape }),
        this.report ? this.themePicker() : null,
      ),
    );
    const controls = el('div', { cls: 'controls' });

    // Head and layer.
    let layer: SelectLike | null = null;
    if (o.layers > 1) {
      layer = el('vscode-single-select', { attrs: { 'aria-label': 'Layer' } }) as SelectLike;
      for (let l = 0; l < o.layers; l++)
        layer.append(el('vscode-option', { text: `layer ${l}`, attrs: { value: String(l) } }));
      layer.addEventListener('change', () => this.setState({ layer: Number((layer as SelectLike).value) }));
    }
    const head = el('vscode-single-select', { attrs: { 'aria-label': 'Head' } }) as SelectLike;
    for (let h = 0; h < o.heads; h++)
      head.append(el('vscode-option', { text: `head ${h}`, attrs: { value: String(h) } }));
    if (o.heads > 1) head.append(el('vscode-option', { text: 'mean of heads', attrs: { value: 'mean' } }));
    head.addEventListener('change', () => this.setState({ head: head.value === 'mean' ? 'mean' : Number(head.value) }));
    controls.append(el('div', { cls: 'control' }, el('span', { cls: 'control-label', text: 'Head' }), layer, head));

    // Mask.
    let masks: HTMLElement | null = null;
    if (o.masks.length > 0) {
      masks = el('vscode-radio-group', { attrs: { 'aria-label': 'Mask' } });
      for (const m of o.masks)
        masks.append(
          el('vscode-radio', { attrs: { name: 'mask', value: m, label: MASK_TITLES[m], title: maskHelp(m) } }),
        );
      masks.addEventListener('change', (e) => {
        const target = e.target as HTMLElement & { checked?: boolean; value?: string };
        if (target.tagName === 'VSCODE-RADIO' && target.checked && target.value) {
          this.setState({ mask: target.value as MaskName });
        }
      });
      controls.append(el('div', { cls: 'control' }, el('span', { cls: 'control-label', text: 'Mask' }), masks));
    } else {
      controls.append(
        el(
          'div',
          { cls: 'control' },
          el('span', { cls: 'control-label', text: 'Mask' }),
          el('span', { cls: 'muted', text: 'as exported (weights cannot be re-masked)' }),
        ),
      );
    }
    // A RoPE model's scores before or after the rotation (webview/ropeSwitch.ts).
    if (o.rotary) controls.append(ropeSwitch(this.state.rotation, (rotation) => this.setState({ rotation })));

    // Scale.
    let slider: HTMLInputElement | null = null,
      sliderText: HTMLElement | null = null,
      marks: HTMLDataListElement | null = null,
      markButtons: HTMLElement | null = null;
    if (o.rescalable) {
      marks = el('datalist', { attrs: { id: 'factor-marks' } });
      slider = el('input', {
        cls: 'slider',
        attrs: {
          type: 'range',
          step: '0.01',
          list: 'factor-marks',
          'aria-label': 'Scale factor for the scores (logarithmic)',
        },
      });
      const s = slider;
      s.addEventListener('input', () => this.onSlider(Number(s.value)));
      sliderText = el('output', { cls: 'slider-value num', attrs: { 'aria-live': 'off' } });
      markButtons = el('span', { cls: 'marks' });
      controls.append(
        el(
          'div',
          { cls: 'control scale' },
          el('span', { cls: 'control-label', text: 'Scale' }),
          el('div', { cls: 'slider-box' }, s, marks),
          sliderText,
          markButtons,
        ),
      );
    }

    // Colours.
    const sequential = el('vscode-single-select', { attrs: { 'aria-label': 'Colour map for weights' } }) as SelectLike;
    for (const name of SEQUENTIAL)
      sequential.append(el('vscode-option', { text: COLORMAP_LABELS[name], attrs: { value: name } }));
    sequential.addEventListener('change', () => this.setState({ sequential: sequential.value as SequentialName }));
    const diverging = el('vscode-single-select', { attrs: { 'aria-label': 'Colour map for scores' } }) as SelectLike;
    diverging.append(el('vscode-option', { text: 'follow theme', attrs: { value: 'auto' } }));
    for (const name of DIVERGING)
      diverging.append(el('vscode-option', { text: COLORMAP_LABELS[name], attrs: { value: name } }));
    diverging.addEventListener('change', () =>
      this.setState({ diverging: diverging.value === 'auto' ? null : (diverging.value as DivergingName) }),
    );
    const range = el('vscode-single-select', { attrs: { 'aria-label': 'Colour range for weights' } }) as SelectLike;
    range.append(
      el('vscode-option', { text: 'weights 0 – 1', attrs: { value: 'unit' } }),
      el('vscode-option', { text: 'weights stretched', attrs: { value: 'max' } }),
    );
    range.addEventListener('change', () => this.setState({ range: range.value as 'unit' | 'max' }));
    controls.append(
      el(
        'div',
        { cls: 'control' },
        el('span', { cls: 'control-label', text: 'Colours' }),
        sequential,
        diverging,
        range,
      ),
    );

    // Export.
    const exportBox = el('div', { cls: 'control export' }, el('span', { cls: 'control-label', text: 'Export' }));
    const button = (label: string, title: string, run: () => Promise<void>) => {
      const b = el('vscode-button', {
        text: label,
        attrs: { secondary: '', title, 'data-export': label.toLowerCase() },
      });
      b.addEventListener(
        'click',
        () =>
          void run().catch((e: unknown) =>
            this.setStatus(`export failed: ${e instanceof Error ? e.message : String(e)}`),
          ),
      );
      exportBox.append(b);
    };
    button('PNG', 'The current view as a PNG image', () => this.exportFigure('png'));
    button('SVG', 'The current view as an SVG drawing', () => this.exportFigure('svg'));
    button('CSV', 'The shown weights as CSV (one row per query)', () => this.exportMatrix('csv'));
    button('JSON', 'The shown scores and weights as JSON', () => this.exportMatrix('json'));
    if (!this.report) button('Report', 'A standalone HTML report that works offline', () => this.exportReport());
    controls.append(exportBox);
    this.toolbar.append(controls);
    this.controls = { layer, head, masks, slider, sliderText, marks, markButtons, sequential, diverging, range };
    this.syncControls();
  }

  /** The report has no VS Code theme: let the reader pick one (the canvas follows via observeTheme). */
  private themePicker(): HTMLElement {
    const themes: [string, string][] = [
      ['vscode-dark', 'dark'],
      ['vscode-light', 'light'],
      ['vscode-high-contrast', 'high contrast'],
      ['vscode-high-contrast-light', 'high contrast light'],
    ];
    const select = el('vscode-single-select', { cls: 'theme-picker', attrs: { 'aria-label': 'Theme' } }) as SelectLike;
    for (const [cls, label] of themes)
      select.append(el('vscode-option', { text: `${label} theme`, attrs: { value: cls } }));
    select.value = themes.find(([cls]) => document.body.classList.contains(cls))?.[0] ?? 'vscode-dark';
    select.addEventListener('change', () => {
      for (const [cls] of themes) document.body.classList.remove(cls);
      document.body.classList.add(select.value);
    });
    return select;
  }

  /** Puts the controls in line with the state and the loaded head. */
  private syncControls(): void {
    const c = this.controls;
    if (!c) return;
    const s = this.state;
    if (c.layer) c.layer.value = String(s.layer);
    c.head.value = String(s.head);
    const activeMask = s.mask ?? this.overview.mask;
    if (c.masks)
      for (const r of Array.from(c.masks.children) as (HTMLElement & { checked: boolean; value: string })[]) {
        r.checked = r.value === activeMask;
        // Scores that carry their own −∞ mask: "none" adds nothing to the file's (maskShape.ts).
        if (r.value === 'none') r.setAttribute('label', this.maskTitle('none'));
      }
    c.sequential.value = s.sequential;
    c.diverging.value = s.diverging ?? 'auto';
    c.range.value = s.range ?? defaultRange(this.overview.m);
    if (c.slider && c.marks && c.markButtons && c.sliderText) {
      const p = this.payload;
      const can = p.dots !== null && p.factor !== null;
      c.slider.disabled = !can;
      const dK = p.dK;
      const points = factorMarks(dK);
      const min = Math.min(-3, Math.log10(dK ? 1 / dK : 1) - 0.3);
      c.slider.min = String(min);
      c.slider.max = String(SLIDER_MAX_LOG);
      clear(c.marks);
      clear(c.markButtons);
      for (const pt of points) {
        c.marks.append(el('option', { attrs: { value: String(Math.log10(pt.f)), label: pt.label } }));
        const b = el('vscode-button', {
          text: pt.label,
          attrs: {
            secondary: '',
            title: `Set the factor to ${pt.label} = ${formatNumber(pt.f)}`,
            'data-factor': pt.label,
          },
        });
        if (!can) b.setAttribute('disabled', '');
        b.addEventListener('click', () => this.setState({ factor: pt.f }));
        c.markButtons.append(b);
      }
      this.syncSlider();
    }
  }

  private syncSlider(): void {
    const c = this.controls;
    if (!c?.slider || !c.sliderText) return;
    const f = this.factor;
    if (f !== null) c.slider.value = String(Math.log10(f));
    const text = f !== null ? `× ${describeFactor(f, this.payload.dK)}` : 'not re-scalable';
    c.sliderText.textContent = text;
    c.slider.setAttribute('aria-valuetext', text);
  }

  private onSlider(value: number): void {
    const p = this.payload;
    const marks = factorMarks(p.dK).map((mark) => mark.f);
    const snapped = marks.find((m) => Math.abs(Math.log10(m) - value) < SNAP);
    this.pendingFactor = snapped ?? 10 ** value;
    // Coalesce slider events to one re-softmax per frame.
    if (this.factorFrame) return;
    this.factorFrame = requestAnimationFrame(() => {
      this.factorFrame = 0;
      if (this.pendingFactor !== null) this.setState({ factor: this.pendingFactor });
    });
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
    const data = [s.overview, s.payload, s.theme, v.sequential, v.diverging, v.range, v.sort];
    const live = [s.live];
    const highlight = [s.hover, v.lockedRow, v.cursor, v.zoom, v.center];
    const before = this.drawnFrom.get(id);
    this.drawnFrom.set(id, { data: [...data, ...live], highlight });
    const view = views[id];
    if (force || !before || sliceChanged(before.data.slice(0, data.length), data)) view.update(this);
    else if (sliceChanged(before.data.slice(data.length), live)) (view.updateFactor ?? view.update).call(view, this);
    else if (sliceChanged(before.highlight, highlight)) view.updateHighlight?.(this);
  }

  private onTheme(): void {
    const picker = this.toolbar.querySelector('.theme-picker') as SelectLike | null;
    const current = ['vscode-high-contrast-light', 'vscode-high-contrast', 'vscode-light', 'vscode-dark'].find((c) =>
      document.body.classList.contains(c),
    );
    if (picker && current && picker.value !== current) picker.value = current;
    this.model.set({ theme: readTheme() });
  }

  private renderWarnings(): void {
    clear(this.warnings);
    for (const w of this.overview.warnings.slice(0, 5))
      this.warnings.append(el('p', { cls: 'warning', text: `⚠ ${w}` }));
    if (this.overview.warnings.length > 5)
      this.warnings.append(
        el('p', { cls: 'warning', text: `… and ${this.overview.warnings.length - 5} more warnings` }),
      );
  }

  /** A mask's title, or the file's own mask when none is added to it (issue 16). */
  private maskTitle(mask: MaskName): string {
    const p = this.payload;
    return mask === p.mask ? maskInUse(p.allowed, p.n, p.m, mask, MASK_TITLES[mask]) : MASK_TITLES[mask];
  }

  private updateStatusLine(): void {
    const p = this.payload;
    const f = this.factor;
    const parts = [
      p.head === 'mean' ? 'mean of heads' : `head ${p.head}`,
      this.overview.layers > 1 ? `layer ${p.layer}` : '',
      p.dK !== null ? `d_k = ${p.dK}` : '',
      f !== null ? `factor ${describeFactor(f, p.dK)}` : 'weights as exported',
      this.maskTitle(p.mask),
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
    const figure = await this.views[this.state.tab].figure(this);
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

function maskHelp(m: MaskName): string {
  switch (m) {
    case 'none':
      return 'Every query sees every key (an encoder, like BERT)';
    case 'causal':
      return 'Query i sees keys up to i: reading forward, as a decoder generates text';
    case 'anticausal':
      return 'Query i sees keys from i on: reading backward';
    default:
      return 'The explicit 0/1 mask given in the input';
  }
}

/** The factor in use: the slider's when the head can be re-scaled, else the input's own (null: exported weights). */
function factorOf(view: ViewState, p: HeadPayload): number | null {
  if (!p.dots || p.factor === null) return p.factor;
  return view.factor ?? p.factor;
}
