// The panel's toolbar (<ai-toolbar class="toolbar">, light DOM so the panel's CSS and the tests reach
// its controls): one line naming the input, then one row of controls (head and layer, mask, scale
// slider with its marks) and a "⋯" menu holding the colours, the exports and whatever control does
// not fit the row. It reads the panel's store and writes the view state through `actions`; it
// re-renders when the state, the loaded head or the overview change.
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { ExportFormat, HeadPayload, MaskName, Overview } from '../../src/protocol/messages';
import { MASK_TITLES } from '../../src/protocol/messages';
import { COLORMAP_LABELS, DIVERGING, SEQUENTIAL, type DivergingName, type SequentialName } from '../colormap';
import { factorMarks } from '../factors';
import { maskInUse } from '../heatmap/maskShape';
import { ropeSwitch } from '../ropeSwitch';
import { describeFactor, formatNumber } from '../format';
import type { PanelModel, PanelStore } from '../panelModel';
import { type ViewState, defaultRange, factorInUse } from '../state';
import { StoreController } from '../storeController';

export interface ToolbarActions {
  setState(patch: Partial<ViewState>): void;
  /** Runs an export; the app reports failures in the status line. */
  exportAs(format: ExportFormat): void;
  /** The standalone report: a theme picker instead of VS Code's theme, no "Report" export. */
  readonly report: boolean;
}

/** The slider spans 10^min … 10^1: wide enough for 1/d_k of any d_k we meet and ×10. */
const SLIDER_MAX_LOG = 1;
/** A slider position this close (in log10) to a mark snaps to the mark's exact factor. */
const SNAP = 0.03;

/** The row's controls, in the order they leave the row for the menu when the panel is narrow (last first). */
type RowGroup = 'head' | 'mask' | 'scale' | 'rotation';

interface SelectLike extends HTMLElement {
  value: string;
}

const THEMES: readonly [string, string][] = [
  ['vscode-dark', 'dark'],
  ['vscode-light', 'light'],
  ['vscode-high-contrast', 'high contrast'],
  ['vscode-high-contrast-light', 'high contrast light'],
];

/**
 * The row's groups in order. The scale slider is the panel's signature control: the wide mask radios
 * leave the row first, and a RoPE model's before/after switch (webview/ropeSwitch.ts) before them.
 */
function rowGroups(o: Overview): RowGroup[] {
  return ['head', ...(o.rescalable ? (['scale'] as const) : []), 'mask', ...(o.rotary ? (['rotation'] as const) : [])];
}

export class PanelToolbar extends LitElement {
  private readonly model: StoreController<PanelModel, readonly unknown[]>;
  /** How many of the row's groups (from the end) are in the menu because the row is too narrow. */
  private overflow = 0;
  private measuredWidth = -1;
  private settled = false;
  private factorFrame = 0;
  private pendingFactor: number | null = null;
  private readonly resize = new ResizeObserver(() => {
    if (this.clientWidth === this.measuredWidth) return;
    this.measuredWidth = this.clientWidth;
    // Start from everything in the row again; updated() moves groups out until the row fits.
    this.overflow = 0;
    this.requestUpdate();
  });

