// Matrix → pixels: each value's table entry, masked cells in the masked colour, windows of a level.
import * as assert from 'node:assert/strict';
import { lookupTable, lutIndex } from '../../webview/colormap';
import { absMax, coveringWindow, maxValue, rasterize, upperQuantile } from '../../webview/raster';

describe('webview: rasterizing', () => {
  it('writes each cell’s colour and marks masked cells', () => {
    const data = Float32Array.from([0, 0.25, 0.5, 1, 0.75, 0.1]);
    const allowed = Uint8Array.from([1, 1, 0, 1, 1, 1]);
    const lut = lookupTable('viridis');
    const out = new Uint32Array(6);
    const mask = new Uint8ClampedArray(24);
    const scale = { kind: 'sequential', lo: 0, hi: 1 } as const;
    rasterize(
      { rows: 2, cols: 3, data, allowed },
      { row0: 0, col0: 0, rows: 2, cols: 3 },
      scale,
      lut,
      0xdeadbeef,
      out,
      mask,
    );
    assert.equal(out[2], 0xdeadbeef);
    for (const k of [0, 1, 3, 4, 5]) assert.equal(out[k], lut[lutIndex(scale, data[k])], `cell ${k}`);
    assert.deepEqual([mask[3], mask[11], mask[15]], [0, 255, 0]);
  });

  it('rasterizes a window and centres diverging values', () => {
    const data = Float32Array.from([-2, 0, 2, 1, -1, 0, 5, 5, 5]);
    const lut = lookupTable('blue-white-red');
    const out = new Uint32Array(2);
    const scale = { kind: 'diverging', absMax: 2 } as const;
    rasterize({ rows: 3, cols: 3, data, allowed: null }, { row0: 1, col0: 1, rows: 1, cols: 2 }, scale, lut, 0, out);
    assert.equal(out[0], lut[lutIndex(scale, -1)]);
    assert.equal(out[1], lut[lutIndex(scale, 0)]);
  });

  it('covers a fractional viewport with whole cells of a level', () => {
    const grid = { rows: 64, cols: 64, data: new Float32Array(64 * 64), allowed: null };
    assert.deepEqual(coveringWindow(grid, 4, 10.5, 3.2, 40, 100), { row0: 2, col0: 0, rows: 11, cols: 26 });
  });

  it('finds the ranges over allowed cells only', () => {
    const data = Float32Array.from([-9, 1, 3, -2]);
    assert.equal(absMax(data, null), 9);
    assert.equal(absMax(data, Uint8Array.from([0, 1, 1, 1])), 3);
    assert.equal(maxValue(data, Uint8Array.from([1, 1, 0, 1])), 1);
    assert.equal(maxValue(data, Uint8Array.from([0, 0, 0, 0])), 0);
  });

  it('stretches to a high quantile that one outlier cannot flatten', () => {
    const data = Float32Array.from({ length: 1000 }, (_, k) => (k === 0 ? 1 : (k % 100) / 1000));
    assert.equal(upperQuantile(data, null), Math.fround(0.099));
    assert.equal(upperQuantile(data, null, 1), 1);
    assert.equal(upperQuantile(Float32Array.from([5, 1]), Uint8Array.from([0, 1])), 1);
    assert.equal(upperQuantile(Float32Array.from([5]), Uint8Array.from([0])), 0);
  });
});
