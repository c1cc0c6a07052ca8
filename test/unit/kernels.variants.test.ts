// The two builds of the kernels (src/core/kernels/variant.ts): 'simd128' (separate multiply and add)
// and 'relaxed' (the GEMM's multiply-add as f32x4.relaxed_madd, fused where the CPU has FMA). Each is
// checked against numpy (the float64 fixtures in test/fixtures/core), against a float64 product, and
// the two against each other; the worker pool must stay bit-identical to one thread in either build.
// Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd: without it this file
// re-runs itself in a child Node with the flag, so the relaxed build is tested on every runtime.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Matrix,
  type MaskSpec,
  type ScaleRule,
  inputShape,
  matrixFrom,
  normalGenerator,
  readAttentionInput,
  readMask,
} from '../../src/core';
import * as kernels from '../../src/core/kernels';
import { AttentionPool, matmulFast, resetSharedKernels, sharedKernelVariant } from '../../src/node/parallel';
import { assertMatrixClose } from '../helpers/close';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'core');
/** As test/unit/kernels.test.ts: float32 accumulation and the polynomial exp, relative to max(1, |expected|). */
const TOL = 2e-5;
/** Unit roundoff of float32. */
const U = 2 ** -24;

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const normal = normalGenerator(seed);
  return matrixFrom(
    rows,
    cols,
    Float32Array.from({ length: rows * cols }, () => normal()),
  );
}

/** A·B in float64 from the float32 inputs, and Σ|a·b| per element (the scale of the rounding error). */
function product64(a: Matrix, b: Matrix): { c: Float64Array; magnitude: Float64Array } {
  const c = new Float64Array(a.rows * b.cols),
    magnitude = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let p = 0; p < a.cols; p++) {
      const x = a.data[i * a.cols + p];
      for (let j = 0; j < b.cols; j++) {
        const t = x * b.data[p * b.cols + j];
        c[i * b.cols + j] += t;
        magnitude[i * b.cols + j] += Math.abs(t);
      }
    }
  return { c, magnitude };
}

/**
 * The float32 error bound of a k-term dot product, |ĉ − c| ≤ γ_k·Σ|a·b| with γ_k ≈ k·u, for either
 * build: fused or not, each step rounds at most twice.
 */
function assertWithinRounding(got: Float32Array, want: Float64Array, magnitude: Float64Array, k: number, what: string) {
  for (let i = 0; i < want.length; i++) {
    const bound = 2 * k * U * magnitude[i];
    if (!(Math.abs(got[i] - want[i]) <= bound))
      assert.fail(`${what}[${i}]: got ${got[i]}, float64 ${want[i]} (bound 2·k·u·Σ|ab| = ${bound})`);
  }
}

function useVariant(variant: kernels.KernelVariant): void {
  process.env.ATTENTION_KERNELS = variant;
  kernels.resetKernels();
  resetSharedKernels();
  assert.equal(kernels.initKernelsSync(), true, `the ${variant} kernels load`);
  assert.equal(kernels.kernelVariant(), variant);
}

const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map(
    (f) =>
      JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as {
        name: string;
        input: unknown;
        options: { scale?: ScaleRule; mask?: unknown };
        expected: { heads: { weights: number[][]; output: number[][] | null }[] };
      },
  );

