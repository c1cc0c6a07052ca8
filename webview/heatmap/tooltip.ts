// The heatmap's tooltip as a Lit element in light DOM (the panel's CSS and the tests address it as
// `.tooltip`): a title and [label, value] lines, all through text bindings, so token text stays
// text. Placed next to the pointer, flipped to stay inside its heatmap.
import { LitElement, html, nothing } from 'lit';

export interface TooltipContent {
  readonly title: string;
  readonly lines: readonly (readonly [string, string])[];
}

export class HeatmapTooltip extends LitElement {
  static override properties = { content: { attribute: false } };
  declare content: TooltipContent | null;
  private placing = 0;

  constructor() {
    super();
    this.content = null;
    this.className = 'tooltip';
    this.setAttribute('role', 'tooltip');
    this.hidden = true;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override render(): unknown {
    const c = this.content;
    if (!c) return nothing;
    return html`<div class="tooltip-title">${c.title}</div>
      ${c.lines.map(([k, v]) => html`<div class="tooltip-line"><span>${k}</span><span class="num">${v}</span></div>`)}`;
  }

  /** Shows `content` near the pointer (client coordinates) inside `box`; null hides. */
  async place(content: TooltipContent | null, clientX: number, clientY: number, box: DOMRect): Promise<void> {
    const seq = ++this.placing;
    this.content = content;
    this.hidden = content === null;
    if (!content) return;
    await this.updateComplete;
    if (seq !== this.placing) return;
    const tw = this.offsetWidth,
      th = this.offsetHeight;
    let x = clientX - box.left + 14,
      y = clientY - box.top + 14;
    if (x + tw > box.width) x = clientX - box.left - tw - 10;
    if (y + th > box.height) y = Math.max(0, clientY - box.top - th - 10);
    this.style.left = `${Math.max(0, x)}px`;
    this.style.top = `${Math.max(0, y)}px`;
  }
}

customElements.define('ai-heatmap-tooltip', HeatmapTooltip);
