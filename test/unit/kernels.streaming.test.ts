// The long-sequence path (src/node/streaming): one head at a time, a max-pooled overview instead of
// the n×n weights, full resolution for a requested region. Checked against the reference core's full
// matrices on sizes small enough to hold them.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import { type Matrix, matrixFrom, multiHeadAttention, normalGenerator, rowSharpness } from '../../src/core';
import * as kernels from '../../src/core/kernels';
import { AttentionPool } from '../../src/node/parallel';
import { type HeadOverview, headRegion, streamHeadOverviews } from '../../src/node/streaming';
import { assertClose } from '../helpers/close';

function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const normal = normalGenerator(seed);
  return matrixFrom(
    rows,
    cols,
    Float32Array.from({ length: rows * cols }, () => normal() * scale),
  );
}

/** Max-pools a full weight matrix the way the overview promises: cells of `cell`×`cell`. */
function maxPool(w: Matrix, cell: number): Matrix {
  const side = Math.ceil(w.rows / cell);
  const out = new Float32Array(side * side);
  for (let i = 0; i < w.rows; i++) {
    for (let j = 0; j < w.cols; j++) {
      const c = Math.floor(i / cell) * side + Math.floor(j / cell);
      out[c] = Math.max(out[c], w.data[i * w.cols + j]);
    }
  }
  return matrixFrom(side, side, out);
}

function assertSame(actual: Matrix, expected: Matrix, tol: number, where: string): void {
  assert.equal(actual.rows, expected.rows, `${where}: rows`);
  assert.equal(actual.cols, expected.cols, `${where}: cols`);
  for (let i = 0; i < expected.data.length; i++)
    assertClose(
      actual.data[i],
      expected.data[i],
      tol,
      `${where}[${Math.floor(i / expected.cols)}][${i % expected.cols}]`,
    );
}

/** The overview's per-row figures against the reference core's full weights (to the kernels' agreement with it, 1e-5 on weights). */
function assertRowStats(h: HeadOverview, weights: Matrix, where: string): void {
  const want = rowSharpness(weights);
  for (let i = 0; i < weights.rows; i++) {
    assertClose(h.entropy[i], want.entropy[i], 5e-5, `${where}: entropy[${i}]`);
    assertClose(h.maxWeight[i], want.maxWeight[i], 1e-5, `${where}: maxWeight[${i}]`);
    assertClose(h.diagonal[i], weights.data[i * weights.cols + i], 1e-5, `${where}: diagonal[${i}]`);
  }
}

