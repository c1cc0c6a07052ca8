// The lines tab (BertViz's head view): every head of the current layer as lines from query tokens
// on the left to key tokens on the right, opacity = weight, one colour per head. A checkbox per head
// shows or hides its colour; hovering a token isolates its lines. The picture is linesCanvas.ts.
import type { HeadPayload } from '../../src/protocol/messages';
import type { Figure, PanelContext, View } from '../context';
import { clear, el } from '../dom';
import { copyCanvas, registerCleanCanvas } from '../heatmap/exportable';
import { LINE_THRESHOLD, type LinesData, LinesCanvas, headColor } from '../linesCanvas';
import { headAtFactor } from '../live';

export class LinesView implements View {
  readonly element: HTMLElement;
  private readonly picture: LinesCanvas;
  private readonly toggles: HTMLElement;
  private readonly note: HTMLElement;
  private readonly body: HTMLElement;
  private key = '';
  private loading = 0;
  private heads: HeadPayload[] = [];
  private readonly hidden = new Set<number>();
  private ctx: PanelContext | null = null;
  /** The factor the picture's weights were computed at (re-softmaxed only when it moves). */
  private factorDrawn: number | null = null;

  constructor(ctx: PanelContext) {
    this.picture = new LinesCanvas(ctx.theme, () => (this.element.clientWidth || window.innerWidth || 800) - 100);
    this.picture.canvas.setAttribute('aria-label', 'Attention lines: query tokens left, key tokens right');
    registerCleanCanvas(this.picture.canvas, () => {
      this.picture.render(false);
      const copy = copyCanvas(this.picture.canvas);
      this.picture.render();
      return copy;
    });
    this.toggles = el('div', { cls: 'lines-heads', attrs: { role: 'group', 'aria-label': 'Heads shown' } });
    this.note = el('p', { cls: 'note', attrs: { hidden: '' } });
    this.body = el('div', { cls: 'lines-body' }, this.toggles, this.picture.canvas);
    this.element = el(
      'div',
      { cls: 'view view-lines' },
      el('p', {
        cls: 'caption',
        text: `Each line joins a query token (left) to a key token (right); its opacity is the attention weight (weights below ${LINE_THRESHOLD} are not drawn). Every head of the layer is overlaid in its own colour: untick a head to hide it. Hover a token to see only its lines.`,
      }),
      this.note,
      this.body,
    );
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

  update(ctx: PanelContext): void {
    this.ctx = ctx;
    this.picture.setTheme(ctx.theme);
    if (ctx.overview.pooled) {
      this.body.hidden = true;
      this.note.hidden = false;
      this.note.textContent = `The lines view draws one line per pair of tokens; this input of ${ctx.overview.pooled.tokens} tokens is shown in blocks of ${ctx.overview.pooled.cell}, so open a shorter part of it to see its lines.`;
      return;
    }
    this.body.hidden = false;
    this.note.hidden = true;
    const key = `${ctx.payload.layer}:${ctx.payload.mask}:${ctx.overview.n}:${ctx.overview.m}:${ctx.overview.title}`;
    if (key !== this.key) {
      this.key = key;
      const ticket = ++this.loading;
      void ctx.layerHeads().then(
        (heads) => {
          if (ticket !== this.loading) return;
          this.heads = heads;
          this.hidden.clear();
          this.buildToggles();
          this.draw(true);
        },
        (e: unknown) => {
          if (ticket !== this.loading) return;
          this.note.hidden = false;
          this.note.textContent = `Could not load the heads of layer ${ctx.payload.layer}: ${e instanceof Error ? e.message : String(e)}`;
        },
      );
    } else this.draw(this.factorDrawn !== ctx.factor);
  }

  updateFactor(ctx: PanelContext): void {
    this.ctx = ctx;
    if (this.heads.length) this.draw(this.factorDrawn !== ctx.factor);
  }

  private buildToggles(): void {
    const ctx = this.ctx as PanelContext;
    clear(this.toggles);
    this.heads.forEach((p, h) => {
      const head = p.head as number;
      const box = el('input', { attrs: { type: 'checkbox', 'data-head': String(head) } }) as HTMLInputElement;
      box.checked = true;
      box.addEventListener('change', () => {
        if (box.checked) this.hidden.delete(head);
        else this.hidden.add(head);
        this.draw(false);
      });
      const swatch = el('span', { cls: 'lines-swatch', attrs: { 'aria-hidden': 'true' } });
      swatch.style.backgroundColor = headColor(ctx.theme, h, this.heads.length);
      this.toggles.append(el('label', { cls: 'lines-head' }, box, swatch, `head ${head}`));
    });
  }

  /** The weights at the slider's factor (re-softmaxed from the logits when the factor moved). */
  private data(): LinesData {
    const ctx = this.ctx as PanelContext;
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
    if (!this.ctx || this.heads.length === 0) return;
    if (fresh) {
      this.picture.setData(this.data());
      this.factorDrawn = this.ctx.factor;
    }
    this.picture.setVisible(new Set(this.heads.map((p) => p.head as number).filter((h) => !this.hidden.has(h))));
    this.picture.render();
  }

  async figure(ctx: PanelContext): Promise<Figure> {
    const shown = this.heads.filter((p) => !this.hidden.has(p.head as number)).map((p) => p.head);
    return {
      title: `${ctx.overview.title} — lines, layer ${ctx.payload.layer}, heads ${shown.join(', ')}`,
      rows: [[{ canvas: this.picture.canvas }]],
    };
  }
}
