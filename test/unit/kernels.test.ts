// The WebAssembly SIMD kernels against numpy (the float64 fixtures in test/fixtures/core) and against
// the plain TypeScript reference core, plus the softmax invariants with fast-check. The kernels
// accumulate in float32 and use a polynomial exp, so the tolerance is float32's, not the reference's 1e-5.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  type Matrix,
  type MaskSpec,
  type ScaleRule,
  allowedCells,
  attention,
  matmul,
  matrixFrom,
  multiHeadAttention,
  normalGenerator,
  readAttentionInput,
  readMask,
  inputShape,
  scaleFactor,
  scaleSweep,
  softmaxRows,
  matmulTransposed,
} from '../../src/core';
import * as kernels from '../../src/core/kernels';
import { assertClose, assertMatrixClose } from '../helpers/close';

const FIXTURES = join(__dirname, '..', 'fixtures', 'core');
/** float32 accumulation over short sums; relative to max(1, |expected|). */
const TOL = 2e-5;
const SEED = 20261129;

function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const normal = normalGenerator(seed);
  return matrixFrom(
    rows,
    cols,
    Float32Array.from({ length: rows * cols }, () => normal() * scale),
  );
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

interface Fixture {
  name: string;
  input: unknown;
  options: { scale?: ScaleRule; mask?: unknown };
  expected: {
    heads: {
      factor: number | null;
      scores: (number | null)[][] | null;
      weights: number[][];
      output: number[][] | null;
      sweep: {
        factor: number;
        meanEntropy: number;
        meanMaxWeight: number;
        meanEffectiveTokens: number;
        meanNormalizedEntropy: number;
        meanJacobianNorm: number;
      }[];
    }[];
    output: number[][] | null;
  };
}

