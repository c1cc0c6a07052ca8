// The worker pool (src/node/parallel): heads on worker threads over one shared WebAssembly memory
// must give the reference core's numbers, honour cancellation and leave no thread behind.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import {
  type Matrix,
  allowedCells,
  attention,
  matrixFrom,
  multiHeadAttention,
  normalGenerator,
  scaleSweep,
} from '../../src/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  AttentionPool,
  CancelledError,
  cachedMemoryBytes,
  computeHeadsFast,
  computeMultiHeadFast,
  liveAttentionWorkers,
  POOLED_ATTENTION_MIN_MACS,
  releaseCachedMemory,
  scaleSweepFast,
} from '../../src/node/parallel';
import { assertClose } from '../helpers/close';

function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const normal = normalGenerator(seed);
  return matrixFrom(
    rows,
    cols,
    Float32Array.from({ length: rows * cols }, () => normal() * scale),
  );
}

function assertSame(actual: Matrix | null, expected: Matrix, tol: number, where: string): void {
  assert.ok(actual, `${where}: missing`);
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

/** Waits (briefly) until every attention worker has exited. */
async function settledWorkerCount(): Promise<number> {
  for (let i = 0; i < 100 && liveAttentionWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return liveAttentionWorkers();
}

describe('parallel attention (worker threads, shared memory)', () => {
  const pool = new AttentionPool({ size: 2 });
  after(() => pool.close());

  it('is available here (worker script, WebAssembly threads and SIMD)', () => {
    assert.equal(pool.available, true);
  });

  it('multi-head self-attention equals the reference, per head and concatenated ·W_O', async () => {
    const x = randomMatrix(37, 24, 1);
    const heads = Array.from({ length: 5 }, (_, h) => ({
      W_Q: randomMatrix(24, 8, 10 + h, 0.3),
      W_K: randomMatrix(24, 8, 20 + h, 0.3),
      W_V: randomMatrix(24, 6, 30 + h, 0.3),
    }));
    const wO = randomMatrix(30, 24, 40);
    const want = multiHeadAttention(x, heads, wO, { mask: 'causal' });
    const got = await computeMultiHeadFast(x, heads, { wO, mask: 'causal', pool, minMacs: 0 });
    assert.equal(got.engine, 'wasm-parallel');
    assertSame(got.output, want.output, 1e-5, 'output');
    got.heads.forEach((h, i) => {
      const w = want.heads[i];
      for (const key of ['q', 'k', 'v', 'dots', 'scores', 'weights', 'output'] as const)
        assertSame(h[key], w[key], 1e-5, `head ${i} ${key}`);
      assert.equal(h.factor, w.factor);
      assert.deepEqual(h.emptyRows, w.emptyRows);
    });
  });

  it('few heads (projections, then row ranges, then the output: three phases behind barriers) equal the reference', async () => {
    for (const count of [1, 3]) {
      const x = randomMatrix(41, 16, 50 + count);
      const heads = Array.from({ length: count }, (_, h) => ({
        W_Q: randomMatrix(16, 8, 60 + h, 0.3),
        W_K: randomMatrix(16, 8, 70 + h, 0.3),
        W_V: randomMatrix(16, 8, 80 + h, 0.3),
      }));
      const wO = randomMatrix(8 * count, 16, 90);
      const want = multiHeadAttention(x, heads, wO, {});
      const got = await computeMultiHeadFast(x, heads, { wO, pool, minMacs: 0 });
      assert.equal(got.engine, 'wasm-parallel');
      assertSame(got.output, want.output, 1e-5, `${count} heads: output`);
    }
  });

  it('drops dots and scores when asked, with the same weights', async () => {
    const x = randomMatrix(20, 16, 2);
    const heads = Array.from({ length: 4 }, (_, h) => ({
      W_Q: randomMatrix(16, 4, 50 + h, 0.3),
      W_K: randomMatrix(16, 4, 60 + h, 0.3),
      W_V: randomMatrix(16, 4, 70 + h, 0.3),
    }));
    const want = multiHeadAttention(x, heads, null);
    const got = await computeMultiHeadFast(x, heads, { keep: { dots: false, scores: false }, pool, minMacs: 0 });
    got.heads.forEach((h, i) => {
      assert.equal(h.dots, null);
      assert.equal(h.scores, null);
      assertSame(h.weights, want.heads[i].weights, 1e-5, `head ${i} weights`);
    });
    assertSame(got.output, want.output, 1e-5, 'output');
  });

  it('given Q, K, V: one head split into row ranges, and several heads, under a table mask', async () => {
    const n = 45,
      m = 31;
    const uniform = normalGenerator(5);
    const mask = matrixFrom(
      n,
      m,
      Float32Array.from({ length: n * m }, () => (uniform() > 0 ? 1 : 0)),
    );
    for (const count of [1, 3]) {
      const heads = Array.from({ length: count }, (_, h) => ({
        q: randomMatrix(n, 16, 80 + h),
        k: randomMatrix(m, 16, 90 + h),
        v: randomMatrix(m, 7, 100 + h),
      }));
      const got = await computeHeadsFast(heads, { mask, scale: 0.3, pool, minMacs: 0 });
      assert.equal(got.engine, 'wasm-parallel');
      heads.forEach(({ q, k, v }, h) => {
        const want = attention(q, k, v, { mask, scale: 0.3 });
        for (const key of ['dots', 'scores', 'weights', 'output'] as const)
          assertSame(got.heads[h][key], want[key], 1e-5, `${count} heads, head ${h} ${key}`);
      });
    }
  });

  it('the scale sweep equals the reference', async () => {
    const dots = randomMatrix(70, 70, 6, 3);
    const allowed = allowedCells('causal', 70, 70);
    const want = scaleSweep(dots, allowed, 64);
    const got = await scaleSweepFast(dots, allowed, 64, undefined, { pool });
    assert.equal(got.length, want.length);
    want.forEach((p, i) => {
      assert.equal(got[i].label, p.label);
      for (const key of [
        'meanEntropy',
        'meanNormalizedEntropy',
        'meanMaxWeight',
        'meanEffectiveTokens',
        'meanJacobianNorm',
      ] as const) {
        assertClose(got[i][key], p[key], 1e-4, `factor ${p.factor.toPrecision(3)} ${key}`);
      }
    });
  });

  it('reuses a memory only after its results are garbage collected, never under live results', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async (): Promise<void> => {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    };
    // Earlier tests' results come back first; start from an empty cache.
    await collect();
    await collect();
    releaseCachedMemory();
    const inputs = (seed: number) =>
      [0, 1, 2].map((h) => ({
        q: randomMatrix(40, 8, seed + h),
        k: randomMatrix(40, 8, seed + 10 + h),
        v: randomMatrix(40, 8, seed + 20 + h),
      }));
    const a = inputs(300),
      b = inputs(400);
    let first: Awaited<ReturnType<typeof computeHeadsFast>> | null = await computeHeadsFast(a, { pool, minMacs: 0 });
    await collect();
    assert.equal(cachedMemoryBytes(), 0, 'results still reachable: the memory is not back');
    // Another call while the first results live must not write over them.
    await computeHeadsFast(b, { pool, minMacs: 0 });
    a.forEach(({ q, k, v }, h) =>
      assertSame(first!.heads[h].weights, attention(q, k, v).weights, 1e-5, `kept head ${h}`),
    );
    first = null;
    await collect();
    assert.ok(cachedMemoryBytes() > 0, 'the memory came back once its results were collected');
    const again = await computeHeadsFast(b, { pool, minMacs: 0 });
    b.forEach(({ q, k, v }, h) =>
      assertSame(again.heads[h].output, attention(q, k, v).output, 1e-5, `reused memory, head ${h}`),
    );
    releaseCachedMemory();
    assert.equal(cachedMemoryBytes(), 0);
  });

  it('keeps the projections packed between calls with the same arrays; a new weightsVersion or new arrays pack again', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async (): Promise<void> => {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    };
    await collect();
    releaseCachedMemory();
    const x = randomMatrix(33, 24, 500);
    const heads = Array.from({ length: 4 }, (_, h) => ({
      W_Q: randomMatrix(24, 8, 510 + h, 0.3),
      W_K: randomMatrix(24, 8, 520 + h, 0.3),
      W_V: randomMatrix(24, 8, 530 + h, 0.3),
    }));
    const run = async (hs: typeof heads, weightsVersion?: number): Promise<Float32Array> => {
      const r = await computeMultiHeadFast(x, hs, { pool, minMacs: 0, weightsVersion });
      const copy = r.output.data.slice();
      await collect(); // the memory is idle again (with the weights it holds)
      return copy;
    };
    const before = multiHeadAttention(x, heads, null).output;
    assertSame(matrixFrom(33, 32, await run(heads)), before, 1e-5, 'first call');
    assertSame(matrixFrom(33, 32, await run(heads)), before, 1e-5, 'second call, weights resident');
    // The contract: identity, not content. Changed in place without a new version, the packed copy is
    // used (this shows the copy and the packing were skipped) …
    heads[0].W_Q.data.fill(0.5);
    assertSame(matrixFrom(33, 32, await run(heads)), before, 1e-5, 'changed in place, same version');
    // … with a new version they are packed again.
    const changed = multiHeadAttention(x, heads, null).output;
    assertSame(matrixFrom(33, 32, await run(heads, 1)), changed, 1e-5, 'new weightsVersion');
    // New arrays with the same shapes are other weights, whatever the memory holds.
    const others = heads.map((h) => ({
      W_Q: randomMatrix(24, 8, 600, 0.3),
      W_K: h.W_K,
      W_V: matrixFrom(24, 8, h.W_V.data.slice()),
    }));
    assertSame(
      matrixFrom(33, 32, await run(others, 1)),
      multiHeadAttention(x, others, null).output,
      1e-5,
      'new arrays',
    );
    releaseCachedMemory();
  });

  it('cancels: AbortSignal rejects with CancelledError and terminates the workers; the pool then works again', async () => {
    const x = randomMatrix(768, 256, 7);
    const heads = Array.from({ length: 8 }, (_, h) => ({
      W_Q: randomMatrix(256, 64, 110 + h, 0.1),
      W_K: randomMatrix(256, 64, 120 + h, 0.1),
      W_V: randomMatrix(256, 64, 130 + h, 0.1),
    }));
    const controller = new AbortController();
    const running = computeMultiHeadFast(x, heads, {
      pool,
      signal: controller.signal,
      keep: { dots: false, scores: false },
    });
    setTimeout(() => controller.abort(), 5);
    await assert.rejects(running, CancelledError);
    assert.equal(pool.threadCount, 0);
    assert.equal(await settledWorkerCount(), 0, 'no worker left running');
    const already = new AbortController();
    already.abort();
    await assert.rejects(computeMultiHeadFast(x, heads, { pool, minMacs: 0, signal: already.signal }), CancelledError);
    const small = await computeHeadsFast(
      [{ q: randomMatrix(9, 4, 1), k: randomMatrix(9, 4, 2), v: randomMatrix(9, 4, 3) }],
      { pool, minMacs: 0 },
    );
    assert.equal(small.engine, 'wasm-parallel');
    assert.equal(pool.threadCount, 1, 'size 2: one worker and the calling thread');
  });

  it('calls under POOLED_ATTENTION_MIN_MACS run on this thread (waking the workers would cost more), with the same results', async () => {
    const x = randomMatrix(20, 16, 3);
    const heads = [0, 1].map((h) => ({
      W_Q: randomMatrix(16, 8, 140 + h, 0.3),
      W_K: randomMatrix(16, 8, 150 + h, 0.3),
      W_V: randomMatrix(16, 8, 160 + h, 0.3),
    }));
    const here = await computeMultiHeadFast(x, heads, { pool });
    assert.equal(here.engine, 'wasm');
    const pooled = await computeMultiHeadFast(x, heads, { pool, minMacs: 0 });
    assert.equal(pooled.engine, 'wasm-parallel');
    assertSame(here.output, pooled.output, 1e-6, 'output');
    const given = [{ q: randomMatrix(20, 8, 1), k: randomMatrix(20, 8, 2), v: randomMatrix(20, 8, 3) }];
    assert.equal((await computeHeadsFast(given, { pool })).engine, 'wasm');
    assert.ok(20 * 20 * 16 < POOLED_ATTENTION_MIN_MACS);
  });

  it('without the calling thread (callerJoins false) the workers alone give the same results', async () => {
    const own = new AttentionPool({ size: 2, callerJoins: false });
    try {
      const x = randomMatrix(29, 16, 700);
      const heads = Array.from({ length: 3 }, (_, h) => ({
        W_Q: randomMatrix(16, 8, 710 + h, 0.3),
        W_K: randomMatrix(16, 8, 720 + h, 0.3),
        W_V: randomMatrix(16, 8, 730 + h, 0.3),
      }));
      const got = await computeMultiHeadFast(x, heads, { pool: own, minMacs: 0, mask: 'causal' });
      assert.equal(own.threadCount, 2);
      assertSame(got.output, multiHeadAttention(x, heads, null, { mask: 'causal' }).output, 1e-5, 'output');
    } finally {
      await own.close();
    }
  });

  it('close() ends every worker and refuses later calls', async () => {
    const own = new AttentionPool({ size: 2 });
    const before = liveAttentionWorkers();
    await computeHeadsFast([{ q: randomMatrix(8, 4, 1), k: randomMatrix(8, 4, 2), v: randomMatrix(8, 4, 3) }], {
      pool: own,
      minMacs: 0,
    });
    assert.equal(liveAttentionWorkers(), before + 1, 'size 2: one worker and the calling thread');
    await own.close();
    assert.equal(liveAttentionWorkers(), before);
    assert.equal(own.available, false);
    // A closed pool is not available, so the call runs on this thread instead.
    const r = await computeHeadsFast(
      [{ q: randomMatrix(8, 4, 1), k: randomMatrix(8, 4, 2), v: randomMatrix(8, 4, 3) }],
      { pool: own, minMacs: 0 },
    );
    assert.equal(r.engine, 'wasm');
  });
});
