// What hovering a cell of a heads-grid tile says (webview/views/heads.ts thumbnailCellText): the
// token pair and its weight when the tile is at full resolution, the token ranges and the block's
// largest weight when it is max-pooled, "masked" where the mask (per item for sliding windows) says so.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { thumbnailCellText } from '../../webview/views/heads';

const tokens = ['the', 'cat', 'sat', 'on'];

describe('heads grid: a tile cell names its tokens on hover', () => {
  it('at full resolution: “query” → “key”: weight', () => {
    const data = Float32Array.from({ length: 2 * 16 }, (_, i) => i / 100);
    const t = { rows: 4, cols: 4, items: [], data, allowed: null };
    assert.equal(thumbnailCellText(t, 0, 2, 1, tokens, tokens), '“sat” → “cat”: 0.09');
    assert.equal(thumbnailCellText(t, 1, 3, 3, tokens, tokens), '“on” → “on”: 0.31');
  });

  it('max-pooled: the block and its largest weight, never token names it cannot be sure of', () => {
    const t = { rows: 2, cols: 2, items: [], data: Float32Array.from([0.5, 0.25, 0.125, 1]), allowed: null };
    assert.equal(
      thumbnailCellText(t, 0, 1, 0, tokens, tokens),
      'block 1, 0 of 2×2: max 0.13 (open the head for its tokens)',
    );
  });

  it('masked cells say so, with a per-item mask for sliding-window layers', () => {
    const t = {
      rows: 2,
      cols: 2,
      items: [],
      data: new Float32Array(8),
      allowed: null,
      itemAllowed: Uint8Array.from([1, 0, 1, 1, 1, 1, 0, 1]),
    };
    assert.equal(thumbnailCellText(t, 0, 0, 1, ['a', 'b'], ['a', 'b']), '“a” → “b”: masked');
    assert.equal(thumbnailCellText(t, 1, 1, 0, ['a', 'b'], ['a', 'b']), '“b” → “a”: masked');
    assert.equal(thumbnailCellText(t, 1, 0, 1, ['a', 'b'], ['a', 'b']), '“a” → “b”: 0');
  });

  it('any cell of a full-resolution tile names exactly its row and column tokens (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.nat(), (n, m, seed) => {
        const labels = Array.from({ length: n }, (_, i) => `q${i}`);
        const keys = Array.from({ length: m }, (_, j) => `k${j}`);
        const t = { rows: n, cols: m, items: [], data: new Float32Array(n * m), allowed: null };
        const r = seed % n,
          c = Math.floor(seed / n) % m;
        assert.equal(thumbnailCellText(t, 0, r, c, labels, keys), `“q${r}” → “k${c}”: 0`);
      }),
    );
  });
});
