// The core against numpy: every fixture in test/fixtures/core was computed in float64 by
// test/fixtures/generate.py; the core must match to 1e-5 (relative for large values).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ScaleSpec, type MaskSpec, inspect, readAttentionInput, readMask, inputShape } from '../../src/core';
import { assertClose, assertMatrixClose, assertVectorClose } from '../helpers/close';

const DIR = join(__dirname, '..', 'fixtures', 'core');
const TOL = 1e-5;

interface ExpectedHead {
  layer: number; head: number; dK: number | null; factor: number | null;
  scores: (number | null)[][] | null; weights: number[][]; output: number[][] | null;
  entropy: number[]; normalizedEntropy: number[]; maxWeight: number[]; effectiveTokens: number[]; jacobianNorm: number[]; emptyRows: number[];
  sweep: { factor: number; meanEntropy: number; meanMaxWeight: number; meanEffectiveTokens: number; meanNormalizedEntropy: number; meanJacobianNorm: number }[];
  diagonal: { meanDiagonalWeight: number; argmaxOnDiagonal: number } | null;
}
interface Fixture { name: string; input: unknown; options: { scale?: ScaleSpec; mask?: unknown }; expected: { heads: ExpectedHead[]; output: number[][] | null } }

const fixtures: Fixture[] = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')));

describe('core matches numpy (float64 reference)', () => {
  it('has fixtures for every input form', () => {
    const forms = new Set(fixtures.map((f) => readAttentionInput(f.input).form));
    assert.deepEqual([...forms].sort(), ['projected', 'qkv', 'scores', 'weights']);
    assert.ok(fixtures.length >= 15);
  });

  for (const fx of fixtures) {
    it(fx.name, () => {
      const input = readAttentionInput(fx.input);
      const { n, m } = inputShape(input);
      const mask: MaskSpec | undefined = fx.options.mask === undefined ? undefined : readMask(fx.options.mask, 'options.mask', n, m);
      const result = inspect(input, { scale: fx.options.scale, mask });
      assert.equal(result.heads.length, fx.expected.heads.length, 'head count');
      fx.expected.heads.forEach((e, h) => {
        const got = result.heads[h];
        const at = `${fx.name} head ${h}`;
        assert.equal(got.layer, e.layer, `${at}: layer`);
        assert.equal(got.head, e.head, `${at}: head`);
        assert.equal(got.dK, e.dK, `${at}: dK`);
        if (e.factor === null) assert.equal(got.factor, null);
        else assertClose(got.factor!, e.factor, 1e-12, `${at}: factor`);
        if (e.scores === null) assert.equal(got.scores, null);
        else assertMatrixClose(got.scores!, e.scores, TOL, `${at}: scores`, got.allowed);
        assertMatrixClose(got.weights, e.weights, TOL, `${at}: weights`);
        if (e.output === null) assert.equal(got.output, null);
        else assertMatrixClose(got.output!, e.output, TOL, `${at}: output`);
        assertVectorClose(got.rows.entropy, e.entropy, TOL, `${at}: entropy`);
        assertVectorClose(got.rows.normalizedEntropy, e.normalizedEntropy, TOL, `${at}: normalizedEntropy`);
        assertVectorClose(got.rows.maxWeight, e.maxWeight, TOL, `${at}: maxWeight`);
        assertVectorClose(got.rows.effectiveTokens, e.effectiveTokens, TOL, `${at}: effectiveTokens`);
        assertVectorClose(got.rows.jacobianNorm, e.jacobianNorm, TOL, `${at}: jacobianNorm`);
        assert.deepEqual(got.rows.emptyRows, e.emptyRows, `${at}: emptyRows`);
        assert.equal(got.sweep.length, e.sweep.length, `${at}: sweep length`);
        e.sweep.forEach((p, i) => {
          const q = got.sweep[i];
          assertClose(q.factor, p.factor, 1e-9, `${at}: sweep[${i}].factor`);
          assertClose(q.meanEntropy, p.meanEntropy, TOL, `${at}: sweep[${i}].meanEntropy`);
          assertClose(q.meanMaxWeight, p.meanMaxWeight, TOL, `${at}: sweep[${i}].meanMaxWeight`);
          assertClose(q.meanEffectiveTokens, p.meanEffectiveTokens, TOL, `${at}: sweep[${i}].meanEffectiveTokens`);
          assertClose(q.meanNormalizedEntropy, p.meanNormalizedEntropy, TOL, `${at}: sweep[${i}].meanNormalizedEntropy`);
          assertClose(q.meanJacobianNorm, p.meanJacobianNorm, TOL, `${at}: sweep[${i}].meanJacobianNorm`);
        });
        if (e.diagonal === null) assert.equal(got.diagonal, null);
        else {
          assertClose(got.diagonal!.meanDiagonalWeight, e.diagonal.meanDiagonalWeight, TOL, `${at}: meanDiagonalWeight`);
          assertClose(got.diagonal!.argmaxOnDiagonal, e.diagonal.argmaxOnDiagonal, TOL, `${at}: argmaxOnDiagonal`);
        }
        for (const v of got.weights.data) assert.ok(Number.isFinite(v), `${at}: weights finite`);
      });
      if (fx.expected.output === null) assert.equal(result.output, null);
      else assertMatrixClose(result.output!, fx.expected.output, TOL, `${fx.name}: multi-head output`);
    });
  }
});
