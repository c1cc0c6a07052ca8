// The core against numpy: every fixture in test/fixtures/core was computed in float64 by
// test/fixtures/generate.py; the core must match to 1e-5 (relative for large values).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ScaleRule,
  type MaskSpec,
  inspect,
  readAttentionInput,
  readMask,
  inputShape,
  softmaxWithSharpness,
} from '../../src/core';
import { assertClose, assertMatrixClose, assertVectorClose } from '../helpers/close';

const DIR = join(__dirname, '..', 'fixtures', 'core');
const TOL = 1e-5;

interface ExpectedHead {
  layer: number;
  head: number;
  dK: number | null;
  factor: number | null;
  scores: (number | null)[][] | null;
  weights: number[][];
  output: number[][] | null;
  entropy: number[];
  normalizedEntropy: number[];
  maxWeight: number[];
  effectiveTokens: number[];
  jacobianNorm: number[];
  emptyRows: number[];
  sweep: {
    factor: number;
    meanEntropy: number;
    meanMaxWeight: number;
    meanEffectiveTokens: number;
    meanNormalizedEntropy: number;
    meanJacobianNorm: number;
  }[];
  diagonal: { meanDiagonalWeight: number; argmaxOnDiagonal: number } | null;
}
interface Fixture {
  name: string;
  input: unknown;
  options: { scale?: ScaleRule; mask?: unknown };
  expected: { heads: ExpectedHead[]; output: number[][] | null };
}

const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')));

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
      const mask: MaskSpec | undefined =
        fx.options.mask === undefined ? undefined : readMask(fx.options.mask, 'options.mask', n, m);
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
          assertClose(
            q.meanNormalizedEntropy,
            p.meanNormalizedEntropy,
            TOL,
            `${at}: sweep[${i}].meanNormalizedEntropy`,
          );
          assertClose(q.meanJacobianNorm, p.meanJacobianNorm, TOL, `${at}: sweep[${i}].meanJacobianNorm`);
        });
        if (e.diagonal === null) assert.equal(got.diagonal, null);
        else {
          assertClose(
            got.diagonal!.meanDiagonalWeight,
            e.diagonal.meanDiagonalWeight,
            TOL,
            `${at}: meanDiagonalWeight`,
          );
          assertClose(got.diagonal!.argmaxOnDiagonal, e.diagonal.argmaxOnDiagonal, TOL, `${at}: argmaxOnDiagonal`);
        }
        for (const v of got.weights.data) assert.ok(Number.isFinite(v), `${at}: weights finite`);
      });
      if (fx.expected.output === null) assert.equal(result.output, null);
      else assertMatrixClose(result.output!, fx.expected.output, TOL, `${fx.name}: multi-head output`);
    });
  }
});

// The slider's fused pass (softmax and sharpness from the row's log-sum-exp) against the same numpy
// numbers: at the input's own factor cell by cell, and at every factor of the sweep through its means.
describe('softmaxWithSharpness matches numpy', () => {
  const mean = (v: ArrayLike<number>, skip: number[]) => {
    let sum = 0,
      count = 0;
    for (let i = 0; i < v.length; i++)
      if (!skip.includes(i)) {
        sum += v[i];
        count++;
      }
    return count ? sum / count : 0;
  };
  for (const fx of fixtures) {
    fx.expected.heads.forEach((e, h) => {
      if (e.scores === null || e.factor === null) return;
      it(`${fx.name} head ${h}`, () => {
        const at = `${fx.name} head ${h}`;
        const n = e.scores!.length,
          m = e.scores![0].length;
        const scores = new Float32Array(n * m);
        const allowed = new Uint8Array(n * m);
        e.scores!.forEach((row, i) =>
          row.forEach((v, j) => {
            scores[i * m + j] = v ?? 0;
            allowed[i * m + j] = v === null ? 0 : 1;
          }),
        );
        const logits = { rows: n, cols: m, data: scores };
        const mask = allowed.every((a) => a === 1) ? null : allowed;
        const got = softmaxWithSharpness(logits, mask, 1);
        assertMatrixClose({ rows: n, cols: m, data: got.weights }, e.weights, TOL, `${at}: weights`);
        assertVectorClose(got.entropy, e.entropy, TOL, `${at}: entropy`);
        assertVectorClose(got.maxWeight, e.maxWeight, TOL, `${at}: maxWeight`);
        assertVectorClose(got.effectiveTokens, e.effectiveTokens, TOL, `${at}: effectiveTokens`);
        assert.deepEqual(got.emptyRows, e.emptyRows, `${at}: emptyRows`);
        for (const p of e.sweep) {
          const r = softmaxWithSharpness(logits, mask, p.factor / e.factor!);
          assertClose(mean(r.entropy, r.emptyRows), p.meanEntropy, TOL, `${at}: factor ${p.factor} meanEntropy`);
          assertClose(mean(r.maxWeight, r.emptyRows), p.meanMaxWeight, TOL, `${at}: factor ${p.factor} meanMaxWeight`);
          assertClose(
            mean(r.effectiveTokens, r.emptyRows),
            p.meanEffectiveTokens,
            TOL,
            `${at}: factor ${p.factor} meanEffectiveTokens`,
          );
        }
      });
    });
  }
});
