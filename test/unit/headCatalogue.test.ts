// The head catalogue (src/core/headCatalogue.ts) against numpy: weights are softmaxes computed by
// torch in float64 (causal and bidirectional heads, one with a query that sees no key), the figures
// are computed independently by numpy in the same Python run, and ours must agree to 1e-6.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import {
  catalogueEntry,
  firstTokenMass,
  inductionScore,
  inductionTargets,
  meanEntropy,
  previousTokenScore,
} from '../../src/core/headCatalogue';
import { TORCH_PYTHON } from '../helpers/torchReference';

const REFERENCE = String.raw`
import json, sys
import numpy as np, torch
torch.manual_seed(7)
out = []
for case, (n, causal, empty_row) in enumerate([(9, True, None), (12, False, None), (8, True, 3)]):
    T = n // 2
    first = torch.randint(0, 50, (T,))
    ids = torch.cat([first, first, torch.randint(50, 60, (n - 2 * T,))]).tolist()
    logits = torch.randn(n, n, dtype=torch.float64) * 2.5
    allowed = torch.ones(n, n, dtype=torch.bool)
    if causal:
        allowed = torch.tril(allowed)
    if empty_row is not None:
        allowed[empty_row, :] = False
    w = torch.softmax(logits.masked_fill(~allowed, float('-inf')), dim=-1)
    w = torch.nan_to_num(w, nan=0.0).to(torch.float32).numpy().astype(np.float64)
    live = w.sum(axis=1) > 0
    rows = np.arange(n)
    with np.errstate(divide='ignore', invalid='ignore'):
        ent = -np.where(w > 0, w * np.log(w), 0.0).sum(axis=1)
    later = live & (rows >= 1)
    last, targets = {}, []
    for i, t in enumerate(ids):
        targets.append(last[t] + 1 if t in last else -1)
        last[t] = i
    targets = np.array(targets)
    rep = live & (targets >= 0)
    out.append({
        'n': n, 'ids': ids, 'weights': w.ravel().tolist(),
        'meanEntropy': float(ent[live].mean()),
        'meanLargestWeight': float(w.max(axis=1)[live].mean()),
        'diagonalShare': float(np.diag(w)[live].mean()),
        'previousTokenScore': float(w[rows[later], rows[later] - 1].mean()),
        'firstTokenMass': float(w[later, 0].mean()),
        'inductionScore': float(w[rows[rep], targets[rep]].mean()),
    })
json.dump(out, sys.stdout)
`;

interface Case {
  n: number;
  ids: number[];
  weights: number[];
  meanEntropy: number;
  meanLargestWeight: number;
  diagonalShare: number;
  previousTokenScore: number;
  firstTokenMass: number;
  inductionScore: number;
}

function numpyCases(): Case[] {
  const r = spawnSync(TORCH_PYTHON, ['-c', REFERENCE], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`numpy reference failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as Case[];
}

describe('head catalogue', function () {
  this.timeout(60_000);

  it('matches numpy on torch softmax weights (causal, bidirectional, an empty row)', () => {
    const cases = numpyCases();
    assert.equal(cases.length, 3);
    for (const [k, c] of cases.entries()) {
      const entry = catalogueEntry(Float32Array.from(c.weights), c.n, c.ids);
      for (const name of [
        'meanEntropy',
        'meanLargestWeight',
        'diagonalShare',
        'previousTokenScore',
        'firstTokenMass',
        'inductionScore',
      ] as const) {
        const ours = entry[name];
        assert.ok(ours !== null, `case ${k} ${name} is null`);
        assert.ok(Math.abs(ours - c[name]) < 1e-6, `case ${k} ${name}: ours ${ours}, numpy ${c[name]}`);
      }
    }
  });

  it('finds the induction target after the previous occurrence', () => {
    assert.deepEqual(inductionTargets([5, 6, 7, 5, 6, 7]), [-1, -1, -1, 1, 2, 3]);
    assert.deepEqual(inductionTargets([1, 1, 2, 1]), [-1, 1, -1, 2]);
  });

  it('an ideal previous-token head scores 1, an ideal induction head scores 1', () => {
    const n = 6,
      ids = [3, 4, 5, 3, 4, 5];
    const prev = new Float32Array(n * n),
      induction = new Float32Array(n * n);
    prev[0] = 1;
    for (let i = 1; i < n; i++) prev[i * n + i - 1] = 1;
    const targets = inductionTargets(ids);
    for (let i = 0; i < n; i++) induction[i * n + (targets[i] >= 0 ? targets[i] : 0)] = 1;
    assert.equal(previousTokenScore(prev, n), 1);
    assert.equal(inductionScore(induction, n, ids), 1);
    assert.equal(firstTokenMass(prev, n), 1 / (n - 1));
    assert.equal(meanEntropy(prev, n), 0);
  });

  it('refuses weights that are not n × n, and ids of another length', () => {
    assert.throws(() => meanEntropy(new Float32Array(5), 2), /n × n = 2 × 2/);
    assert.throws(() => inductionScore(new Float32Array(4), 2, [1]), /1 token ids for 2 queries/);
  });

  it('property: on any softmax rows every share is in [0, 1] and the entropy in [0, ln n]', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 10 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: n * n, maxLength: n * n }),
              fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
            ),
          ),
        ([n, logits, ids]) => {
          const w = new Float32Array(n * n);
          for (let i = 0; i < n; i++) {
            const row = logits.slice(i * n, i * n + i + 1);
            const top = Math.max(...row);
            const e = row.map((x) => Math.exp(x - top));
            const s = e.reduce((a, b) => a + b, 0);
            e.forEach((x, j) => (w[i * n + j] = x / s));
          }
          const entry = catalogueEntry(w, n, ids);
          for (const v of [
            entry.meanLargestWeight,
            entry.diagonalShare,
            entry.previousTokenScore,
            entry.firstTokenMass,
            entry.inductionScore,
          ]) {
            if (v !== null) assert.ok(v >= -1e-6 && v <= 1 + 1e-6, `share ${v}`);
          }
          assert.ok(
            entry.meanEntropy !== null && entry.meanEntropy >= -1e-6 && entry.meanEntropy <= Math.log(n) + 1e-5,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
