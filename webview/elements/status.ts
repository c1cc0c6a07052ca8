// The status line under the panel (<ai-status class="status">, light DOM): re-renders when, and only
// when, the model's status text changes; read out politely by screen readers.
import { LitElement, html } from 'lit';
import type { PanelStore } from '../panelModel';
import { StoreController } from '../storeController';

export class PanelStatus extends LitElement {
  private readonly model: StoreController<PanelStore['state'], readonly [string]>;

  constructor(store: PanelStore) {
    super();
    this.model = new StoreController(this, store, (s) => [s.status] as const);
    this.className = 'status';
    this.setAttribute('role', 'status');
    this.setAttribute('aria-live', 'polite');
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override render(): unknown {
    return html`${this.model.state.status}`;
  }
}

customElements.define('ai-status', PanelStatus);