describe('WebAssembly kernels', () => {
  before(() => {
    assert.equal(kernels.initKernelsSync(), true, 'the kernels load (WebAssembly SIMD available)');
    kernels.disableKernels(false);
  });

  describe('match numpy (test/fixtures/core)', () => {
    const fixtures: Fixture[] = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')));
    for (const fx of fixtures) {
      const input = readAttentionInput(fx.input);
      if (input.form === 'weights') continue;
      it(fx.name, () => {
        assert.ok(kernels.kernelsReady());
        const { n, m } = inputShape(input);
        const mask: MaskSpec =
          fx.options.mask !== undefined ? readMask(fx.options.mask, 'options.mask', n, m) : (input.mask ?? 'none');
        const dK = input.form === 'qkv' ? input.Q.cols : input.form === 'scores' ? input.dK : undefined;
        const scale: ScaleRule =
          fx.options.scale ?? input.scale ?? (input.form === 'scores' && input.dK === undefined ? 'none' : 'sqrt');
        const allowed = allowedCells(mask, n, m);
        let heads: { dots: Matrix; scores: Matrix; weights: Matrix; output: Matrix | null; dK: number | undefined }[];
        if (input.form === 'qkv') {
          const r = kernels.attention(input.Q, input.K, input.V, { scale, mask });
          heads = [{ ...r, dK }];
        } else if (input.form === 'projected') {
          const r = kernels.multiHeadAttention(input.X, input.heads, input.W_O, { scale, mask });
          heads = r.heads.map((h) => ({ ...h, dK: h.q.cols }));
          if (fx.expected.output) assertMatrixClose(r.output, fx.expected.output, TOL, `${fx.name}: multi-head output`);
        } else {
          const factor = scaleFactor(scale, dK);
          heads = input.scores.map((dots) => ({
            dots,
            scores: dots,
            weights: kernels.softmaxRows(dots, allowed, factor),
            output: null,
            dK,
          }));
        }
        fx.expected.heads.forEach((e, h) => {
          const got = heads[h];
          const at = `${fx.name} head ${h}`;
          if (e.scores && input.form !== 'scores')
            assertMatrixClose(got.scores, e.scores, TOL, `${at}: scores`, allowed);
          assertMatrixClose(got.weights, e.weights, TOL, `${at}: weights`);
          if (e.output) assertMatrixClose(got.output!, e.output, TOL, `${at}: output`);
          const sweep = kernels.scaleSweep(
            got.dots,
            allowed,
            got.dK,
            e.sweep.slice(-25).map((p) => p.factor),
          );
          assert.equal(sweep.length, e.sweep.length, `${at}: sweep length`);
          e.sweep.forEach((p, i) => {
            const q = sweep[i];
            assertClose(q.factor, p.factor, 1e-9, `${at}: sweep[${i}].factor`);
            assertClose(q.meanEntropy, p.meanEntropy, 1e-4, `${at}: sweep[${i}].meanEntropy`);
            assertClose(q.meanMaxWeight, p.meanMaxWeight, 1e-4, `${at}: sweep[${i}].meanMaxWeight`);
            assertClose(q.meanEffectiveTokens, p.meanEffectiveTokens, 1e-4, `${at}: sweep[${i}].meanEffectiveTokens`);
            assertClose(
              q.meanNormalizedEntropy,
              p.meanNormalizedEntropy,
              1e-4,
              `${at}: sweep[${i}].meanNormalizedEntropy`,
            );
            assertClose(q.meanJacobianNorm, p.meanJacobianNorm, 1e-4, `${at}: sweep[${i}].meanJacobianNorm`);
          });
        });
      });
    }
  });

  describe('agree with the TypeScript reference', () => {
    // Shapes that are not multiples of the 4×8 register block or the 16-row query block.
    const shapes = [
      { n: 1, m: 1, dk: 1, dv: 1 },
      { n: 5, m: 3, dk: 7, dv: 2 },
      { n: 37, m: 37, dk: 16, dv: 9 },
      { n: 19, m: 70, dk: 64, dv: 64 },
      { n: 130, m: 130, dk: 33, dv: 12 },
    ];

    it('matmul and matmulTransposed (projections X·W and Q·Kᵀ)', () => {
      shapes.forEach(({ n, m, dk }, s) => {
        const a = randomMatrix(n, dk, s + 1),
          b = randomMatrix(dk, m, s + 101),
          bt = randomMatrix(m, dk, s + 201);
        assertSame(kernels.matmul(a, b), matmul(a, b), 1e-5, `matmul ${n}×${dk}·${dk}×${m}`);
        assertSame(
          kernels.matmulTransposed(a, bt),
          matmulTransposed(a, bt),
          1e-5,
          `matmulTransposed ${n}×${dk}·(${m}×${dk})ᵀ`,
        );
      });
    });

    it('the GEMM micro-kernel on edge shapes: rows not a multiple of 4, 1×N, N×1, k across its 256-step blocks', () => {
      // n below, at and past the 4-row quads; k odd, at the block edge and past it; m around the 8-wide panel.
      const edge: [number, number, number][] = [
        [1, 1, 1],
        [1, 300, 17],
        [17, 300, 1],
        [3, 2, 8],
        [4, 255, 9],
        [5, 256, 7],
        [7, 257, 16],
        [9, 513, 3],
        [12, 1, 24],
      ];
      edge.forEach(([n, k, m], s) => {
        const a = randomMatrix(n, k, s + 301),
          b = randomMatrix(k, m, s + 401),
          bt = randomMatrix(m, k, s + 501);
        assertSame(kernels.matmul(a, b), matmul(a, b), 1e-5, `matmul ${n}×${k}·${k}×${m}`);
        assertSame(
          kernels.matmulTransposed(a, bt),
          matmulTransposed(a, bt),
          1e-5,
          `matmulTransposed ${n}×${k}·(${m}×${k})ᵀ`,
        );
      });
    });

    it('the GEMM on random shapes equals the reference (fast-check)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 21 }),
          fc.integer({ min: 1, max: 600 }),
          fc.integer({ min: 1, max: 27 }),
          fc.integer({ min: 1, max: 1000 }),
          (n, k, m, seed) => {
            const a = randomMatrix(n, k, seed),
              bt = randomMatrix(m, k, seed + 1);
            // Sums of k normal products: the tolerance grows with √k as float32 rounding does.
            assertSame(
              kernels.matmulTransposed(a, bt),
              matmulTransposed(a, bt),
              1e-5 * Math.sqrt(k),
              `${n}×${k}·(${m}×${k})ᵀ`,
            );
          },
        ),
        { numRuns: 60 },
      );
    });

    for (const mask of ['none', 'causal', 'anticausal', 'table'] as const) {
      it(`attention with mask ${mask}, several scales`, () => {
        shapes.forEach(({ n, m, dk, dv }, s) => {
          const q = randomMatrix(n, dk, s + 11),
            k = randomMatrix(m, dk, s + 12),
            v = randomMatrix(m, dv, s + 13);
          const table = (): MaskSpec => {
            const uniform = normalGenerator(s + 14);
            return matrixFrom(
              n,
              m,
              Float32Array.from({ length: n * m }, () => (uniform() > -0.3 ? 1 : 0)),
            );
          };
          const spec: MaskSpec = mask === 'table' ? table() : mask;
          for (const scale of ['sqrt', 'none', 0.05, -0.7] as ScaleRule[]) {
            const want = attention(q, k, v, { mask: spec, scale });
            const got = kernels.attention(q, k, v, { mask: spec, scale });
            const at = `${n}×${m} d_k ${dk} mask ${mask} scale ${scale}`;
            assert.equal(got.factor, want.factor);
            assertSame(got.dots, want.dots, 1e-5, `${at}: dots`);
            assertSame(got.scores, want.scores, 1e-5, `${at}: scores`);
            assertSame(got.weights, want.weights, 1e-5, `${at}: weights`);
            assertSame(got.output, want.output, 1e-5, `${at}: output`);
            assert.deepEqual(got.emptyRows, want.emptyRows, `${at}: emptyRows`);
          }
        });
      });
    }

    it('multi-head self-attention with and without W_O', () => {
      const x = randomMatrix(29, 24, 7);
      const heads = [0, 1, 2].map((h) => ({
        W_Q: randomMatrix(24, 8, 30 + h, 0.3),
        W_K: randomMatrix(24, 8, 40 + h, 0.3),
        W_V: randomMatrix(24, 5, 50 + h, 0.3),
      }));
      const wO = randomMatrix(15, 24, 60);
      for (const w of [null, wO]) {
        const want = multiHeadAttention(x, heads, w, { mask: 'causal' });
        const got = kernels.multiHeadAttention(x, heads, w, { mask: 'causal' });
        assertSame(got.output, want.output, 1e-5, `output (W_O ${w ? 'given' : 'absent'})`);
        got.heads.forEach((h, i) => {
          assertSame(h.q, want.heads[i].q, 1e-5, `head ${i} Q`);
          assertSame(h.weights, want.heads[i].weights, 1e-5, `head ${i} weights`);
        });
      }
    });

    it('the scale sweep (25 factors, masks) matches summarizing the reference softmax', () => {
      const dots = randomMatrix(45, 45, 9, 4);
      for (const mask of ['none', 'causal', 'anticausal'] as const) {
        const allowed = allowedCells(mask, 45, 45);
        const want = scaleSweep(dots, allowed, 64);
        const got = kernels.scaleSweep(dots, allowed, 64);
        want.forEach((p, i) => {
          for (const key of [
            'meanEntropy',
            'meanNormalizedEntropy',
            'meanMaxWeight',
            'meanEffectiveTokens',
            'meanJacobianNorm',
          ] as const) {
            assertClose(got[i][key], p[key], 1e-4, `${mask} factor ${p.factor.toPrecision(3)} ${key}`);
          }
        });
      }
    });

    it('falls back to the reference when turned off', () => {
      const q = randomMatrix(6, 4, 1),
        k = randomMatrix(6, 4, 2),
        v = randomMatrix(6, 3, 3);
      kernels.disableKernels(true);
      try {
        assert.equal(kernels.kernelsReady(), false);
        assert.deepEqual(kernels.attention(q, k, v).weights.data, attention(q, k, v).weights.data);
      } finally {
        kernels.disableKernels(false);
      }
    });

    it('throws the reference messages for shapes that do not chain', () => {
      assert.throws(
        () => kernels.matmul(randomMatrix(2, 3, 1), randomMatrix(4, 2, 2)),
        /matmul: 2×3 · 4×2 do not chain/,
      );
      assert.throws(
        () => kernels.attention(randomMatrix(2, 3, 1), randomMatrix(2, 4, 2), randomMatrix(2, 4, 3)),
        /Q has d_k 3 but K has 4/,
      );
    });
  });

  describe('softmax invariants (fast-check)', () => {
    const logits = (range: number) =>
      fc.record({ n: fc.integer({ min: 1, max: 6 }), m: fc.integer({ min: 1, max: 23 }) }).chain(({ n, m }) =>
        fc.tuple(
          fc
            .array(fc.float({ min: -range, max: range, noNaN: true, noDefaultInfinity: true }), {
              minLength: n * m,
              maxLength: n * m,
            })
            .map((v) => matrixFrom(n, m, Float32Array.from(v))),
          fc
            .array(fc.boolean(), { minLength: n * m, maxLength: n * m })
            .map((b) => Uint8Array.from(b, (x) => (x ? 1 : 0))),
        ),
      );

    it('allowed cells of a row sum to 1, masked cells are exactly 0, all-masked rows are all 0 (logits up to ±1e4)', () => {
      fc.assert(
        fc.property(logits(1e4), fc.double({ min: -20, max: 20, noNaN: true }), ([s, allowed], factor) => {
          const w = kernels.softmaxRows(s, allowed, factor);
          for (let i = 0; i < s.rows; i++) {
            let sum = 0,
              keys = 0;
            for (let j = 0; j < s.cols; j++) {
              const x = w.data[i * s.cols + j];
              assert.ok(x >= 0 && x <= 1, `weight ${x} at ${i},${j}`);
              if (allowed[i * s.cols + j] === 0) assert.equal(x, 0, `masked cell ${i},${j} is exactly 0`);
              else keys++;
              sum += x;
            }
            if (keys === 0) assert.equal(sum, 0, `row ${i} has no allowed key: all zero`);
            else assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
          }
        }),
        { seed: SEED, numRuns: 300 },
      );
    });

    it('equals the reference softmax cell by cell', () => {
      fc.assert(
        fc.property(logits(50), fc.double({ min: -3, max: 3, noNaN: true }), ([s, allowed], factor) => {
          const want = softmaxRows(s, allowed, factor);
          const got = kernels.softmaxRows(s, allowed, factor);
          for (let c = 0; c < want.data.length; c++)
            assert.ok(Math.abs(got.data[c] - want.data[c]) <= 2e-6, `cell ${c}: ${got.data[c]} vs ${want.data[c]}`);
        }),
        { seed: SEED, numRuns: 300 },
      );
    });

    it('huge logits: the row max gets all the weight, no NaN', () => {
      const s = matrixFrom(2, 5, Float32Array.from([1e4, -1e4, 9990, 0, 1e4 - 1, -1e4, -1e4, -1e4, -1e4, -1e4]));
      const w = kernels.softmaxRows(s, null, 1);
      const z = 1 + Math.exp(-1) + Math.exp(-10);
      assertClose(w.data[0], 1 / z, 1e-6, 'row 0 max');
      assertClose(w.data[4], Math.exp(-1) / z, 1e-6, 'row 0 second');
      assertClose(w.data[2], Math.exp(-10) / z, 1e-6, 'row 0 third');
      assert.equal(w.data[1], 0);
      assert.equal(w.data[3], 0);
      for (let j = 5; j < 10; j++) assertClose(w.data[j], 0.2, 1e-6, `row 1 uniform [${j - 5}]`);
    });
  });
});
