// One query, step by step, as the paper walks through "I" in "I go home": the query vector q, its
// dot product with every key, the scaling, the softmax weights, and the weighted sum of the value
// vectors that becomes the output.
import { barChart } from '../charts';
import type { PanelContext } from '../context';
import { clear, el } from '../dom';
import { describeFactor, displayToken, formatNumber } from '../format';
import { keysToShow, queryStep } from '../live';

const MAX_KEYS = 16;
const MAX_DIMS = 8;
/** How much of the step-by-step a click on a row brings into view, and how far from the top the row stays. */
const REVEAL_PX = 180;
const KEEP_TOP_PX = 48;

function vectorText(v: ArrayLike<number>, limit = 12): string {
  const shown = Array.from({ length: Math.min(v.length, limit) }, (_, i) => formatNumber(v[i], 2));
  return `[${shown.join(', ')}${v.length > limit ? `, … (${v.length} values)` : ''}]`;
}

function cell(text: string, cls = ''): HTMLTableCellElement {
  return el('td', { cls, text });
}

export class StepView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private key = '';

  constructor() {
    this.body = el('div', { cls: 'step-body' });
    this.element = el(
      'section',
      { cls: 'view-section step' },
      el('h2', { text: 'One query, step by step' }),
      this.body,
    );
  }

  /**
   * After a click on a row at `anchorY` (client pixels): when the step-by-step starts below the
   * panel's fold, scrolls the page up until its heading and first lines show, but never so far that
   * the clicked row leaves the top of the panel (the click's result is seen; the row stays put).
   */
  reveal(anchorY: number | null): void {
    requestAnimationFrame(() => {
      const top = this.element.getBoundingClientRect().top;
      const wanted = top - (window.innerHeight - REVEAL_PX);
      const room = anchorY === null ? wanted : anchorY - KEEP_TOP_PX;
      const by = Math.min(wanted, room);
      if (by > 0) window.scrollBy({ top: by, behavior: 'instant' });
    });
  }

  update(ctx: PanelContext): void {
    const p = ctx.payload;
    const row = ctx.focusRow;
    const key = `${p.layer}:${p.head}:${p.mask}:${p.variant}:${ctx.live.factor}:${row}:${ctx.theme.kind}:${ctx.theme.background}`;
    if (key === this.key) return;
    this.key = key;
    clear(this.body);
    const { tokens, keyTokens } = ctx.overview;
    const step = queryStep(p, ctx.live, row);
    const f = ctx.live.factor;
    const token = tokens[row];
    const intro = el('p', { cls: 'caption' });
    intro.append(
      `Query “`,
      el('strong', { cls: 'token', text: displayToken(token, 40) }),
      `” (row ${row}${ctx.state.lockedRow === null ? ', click a row to pick another' : ''}). `,
      step.q
        ? 'It compares its query vector q with every key vector k by a dot product, multiplies by the factor, and softmax turns the results into weights that sum to 1.'
        : p.dots
          ? 'This input gives the scores q·k themselves, not the vectors q and k: the steps below start from those scores, scaled by the factor, and softmax turns them into weights that sum to 1.'
          : 'This input gives weights only, so the steps before softmax are not known.',
    );
    this.body.append(intro);
    if (step.q)
      this.body.append(
        el(
          'p',
          { cls: 'mono' },
          el('span', { cls: 'muted', text: `q (d_k = ${step.q.length}) = ` }),
          vectorText(step.q),
        ),
      );

    const order = keysToShow(step.weights, MAX_KEYS);
    const table = el('table', { cls: 'step-table' });
    const head = el('tr');
    head.append(
      el('th', { text: 'key' }),
      ...(step.dots.some((d) => d !== null)
        ? [el('th', { text: 'q·k' }), el('th', { text: f !== null ? `× ${describeFactor(f, p.dK)}` : 'scaled' })]
        : []),
      el('th', { text: 'softmax weight' }),
    );
    table.append(el('thead', {}, head));
    const tbody = el('tbody');
    const hasDots = step.dots.some((d) => d !== null);
    for (const j of order) {
      const masked = p.allowed !== null && p.allowed[row * p.m + j] === 0;
      const tr = el('tr', { cls: masked ? 'masked' : '' });
      tr.append(el('td', { cls: 'token', text: displayToken(keyTokens[j], 24) }));
      if (hasDots)
        tr.append(
          cell(masked ? 'masked' : formatNumber(step.dots[j] ?? NaN), 'num'),
          cell(masked ? '—' : formatNumber(step.scaled[j] ?? NaN), 'num'),
        );
      tr.append(cell(masked ? '0 (masked)' : formatNumber(step.weights[j]), 'num'));
      tbody.append(tr);
    }
    const total = step.weights.reduce((a, b) => a + b, 0);
    const sumRow = el('tr', { cls: 'sum' });
    sumRow.append(el('td', { text: order.length < p.m ? `sum over all ${p.m} keys` : 'sum' }));
    if (hasDots) sumRow.append(cell(''), cell(''));
    sumRow.append(cell(formatNumber(total), 'num'));
    tbody.append(sumRow);
    table.append(tbody);

    const maxW = Math.max(...order.map((j) => step.weights[j]), 1e-12);
    const bars = barChart(
      order.map((j) => ({ label: displayToken(keyTokens[j], 14), value: step.weights[j], color: ctx.theme.series[0] })),
      {
        width: 320,
        max: maxW,
        theme: ctx.theme,
        title: `weights of “${displayToken(token, 16)}”`,
      },
    );
    this.body.append(el('div', { cls: 'step-row' }, table, bars));
    if (order.length < p.m)
      this.body.append(
        el('p', { cls: 'muted', text: `Showing the ${order.length} keys with the largest weights of ${p.m}.` }),
      );
    this.body.append(
      el('p', {
        cls: 'formula mono',
        text: 'weightⱼ = exp(sⱼ − max s) / Σₖ exp(sₖ − max s),  with sⱼ = q·kⱼ × factor',
      }),
    );

    if (step.output && p.v && p.dV !== null) {
      const dims = Math.min(p.dV, MAX_DIMS);
      const out = el('table', { cls: 'step-table values' });
      const hr = el('tr');
      hr.append(el('th', { text: 'weight × value vector' }));
      for (let d = 0; d < dims; d++) hr.append(el('th', { text: `v[${d}]` }));
      if (p.dV > dims) hr.append(el('th', { text: '…' }));
      out.append(el('thead', {}, hr));
      const ob = el('tbody');
      const top = keysToShow(step.weights, 5);
      for (const j of top) {
        const tr = el('tr');
        tr.append(
          el('td', {
            cls: 'token',
            text: `${formatNumber(step.weights[j], 2)} × v(“${displayToken(keyTokens[j], 12)}”)`,
          }),
        );
        for (let d = 0; d < dims; d++) tr.append(cell(formatNumber(step.weights[j] * p.v[j * p.dV + d], 2), 'num'));
        if (p.dV > dims) tr.append(cell('…'));
        ob.append(tr);
      }
      const or = el('tr', { cls: 'sum' });
      or.append(el('td', { text: top.length < p.m ? `output = Σ over all ${p.m} keys` : 'output = sum' }));
      for (let d = 0; d < dims; d++) or.append(cell(formatNumber(step.output[d], 3), 'num'));
      if (p.dV > dims) or.append(cell('…'));
      ob.append(or);
      out.append(ob);
      this.body.append(
        el('h3', { text: 'The output: a weighted average of the value vectors' }),
        el('p', {
          cls: 'caption',
          text: `Each key also carries a value vector v (d_v = ${p.dV}). The query’s output is the sum of the value vectors, each multiplied by its weight: keys with large weights contribute most.`,
        }),
        out,
      );
    }
  }
}
