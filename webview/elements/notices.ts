// The lines above the tabs (<ai-notices class="warnings">, light DOM): the seeded-model notice first
// for text, then a tensor file's detection as one neutral line ("ⓘ read as [layers, heads, q, k]
// weights · details") with its reasoning behind the disclosure, then real warnings (⚠, at most five
// and a count). Which line is which: webview/notices.ts. Re-renders when the overview changes.
import { LitElement, html, nothing } from 'lit';
import type { Overview } from '../../src/protocol/messages';
import { sortNotices } from '../notices';
import type { PanelModel, PanelStore } from '../panelModel';
import { StoreController } from '../storeController';

const MAX_WARNINGS = 5;
/** ⓘ drawn by CSS (a circled i): the character itself is missing from many fonts VS Code uses. */
const INFO = html`<span class="info-icon" aria-hidden="true">i</span> `;

export class PanelNotices extends LitElement {
  private readonly model: StoreController<PanelModel, readonly [Overview | null]>;

  constructor(store: PanelStore) {
    super();
    this.model = new StoreController(this, store, (s) => [s.overview] as const);
    this.className = 'warnings';
    this.setAttribute('role', 'status');
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override render(): unknown {
    const o = this.model.state.overview;
    // Nothing at all (not even white space) when there is nothing to say: .warnings:empty takes no room.
    if (!o || o.warnings.length === 0) return nothing;
    const n = sortNotices(o.warnings);
    const neutral = n.detected
      ? html`<details class="notice detection">
          <summary>${INFO}${n.detected} <span class="muted">· details</span></summary>
          ${n.details.map((d) => html`<p class="notice-detail">${d}</p>`)}
        </details>`
      : n.details.map((d) => html`<p class="notice">${INFO}${d}</p>`);
    const shown = n.warnings.slice(0, MAX_WARNINGS);
    const more = n.warnings.length - shown.length;
    return html`${n.model.map((m) => html`<p class="notice model">${INFO}${m}</p>`)} ${neutral}
    ${shown.map((w) => html`<p class="warning">⚠ ${w}</p>`)}
    ${more > 0 ? html`<p class="warning">… and ${more} more warnings</p>` : nothing}`;
  }
}

customElements.define('ai-notices', PanelNotices);
