// The scale module (src/core/scale.ts): rules and their factors against numpy, the default rule as
// every input form applies it, the canonical factors of the sweep, what can be re-scaled, and the
// one refusal every layer uses.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CANNOT_RESCALE,
  CANONICAL_LABELS,
  InputError,
  RESCALE_REFUSALS,
  SWEEP_LABELS,
  type RescaleRefusal,
  type ScaleRule,
  canonicalFactors,
  defaultScaleRule,
  factorFor,
  inspect,
  isRescalable,
  isScaleRule,
  logGrid,
  matrixFrom,
  namedRule,
  parseScaleRule,
  readAttentionInput,
  refuseRescale,
  scaleFactor,
  scaleSweep,
  sweepFactors,
} from '../../src/core';
import { MemorySource } from '../../src/host/memorySource';
import { parseWebviewMessage } from '../../src/protocol/validate';

const ROOT = join(__dirname, '..', '..');
const KEY_DIMS = [1, 2, 3, 7, 8, 16, 64, 96, 128, 1000, 1024];

/** numpy's 1/√d_k and 1/d_k (float64) for KEY_DIMS: an independent reference for the factors. */
function numpyFactors(): { sqrt: number[]; linear: number[] } {
  const program = `import json, numpy as np; d = np.array(${JSON.stringify(KEY_DIMS)}, dtype=np.float64); print(json.dumps({"sqrt": (1 / np.sqrt(d)).tolist(), "linear": (1 / d).tolist()}))`;
  const r = spawnSync('python3', ['-c', program], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `numpy reference failed (python3 with numpy is needed): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('scale: rules and factors', () => {
  const reference = numpyFactors();

  it('gives numpy’s 1/√d_k for sqrt, 1 for none, and a number as it is', () => {
    KEY_DIMS.forEach((d, i) => {
      assert.ok(Math.abs(scaleFactor('sqrt', d) - reference.sqrt[i]) <= 1e-15 * reference.sqrt[i], `1/√${d}`);
      assert.equal(scaleFactor('none', d), 1);
      assert.equal(scaleFactor(0.3, d), 0.3);
    });
    assert.throws(() => scaleFactor('sqrt', undefined), RangeError);
  });

  it('defaults to 1/√d_k when the key dimension is known, else to 1', () => {
    assert.equal(defaultScaleRule(16), 'sqrt');
    assert.equal(defaultScaleRule(undefined), 'none');
    assert.equal(factorFor(undefined, 64), reference.sqrt[KEY_DIMS.indexOf(64)]);
    assert.equal(factorFor(undefined, undefined), 1);
    assert.equal(factorFor(2.5, undefined), 2.5);
  });

  it('refuses sqrt without d_k in one line naming who asked', () => {
    assert.throws(
      () => factorFor('sqrt', undefined, '--scale'),
      (e: unknown) =>
        e instanceof InputError &&
        e.message === '--scale: scale sqrt needs the key dimension, and these scores have no $.d_k',
    );
  });

  it('applies the default rule the same way to every input form', () => {
    const q = [
      [1, 0, 2],
      [0, 1, 1],
    ];
    const qkv = inspect(readAttentionInput({ Q: q, K: q, V: q }));
    assert.equal(qkv.heads[0].factor, reference.sqrt[KEY_DIMS.indexOf(3)]);
    assert.equal(qkv.scale, 'sqrt');
    const projected = inspect(
      readAttentionInput({
        X: q,
        W_Q: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        W_K: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        W_V: [[1], [2], [3]],
      }),
    );
    assert.equal(projected.heads[0].factor, 1 / Math.sqrt(2), 'projected: d_k is the width of W_Q');
    const scores = inspect(
      readAttentionInput({
        scores: [
          [1, 2],
          [3, 4],
        ],
      }),
    );
    assert.equal(scores.heads[0].factor, 1);
    assert.equal(scores.scale, 'none');
    const scoresDK = inspect(
      readAttentionInput({
        scores: [
          [1, 2],
          [3, 4],
        ],
        d_k: 16,
      }),
    );
    assert.equal(scoresDK.heads[0].factor, 0.25);
  });

  it('reports a number equal to 1/√d_k as the rule sqrt, and any other number as itself', () => {
    assert.equal(namedRule(0.25, 16), 'sqrt');
    assert.equal(namedRule(0.26, 16), 0.26);
    assert.equal(namedRule(0.25, undefined), 0.25);
    const q = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ];
    assert.equal(inspect(readAttentionInput({ Q: q, K: q, V: q }), { scale: 0.5 }).scale, 'sqrt');
  });

  it('accepts exactly the positive finite numbers within float32 as rules (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 3.4e38, noNaN: true }), (x) => {
        assert.ok(isScaleRule(x));
        assert.equal(parseScaleRule(String(x), 'setting'), x);
      }),
      { seed: 15, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: 0 }), fc.constant(Infinity), fc.constant(NaN), fc.constant(1e39)), (x) =>
        assert.ok(!isScaleRule(x)),
      ),
      { seed: 16, numRuns: 200 },
    );
    for (const word of ['sqrt', 'none'] as const) assert.equal(parseScaleRule(word, 'x'), word);
    for (const bad of ['', ' ', '-1', '0', 'abc', 'Infinity'])
      assert.throws(
        () => parseScaleRule(bad, '--scale'),
        /^Error: --scale: expected sqrt, none or a positive number|--scale: expected sqrt, none or a positive number/,
      );
  });
});

describe('scale: canonical factors and the sweep', () => {
  const reference = numpyFactors();

  it('are 1, numpy’s 1/√d_k and 1/d_k, labelled, in that order; only 1 without d_k', () => {
    KEY_DIMS.forEach((d, i) => {
      const c = canonicalFactors(d);
      assert.deepEqual(
        c.map((x) => x.label),
        [...CANONICAL_LABELS],
      );
      assert.equal(c[0].factor, 1);
      assert.ok(Math.abs(c[1].factor - reference.sqrt[i]) <= 1e-15 * reference.sqrt[i]);
      assert.ok(Math.abs(c[2].factor - reference.linear[i]) <= 1e-15 * reference.linear[i]);
    });
    assert.deepEqual(canonicalFactors(undefined), [{ factor: 1, label: 'unscaled' }]);
  });

  it('start every sweep, followed by the grid', () => {
    const grid = logGrid(1e-2, 1, 5);
    assert.deepEqual(sweepFactors(4, grid), [
      ...canonicalFactors(4),
      ...grid.map((factor) => ({ factor, label: 'grid' })),
    ]);
    const dots = matrixFrom(2, 2, new Float32Array([1, 2, 3, 4]));
    const sweep = scaleSweep(dots, null, 4, grid);
    assert.deepEqual(
      sweep.map((p) => [p.factor, p.label]),
      sweepFactors(4, grid).map((p) => [p.factor, p.label]),
    );
    for (const p of sweep) assert.ok(SWEEP_LABELS.includes(p.label));
  });
});

describe('scale: what can be re-scaled, and the refusal', () => {
  it('only logits can be re-scaled: scores and Q/K/V, not exported weights', () => {
    for (const form of ['qkv', 'projected', 'scores', 'text'] as const) assert.ok(isRescalable(form), form);
    assert.ok(!isRescalable('weights'));
  });

  it('the panel’s overview says the same as isRescalable', async () => {
    const weights = MemorySource.fromSpec({
      kind: 'json',
      json: JSON.stringify({
        attentions: [
          [0.5, 0.5],
          [1, 0],
        ],
      }),
    });
    const scores = MemorySource.fromSpec({
      kind: 'json',
      json: JSON.stringify({
        scores: [
          [1, 2],
          [3, 4],
        ],
      }),
    });
    assert.equal((await weights.overview()).rescalable, isRescalable('weights'));
    assert.equal((await scores.overview()).rescalable, isRescalable('scores'));
  });

  it('every refusal says "cannot be re-scaled" and names who asked', () => {
    for (const why of Object.keys(RESCALE_REFUSALS) as RescaleRefusal[]) {
      const e = refuseRescale('--scale', why);
      assert.ok(e instanceof InputError);
      assert.ok(e.message.startsWith('--scale: '), e.message);
      assert.ok(e.message.includes(CANNOT_RESCALE), e.message);
    }
  });

  it('is the refusal each path gives: a JSON field, an override, a tensor of weights', () => {
    assert.throws(() => readAttentionInput({ attentions: [[1]], scale: 2 }), {
      message: refuseRescale('$.scale', 'weightsField').message,
    });
    const rule: ScaleRule = 2;
    assert.throws(() => inspect(readAttentionInput({ attentions: [[1]] }), { scale: rule, scaleSource: '--scale' }), {
      message: refuseRescale('--scale', 'weightsOverride').message,
    });
    assert.throws(
      () => MemorySource.fromSpec({ kind: 'json', json: JSON.stringify({ attentions: [[1]] }), scale: 'sqrt' }),
      { message: refuseRescale('--scale', 'weightsOverride').message },
    );
  });

  it('has no protocol lane: a head request asking the host to re-scale is refused, not ignored', () => {
    const checked = parseWebviewMessage({
      kind: 'request',
      id: 1,
      method: 'head',
      params: { layer: 0, head: 0, scale: 2 },
    });
    assert.ok(!checked.ok);
    assert.match(checked.error, /^params\.scale: the host sends heads at the input’s own scale/);
  });

  it('is written only in src/core/scale.ts (no layer words its own)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith(join('core', 'scale.ts'))) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              const code = line.replace(/\/\/.*$/, '').trim();
              if (
                !code.startsWith('*') &&
                !code.startsWith('/*') &&
                /cannot be re-scaled|re-scaling is available/.test(code)
              )
                offenders.push(`${path}:${i + 1}`);
            });
        }
      }
    };
    walk(join(ROOT, 'src'));
    assert.deepEqual(offenders, []);
  });
});
