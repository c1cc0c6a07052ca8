// The heads grid on real model heads: thumbnails carry each layer's own mask (a sliding window's
// band drawn as masked cells), the catalogue sorts (every figure, heads without it last), the
// grouped-query labels and the tiles' tooltips. On the tiny models (test/models/make_tiny_models.py).
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { openSource } from '../../src/node/openSource';
import { shutdownFastAttention } from '../../src/node/parallel';
import { packThumbnails } from '../../src/host/payload';
import { readHeadParams, readHeadPayload, readOverview, readThumbnails } from '../../src/protocol/readers';
import { tokenizeForModel } from '../../src/core/models';
import { openModelDir } from '../../src/node/models/run';
import type { HeadSummary } from '../../src/protocol/messages';
import { figureOf, headTooltip, kvGroups, rankHeads, sortKeysFor } from '../../webview/views/heads';
import { DEFAULT_STATE, SORT_KEYS, sanitizeState } from '../../webview/state';
import { PanelData } from '../../webview/data';
import { type TinyModel, tinyModelsDir, torchAttention } from '../helpers/torchReference';

const TEXT = 'The cat sat on the mat. The cat sat';

function summary(layer: number, head: number, extra: Partial<HeadSummary> = {}): HeadSummary {
  return {
    layer,
    head,
    dK: 8,
    factor: 0.35,
    meanEntropy: 1,
    meanMaxWeight: 0.5,
    meanEffectiveTokens: 2,
    diagonalShare: 0.2,
    ...extra,
  };
}

