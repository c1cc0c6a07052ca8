// The long-sequence path of real models (src/node/models/longRun.ts): every head through the streaming
// kernels, reduced to a max-pooled overview and exact per-row figures, and regions recomputed at full
// resolution from the layer's q and k after RoPE. Checked against the float64 PyTorch reference
// (test/models/reference.py) on tiny models with a sequence past a lowered threshold: each overview
// block must be the largest of torch's weights in that block, each row's entropy, largest weight and
// diagonal weight torch's, a region torch's scores and weights, and the final hidden state (which
// every head's streamed output feeds) torch's, all to 1e-4. The CLI prints the same, said on stderr.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type LayerAttention, type LoadedModel, runModel, tokenizeForModel } from '../../src/core/models';
import { type PooledModelHead, attendStreaming, modelRegion } from '../../src/node/models/longRun';
import { shutdownFastAttention } from '../../src/node/parallel';
import { type TorchAttention, cellIndex, tinyModelsDir, torchAttention, withModel } from '../helpers/torchReference';

const TOLERANCE = 1e-4;
const SIDE = 16;
const TEXT = 'The quick brown fox jumps over the lazy dog, and attention heads find the subject again. ';
/** Past every tiny model's whole-matrix threshold in these tests; within its position table (GPT-2, BERT: 128). */
const LENGTHS = { 'gpt2-tiny': 120, 'llama-tiny': 200, 'mistral-tiny': 170, 'bert-tiny': 110 } as const;
type Name = keyof typeof LENGTHS;
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function inputFor(model: LoadedModel, n: number) {
  const tokens = tokenizeForModel(model, TEXT.repeat(Math.ceil(n / 10)));
  assert.ok(tokens.ids.length >= n, `${tokens.ids.length} tokens`);
  const bert = model.config.family === 'bert' && model.config.bertVariant !== 'distilbert';
  return { ids: tokens.ids.slice(0, n), tokenTypeIds: bert ? tokens.tokenTypeIds.slice(0, n) : undefined };
}

function close(label: string, ours: number, ref: number): void {
  const e = Math.abs(ours - ref) / Math.max(1, Math.abs(ref));
  assert.ok(e <= TOLERANCE, `${label}: ours ${ours} reference ${ref} (error ${e})`);
}

/** torch's weights of one head, max-pooled as the overview pools them, and its per-row figures. */
function torchPooled(ref: TorchAttention, layer: number, head: number, cell: number) {
  const n = ref.n,
    side = Math.ceil(n / cell);
  const overview = new Float64Array(side * side);
  const entropy = new Float64Array(n),
    maxWeight = new Float64Array(n),
    diagonal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = ref.weights[cellIndex(ref, layer, head, i, j)];
      const b = Math.floor(i / cell) * side + Math.floor(j / cell);
      overview[b] = Math.max(overview[b], w);
      if (w > 0) entropy[i] -= w * Math.log(w);
      maxWeight[i] = Math.max(maxWeight[i], w);
    }
    diagonal[i] = ref.weights[cellIndex(ref, layer, head, i, i)];
  }
  return { overview, entropy, maxWeight, diagonal, side };
}

