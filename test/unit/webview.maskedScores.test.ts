// Pre-softmax scores with −∞ where masked (TransformerLens's hook_attn_scores, Hugging Face eager
// logits with the mask added), written by real torch 1.13 (/usr/bin/python3, Debian's python3-torch)
// with masked_fill(causal, -inf) and saved both by torch.save and by np.save, read through the real
// reader and the panel's file source, then shaped into the heatmap's model as the panel does. The
// references (finite |max|, softmax weights) are torch's own, in float64.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { allowedCells } from '../../src/core/mask';
import { MemoryByteSource, axisLabels, openAttention } from '../../src/core/tensorfiles';
import type { HeadPayload } from '../../src/protocol/messages';
import { TensorFileSource } from '../../src/host/tensorFileSource';
import type { PanelContext } from '../../webview/context';
import { legendTickLayout } from '../../webview/heatmap/legend';
import { maskInUse, maskShape, maskedLegend } from '../../webview/heatmap/maskShape';
import { scoresModel } from '../../webview/models';
import { absMax } from '../../webview/raster';
import { estimateWidth, labelSpan, spansCollide } from '../../webview/ticks';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const HEADS = 3,
  N = 7,
  D = 8;

interface TorchReference {
  /** Per head: the largest finite |score| (the diverging range's half-width). */
  finiteAbsMax: number[];
  /** Per head: softmax(scores) in float64, n·n row-major (the lines view's opacities). */
  weights: number[][];
  tokens: string[];
}

/** Writes scores.pt (torch.save) and scores.npy (np.save) of shape [1, heads, n, n] into `dir`. */
function writeTorchScores(dir: string): TorchReference {
  const script = `
import json, sys, numpy as np, torch
torch.manual_seed(16)
q = torch.randn(1, ${HEADS}, ${N}, ${D}, dtype=torch.float64)
k = torch.randn(1, ${HEADS}, ${N}, ${D}, dtype=torch.float64)
scores = (q @ k.transpose(-1, -2)) / ${D} ** 0.5
causal = torch.triu(torch.ones(${N}, ${N}, dtype=torch.bool), diagonal=1)
scores = scores.masked_fill(causal, float('-inf')).to(torch.float32)
torch.save({'hook_attn_scores': scores}, sys.argv[1] + '/scores.pt')
np.save(sys.argv[1] + '/scores.npy', scores.numpy())
s64 = scores.to(torch.float64)[0]
finite = torch.where(torch.isfinite(s64), s64.abs(), torch.zeros_like(s64))
out = dict(finiteAbsMax=[float(finite[h].max()) for h in range(${HEADS})],
           weights=[torch.softmax(s64[h], dim=-1).flatten().tolist() for h in range(${HEADS})],
           tokens=[])
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `torch failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as TorchReference;
}

async function source(dir: string, name: string): Promise<TensorFileSource> {
  const bytes = new Uint8Array(readFileSync(join(dir, name)));
  const opened = await openAttention(new MemoryByteSource(name, bytes));
  return new TensorFileSource(opened, axisLabels(name, opened.view, opened.tokens?.tokens ?? null), { title: name });
}

/** The little of PanelContext that scoresModel reads. */
function panelContext(payload: HeadPayload, tokens: readonly string[]): PanelContext {
  return {
    diverging: 'blue-white-red',
    overview: { tokens, keyTokens: tokens },
    payload,
  } as unknown as PanelContext;
}

