// Long texts in the panel: above fullResolutionTokens the node opener computes each head through the
// streaming kernels and serves a max-pooled overview plus full-resolution regions. Checked against
// the in-memory source's full matrices for the same text (small enough to hold them), through the
// same request handler the panel talks to.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import { openInMemory } from '../../src/host/openInMemory';
import { answerRequest } from '../../src/host/session';
import { openSource } from '../../src/node/openSource';
import { InProcessSource } from '../../src/web/inProcessSource';
import type { HeadPayload, Overview, RegionPayload, Thumbnails } from '../../src/protocol/messages';
import { parseWebviewMessage, validateResult } from '../../src/protocol/validate';
import { assertClose } from '../helpers/close';

const WORDS =
  'attention lets every token look at every other token and softmax turns the scores into weights that sum to one'.split(
    ' ',
  );
const text = Array.from({ length: 300 }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');
const spec = { kind: 'text' as const, text, title: 'long test' };

/** Max-pools an n×n matrix in blocks of cell × cell. */
function pooled(data: Float32Array, n: number, cell: number): Float32Array {
  const side = Math.ceil(n / cell);
  const out = new Float32Array(side * side);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const k = Math.floor(i / cell) * side + Math.floor(j / cell);
      out[k] = Math.max(out[k], data[i * n + j]);
    }
  return out;
}

describe('long texts: pooled overview and full-resolution regions', () => {
  for (const mask of ['none', 'causal'] as const) {
    it(`matches the full computation of the same text (mask ${mask})`, async () => {
      const long = await openSource({ ...spec, mask }, { fullResolutionTokens: 100, overviewSide: 64 });
      const full = await openInMemory({ ...spec, mask });
      const ask = <T>(
        source: typeof long.source,
        method: 'overview' | 'head' | 'region' | 'thumbnails',
        params: object,
      ): Promise<T> =>
        answerRequest(source, method, params as never).then((r) => {
          const checked = validateResult(method, r);
          assert.ok(checked.ok, checked.ok ? '' : checked.error);
          return checked.value as T;
        });
      const o = await ask<Overview>(long.source, 'overview', {});
      const f = await ask<Overview>(full.source, 'overview', {});
      assert.deepEqual(o.pooled, { tokens: 300, cell: 5, fullResolutionTokens: 100 });
      assert.equal(o.n, 60);
      assert.equal(o.tokens[1], `#5–9 ${f.tokens[5]}`);
      assert.equal(o.heads, f.heads);
      assert.deepEqual(long.info.offsets, full.info.offsets, 'token offsets for the editor link');
      o.summaries.forEach((s, h) => {
        const want = f.summaries[h];
        assertClose(s.meanEntropy, want.meanEntropy, 1e-4, `head ${h} mean entropy`);
        assertClose(s.meanMaxWeight, want.meanMaxWeight, 1e-4, `head ${h} mean largest weight`);
        assertClose(s.meanEffectiveTokens, want.meanEffectiveTokens, 1e-4, `head ${h} effective keys`);
        assertClose(s.diagonalShare!, want.diagonalShare!, 1e-4, `head ${h} diagonal share`);
      });
      for (let h = 0; h < o.heads; h++) {
        const p = await ask<HeadPayload>(long.source, 'head', { layer: 0, head: h });
        const w = await ask<HeadPayload>(full.source, 'head', { layer: 0, head: h });
        assert.equal(p.n, 60);
        assert.equal(p.dots, null, 'no logits in the overview');
        const want = pooled(w.weights, 300, 5);
        for (let k = 0; k < want.length; k++) assertClose(p.weights[k], want[k], 1e-5, `head ${h} block ${k}`);
        if (mask === 'causal')
          assert.equal(p.allowed![0 * 60 + 1], 0, 'block 0 cannot see block 1 under a causal mask');
        const r = await ask<RegionPayload>(long.source, 'region', {
          layer: 0,
          head: h,
          row0: 37,
          rows: 50,
          col0: 20,
          cols: 80,
        });
        assert.deepEqual(r.tokens, f.tokens.slice(37, 87));
        assert.deepEqual(r.keyTokens, f.tokens.slice(20, 100));
        for (let i = 0; i < 50; i++) {
          assertClose(r.entropy[i], w.entropy[37 + i], 1e-4, `head ${h} region entropy ${i}`);
          for (let j = 0; j < 80; j++) {
            const k = (37 + i) * 300 + 20 + j;
            assertClose(r.weights[i * 80 + j], w.weights[k], 1e-5, `head ${h} region weight (${37 + i}, ${20 + j})`);
            if (w.allowed === null || w.allowed[k] === 1)
              assertClose(r.dots![i * 80 + j], w.dots![k], 1e-4, `head ${h} region q·k (${37 + i}, ${20 + j})`);
            assert.equal(r.allowed === null ? 1 : r.allowed[i * 80 + j], w.allowed === null ? 1 : w.allowed[k]);
          }
        }
      }
      const t = await ask<Thumbnails>(long.source, 'thumbnails', { size: 32 });
      assert.equal(t.items.length, o.heads + 1, 'every head and their mean');
    });
  }

  it('short texts stay at full resolution; what the overview cannot do is refused in one line', async () => {
    const short = await openSource({ kind: 'text', text: 'I go home' }, { fullResolutionTokens: 100 });
    assert.equal((await short.source.overview()).pooled, undefined);
    await assert.rejects(
      answerRequest(short.source, 'region', { layer: 0, head: 0, row0: 0, rows: 1, col0: 0, cols: 1 }),
      /region: this input is shown at full resolution already/,
    );
    const long = await openSource(spec, { fullResolutionTokens: 100, overviewSide: 64 });
    await assert.rejects(long.source.head(0, 0, { variant: 'raw' }), /variant: raw attention/);
    await assert.rejects(long.source.head(0, 0, { mask: 'custom' }), /mask: a text has no custom mask/);
    await assert.rejects(
      long.source.region!({ layer: 0, head: 0, row0: 300, rows: 1, col0: 0, cols: 1 }),
      /region: starts past the last token \(299\)/,
    );
    const save = async () => ({ saved: true });
    await assert.rejects(
      answerRequest(
        long.source,
        'export',
        { format: 'html', name: 'r.html' },
        { save, reportAssets: async () => ({ script: '', style: '' }) },
      ),
      /export: a standalone report holds texts of up to 100 tokens; this one has 300/,
    );
  });

  it('the web build (no worker threads, no streaming) refuses a text over 4096 tokens in one line', async () => {
    const words = Array.from({ length: 5000 }, (_, i) => WORDS[i % WORDS.length]).join(' ');
    await assert.rejects(
      InProcessSource.open({ kind: 'text', text: words, limits: { maxTokens: 8192 } }, {}),
      /text: 5000 tokens: VS Code for the Web shows texts of up to 4096 tokens \(longer ones open as an overview in desktop VS Code\)/,
    );
  });

  it('the protocol refuses a region larger than 512 × 512 cells before asking the source', () => {
    const parsed = parseWebviewMessage({
      kind: 'request',
      id: 1,
      method: 'region',
      params: { layer: 0, head: 0, row0: 0, rows: 1024, col0: 0, cols: 512 },
    });
    assert.equal(parsed.ok, false);
    assert.match(
      parsed.ok ? '' : parsed.error,
      /params\.rows: a region holds at most 262144 cells, asked for 1024×512/,
    );
  });
});