describe('real models past the whole-matrix size: pooled overviews and regions against PyTorch', function () {
  this.timeout(300_000);
  before(() => {
    tinyModelsDir();
  });
  after(() => shutdownFastAttention());

  for (const name of Object.keys(LENGTHS) as Name[]) {
    it(`${name}: every head's overview, per-row figures and a region match torch's pooled weights; the hidden state too`, async () => {
      await withModel(name, async (model) => {
        const input = inputFor(model, LENGTHS[name]);
        const n = input.ids.length;
        const layers: LayerAttention<PooledModelHead>[] = [];
        const { hidden } = await runModel(model, input, {
          attend: attendStreaming({ overviewSide: SIDE }),
          keepQK: true,
          onLayer: (l) => void layers.push(l),
        });
        const ref = torchAttention(join(tinyModelsDir(), name), input);
        assert.equal(ref.n, n);
        assert.equal(layers.length, ref.layers);
        for (const layer of layers) {
          assert.deepEqual(layer.kvHeadOf, ref.kvHeadOf);
          layer.heads.forEach((h, head) => {
            const where = `${name} layer ${layer.layer} head ${head}`;
            const cell = Math.ceil(n / SIDE);
            assert.equal(h.cell, cell, `${where}: cell`);
            const t = torchPooled(ref, layer.layer, head, cell);
            assert.deepEqual([h.overview.rows, h.overview.cols], [t.side, t.side], `${where}: overview shape`);
            for (let b = 0; b < t.overview.length; b++)
              close(`${where} overview block ${b}`, h.overview.data[b], t.overview[b]);
            for (let i = 0; i < n; i++) {
              close(`${where} row ${i} entropy`, h.entropy[i], t.entropy[i]);
              close(`${where} row ${i} largest weight`, h.maxWeight[i], t.maxWeight[i]);
              close(`${where} row ${i} diagonal`, h.diagonal[i], t.diagonal[i]);
            }
            // A region that straddles blocks: its scores (−∞ where masked) and weights are torch's cells.
            const rows: [number, number] = [n - 23, n - 3],
              cols: [number, number] = [n - 40, n - 1];
            const r = modelRegion(
              {
                qRot: layer.qk!.qRot,
                kRot: layer.qk!.kRot,
                headDim: ref.headDim,
                mask: layer.mask,
                factor: layer.factor,
              },
              head,
              layer.kvHeadOf[head],
              rows,
              cols,
            );
            const width = cols[1] - cols[0];
            for (let i = rows[0]; i < rows[1]; i++) {
              for (let j = cols[0]; j < cols[1]; j++) {
                const c = (i - rows[0]) * width + (j - cols[0]);
                const k = cellIndex(ref, layer.layer, head, i, j);
                const masked = r.allowed !== null && r.allowed[c] === 0;
                assert.equal(masked, ref.scores[k] === -Infinity, `${where} [${i}][${j}] masked`);
                if (!masked) close(`${where} [${i}][${j}] score`, r.scores.data[c], ref.scores[k]);
                close(`${where} [${i}][${j}] weight`, r.weights.data[c], ref.weights[k]);
              }
            }
          });
        }
        for (let i = 0; i < hidden.data.length; i++) close(`${name} hidden[${i}]`, hidden.data[i], ref.hidden[i]);
      });
    });
  }

  it('the CLI: past --full-resolution-tokens, pooled heads match torch, said on stderr; --region at full resolution; errors name the flag', async () => {
    const dir = join(tinyModelsDir(), 'llama-tiny');
    const text = TEXT.repeat(20);
    const r = spawnSync(
      process.execPath,
      [CLI, 'compute', '--model', dir, '--text', text, '--full-resolution-tokens', '64', '--overview', '8'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: \d+ tokens: more than 64 \(--full-resolution-tokens\), so each head is a max-pooled overview of blocks of \d+ × \d+ tokens/,
    );
    const out = JSON.parse(r.stdout) as {
      ids: number[];
      pooled: { tokens: number; cell: number; side: number };
      heads: { layer: number; head: number; overview: number[][]; entropy: number[] }[];
    };
    const n = out.ids.length;
    assert.ok(n > 64);
    assert.deepEqual(out.pooled.side, Math.ceil(n / out.pooled.cell));
    assert.equal(out.heads.length, 2 * 4);
    const ref = torchAttention(dir, { ids: out.ids });
    for (const h of out.heads) {
      const t = torchPooled(ref, h.layer, h.head, out.pooled.cell);
      h.overview.flat().forEach((v, b) => close(`CLI layer ${h.layer} head ${h.head} block ${b}`, v, t.overview[b]));
      h.entropy.forEach((v, i) => close(`CLI layer ${h.layer} head ${h.head} row ${i}`, v, t.entropy[i]));
    }

    const region = spawnSync(
      process.execPath,
      [
        CLI,
        'compute',
        '--model',
        dir,
        '--text',
        text,
        '--full-resolution-tokens',
        '64',
        '--summary',
        '--layers',
        '1',
        '--heads',
        '2',
        '--region',
        '70-79:60-75',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(region.status, 0, region.stderr);
    const one = JSON.parse(region.stdout) as {
      heads: {
        overview?: unknown;
        region: { row0: number; col0: number; scores: (number | null)[][]; weights: number[][] };
      }[];
    };
    assert.equal(one.heads.length, 1);
    assert.equal(one.heads[0].overview, undefined, '--summary drops the overview');
    const g = one.heads[0].region;
    assert.deepEqual([g.row0, g.col0, g.weights.length, g.weights[0].length], [70, 60, 10, 16]);
    g.weights.forEach((row, i) =>
      row.forEach((w, j) => {
        const k = cellIndex(ref, 1, 2, 70 + i, 60 + j);
        close(`CLI region [${70 + i}][${60 + j}]`, w, ref.weights[k]);
        assert.equal(g.scores[i][j] === null, ref.scores[k] === -Infinity);
      }),
    );

    for (const [args, pattern] of [
      [
        ['--region', '10-5:0-3', '--full-resolution-tokens', '64'],
        /^error: --region: query range 10-5 runs backwards$/,
      ],
      [
        ['--region', '0-3:0-99999', '--full-resolution-tokens', '64'],
        /^error: --region: key token 99999 is past the last token \(\d+\)$/,
      ],
      [
        ['--region', '0-3:0-3'],
        /^error: --region: is for texts past the full-resolution size: these \d+ tokens are printed whole/,
      ],
    ] as const) {
      const bad = spawnSync(process.execPath, [CLI, 'compute', '--model', dir, '--text', text, ...args], {
        encoding: 'utf8',
      });
      assert.equal(bad.status, 2, bad.stderr);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr.trim(), pattern);
    }
  });
});
