// A model panel on a selection past the whole-matrix size (src/node/models/longModelSource.ts): what
// the panel is sent, through the worker's own opener (openSource) with the full-resolution size
// lowered, checked against the float64 PyTorch reference (test/models/reference.py) on tiny models:
// every head's pooled weights are the largest of torch's weights in each block, a block is masked
// exactly when torch masks all of its cells (Mistral's 4-token sliding window included), the per-row
// figures and a clicked region are torch's, and what the long path cannot show is refused in one line.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { tokenizeForModel } from '../../src/core/models';
import { openSource } from '../../src/node/openSource';
import { shutdownFastAttention } from '../../src/node/parallel';
import { cellIndex, tinyModelsDir, torchAttention, withModel } from '../helpers/torchReference';

const TOLERANCE = 1e-4;
const TEXT = 'The quick brown fox jumps over the lazy dog, and attention heads find the subject again. ';
const FULL_RESOLUTION = 32;
const SIDE = 16;

function close(label: string, ours: number, ref: number): void {
  const e = Math.abs(ours - ref) / Math.max(1, Math.abs(ref));
  assert.ok(e <= TOLERANCE, `${label}: ours ${ours} reference ${ref} (error ${e})`);
}

describe('a model panel past the whole-matrix size: pooled heads, masks and regions against PyTorch', function () {
  this.timeout(300_000);
  after(() => shutdownFastAttention());

  for (const name of ['mistral-tiny', 'gpt2-tiny'] as const) {
    it(`${name}: overview, every head's blocks and mask, thumbnails and a region are torch's`, async () => {
      const path = join(tinyModelsDir(), name);
      const text = TEXT.repeat(2);
      const ids = await withModel(name, async (model) => tokenizeForModel(model, text).ids);
      const n = ids.length;
      assert.ok(n > FULL_RESOLUTION, `${n} tokens`);
      const opened = await openSource(
        { kind: 'model', path, text },
        { fullResolutionTokens: FULL_RESOLUTION, overviewSide: SIDE },
      );
      const { source } = opened;
      const overview = await source.overview();
      const ref = torchAttention(path, { ids });
      const cell = Math.ceil(n / SIDE),
        side = Math.ceil(n / cell);
      assert.deepEqual(overview.pooled, { tokens: n, cell, fullResolutionTokens: FULL_RESOLUTION });
      assert.equal(overview.tokens.length, side);
      assert.match(overview.tokens[0], /^#0–\d+ /);
      assert.deepEqual([overview.layers, overview.heads, overview.rescalable], [ref.layers, ref.heads, false]);
      assert.ok(
        overview.warnings.some((w) => w.includes(`each cell is a block of ${cell} × ${cell} tokens`)),
        overview.warnings.join('\n'),
      );
      assert.equal(opened.info.offsets?.length, n, 'every subword keeps its characters for the editor link');
      for (const s of overview.summaries) assert.equal(s.kvHead, ref.kvHeadOf[s.head]);

      for (let layer = 0; layer < ref.layers; layer++) {
        for (let head = 0; head < ref.heads; head++) {
          const where = `${name} layer ${layer} head ${head}`;
          const p = await source.head(layer, head);
          assert.deepEqual([p.n, p.m, p.dots], [side, side, null], `${where}: shape`);
          for (let a = 0; a < side; a++) {
            for (let b = 0; b < side; b++) {
              let largest = 0,
                anyAllowed = false;
              for (let i = a * cell; i < Math.min(n, (a + 1) * cell); i++)
                for (let j = b * cell; j < Math.min(n, (b + 1) * cell); j++) {
                  const k = cellIndex(ref, layer, head, i, j);
                  largest = Math.max(largest, ref.weights[k]);
                  if (ref.scores[k] !== -Infinity) anyAllowed = true;
                }
              close(`${where} block ${a},${b}`, p.weights[a * side + b], largest);
              const shown = p.allowed === null || p.allowed[a * side + b] === 1;
              assert.equal(shown, anyAllowed, `${where} block ${a},${b}: masked exactly when torch masks every cell`);
            }
          }
          const s = overview.summaries.find((x) => x.layer === layer && x.head === head)!;
          let entropy = 0;
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              const w = ref.weights[cellIndex(ref, layer, head, i, j)];
              if (w > 0) entropy -= (w * Math.log(w)) / n;
            }
          close(`${where} mean entropy`, s.meanEntropy, entropy);
        }
      }

      const thumbs = await source.thumbnails!(8);
      assert.equal(thumbs.items.length, ref.layers * (ref.heads + 1), 'each head and each layer mean');

      // A clicked block at full resolution: scores (unscaled q·k, masked where torch has −∞) and weights.
      const region = await source.region!({ layer: 1, head: 1, row0: n - 20, rows: 12, col0: n - 30, cols: 25 });
      assert.deepEqual([region.rows, region.cols, region.tokens.length], [12, 25, 12]);
      for (let i = 0; i < 12; i++)
        for (let j = 0; j < 25; j++) {
          const k = cellIndex(ref, 1, 1, n - 20 + i, n - 30 + j);
          const c = i * 25 + j;
          const masked = region.allowed !== null && region.allowed[c] === 0;
          assert.equal(masked, ref.scores[k] === -Infinity, `region [${i}][${j}] masked`);
          if (!masked) close(`region [${i}][${j}] score`, region.dots![c] * region.factor!, ref.scores[k]);
          close(`region [${i}][${j}] weight`, region.weights[c], ref.weights[k]);
        }

      await assert.rejects(source.head(0, 0, { mask: 'none' }), /cannot be switched here/);
      if (name === 'mistral-tiny')
        await assert.rejects(
          source.head(0, 0, { rotation: 'removed' }),
          /scores without RoPE are shown for selections a model is held whole for \(up to 32 tokens\)/,
        );
      await opened.close();
    });
  }
});