  constructor(
    store: PanelStore,
    private readonly actions: ToolbarActions,
  ) {
    super();
    this.model = new StoreController(this, store, (s) => [s.view, s.overview, s.payload] as const);
    this.className = 'toolbar';
    this.setAttribute('role', 'toolbar');
    this.setAttribute('aria-label', 'View controls');
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  protected override render(): unknown {
    const { overview: o, payload } = this.model.state;
    if (!o || !payload) return nothing;
    const size = o.pooled
      ? `${o.pooled.tokens} tokens in ${o.n} × ${o.m} blocks of ${o.pooled.cell}`
      : `${o.n} × ${o.m}`;
    const shape = `${size}${o.layers > 1 ? ` · ${o.layers} layers` : ''} · ${o.heads} head${o.heads > 1 ? 's' : ''}`;
    const groups = rowGroups(o);
    const inRow = groups.slice(0, groups.length - this.overflow);
    const inMenu = groups.slice(groups.length - this.overflow);
    return html`
      <div class="title-row">
        <span class="source-title" title=${o.title}>${o.title}</span>
        <span class="badge">${o.form}</span>
        <span class="muted shape">${shape}</span>
        ${this.actions.report ? this.themePicker() : nothing}
      </div>
      <div class="controls">
        ${inRow.map((g) => this.group(g))}
        <details class="more">
          <summary class="more-button" title="Colours, export and more" aria-label="More controls">⋯</summary>
          <div class="menu">${inMenu.map((g) => this.group(g))} ${this.colours()} ${this.exports()}</div>
        </details>
      </div>
    `;
  }

  protected override updated(): void {
    this.syncValues();
    // The first picture with data: measure again once the custom elements inside have upgraded and
    // laid out (before that a select or button can be wider than it will be).
    if (!this.settled && this.model.state.overview) {
      this.settled = true;
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          this.overflow = 0;
          this.requestUpdate();
        }),
      );
    }
    // One row: while it overflows, move its last group into the menu (the menu button stays).
    const row = this.querySelector<HTMLElement>('.controls');
    const { overview } = this.model.state;
    if (!row || !overview) return;
    const groups = rowGroups(overview).length;
    if (row.scrollWidth > row.clientWidth + 1 && this.overflow < groups) {
      this.overflow++;
      this.requestUpdate();
    }
  }

  private group(g: RowGroup): TemplateResult {
    if (g === 'head') return this.headControl();
    if (g === 'mask') return this.maskControl();
    if (g === 'rotation')
      return ropeSwitch(this.model.state.view.rotation, (rotation) => this.actions.setState({ rotation }));
    return this.scaleControl();
  }

  private headControl(): TemplateResult {
    const o = this.model.state.overview!;
    const layers = Array.from({ length: o.layers }, (_, l) => l);
    const heads = Array.from({ length: o.heads }, (_, h) => h);
    return html`<div class="control">
      <span class="control-label">Head</span>
      ${
        o.layers > 1
          ? html`<vscode-single-select
              aria-label="Layer"
              data-control="layer"
              @change=${(e: Event) => this.actions.setState({ layer: Number((e.target as SelectLike).value) })}
              >${layers.map((l) => html`<vscode-option value=${String(l)}>layer ${l}</vscode-option>`)}</vscode-single-select
            >`
          : nothing
      }
      <vscode-single-select
        aria-label="Head"
        data-control="head"
        @change=${(e: Event) => {
          const v = (e.target as SelectLike).value;
          this.actions.setState({ head: v === 'mean' ? 'mean' : Number(v) });
        }}
        >${heads.map((h) => html`<vscode-option value=${String(h)}>head ${h}</vscode-option>`)}
        ${o.heads > 1 ? html`<vscode-option value="mean">mean of heads</vscode-option>` : nothing}</vscode-single-select
      >
    </div>`;
  }

  private maskControl(): TemplateResult {
    const o = this.model.state.overview!;
    const p = this.model.state.payload!;
    if (o.masks.length === 0)
      return html`<div class="control">
        <span class="control-label">Mask</span>
        <span class="muted" title="Exported weights cannot be re-masked">as exported</span>
      </div>`;
    return html`<div class="control">
      <span class="control-label">Mask</span>
      <vscode-radio-group
        aria-label="Mask"
        @change=${(e: Event) => {
          const target = e.target as HTMLElement & { checked?: boolean; value?: string };
          if (target.tagName === 'VSCODE-RADIO' && target.checked && target.value)
            this.actions.setState({ mask: target.value as MaskName });
        }}
        >${o.masks.map(
          (m) =>
            html`<vscode-radio name="mask" value=${m} label=${maskTitle(p, m)} title=${maskHelp(m)}></vscode-radio>`,
        )}</vscode-radio-group
      >
    </div>`;
  }

  private scaleControl(): TemplateResult {
    const { payload: p, view } = this.model.state;
    const dK = p!.dK;
    const can = p!.dots !== null && p!.factor !== null;
    const f = factorInUse(view, p!);
    const marks = factorMarks(dK);
    const min = Math.min(-3, Math.log10(dK ? 1 / dK : 1) - 0.3);
    const text = f !== null ? `× ${describeFactor(f, dK)}` : 'not re-scalable';
    return html`<div class="control scale">
      <span class="control-label">Scale</span>
      <div class="slider-box">
        <input
          class="slider"
          type="range"
          step="0.01"
          list="factor-marks"
          aria-label="Scale factor for the scores (logarithmic)"
          min=${String(min)}
          max=${String(SLIDER_MAX_LOG)}
          aria-valuetext=${text}
          ?disabled=${!can}
          .value=${f !== null ? String(Math.log10(f)) : '0'}
          @input=${(e: Event) => this.onSlider(Number((e.target as HTMLInputElement).value))}
        />
        <datalist id="factor-marks">
          ${marks.map((pt) => html`<option value=${String(Math.log10(pt.f))} label=${pt.label}></option>`)}
        </datalist>
      </div>
      <output class="slider-value num" aria-live="off">${text}</output>
      <span class="marks"
        >${marks.map(
          (pt) =>
            html`<vscode-button
              secondary
              ?disabled=${!can}
              title=${`Set the factor to ${pt.label} = ${formatNumber(pt.f)}`}
              data-factor=${pt.label}
              @click=${() => this.actions.setState({ factor: pt.f })}
              >${pt.label}</vscode-button
            >`,
        )}</span
      >
    </div>`;
  }

  private colours(): TemplateResult {
    const set = (patch: Partial<ViewState>) => this.actions.setState(patch);
    return html`<div class="control">
      <span class="control-label">Colours</span>
      <vscode-single-select
        aria-label="Colour map for weights"
        data-control="sequential"
        @change=${(e: Event) => set({ sequential: (e.target as SelectLike).value as SequentialName })}
        >${SEQUENTIAL.map(
          (name) => html`<vscode-option value=${name}>${COLORMAP_LABELS[name]}</vscode-option>`,
        )}</vscode-single-select
      >
      <vscode-single-select
        aria-label="Colour map for scores"
        data-control="diverging"
        @change=${(e: Event) => {
          const v = (e.target as SelectLike).value;
          set({ diverging: v === 'auto' ? null : (v as DivergingName) });
        }}
        ><vscode-option value="auto">follow theme</vscode-option>${DIVERGING.map(
          (name) => html`<vscode-option value=${name}>${COLORMAP_LABELS[name]}</vscode-option>`,
        )}</vscode-single-select
      >
      <vscode-single-select
        aria-label="Colour range for weights"
        data-control="range"
        @change=${(e: Event) => set({ range: (e.target as SelectLike).value as 'unit' | 'max' })}
        ><vscode-option value="unit">weights 0 – 1</vscode-option
        ><vscode-option value="max">weights stretched</vscode-option></vscode-single-select
      >
    </div>`;
  }

  private exports(): TemplateResult {
    const button = (label: string, title: string, format: ExportFormat) =>
      html`<vscode-button
        secondary
        title=${title}
        data-export=${label.toLowerCase()}
        @click=${() => this.actions.exportAs(format)}
        >${label}</vscode-button
      >`;
    return html`<div class="control export">
      <span class="control-label">Export</span>
      ${button('PNG', 'The current view as a PNG image', 'png')}
      ${button('SVG', 'The current view as an SVG drawing', 'svg')}
      ${button('CSV', 'The shown weights as CSV (one row per query)', 'csv')}
      ${button('JSON', 'The shown scores and weights as JSON', 'json')}
      ${this.actions.report ? nothing : button('Report', 'A standalone HTML report that works offline', 'html')}
    </div>`;
  }

  /** The report has no VS Code theme: the reader picks one (the canvas follows via observeTheme). */
  private themePicker(): TemplateResult {
    return html`<vscode-single-select
      class="theme-picker"
      aria-label="Theme"
      data-control="theme"
      @change=${(e: Event) => {
        const v = (e.target as SelectLike).value;
        for (const [cls] of THEMES) document.body.classList.remove(cls);
        document.body.classList.add(v);
      }}
      >${THEMES.map(([cls, label]) => html`<vscode-option value=${cls}>${label} theme</vscode-option>`)}</vscode-single-select
    >`;
  }

  /** The selects and radios show the state (set after render: the options must exist first). */
  private syncValues(): void {
    const { view: s, overview: o } = this.model.state;
    if (!o) return;
    const set = (control: string, value: string) => {
      const select = this.querySelector<SelectLike>(`[data-control=${control}]`);
      if (select && select.value !== value) select.value = value;
    };
    set('layer', String(s.layer));
    set('head', String(s.head));
    set('sequential', s.sequential);
    set('diverging', s.diverging ?? 'auto');
    set('range', s.range ?? defaultRange(o.m));
    set('theme', THEMES.find(([cls]) => document.body.classList.contains(cls))?.[0] ?? 'vscode-dark');
    const activeMask = s.mask ?? o.mask;
    for (const r of this.querySelectorAll<HTMLElement & { checked: boolean; value: string }>(
      'vscode-radio[name="mask"]',
    ))
      r.checked = r.value === activeMask;
    for (const r of this.querySelectorAll<HTMLElement & { checked: boolean; value: string }>(
      'vscode-radio[name="rotation"]',
    ))
      r.checked = r.value === s.rotation;
  }

  /** The report's theme picker follows a theme changed from outside (the canvas already does). */
  syncTheme(): void {
    this.syncValues();
  }

  private onSlider(value: number): void {
    const p = this.model.state.payload;
    if (!p) return;
    const snapped = factorMarks(p.dK)
      .map((mark) => mark.f)
      .find((m) => Math.abs(Math.log10(m) - value) < SNAP);
    this.pendingFactor = snapped ?? 10 ** value;
    // Coalesce slider events to one re-softmax per frame.
    if (this.factorFrame) return;
    this.factorFrame = requestAnimationFrame(() => {
      this.factorFrame = 0;
      if (this.pendingFactor !== null) this.actions.setState({ factor: this.pendingFactor });
    });
  }
}

/** A mask's title; for the head's own mask, the shape its data carries ("causal, from the file": −∞ scores). */
export function maskTitle(p: HeadPayload, mask: MaskName): string {
  return mask === p.mask ? maskInUse(p.allowed, p.n, p.m, mask, MASK_TITLES[mask]) : MASK_TITLES[mask];
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

customElements.define('ai-toolbar', PanelToolbar);
