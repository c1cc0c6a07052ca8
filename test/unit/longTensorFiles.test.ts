// Long attention in tensor files: above fullResolutionTokens a head is taken a block of rows at a time
// (map rows read from the file, or q·k from its Q and K) into a max-pooled overview with exact per-row
// figures, and a region is its rows again. numpy writes the files (scores, the weights softmax gives
// them, Q/K/V) and computes, independently, the pooled overview, each row's entropy, largest weight and
// diagonal weight, and a region's weights.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryByteSource, axisLabels, openAttention } from '../../src/core/tensorfiles';
import { answerRequest } from '../../src/host/session';
import type { StreamGivenHead } from '../../src/host/pooledFileHeads';
import { TensorFileSource } from '../../src/host/tensorFileSource';
import { streamGivenOnPool } from '../../src/node/openSource';
import type { HeadPayload, Overview, RegionPayload } from '../../src/protocol/messages';
import { validateResult } from '../../src/protocol/validate';
import { assertClose } from '../helpers/close';

const N = 200,
  HEADS = 2,
  SIDE = 50,
  CELL = 4,
  DK = 16;
const REGION = { row0: 37, rows: 40, col0: 10, cols: 60 };

const SCRIPT = String.raw`
import json, sys
import numpy as np
out, n, heads, cell, dk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
r0, rows, c0, cols = [int(x) for x in sys.argv[6:10]]
rng = np.random.default_rng(7)
scores = (rng.standard_normal((heads, n, n)) * 3).astype(np.float32)
np.save(out + "/scores.npy", scores)
def softmax_rows(s, allowed):
    s = np.where(allowed, s, -np.inf)
    s = s - s.max(axis=-1, keepdims=True)
    e = np.where(allowed, np.exp(s), 0.0)
    return e / e.sum(axis=-1, keepdims=True)
causal = np.tril(np.ones((n, n), dtype=bool))
def figures(w):
    side = -(-n // cell)
    pad = np.zeros((side * cell, side * cell)); pad[:n, :n] = w
    pooled = pad.reshape(side, cell, side, cell).max(axis=(1, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(w > 0, w * np.log(w), 0.0).sum(axis=1)
    return dict(pooled=pooled.ravel().tolist(), entropy=ent.tolist(), maxWeight=w.max(axis=1).tolist(), diagonal=np.diag(w).tolist(),
                region=w[r0:r0 + rows, c0:c0 + cols].ravel().tolist())
factor = 1 / np.sqrt(dk)
expected = {}
expected["scores-causal"] = [figures(softmax_rows(scores[h].astype(np.float64) * factor, causal)) for h in range(heads)]
weights = np.stack([softmax_rows(scores[h].astype(np.float64) * factor, np.ones((n, n), dtype=bool)) for h in range(heads)])
np.save(out + "/weights.npy", weights.astype(np.float32))
expected["weights"] = [figures(weights[h]) for h in range(heads)]
d = 8
q, k, v = [(rng.standard_normal((heads, n, d))).astype(np.float32) for _ in range(3)]
np.savez(out + "/qkv.npz", q=q, k=k, v=v)
expected["qkv-causal"] = [figures(softmax_rows(q[h].astype(np.float64) @ k[h].astype(np.float64).T / np.sqrt(d), causal)) for h in range(heads)]
json.dump(expected, open(out + "/expected.json", "w"))
`;

interface Figures {
  pooled: number[];
  entropy: number[];
  maxWeight: number[];
  diagonal: number[];
  region: number[];
}

describe('long attention maps in tensor files (numpy reference)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-long-files-'));
  let expected: Record<string, Figures[]>;
  before(() => {
    const r = spawnSync(
      'python3',
      ['-c', SCRIPT, dir, String(N), String(HEADS), String(CELL), String(DK), ...Object.values(REGION).map(String)],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, `numpy failed: ${r.stderr}`);
    expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function open(
    name: string,
    options: { dK?: number; mask?: 'causal'; scale?: number; streamGiven?: StreamGivenHead },
  ) {
    const bytes = new MemoryByteSource(name, readFileSync(join(dir, name)));
    const opened = await openAttention(bytes, {});
    return new TensorFileSource(opened, axisLabels(name, opened.view, null), {
      title: name,
      fullResolutionTokens: 100,
      overviewSide: SIDE,
      ...options,
    });
  }

  const ask = async <T>(
    source: TensorFileSource,
    method: 'overview' | 'head' | 'region',
    params: object,
  ): Promise<T> => {
    const checked = validateResult(method, await answerRequest(source, method, params as never));
    assert.ok(checked.ok, checked.ok ? '' : checked.error);
    return checked.value as T;
  };

  const cases = [
    ['scores.npy', 'scores-causal', { dK: DK, mask: 'causal' as const }, ''],
    ['weights.npy', 'weights', {}, ''],
    ['qkv.npz', 'qkv-causal', { mask: 'causal' as const }, ' (row by row here)'],
    [
      'qkv.npz',
      'qkv-causal',
      { mask: 'causal' as const, streamGiven: streamGivenOnPool },
      ' (through the streaming kernels, as the node worker does)',
    ],
  ] as const;
  for (const [name, key, options, how] of cases) {
    it(`${name}: overview, row figures, summaries and a region match numpy${how}`, async () => {
      const source = await open(name, options);
      const o = await ask<Overview>(source, 'overview', {});
      assert.deepEqual(o.pooled, { tokens: N, cell: CELL, fullResolutionTokens: 100 });
      assert.equal(o.form, key.split('-')[0]);
      assert.equal(o.n, SIDE);
      for (let h = 0; h < HEADS; h++) {
        const want = expected[key][h];
        const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
        assertClose(o.summaries[h].meanEntropy, mean(want.entropy), 1e-5, `head ${h} mean entropy`);
        assertClose(o.summaries[h].meanMaxWeight, mean(want.maxWeight), 1e-5, `head ${h} mean largest weight`);
        assertClose(o.summaries[h].diagonalShare!, mean(want.diagonal), 1e-5, `head ${h} diagonal share`);
        const p = await ask<HeadPayload>(source, 'head', { layer: 0, head: h });
        want.pooled.forEach((v, k) => assertClose(p.weights[k], v, 1e-5, `head ${h} block ${k}`));
        const r = await ask<RegionPayload>(source, 'region', { layer: 0, head: h, ...REGION });
        assert.equal(r.dots === null, key === 'weights', 'logits only where the file has them');
        want.region.forEach((v, k) => assertClose(r.weights[k], v, 1e-5, `head ${h} region cell ${k}`));
        want.entropy
          .slice(REGION.row0, REGION.row0 + REGION.rows)
          .forEach((v, i) => assertClose(r.entropy[i], v, 1e-4, `head ${h} region row ${i} entropy`));
      }
    });
  }

  it('shows a long map at the scale rule it was opened with', async () => {
    const source = await open('scores.npy', { dK: DK, scale: 2 });
    assert.equal((await source.head(0, 0)).factor, 2);
  });
});
