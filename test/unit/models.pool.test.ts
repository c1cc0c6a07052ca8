// The real models' products on the worker pool: matmulFast splits output columns over the workers
// and must give exactly the bits of the one-thread kernels (same kernel, same k order per element),
// for both weight layouts and for shapes that do not fill a panel or a 4-row block. A whole forward
// pass with every product forced onto the pool gives the same attention as the one-thread pass.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { type LayerAttention, loadModel, runModel, tokenizeForModel } from '../../src/core/models';
import { matrixFrom, type Matrix } from '../../src/core/matrix';
import * as kernels from '../../src/core/kernels';
import { columnStrips, rowQuadRanges } from '../../src/node/parallel/gemmPlan';
import { POOLED_GEMM_MIN_MACS, matmulFast, shutdownFastAttention } from '../../src/node/parallel';
import { NodeModelFolder } from '../../src/node/models/nodeFolder';
import { attendOnPool, matmulOnPool } from '../../src/node/models/run';
import { uniformGenerator } from '../../src/core/random';
import { TINY_MODELS, tinyModelsDir } from '../helpers/torchReference';

function random(rows: number, cols: number, seed: number): Matrix {
  const next = uniformGenerator(seed);
  return matrixFrom(
    rows,
    cols,
    Float32Array.from({ length: rows * cols }, () => next() * 2 - 1),
  );
}

function sameBits(a: Matrix, b: Matrix, label: string): void {
  assert.equal(a.rows, b.rows, `${label}: rows`);
  assert.equal(a.cols, b.cols, `${label}: cols`);
  for (let i = 0; i < a.data.length; i++) {
    if (!Object.is(a.data[i], b.data[i]))
      assert.fail(`${label}: element ${i} is ${a.data[i]} on the pool, ${b.data[i]} on one thread`);
  }
}

describe('models: products on the worker pool', function () {
  this.timeout(120_000);
  after(() => shutdownFastAttention());

  it('column strips cover [0, m) in whole panels, without overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 9 }), (m, parts) => {
        const strips = columnStrips(m, parts);
        assert.equal(strips[0].colStart, 0);
        assert.equal(strips[strips.length - 1].colEnd, m);
        strips.forEach((s, i) => {
          assert.equal(s.colStart % 8, 0);
          assert.ok(s.colEnd > s.colStart);
          if (i > 0) assert.equal(s.colStart, strips[i - 1].colEnd);
        });
        assert.ok(strips.length <= parts);
      }),
    );
  });

  it('row quad ranges cover the whole groups of four rows of [0, n), without overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 9 }), (n, parts) => {
        const ranges = rowQuadRanges(n, parts);
        if (n < 4) return assert.equal(ranges.length, 0);
        assert.equal(ranges[0].rowStart, 0);
        assert.equal(ranges[ranges.length - 1].rowEnd, n - (n % 4));
        ranges.forEach((r, i) => {
          assert.equal(r.rowStart % 4, 0);
          assert.ok(r.rowEnd > r.rowStart);
          if (i > 0) assert.equal(r.rowStart, ranges[i - 1].rowEnd);
        });
        assert.ok(ranges.length <= parts);
      }),
    );
  });

  for (const [n, k, m] of [
    [37, 129, 203],
    [512, 768, 2304],
    [5, 64, 9],
    [256, 96, 8],
    // No whole 4-row group (no packing phase), a single row, and a k past two 256-step blocks.
    [3, 600, 40],
    [1, 513, 17],
    [130, 2048, 64],
  ] as const) {
    it(`A·B and A·Bᵀ for ${n}×${k} · ${k}×${m} are bit-identical to one thread`, async () => {
      const a = random(n, k, n + k),
        b = random(k, m, m),
        bt = random(m, k, m + 1);
      sameBits(await matmulFast(a, b, false, { minMacs: 0 }), kernels.matmul(a, b), 'A·B');
      sameBits(await matmulFast(a, bt, true, { minMacs: 0 }), kernels.matmulTransposed(a, bt), 'A·Bᵀ');
    });
  }

  it('agrees with a float64 product to float32 rounding', async () => {
    const a = random(64, 300, 7),
      b = random(300, 72, 8);
    const c = await matmulFast(a, b, false, { minMacs: 0 });
    for (let i = 0; i < 64; i++)
      for (let j = 0; j < 72; j++) {
        let s = 0;
        for (let p = 0; p < 300; p++) s += a.data[i * 300 + p] * b.data[p * 72 + j];
        assert.ok(Math.abs(c.data[i * 72 + j] - s) < 1e-4, `(${i}, ${j}): ${c.data[i * 72 + j]} vs ${s}`);
      }
  });

  it('refuses shapes that do not chain', async () => {
    await assert.rejects(matmulFast(random(4, 5, 1), random(6, 7, 2), false, { minMacs: 0 }), /do not chain/);
    await assert.rejects(matmulFast(random(4, 5, 1), random(7, 6, 2), true, { minMacs: 0 }), /do not chain/);
  });

  it('small products stay on this thread', () => {
    assert.ok(POOLED_GEMM_MIN_MACS >= 2 ** 20, 'the threshold keeps the tiny products off the pool');
  });

  for (const name of TINY_MODELS) {
    it(`${name}: the forward pass with every product on the pool gives the one-thread attention`, async () => {
      const folder = await NodeModelFolder.open(join(tinyModelsDir(), name));
      try {
        const model = await loadModel(folder);
        const { ids } = tokenizeForModel(
          model,
          'Pooled products must not change a single weight: the quick brown fox.',
        );
        const run = async (pooled: boolean) => {
          const layers: LayerAttention[] = [];
          const { hidden } = await runModel(
            model,
            { ids },
            {
              ...(pooled ? { attend: attendOnPool(), matmul: matmulOnPool(undefined, 0) } : {}),
              onLayer: (l) => void layers.push(l),
            },
          );
          return { layers, hidden };
        };
        const one = await run(false),
          pool = await run(true);
        sameBits(pool.hidden, one.hidden, 'hidden state');
        one.layers.forEach((layer, l) =>
          layer.heads.forEach((h, hh) => {
            for (let i = 0; i < h.weights.data.length; i++) {
              const d = Math.abs(pool.layers[l].heads[hh].weights.data[i] - h.weights.data[i]);
              if (!(d <= 1e-6))
                assert.fail(
                  `layer ${l} head ${hh} weight ${i}: ${pool.layers[l].heads[hh].weights.data[i]} vs ${h.weights.data[i]}`,
                );
            }
          }),
        );
      } finally {
        await folder.close();
      }
    });
  }
});
