// How a person works a heatmap: hover (tooltip), click (lock a row), drag to pan while zoomed,
// Ctrl/⌘+wheel to zoom, and the keyboard (arrows move the cursor, Enter locks, Escape unlocks,
// + − 0 zoom). Reports through the heatmap's callbacks; never changes the view itself.
import type { HeatmapLayout, Viewport } from '../layout';
import type { Cell, HeatmapCallbacks, HeatmapHighlight, HeatmapModel } from './types';

/** What the input handling reads from and asks of its heatmap. */
export interface InputTarget {
  readonly canvas: HTMLCanvasElement;
  readonly callbacks: HeatmapCallbacks;
  readonly model: HeatmapModel | null;
  readonly layout: HeatmapLayout | null;
  readonly zoom: number;
  readonly highlight: HeatmapHighlight;
  /** The last pointer position over the canvas (null: outside). */
  pointer: { x: number; y: number } | null;
  viewport(): Viewport;
  eventCell(e: { clientX: number; clientY: number }): Cell | null;
  zoomBy(ratio: number, anchor?: Cell): void;
  showTooltip(cell: Cell | null, clientX: number, clientY: number): void;
  requestRender(): void;
}

export class HeatmapInput {
  private drag: { x: number; y: number; moved: boolean; center: Cell } | null = null;

  constructor(private readonly h: InputTarget) {
    this.listen();
  }

  private listen(): void {
    const c = this.h.canvas;
    c.addEventListener('pointermove', (e) => {
      this.h.pointer = { x: e.clientX, y: e.clientY };
      if (this.drag) {
        const dx = e.clientX - this.drag.x,
          dy = e.clientY - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) this.drag.moved = true;
        if (this.drag.moved && this.h.zoom > 1 && this.h.layout) {
          const view = this.h.viewport();
          const box = c.getBoundingClientRect();
          const scale = box.width / this.h.layout.width;
          const col = this.drag.center.col - (dx / scale / this.h.layout.plot.w) * view.cols;
          const row = this.drag.center.row - (dy / scale / this.h.layout.plot.h) * view.rows;
          this.h.callbacks.view?.(this.h.zoom, { row, col });
          return;
        }
      }
      const cell = this.h.eventCell(e);
      this.h.callbacks.hover?.(cell);
      this.h.showTooltip(cell, e.clientX, e.clientY);
    });
    c.addEventListener('pointerleave', () => {
      this.h.pointer = null;
      this.h.callbacks.hover?.(null);
      this.h.showTooltip(null, 0, 0);
    });
    c.addEventListener('pointerdown', (e) => {
      const v = this.h.viewport();
      this.drag = {
        x: e.clientX,
        y: e.clientY,
        moved: false,
        center: { row: v.row0 + v.rows / 2, col: v.col0 + v.cols / 2 },
      };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointerup', (e) => {
      const drag = this.drag;
      this.drag = null;
      if (drag && !drag.moved) {
        const cell = this.h.eventCell(e);
        if (cell) this.h.callbacks.click?.(cell);
      }
    });
    c.addEventListener(
      'wheel',
      (e) => {
        if (!(e.ctrlKey || e.metaKey) || !this.h.model || !this.h.layout) return;
        e.preventDefault();
        const cell = this.h.eventCell(e) ?? { row: this.h.model.n / 2, col: this.h.model.m / 2 };
        this.h.zoomBy(Math.pow(1.0015, -e.deltaY), cell);
      },
      { passive: false },
    );
    c.addEventListener('keydown', (e) => this.onKey(e));
    c.addEventListener('focus', () => this.h.requestRender());
    c.addEventListener('blur', () => this.h.requestRender());
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.h.model) return;
    const { n, m } = this.h.model;
    const cur = this.h.highlight.cursor ?? { row: 0, col: 0 };
    const step = e.shiftKey ? 10 : 1;
    let next: Cell | null = null;
    switch (e.key) {
      case 'ArrowUp':
        next = { row: Math.max(0, cur.row - step), col: cur.col };
        break;
      case 'ArrowDown':
        next = { row: Math.min(n - 1, cur.row + step), col: cur.col };
        break;
      case 'ArrowLeft':
        next = { row: cur.row, col: Math.max(0, cur.col - step) };
        break;
      case 'ArrowRight':
        next = { row: cur.row, col: Math.min(m - 1, cur.col + step) };
        break;
      case 'Home':
        next = { row: cur.row, col: 0 };
        break;
      case 'End':
        next = { row: cur.row, col: m - 1 };
        break;
      case 'Enter':
      case ' ':
        this.h.callbacks.lock?.(cur.row);
        break;
      case 'Escape':
        this.h.callbacks.lock?.(null);
        break;
      case '+':
      case '=':
        this.h.zoomBy(1.5, cur);
        break;
      case '-':
        this.h.zoomBy(1 / 1.5, cur);
        break;
      case '0':
        this.h.callbacks.view?.(1, { row: n / 2, col: m / 2 });
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next) {
      this.h.callbacks.cursor?.(next);
      this.ensureVisible(next);
    }
  }

  private ensureVisible(cell: Cell): void {
    if (this.h.zoom <= 1) return;
    const v = this.h.viewport();
    if (cell.row >= v.row0 && cell.row + 1 <= v.row0 + v.rows && cell.col >= v.col0 && cell.col + 1 <= v.col0 + v.cols)
      return;
    this.h.callbacks.view?.(this.h.zoom, { row: cell.row + 0.5, col: cell.col + 0.5 });
  }
}