describe('heads grid on real model heads', function () {
  this.timeout(120_000);
  after(() => shutdownFastAttention());

  it('Mistral (sliding window 4): every thumbnail draws the cells outside the band as masked, and their weights are 0', async () => {
    const opened = await openSource({ kind: 'model', path: join(tinyModelsDir(), 'mistral-tiny'), text: TEXT });
    try {
      const o = await opened.source.overview();
      const t = await opened.source.thumbnails!(512);
      const n = o.n;
      assert.equal(t.rows, n, 'no pooling at this size');
      assert.equal(t.items.length, o.layers * (o.heads + 1));
      for (let k = 0; k < t.items.length; k++) {
        const mask = t.itemAllowed ? t.itemAllowed.subarray(k * n * n, (k + 1) * n * n) : t.allowed!;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            const inBand = j <= i && j > i - 4;
            assert.equal(mask[i * n + j], inBand ? 1 : 0, `item ${k} (${i}, ${j})`);
            if (!inBand) assert.equal(t.data[k * n * n + i * n + j], 0);
          }
      }
      // The panel validates what it gets: the same reader the webview uses accepts it.
      assert.equal(readThumbnails(t).rows, n);
    } finally {
      await opened.close();
    }
  });

  for (const name of ['llama-tiny', 'qwen3-tiny', 'mistral-tiny'] as TinyModel[]) {
    it(`${name}: scores without RoPE are torch's q·k before the rotation (float64), and differ from the rotated ones`, async () => {
      const dir = join(tinyModelsDir(), name);
      const model = await openModelDir(dir);
      const ids = tokenizeForModel(model, TEXT).ids;
      await model.close();
      const ref = torchAttention(dir, { ids });
      const opened = await openSource({ kind: 'model', path: dir, text: TEXT });
      try {
        const o = readOverview(await opened.source.overview());
        assert.equal(o.rotary, true);
        const n = ref.n,
          d = ref.headDim;
        let rotationMatters = 0;
        for (let layer = 0; layer < ref.layers; layer++)
          for (let head = 0; head < ref.heads; head++) {
            const removed = readHeadPayload(await opened.source.head(layer, head, { rotation: 'removed' }));
            const applied = await opened.source.head(layer, head);
            assert.equal(removed.rotation, 'removed');
            assert.equal(applied.rotation, 'applied');
            const g = ref.kvHeadOf[head];
            for (let i = 0; i < n; i++)
              for (let j = 0; j < n; j++) {
                let dot = 0;
                for (let t = 0; t < d; t++)
                  dot +=
                    ref.qPre[((layer * ref.heads + head) * n + i) * d + t] *
                    ref.kPre[((layer * ref.kvHeads + g) * n + j) * d + t];
                const ours = removed.dots![i * n + j];
                assert.ok(
                  Math.abs(ours - dot) < 1e-4 * Math.max(1, Math.abs(dot)),
                  `${name} L${layer} H${head} (${i}, ${j}): q·k before RoPE ${ours} vs torch ${dot}`,
                );
                rotationMatters = Math.max(rotationMatters, Math.abs(ours - applied.dots![i * n + j]));
              }
            // Same mask, same factor: only the rotation differs; the weights are that head's softmax.
            assert.deepEqual(removed.allowed, applied.allowed);
            assert.equal(removed.factor, applied.factor);
          }
        assert.ok(rotationMatters > 1e-3, 'RoPE changes the scores');
      } finally {
        await opened.close();
      }
    });
  }

  it('a model without RoPE refuses rotation "removed" in one line; the reader refuses an unknown rotation', async () => {
    const opened = await openSource({ kind: 'model', path: join(tinyModelsDir(), 'gpt2-tiny'), text: TEXT });
    try {
      assert.equal((await opened.source.overview()).rotary, false);
      await assert.rejects(
        opened.source.head(0, 0, { rotation: 'removed' }),
        /rotation: this model has no rotary position encoding \(RoPE\) to remove/,
      );
      assert.equal((await opened.source.head(0, 0)).rotation, undefined);
    } finally {
      await opened.close();
    }
    assert.throws(() => readHeadParams({ layer: 0, head: 0, rotation: 'sideways' }), /params\.rotation/);
    assert.equal(readHeadParams({ layer: 0, head: 0, rotation: 'removed' }).rotation, 'removed');
  });

  it('the panel asks for heads before RoPE only when switched, caches them apart, and restores the switch only for a RoPE model', async () => {
    const opened = await openSource({ kind: 'model', path: join(tinyModelsDir(), 'llama-tiny'), text: TEXT });
    try {
      const asked: unknown[] = [];
      const data = new PanelData({
        request: (method: string, params: unknown) => {
          asked.push(params);
          const p = params as { layer: number; head: number; rotation?: 'removed' };
          return opened.source.head(p.layer, p.head, { rotation: p.rotation }) as never;
        },
      } as never);
      const after = await data.head({ layer: 1, head: 2, mask: null }, 'causal');
      const before = await data.head({ layer: 1, head: 2, mask: null, rotation: 'removed' }, 'causal');
      assert.equal(after.rotation, 'applied');
      assert.equal(before.rotation, 'removed');
      assert.deepEqual(asked, [
        { layer: 1, head: 2, mask: undefined },
        { layer: 1, head: 2, mask: undefined, rotation: 'removed' },
      ]);
      await data.head({ layer: 1, head: 2, mask: null, rotation: 'removed' }, 'causal');
      assert.equal(asked.length, 2, 'cached');
      const o = await opened.source.overview();
      assert.equal(sanitizeState({ ...DEFAULT_STATE, rotation: 'removed' }, o).rotation, 'removed');
      assert.equal(
        sanitizeState({ ...DEFAULT_STATE, rotation: 'removed' }, { ...o, rotary: false }).rotation,
        'applied',
      );
    } finally {
      await opened.close();
    }
  });

  it('items with different masks (a windowed layer beside a full one) each get their own pooled mask', () => {
    const n = 4;
    const full = new Uint8Array(n * n).fill(1);
    const band = Uint8Array.from({ length: n * n }, (_, c) => (Math.floor(c / n) - (c % n) < 2 ? 1 : 0));
    const w = new Float32Array(n * n).fill(0.25);
    const t = packThumbnails(
      [
        { layer: 0, head: 0, weights: w, allowed: band },
        { layer: 1, head: 0, weights: w, allowed: full },
      ],
      n,
      n,
      null,
      64,
    );
    assert.equal(t.allowed, null);
    assert.deepEqual([...t.itemAllowed!.subarray(0, n * n)], [...band]);
    assert.deepEqual([...t.itemAllowed!.subarray(n * n)], [...full]);
    assert.deepEqual(readThumbnails(t).itemAllowed, t.itemAllowed);
    assert.throws(
      () => readThumbnails({ ...t, itemAllowed: new Uint8Array(3) }),
      /thumbnails\.itemAllowed: expected 32 values, found 3/,
    );
    assert.throws(() => readThumbnails({ ...t, allowed: full }), /thumbnails\.itemAllowed: expected no shared/);
  });

  it('GQA (Llama 4 query heads : 2 kv heads) is grouped and labelled per layer; MHA is not grouped', async () => {
    const opened = await openSource({ kind: 'model', path: join(tinyModelsDir(), 'llama-tiny'), text: TEXT });
    try {
      const o = await opened.source.overview();
      assert.deepEqual(kvGroups(o.summaries, 0), [
        { label: 'kv 0: heads 0–1', heads: [0, 1] },
        { label: 'kv 1: heads 2–3', heads: [2, 3] },
      ]);
      assert.match(headTooltip(o.summaries[2], true), /^Layer 0, head 2 \(kv head 1\)\nmean entropy /);
      // A real model's heads offer every catalogue figure (the text repeats "The cat sat": induction too).
      assert.deepEqual(sortKeysFor(o.summaries), [...SORT_KEYS]);
    } finally {
      await opened.close();
    }
    assert.equal(
      kvGroups(
        [0, 1, 2].map((h) => summary(0, h, { kvHead: h })),
        0,
      ),
      null,
    );
  });

  it('the tooltip names every figure the head has', () => {
    const s = summary(3, 5, { previousTokenScore: 0.91, firstTokenMass: 0.05, inductionScore: null, kvHead: 1 });
    const tip = headTooltip(s, true);
    assert.match(tip, /Layer 3, head 5 \(kv head 1\)/);
    assert.match(tip, /previous-token score 0\.91/);
    assert.match(tip, /first-token \(sink\) mass 0\.05/);
    assert.doesNotMatch(tip, /induction/);
    assert.deepEqual(sortKeysFor([summary(0, 0)]), ['layer', 'entropy', 'maxWeight', 'diagonal']);
  });

  it('ranking is a permutation: entropy lowest first, other figures highest first, heads without the figure last', () => {
    const head = fc.record({
      meanEntropy: fc.double({ min: 0, max: 5, noNaN: true }),
      meanMaxWeight: fc.double({ min: 0, max: 1, noNaN: true }),
      diagonalShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      previousTokenScore: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      firstTokenMass: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      inductionScore: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    });
    fc.assert(
      fc.property(fc.array(head, { maxLength: 24 }), fc.constantFrom(...SORT_KEYS), (figures, key) => {
        const heads = figures.map((f, i) => summary(Math.floor(i / 4), i % 4, f));
        const ranked = rankHeads(heads, key);
        assert.equal(ranked.length, heads.length);
        assert.equal(new Set(ranked.map((s) => `${s.layer}:${s.head}`)).size, heads.length);
        if (key === 'layer') return;
        const values = ranked.map((s) => figureOf(s, key));
        const firstNull = values.indexOf(null);
        if (firstNull >= 0)
          assert.ok(
            values.slice(firstNull).every((v) => v === null),
            'nulls last',
          );
        const known = values.filter((v): v is number => v !== null);
        for (let i = 1; i < known.length; i++)
          assert.ok(key === 'entropy' ? known[i - 1] <= known[i] : known[i - 1] >= known[i], `${key} order`);
      }),
    );
  });
});
