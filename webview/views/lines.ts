// The lines tab (BertViz's head view): every head of the current layer as lines from query tokens
// on the left to key tokens on the right, opacity = weight, one colour per head. A checkbox per head
// shows or hides its colour; hovering a token isolates its lines. The picture is linesCanvas.ts.
import { html, nothing } from 'lit';
import { ref } from 'lit/directives/ref.js';
import type { HeadPayload } from '../../src/protocol/messages';
import type { Figure, PanelContext } from '../context';
import { copyCanvas, registerCleanCanvas } from '../heatmap/exportable';
import { LINE_THRESHOLD, type LinesData, LinesCanvas, headColor } from '../linesCanvas';
import { headAtFactor } from '../live';
import { TabView } from './tabView';

const CAPTION = `Each line joins a query token (left) to a key token (right); its opacity is the attention weight (weights below ${LINE_THRESHOLD} are not drawn). Every head of the layer is overlaid in its own colour: untick a head to hide it. Hover a token to see only its lines.`;

export class LinesView extends TabView {
  private readonly picture: LinesCanvas;
  /** The sentence shown instead of (a long input) or above (a failed load) the picture; null: none. */
  private note: string | null = null;
  private key = '';
  private loading = 0;
  private heads: HeadPayload[] = [];
  private readonly hiddenHeads = new Set<number>();
  /** The factor the picture's weights were computed at (re-softmaxed only when it moves). */
  private factorDrawn: number | null = null;

  constructor(ctx: PanelContext) {
    super(ctx, 'lines');
    this.picture = new LinesCanvas(ctx.theme, () => (this.clientWidth || window.innerWidth || 800) - 100);
    this.picture.canvas.setAttribute('aria-label', 'Attention lines: query tokens left, key tokens right');
    registerCleanCanvas(this.picture.canvas, () => {
      this.picture.render(false);
      const copy = copyCanvas(this.picture.canvas);
      this.picture.render();
      return copy;
    });
    const canvas = this.picture.canvas;
    canvas.addEventListener('pointermove', (e) => {
      const box = canvas.getBoundingClientRect();
      const g = this.picture.geometry;
      if (!g) return;
      const hover = this.picture.tokenAt(
        ((e.clientX - box.left) / box.width) * g.width,
        ((e.clientY - box.top) / box.height) * g.height,
      );
      const was = this.picture.getHover();
      if (hover?.side === was?.side && hover?.index === was?.index) return;
      this.picture.setHover(hover);
      this.picture.render();
    });
    canvas.addEventListener('pointerleave', () => {
      if (this.picture.getHover() === null) return;
      this.picture.setHover(null);
      this.picture.render();
    });
  }

  protected override render(): unknown {
    const theme = this.ctx.theme;
    return html`<p class="caption">${CAPTION}</p>
      <p class="note" ?hidden=${this.note === null}>${this.note ?? nothing}</p>
      <div class="lines-body" ?hidden=${this.ctx.overview.pooled !== undefined}>
        <div class="lines-heads" role="group" aria-label="Heads shown">
          ${this.heads.map((p, h) => {
            const head = p.head as number;
            return html`<label class="lines-head"
              ><input
                type="checkbox"
                data-head=${String(head)}
                .checked=${!this.hiddenHeads.has(head)}
                @change=${(e: Event) => this.toggle(head, (e.target as HTMLInputElement).checked)}
              /><span
                class="lines-swatch"
                aria-hidden="true"
                ${ref(swatch(headColor(theme, h, this.heads.length)))}
              ></span
              >head ${head}</label
            >`;
          })}
        </div>
        ${this.picture.canvas}
      </div>`;
  }

  protected override redraw(): void {
    const ctx = this.ctx;
    this.picture.setTheme(ctx.theme);
    if (ctx.overview.pooled) {
      this.note = `The lines view draws one line per pair of tokens; this input of ${ctx.overview.pooled.tokens} tokens is shown in blocks of ${ctx.overview.pooled.cell}, so open a shorter part of it to see its lines.`;
      return;
    }
    this.note = null;
    const key = `${ctx.payload.layer}:${ctx.payload.mask}:${ctx.overview.n}:${ctx.overview.m}:${ctx.overview.title}`;
    if (key !== this.key) {
      this.key = key;
      const ticket = ++this.loading;
      void ctx.layerHeads().then(
        (heads) => {
          if (ticket !== this.loading) return;
          this.heads = heads;
          this.hiddenHeads.clear();
          this.draw(true);
          this.requestUpdate();
        },
        (e: unknown) => {
          if (ticket !== this.loading) return;
          this.note = `Could not load the heads of layer ${ctx.payload.layer}: ${e instanceof Error ? e.message : String(e)}`;
          this.requestUpdate();
        },
      );
    } else this.draw(this.factorDrawn !== ctx.factor);
  }

  protected override redrawFactor(): void {
    if (this.heads.length) this.draw(this.factorDrawn !== this.ctx.factor);
  }

  private toggle(head: number, shown: boolean): void {
    if (shown) this.hiddenHeads.delete(head);
    else this.hiddenHeads.add(head);
    this.draw(false);
  }
  /** The weights at the slider's factor (re-softmaxed from the logits when the factor moved). */
  private data(): LinesData {
    const ctx = this.ctx;
    const n = ctx.overview.n,
      m = ctx.overview.m;
    return {
      n,
      m,
      tokens: ctx.overview.tokens,
      keyTokens: ctx.overview.keyTokens,
      heads: this.heads.map((p) => ({
        head: p.head as number,
        weights: ctx.factor !== null && p.factor !== null ? headAtFactor(p, ctx.factor).weights : p.weights,
      })),
    };
  }

  /** Draws the picture; `fresh`: the weights changed (new heads or factor), so they are re-read. */
  private draw(fresh: boolean): void {
    if (this.heads.length === 0) return;
    if (fresh) {
      this.picture.setData(this.data());
      this.factorDrawn = this.ctx.factor;
    }
    this.picture.setVisible(new Set(this.heads.map((p) => p.head as number).filter((h) => !this.hiddenHeads.has(h))));
    this.picture.render();
  }

  async figure(): Promise<Figure> {
    const ctx = this.ctx;
    const shown = this.heads.filter((p) => !this.hiddenHeads.has(p.head as number)).map((p) => p.head);
    return {
      title: `${ctx.overview.title} — lines, layer ${ctx.payload.layer}, heads ${shown.join(', ')}`,
      rows: [[{ canvas: this.picture.canvas }]],
    };
  }
}

/** Colours a swatch through the CSSOM (a style attribute would break the page's CSP). */
function swatch(color: string): (e: Element | undefined) => void {
  return (e) => {
    if (e instanceof HTMLElement) e.style.backgroundColor = color;
  };
}

customElements.define('ai-lines-view', LinesView);