describe('webview: scores with −∞ from torch (masked_fill causal, torch.save and np.save)', function () {
  this.timeout(60000);
  let dir = '';
  let ref: TorchReference;
  before(function () {
    if (!existsSync(PYTHON)) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'masked-scores-'));
    ref = writeTorchScores(dir);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['scores.pt', 'scores.npy']) {
    it(`${name}: read as scores, the mask inferred as causal from the file`, async () => {
      const src = await source(dir, name);
      const ov = await src.overview();
      assert.equal(ov.form, 'scores');
      assert.deepEqual([ov.heads, ov.n, ov.m], [HEADS, N, N]);
      for (let h = 0; h < HEADS; h++) {
        const p = await src.head(0, h);
        assert.equal(p.mask, 'none', 'the user chose no mask: the −∞ cells are the file’s');
        assert.ok(p.allowed, 'the −∞ cells are masked');
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++) assert.equal(p.allowed[i * N + j], j <= i ? 1 : 0, `cell ${i},${j}`);
        assert.equal(maskShape(p.allowed, N, N), 'causal');
        assert.equal(maskedLegend(p.allowed, N, N, p.mask), 'masked (causal, from the file)');
        // And the weights are torch's softmax of the same scores (the lines view draws these).
        p.weights.forEach((w, k) => assert.ok(Math.abs(w - ref.weights[h][k]) < 1e-6, `weight ${k}`));
      }
    });

    it(`${name}: the colour range comes from finite scores only; legend ticks finite, apart`, async () => {
      const src = await source(dir, name);
      for (let h = 0; h < HEADS; h++) {
        const p = await src.head(0, h);
        assert.ok(p.dots, 'scores are kept for the scores map');
        assert.ok(
          Array.from(p.dots).some((x) => x === -Infinity),
          'the −∞ cells stay −∞ in the payload',
        );
        const a = absMax(p.dots, p.allowed);
        assert.ok(
          Math.abs(a - ref.finiteAbsMax[h]) <= 1e-6 * ref.finiteAbsMax[h],
          `|max| ${a} vs torch ${ref.finiteAbsMax[h]}`,
        );
        // Even with the mask forgotten, −∞ never becomes the range.
        assert.equal(absMax(p.dots, null), a);
        const model = scoresModel(
          panelContext(
            p,
            Array.from({ length: N }, (_, i) => `t${i}`),
          ),
          p,
          p.factor ?? 1,
        );
        assert.ok(model && model.scale.kind === 'diverging');
        assert.ok(Number.isFinite(model.scale.absMax) && model.scale.absMax === a);
        assert.equal(model.maskLabel, 'masked (causal, from the file)');
        for (const width of [60, 120, 240, 600]) {
          const ticks = legendTickLayout(model, width, (t) => estimateWidth(t, 10));
          assert.ok(ticks.length >= 1);
          for (const t of ticks) assert.match(t.text, /^−?\d/, `a finite number, not "${t.text}"`);
          const spans = ticks.map((t) => labelSpan(t.x, estimateWidth(t.text, 10), t.align));
          for (let i = 1; i < spans.length; i++)
            assert.ok(
              !spansCollide(spans[i - 1], spans[i], 0),
              `at ${width} px "${ticks[i - 1].text}" meets "${ticks[i].text}"`,
            );
          if (width >= 240) assert.equal(ticks.length, 5, `all five ticks fit ${width} px`);
        }
      }
    });
  }
});

describe('webview: the mask shape read from the data', () => {
  it('is the core’s causal and anti-causal masks for any square size, custom when one cell differs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), (n, pick) => {
        for (const mask of ['causal', 'anticausal'] as const) {
          const allowed = allowedCells(mask, n, n) as Uint8Array;
          assert.equal(maskShape(allowed, n, n), mask);
          assert.equal(
            maskInUse(allowed, n, n, 'none', 'bidirectional'),
            `${mask === 'causal' ? 'causal' : 'anti-causal'}, from the file`,
          );
          assert.equal(maskInUse(allowed, n, n, mask, 'forward only'), 'forward only');
          const flipped = allowed.slice();
          flipped[pick % (n * n)] ^= 1;
          const shape = maskShape(flipped, n, n);
          assert.ok(shape === 'custom' || shape === null, `${mask} with a cell flipped: ${shape}`);
        }
        assert.equal(maskShape(new Uint8Array(n * n).fill(1), n, n), null, 'nothing masked');
      }),
    );
  });

  it('reads a KV cache (fewer queries than keys, aligned to the last keys) as causal', () => {
    const n = 3,
      m = 7;
    const allowed = new Uint8Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) allowed[i * m + j] = j <= i + m - n ? 1 : 0;
    assert.equal(maskShape(allowed, n, m), 'causal');
  });
});