/** Shapes that cover the 4×8 block edges (rows not a multiple of 4, columns not a multiple of 8) and a model's k. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 9],
  [33, 768, 70],
  [130, 64, 129],
];

describe('kernel builds: simd128 and relaxed (fused multiply-add)', function () {
  this.timeout(120_000);
  const saved = process.env.ATTENTION_KERNELS;
  after(() => {
    if (saved === undefined) delete process.env.ATTENTION_KERNELS;
    else process.env.ATTENTION_KERNELS = saved;
    kernels.resetKernels();
    resetSharedKernels();
  });

  it('detects relaxed SIMD by validating a module, and agrees with the relaxed build itself', () => {
    const relaxedBuild = new Uint8Array(readFileSync(join(ROOT, 'build', 'kernels-relaxed.wasm')));
    assert.equal(kernels.relaxedSimdSupported(), WebAssembly.validate(relaxedBuild));
    assert.equal(WebAssembly.validate(new Uint8Array(readFileSync(join(ROOT, 'build', 'kernels.wasm')))), true);
  });

  it('ATTENTION_KERNELS picks the build; a wrong value is a one-line error naming it', () => {
    process.env.ATTENTION_KERNELS = 'simd128';
    assert.equal(kernels.chooseKernelVariant(), 'simd128');
    process.env.ATTENTION_KERNELS = 'avx';
    assert.throws(
      () => kernels.chooseKernelVariant(),
      /^Error: ATTENTION_KERNELS=avx: expected one of simd128, relaxed$/,
    );
    delete process.env.ATTENTION_KERNELS;
    assert.equal(kernels.chooseKernelVariant(), kernels.relaxedSimdSupported() ? 'relaxed' : 'simd128');
    if (!kernels.relaxedSimdSupported()) {
      process.env.ATTENTION_KERNELS = 'relaxed';
      assert.throws(
        () => kernels.chooseKernelVariant(),
        /ATTENTION_KERNELS=relaxed: .*--experimental-wasm-relaxed-simd/,
      );
    }
  });

  const variants = kernels.relaxedSimdSupported() ? kernels.KERNEL_VARIANTS : (['simd128'] as const);
  for (const variant of variants) {
    describe(`${variant} build`, () => {
      before(() => useVariant(variant));

      it('matches numpy on every attention fixture', () => {
        for (const fx of fixtures) {
          const input = readAttentionInput(fx.input);
          if (input.form !== 'qkv' && input.form !== 'projected') continue;
          const { n, m } = inputShape(input);
          const mask: MaskSpec =
            fx.options.mask !== undefined ? readMask(fx.options.mask, 'options.mask', n, m) : (input.mask ?? 'none');
          const scale: ScaleRule = fx.options.scale ?? input.scale ?? 'sqrt';
          const heads =
            input.form === 'qkv'
              ? [kernels.attention(input.Q, input.K, input.V, { scale, mask })]
              : kernels.multiHeadAttention(input.X, input.heads, input.W_O, { scale, mask }).heads;
          fx.expected.heads.forEach((e, h) => {
            assertMatrixClose(heads[h].weights, e.weights, TOL, `${variant} ${fx.name} head ${h}: weights`);
            if (e.output) assertMatrixClose(heads[h].output, e.output, TOL, `${variant} ${fx.name} head ${h}: output`);
          });
        }
      });

      it('A·B is within float32 rounding of the float64 product', () => {
        SHAPES.forEach(([n, k, m], s) => {
          const a = randomMatrix(n, k, 100 + s),
            b = randomMatrix(k, m, 200 + s);
          const { c, magnitude } = product64(a, b);
          assertWithinRounding(kernels.matmul(a, b).data, c, magnitude, k, `${variant} ${n}×${k}·${k}×${m}`);
        });
      });

      it('the worker pool is bit-identical to one thread', async () => {
        const pool = new AttentionPool();
        try {
          const a = randomMatrix(130, 768, 7),
            b = randomMatrix(768, 200, 8);
          const c = await matmulFast(a, b, false, { pool, minMacs: 0 });
          assert.equal(sharedKernelVariant(), variant);
          assert.deepEqual(new Uint32Array(c.data.buffer), new Uint32Array(kernels.matmul(a, b).data.buffer));
        } finally {
          await pool.close();
        }
      });
    });
  }

  if (kernels.relaxedSimdSupported()) {
    it('the two builds agree within twice float32 rounding of a k-term sum', () => {
      SHAPES.forEach(([n, k, m], s) => {
        const a = randomMatrix(n, k, 300 + s),
          b = randomMatrix(k, m, 400 + s);
        useVariant('simd128');
        const plain = kernels.matmul(a, b).data;
        useVariant('relaxed');
        const fused = kernels.matmul(a, b).data;
        const { magnitude } = product64(a, b);
        for (let i = 0; i < plain.length; i++) {
          const bound = 4 * k * U * magnitude[i];
          if (!(Math.abs(plain[i] - fused[i]) <= bound))
            assert.fail(
              `${n}×${k}·${k}×${m}[${i}]: simd128 ${plain[i]}, relaxed ${fused[i]} (bound 4·k·u·Σ|ab| = ${bound})`,
            );
        }
      });
    });
  } else {
    it('the relaxed build passes these tests in a Node with --experimental-wasm-relaxed-simd', () => {
      const child = spawnSync(
        process.execPath,
        [
          '--experimental-wasm-relaxed-simd',
          join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'),
          '--no-config',
          '-r',
          'tsx/cjs',
          '--extension',
          'ts',
          '--timeout',
          '120000',
          '--reporter',
          'dot',
          __filename,
        ],
        { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ATTENTION_KERNELS: '' } },
      );
      assert.equal(child.status, 0, `the flagged run failed:\n${child.stdout}\n${child.stderr}`);
    });
  }
});
