// The one-pass kernel that checks and measures a tensor file's exported weights
// (src/core/kernels/weightRows.ts): against numpy in float64, and as a property against the
// reference path it replaces (checkWeights, rowSharpness, diagonalDominance), including the heads
// it must hand back to the reference (NaN, negative, infinite values; rows that do not sum to 1).
import './kernels.setup';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { type Matrix, diagonalDominance, rowSharpness } from '../../src/core';
import { checkWeights } from '../../src/core/values';
import { exportedWeightsPass } from '../../src/core/kernels/weightRows';
import { inspectFileHead } from '../../src/core/tensorfiles/inspectHead';
import * as kernels from '../../src/core/kernels';
import { assertClose } from '../helpers/close';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** A softmax matrix from numpy (float32) and numpy's float64 figures of it, row by row. */
function numpyHead(n: number, m: number, seed: number) {
  const script = `
import numpy as np, sys, json
rng = np.random.default_rng(${seed})
s = rng.normal(size=(${n}, ${m})) * 3
w = np.exp(s - s.max(axis=1, keepdims=True)); w = (w / w.sum(axis=1, keepdims=True)).astype(np.float32)
w[1] = 0  # a fully masked row
p = w.astype(np.float64)
with np.errstate(divide='ignore', invalid='ignore'):
    h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0).sum(axis=1)
s2 = (p * p).sum(axis=1); s3 = (p ** 3).sum(axis=1)
live = p.sum(axis=1) > 0
d = min(${n}, ${m})
out = dict(entropy=h.tolist(), max=p.max(axis=1).tolist(), jac=np.sqrt(np.maximum(0, s2 - 2 * s3 + s2 * s2)).tolist(),
           diag=float(np.mean([p[i, i] for i in range(d) if live[i]])) if ${n} == ${m} else None,
           onDiag=float(np.mean([np.argmax(p[i]) == i for i in range(d) if live[i]])) if ${n} == ${m} else None)
sys.stdout.write(json.dumps(out) + '\\n')
sys.stdout.buffer.write(w.astype('<f4').tobytes())
`;
  const r = spawnSync(PYTHON, ['-c', script], { maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `numpy failed: ${r.stderr?.toString()}`);
  const stdout = r.stdout as Buffer;
  const newline = stdout.indexOf(10);
  const figures = JSON.parse(stdout.subarray(0, newline).toString('utf8'));
  const bytes = stdout.subarray(newline + 1);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * m * 4));
  return { matrix: { rows: n, cols: m, data } as Matrix, figures };
}

/** Rows of random weights summing to 1 (as float32 softmax rows do, to rounding), some all zero. */
const weightsMatrix = fc
  .record({ n: fc.integer({ min: 1, max: 12 }), m: fc.integer({ min: 1, max: 37 }), seed: fc.integer() })
  .chain(({ n, m }) =>
    fc.array(fc.array(fc.float({ min: 0, max: 10, noNaN: true }), { minLength: m, maxLength: m }), {
      minLength: n,
      maxLength: n,
    }),
  )
  .map((rows) => {
    const n = rows.length,
      m = rows[0].length;
    const data = new Float32Array(n * m);
    rows.forEach((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      // Rows of zeros stay zero (masked); others are normalised.
      row.forEach((x, j) => (data[i * m + j] = total > 0 ? x / total : 0));
    });
    return { rows: n, cols: m, data } as Matrix;
  });

