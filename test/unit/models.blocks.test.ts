// The activations' exponential (blocks.ts expFast, a range reduction and a short series instead of
// Math.exp): within 1e-8 relative of Math.exp over the whole float64 range the activations meet, and
// GELU-tanh and SiLU computed with it round to the float32 of the Math.exp forms within one ulp.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { activateInPlace, expFast } from '../../src/core/models/blocks';

const K = Math.sqrt(2 / Math.PI);

describe('models: the activations’ exponential', () => {
  it('expFast(t) is Math.exp(t) to 1e-8 relative, and 0 / ∞ where Math.exp is', () => {
    fc.assert(
      fc.property(fc.double({ min: -800, max: 800, noNaN: true }), (t) => {
        const want = Math.exp(t),
          got = expFast(t);
        if (want === 0 || want === Infinity) return got === want;
        return Math.abs(got - want) <= 1e-8 * want;
      }),
      { numRuns: 20_000 },
    );
    for (const t of [0, 1, -1, 87, -87, 87.0001, -87.0001, 88.7, -103, 709, 710, -746])
      assert.ok(
        expFast(t) === Math.exp(t) || Math.abs(expFast(t) - Math.exp(t)) <= 1e-8 * Math.exp(t),
        `t = ${t}: ${expFast(t)} vs ${Math.exp(t)}`,
      );
  });

  it('GELU-tanh and SiLU with it are within one float32 ulp of the Math.exp forms', () => {
    fc.assert(
      fc.property(fc.float({ min: -60, max: 60, noNaN: true }), (v) => {
        const x = Float32Array.of(v, v);
        activateInPlace(x.subarray(0, 1), 'gelu_new');
        activateInPlace(x.subarray(1, 2), 'silu');
        const gelu = Math.fround(v / (1 + Math.exp(-2 * K * (v + 0.044715 * v * v * v))));
        const silu = Math.fround(v / (1 + Math.exp(-v)));
        const ulp = (y: number) => Math.max(Math.abs(y) * 2 ** -23, 2 ** -149);
        return Math.abs(x[0] - gelu) <= ulp(gelu) && Math.abs(x[1] - silu) <= ulp(silu);
      }),
      { numRuns: 20_000 },
    );
  });
});
