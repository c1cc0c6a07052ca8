// Colour mapping: the maps against matplotlib's published tables at entries between our stops, the
// value → entry mapping, and the properties a reader relies on (lightness rises with the value).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  colorAt,
  lookupTable,
  lutIndex,
  packRgba,
  scalePosition,
  unpackRgba,
  luminance,
  SEQUENTIAL,
  DIVERGING,
} from '../../webview/colormap';

// matplotlib's _viridis_data / _cividis_data at entries that are not among our 17 stops.
const REFERENCE: [name: 'viridis' | 'cividis', index: number, rgb: [number, number, number]][] = [
  ['viridis', 50, [0.255645, 0.260703, 0.528312]],
  ['viridis', 100, [0.166617, 0.463708, 0.558119]],
  ['viridis', 200, [0.440137, 0.811138, 0.340967]],
  ['viridis', 230, [0.741388, 0.873449, 0.149561]],
  ['cividis', 100, [0.394568, 0.406236, 0.438986]],
  ['cividis', 200, [0.769353, 0.707035, 0.408516]],
];

describe('webview: colour maps', () => {
  for (const [name, index, rgb] of REFERENCE) {
    it(`${name}[${index}] is within 1/100 of matplotlib`, () => {
      const got = colorAt(name, index / 255);
      rgb.forEach((c, k) =>
        assert.ok(Math.abs(got[k] - c) < 0.01, `${name}[${index}] channel ${k}: ${got[k]} vs ${c}`),
      );
    });
  }

  it('ends at the published endpoints', () => {
    assert.deepEqual(unpackRgba(lookupTable('viridis')[0]), [68, 1, 84, 255]);
    assert.deepEqual(unpackRgba(lookupTable('viridis')[255]), [253, 231, 37, 255]);
    assert.deepEqual(unpackRgba(lookupTable('blue-white-red')[0]), [5, 48, 97, 255]);
    assert.deepEqual(unpackRgba(lookupTable('blue-white-red')[255]), [103, 0, 31, 255]);
  });

  it('sequential maps get lighter as the value grows (property)', () => {
    for (const name of SEQUENTIAL) {
      const lut = lookupTable(name);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 254 }),
          fc.integer({ min: 1, max: 32 }),
          (k, d) => luminance(lut[Math.min(255, k + d)]) >= luminance(lut[k]) - 2e-3,
        ),
        { seed: 3 },
      ); // 8-bit rounding
    }
  });

  it('diverging maps are centred: 0 is the middle colour, ±v equally far from it', () => {
    for (const name of DIVERGING) {
      const scale = { kind: 'diverging', absMax: 4 } as const;
      assert.equal(scalePosition(scale, 0), 0.5);
      assert.equal(scalePosition(scale, 4), 1);
      assert.equal(scalePosition(scale, -9), 0);
      assert.equal(lutIndex(scale, 2) + lutIndex(scale, -2), 255, name);
    }
    // 256 entries have no exact middle: 0 takes entry 128, a hair from ColorBrewer's #f7f7f7.
    for (const c of unpackRgba(lookupTable('blue-white-red')[lutIndex({ kind: 'diverging', absMax: 1 }, 0)]).slice(
      0,
      3,
    ))
      assert.ok(Math.abs(c - 247) <= 2);
  });

  it('maps values to entries: lo → 0, hi → 255, rounding to the nearest', () => {
    const s = { kind: 'sequential', lo: 0, hi: 1 } as const;
    assert.equal(lutIndex(s, 0), 0);
    assert.equal(lutIndex(s, 1), 255);
    assert.equal(lutIndex(s, 0.5), 128);
    assert.equal(lutIndex(s, 2), 255);
    assert.equal(lutIndex(s, Number.NaN), 0);
    assert.equal(lutIndex({ kind: 'sequential', lo: 0, hi: 0 }, 5), 0);
  });

  it('packs pixels in ImageData byte order', () => {
    const bytes = new Uint8Array(new Uint32Array([packRgba(1, 2, 3, 4)]).buffer);
    assert.deepEqual(Array.from(bytes), [1, 2, 3, 4]);
  });
});