describe('tensor files: the exported-weights kernel pass', () => {
  it('matches numpy (float64) on softmax heads, square and not, with a masked row', () => {
    for (const [n, m, seed] of [
      [64, 64, 1],
      [33, 130, 2],
      [257, 257, 3],
    ]) {
      const { matrix, figures } = numpyHead(n, m, seed);
      const pass = exportedWeightsPass(matrix, 1e-3);
      assert.ok(pass, 'the kernels are loaded and every row is in rule');
      assert.deepEqual(pass.maskedRows, [1]);
      assert.deepEqual(pass.rows.emptyRows, [1]);
      for (let i = 0; i < n; i++) {
        if (i === 1) continue;
        assertClose(pass.rows.entropy[i], figures.entropy[i], 2e-6, `${n}×${m} entropy[${i}]`);
        assertClose(pass.rows.maxWeight[i], figures.max[i], 1e-7, `${n}×${m} max[${i}]`);
        assertClose(pass.rows.jacobianNorm[i], figures.jac[i], 2e-6, `${n}×${m} jacobian[${i}]`);
        assertClose(pass.rows.effectiveTokens[i], Math.exp(figures.entropy[i]), 2e-6, `${n}×${m} exp H[${i}]`);
      }
      if (n === m) {
        assertClose(pass.diagonal!.meanDiagonalWeight, figures.diag, 1e-6, `${n}×${m} diagonal`);
        assert.equal(pass.diagonal!.argmaxOnDiagonal, figures.onDiag);
      } else assert.equal(pass.diagonal, null);
    }
  });

  it('property: agrees with checkWeights, rowSharpness and diagonalDominance (the reference path)', () => {
    fc.assert(
      fc.property(weightsMatrix, (w) => {
        const pass = exportedWeightsPass(w, 1e-3);
        const checked = checkWeights(w, 1e-3, 'head');
        assert.ok(pass);
        assert.deepEqual(pass.maskedRows, checked.maskedRows);
        const ref = rowSharpness(checked.weights);
        assert.deepEqual(pass.rows.emptyRows, ref.emptyRows);
        assert.deepEqual(Array.from(pass.rows.maxWeight), Array.from(ref.maxWeight));
        for (let i = 0; i < w.rows; i++) {
          assertClose(pass.rows.entropy[i], ref.entropy[i], 2e-6, `entropy[${i}]`);
          assertClose(pass.rows.normalizedEntropy[i], ref.normalizedEntropy[i], 2e-6, `normalized[${i}]`);
          assertClose(pass.rows.jacobianNorm[i], ref.jacobianNorm[i], 1e-6, `jacobian[${i}]`);
        }
        assert.deepEqual(pass.diagonal, w.rows === w.cols ? diagonalDominance(checked.weights) : null);
      }),
    );
  });

  it('takes −0, subnormal and tiny weights as the reference does (no special case in its p·ln p)', () => {
    const tiny = [-0, 1e-45, 1e-40, 1.1754942e-38, 1e-30, 3e-8];
    for (const m of [5, 8, 13]) {
      const data = new Float32Array(tiny.length * m);
      tiny.forEach((x, i) => {
        for (let j = 0; j < m; j++) data[i * m + j] = j === i % m ? 1 - (m - 1) * x : x;
      });
      const w = { rows: tiny.length, cols: m, data } as Matrix;
      const pass = exportedWeightsPass(w, 1e-3);
      assert.ok(pass, `m ${m}: every row is in rule`);
      const ref = rowSharpness(checkWeights(w, 1e-3, 'head').weights);
      assert.deepEqual(Array.from(pass.rows.maxWeight), Array.from(ref.maxWeight));
      for (let i = 0; i < w.rows; i++) {
        assertClose(pass.rows.entropy[i], ref.entropy[i], 2e-6, `m ${m} entropy[${i}]`);
        assertClose(pass.rows.jacobianNorm[i], ref.jacobianNorm[i], 1e-6, `m ${m} jacobian[${i}]`);
      }
      assert.deepEqual(pass.diagonal, null);
    }
  });

  it('hands a head with any value out of rule back to the reference, which names it', () => {
    const row = (values: number[]) => ({
      rows: 2,
      cols: 4,
      data: Float32Array.from([0.25, 0.25, 0.25, 0.25, ...values]),
    });
    for (const bad of [
      [NaN, NaN, NaN, NaN], // all NaN: masked, and the reference shows it as zeros
      [0.5, 0.5, -0.0001, 0.0001],
      [Infinity, 0, 0, 0],
      [0.5, 0.5, 0.5, 0.5], // sums to 2
      [0.25, 0.25, 0.25, 0.2506], // sums to 1.0006: over the 5e-4 tolerance
    ]) {
      const w = row(bad);
      assert.equal(exportedWeightsPass(w, 5e-4), null, `row ${bad.join(', ')}`);
      const viaKernels = () =>
        inspectFileHead({ kind: 'map', matrix: w }, 'weights', 0, 0, { engine: kernels, sumTolerance: 5e-4 });
      const viaReference = () => inspectFileHead({ kind: 'map', matrix: w }, 'weights', 0, 0, { sumTolerance: 5e-4 });
      let expected: unknown, actual: unknown;
      try {
        expected = viaReference().maskedRows;
      } catch (error) {
        expected = (error as Error).message;
      }
      try {
        actual = viaKernels().maskedRows;
      } catch (error) {
        actual = (error as Error).message;
      }
      assert.deepEqual(actual, expected);
    }
  });
});
