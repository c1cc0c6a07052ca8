// Heatmap geometry: square cells, the visible window at a zoom, point ↔ cell, zoom anchoring, levels.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cellAt,
  cellRect,
  computeLayout,
  labelStride,
  levelFor,
  maxZoom,
  MAX_CELL,
  viewportAt,
  zoomAround,
} from '../../webview/layout';

const base = { maxWidth: 1000, maxPlot: 400, rowLabelWidth: 60, colLabelHeight: 40, bar: true, legend: true };

describe('webview: heatmap layout', () => {
  it('gives square cells, the longer side taking the room', () => {
    const l = computeLayout({ ...base, n: 100, m: 50 });
    assert.equal(l.plot.h, 400);
    assert.equal(l.plot.w, 200);
    assert.ok(l.bar.x > l.plot.x + l.plot.w && l.bar.w > 0);
    assert.ok(l.legend.y > l.plot.y + l.plot.h);
    assert.ok(l.width >= l.bar.x + l.bar.w && l.height >= l.legend.y + l.legend.h);
  });

  it('caps cells for tiny matrices and keeps thin strips visible', () => {
    assert.equal(computeLayout({ ...base, n: 3, m: 3 }).plot.w, 3 * MAX_CELL);
    const strip = computeLayout({ ...base, n: 2, m: 4000 });
    assert.equal(strip.plot.w, 400);
    assert.ok(strip.plot.h >= 48);
  });

  it('fits narrow panels', () => {
    const l = computeLayout({ ...base, n: 64, m: 64, maxWidth: 300 });
    assert.ok(l.plot.w <= 300 - 60 - 58);
  });

  it('clamps the window inside the matrix', () => {
    assert.deepEqual(viewportAt(100, 200, 1, 3, 3), { row0: 0, col0: 0, rows: 100, cols: 200 });
    assert.deepEqual(viewportAt(100, 200, 4, 99, 0), { row0: 75, col0: 0, rows: 25, cols: 50 });
  });

  it('maps points to cells and back (property)', () => {
    const plot = { x: 50, y: 30, w: 400, h: 300 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.double({ min: 1, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, m, zoom, u, v) => {
          const view = viewportAt(n, m, zoom, n * u, m * v);
          const row = Math.min(n - 1, Math.floor(view.row0 + view.rows / 2));
          const col = Math.min(m - 1, Math.floor(view.col0 + view.cols / 2));
          const r = cellRect(plot, view, row, col);
          const hit = cellAt(
            plot,
            view,
            Math.min(plot.x + plot.w - 1e-6, Math.max(plot.x, r.x + r.w / 2)),
            Math.min(plot.y + plot.h - 1e-6, Math.max(plot.y, r.y + r.h / 2)),
          );
          return hit !== null && hit.row === row && hit.col === col;
        },
      ),
      { seed: 5, numRuns: 300 },
    );
    assert.equal(cellAt(plot, viewportAt(3, 3, 1, 1.5, 1.5), 10, 10), null);
  });

  it('keeps the anchored cell under the pointer when zooming (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 5000 }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.double({ min: 0.1, max: 0.9, noNaN: true }),
        (n, z0, z1, f) => {
          const view = viewportAt(n, n, z0, n / 2, n / 2);
          const anchor = view.row0 + view.rows * f;
          const c = zoomAround(n, n, view, z0, z1, anchor, anchor);
          const next = viewportAt(n, n, z1, c.row, c.col);
          const f1 = (anchor - next.row0) / next.rows;
          // Clamping at the edges may move it; inside it must stay where it was.
          const clamped = next.row0 === 0 || next.row0 + next.rows >= n - 1e-9;
          return clamped || Math.abs(f1 - f) < 1e-6;
        },
      ),
      { seed: 9, numRuns: 300 },
    );
  });

  it('chooses the pyramid level so no more cells than pixels are drawn', () => {
    const whole = viewportAt(8192, 8192, 1, 4096, 4096);
    assert.equal(levelFor(whole, 1000, 1000, 14), 4); // 8.2 cells per pixel → 16×16 blocks: 512 on 1000 px
    assert.equal(levelFor(viewportAt(1024, 1024, 1, 512, 512), 1024, 1024, 11), 0);
    assert.equal(levelFor(viewportAt(1025, 1025, 1, 512, 512), 1024, 1024, 11), 1);
    assert.equal(levelFor(viewportAt(8192, 8192, 16, 4096, 4096), 1000, 1000, 14), 0);
    assert.equal(levelFor(whole, 1000, 1000, 2), 1, 'clamped to the levels there are');
    assert.equal(maxZoom(3, 3, { x: 0, y: 0, w: 216, h: 216 }), 1);
    assert.ok(maxZoom(2048, 2048, { x: 0, y: 0, w: 400, h: 400 }) > 200);
  });

  it('spaces labels at round strides', () => {
    assert.equal(labelStride(20, 12), 1);
    assert.equal(labelStride(5, 12), 5);
    assert.equal(labelStride(0.3, 12), 50);
  });
});
