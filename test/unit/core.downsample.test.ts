// Max-pooling (the heatmap's level of detail and the heads grid's thumbnails) against numpy.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { blockFor, buildPyramid, maxPool, maxPool2, poolToFit } from '../../src/core/downsample';
import { assertVectorClose } from '../helpers/close';

interface PoolCase {
  rows: number;
  cols: number;
  blockRows: number;
  blockCols: number;
  mode: 'max' | 'maxabs';
  data: number[];
  allowed: number[] | null;
  expected: number[];
  expectedAllowed: number[] | null;
  outRows: number;
  outCols: number;
}
const cases: PoolCase[] = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'panel', 'maxpool.json'), 'utf8'));

describe('protocol: max-pooling', () => {
  for (const c of cases) {
    it(`${c.rows}×${c.cols} by ${c.blockRows}×${c.blockCols}, ${c.mode}${c.allowed ? ', masked' : ''} matches numpy`, () => {
      const out = maxPool(
        {
          rows: c.rows,
          cols: c.cols,
          data: Float32Array.from(c.data),
          allowed: c.allowed ? Uint8Array.from(c.allowed) : null,
        },
        c.blockRows,
        c.blockCols,
        c.mode,
      );
      assert.equal(out.rows, c.outRows);
      assert.equal(out.cols, c.outCols);
      assertVectorClose(out.data, c.expected, 1e-6, 'pooled');
      if (c.expectedAllowed) assert.deepEqual(Array.from(out.allowed ?? []), c.expectedAllowed);
      else assert.equal(out.allowed, null);
    });
  }

  it('keeps a single sharp weight visible at every pyramid level', () => {
    const n = 1000;
    const data = new Float32Array(n * n).fill(1e-4);
    data[637 * n + 411] = 0.9;
    const levels = buildPyramid({ rows: n, cols: n, data, allowed: null }, 8);
    assert.ok(levels.length >= 7);
    for (const level of levels)
      assert.equal(
        level.data.reduce((a, b) => Math.max(a, b), 0),
        Math.fround(0.9),
      );
    const top = levels[levels.length - 1];
    assert.ok(top.rows <= 8 && top.cols <= 8);
  });

  it('pools to fit with one block size both ways', () => {
    const { grid, block } = poolToFit({ rows: 300, cols: 40, data: new Float32Array(12000), allowed: null }, 64, 64);
    assert.equal(block, 5);
    assert.deepEqual([grid.rows, grid.cols], [60, 8]);
    assert.equal(blockFor(64, 64), 1);
    assert.equal(blockFor(65, 64), 2);
  });

  it('never loses the maximum, and masked-out blocks stay masked (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (n, m, br, bc, seed) => {
          let x = seed >>> 0;
          const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
          const data = Float32Array.from({ length: n * m }, () => next() * 2 - 1);
          const allowed = Uint8Array.from({ length: n * m }, () => (next() < 0.7 ? 1 : 0));
          const out = maxPool({ rows: n, cols: m, data, allowed }, br, bc);
          let best = -Infinity;
          data.forEach((v, k) => {
            if (allowed[k]) best = Math.max(best, v);
          });
          const pooled = Array.from(out.data).filter((_, k) => out.allowed![k] === 1);
          if (best === -Infinity) return pooled.length === 0;
          return Math.max(...pooled) === best;
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('rejects non-integer blocks', () => {
    assert.throws(
      () => maxPool({ rows: 2, cols: 2, data: new Float32Array(4), allowed: null }, 0, 1),
      /positive integers/,
    );
  });
});

describe('protocol: the 2×2 fast path', () => {
  it('equals the general pooling on any shape (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 17 }), fc.integer(), (n, m, seed) => {
        let x = seed >>> 0;
        const data = Float32Array.from(
          { length: n * m },
          () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5,
        );
        const grid = { rows: n, cols: m, data, allowed: null };
        const a = maxPool2(grid),
          b = maxPool(grid, 2, 2, 'max');
        return a.rows === b.rows && a.cols === b.cols && a.data.every((v, k) => v === b.data[k]);
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});