describe('streaming per-head attention for long sequences', () => {
  const pool = new AttentionPool({ size: 2 });
  after(() => pool.close());
  // 203 tokens: not a multiple of the 64-row chunk, the 16-row block or the overview cell.
  const n = 203;
  const x = randomMatrix(n, 32, 1);
  const heads = [0, 1, 2].map((h) => ({
    W_Q: randomMatrix(32, 8, 10 + h, 0.3),
    W_K: randomMatrix(32, 8, 20 + h, 0.3),
    W_V: randomMatrix(32, 6, 30 + h, 0.3),
  }));

  for (const mask of ['none', 'causal'] as const) {
    for (const withPool of [true, false]) {
      it(`one head at a time: overview = max-pooled weights, outputs exact (mask ${mask}, ${withPool ? 'worker pool' : 'this thread'})`, async () => {
        const want = multiHeadAttention(x, heads, null, { mask });
        const seen: HeadOverview[] = [];
        const closed = new AttentionPool({ size: 1 });
        if (!withPool) await closed.close();
        const result = await streamHeadOverviews(
          x,
          heads,
          { mask, overviewSize: 50, pool: withPool ? pool : closed },
          (h) => {
            seen.push(h);
          },
        );
        assert.equal(result.engine, withPool ? 'wasm-parallel' : 'wasm');
        assert.deepEqual(
          seen.map((h) => h.head),
          [0, 1, 2],
          'heads arrive in order, one at a time',
        );
        seen.forEach((h, i) => {
          assert.equal(h.cell, 5, 'ceil(203 / 50) rows per cell');
          assertSame(h.overview, maxPool(want.heads[i].weights, h.cell), 1e-5, `head ${i} overview`);
          assertSame(h.output, want.heads[i].output, 1e-5, `head ${i} output`);
          assertRowStats(h, want.heads[i].weights, `head ${i}`);
        });
        assertSame(result.output, want.output, 1e-5, 'concatenated output');
      });
    }
  }

  it('per-row entropy, largest weight and diagonal hold for near one-hot rows (tiny weights, large logits)', async () => {
    const sharp = [
      { W_Q: randomMatrix(32, 8, 41, 2), W_K: randomMatrix(32, 8, 42, 2), W_V: randomMatrix(32, 6, 43, 1) },
    ];
    // Against the kernels' own full weights: with logits this large, float32 sums in another order
    // already move a weight by 1e-5, which is not what this checks.
    const want = kernels.multiHeadAttention(x, sharp, null, { mask: 'causal' });
    const seen: HeadOverview[] = [];
    await streamHeadOverviews(x, sharp, { mask: 'causal', overviewSize: 64, pool }, (h) => {
      seen.push(h);
    });
    const entropies = Array.from(seen[0].entropy);
    assert.ok(
      Math.min(...entropies) < 0.01 && Math.max(...entropies) > 0.5,
      `a spread of sharp and soft rows (${Math.min(...entropies)}…${Math.max(...entropies)})`,
    );
    assertRowStats(seen[0], want.heads[0].weights, 'sharp head');
  });

  it('without WebAssembly the reference core gives the same overview and outputs', async () => {
    const want = multiHeadAttention(x, heads.slice(0, 1), null, { mask: 'anticausal' });
    const closed = new AttentionPool({ size: 1 });
    await closed.close();
    kernels.disableKernels(true);
    try {
      const seen: HeadOverview[] = [];
      const result = await streamHeadOverviews(
        x,
        heads.slice(0, 1),
        { mask: 'anticausal', overviewSize: 50, pool: closed },
        (h) => {
          seen.push(h);
        },
      );
      assert.equal(result.engine, 'js');
      assertSame(seen[0].overview, maxPool(want.heads[0].weights, 5), 1e-6, 'overview');
      assertRowStats(seen[0], want.heads[0].weights, 'reference');
      assertSame(result.output, want.output, 1e-6, 'output');
    } finally {
      kernels.disableKernels(false);
    }
  });

  it('a zoomed region at full resolution equals that block of the full weights', async () => {
    const want = multiHeadAttention(x, heads, null, { mask: 'causal' });
    let last: HeadOverview | null = null;
    await streamHeadOverviews(x, heads, { mask: 'causal', pool, overviewSize: 64 }, (h) => {
      last = h;
    });
    const h = last! as HeadOverview;
    const region = headRegion(h.q, h.k, h.v, [150, 190], [100, 180], { mask: 'causal' });
    const full = want.heads[2].weights;
    for (let i = 150; i < 190; i++) {
      for (let j = 100; j < 180; j++) {
        const got = region.weights.data[(i - 150) * 80 + (j - 100)];
        assertClose(got, full.data[i * n + j], 1e-5, `weights[${i}][${j}]`);
        assert.equal(region.allowed![(i - 150) * 80 + (j - 100)], j <= i ? 1 : 0);
      }
    }
    assert.throws(() => headRegion(h.q, h.k, h.v, [0, 300], [0, 10]), /region rows \[0, 300\) are not inside 0…203/);
  });

  it('cancels between heads', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      streamHeadOverviews(x, heads, { pool, signal: controller.signal }, (h) => {
        seen.push(h.head);
        controller.abort();
      }),
      { name: 'CancelledError' },
    );
    assert.deepEqual(seen, [0]);
  });
});
