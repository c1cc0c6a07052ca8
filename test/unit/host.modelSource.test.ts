// The model source (src/host/modelSource.ts) opened the way the inspection worker opens it
// (src/node/openSource.ts, on the worker pool), on the engine's tiny Hugging Face models, checked
// against the float64 PyTorch reference (test/helpers/torchReference.ts) on the same token ids:
// every layer × head's scores (the model's own scaling, RoPE and mask) and weights, the subword
// labels with special tokens marked, the key/value head of each query head, the sliding window as
// masked cells, and the one-line refusals.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { tokenizeForModel } from '../../src/core/models';
import { openModelDir } from '../../src/node/models/run';
import { openSource } from '../../src/node/openSource';
import { shutdownFastAttention } from '../../src/node/parallel';
import { ModelSource, inductionIds, modelDisplayName, vocabularyPieces } from '../../src/host/modelSource';
import { sortNotices } from '../../webview/notices';
import { cellIndex, tinyModelsDir, torchAttention, type TinyModel } from '../helpers/torchReference';

const TEXT = 'The cat sat on the mat. The cat sat';

async function idsOf(dir: string, text: string): Promise<number[]> {
  const model = await openModelDir(dir);
  try {
    return tokenizeForModel(model, text).ids;
  } finally {
    await model.close();
  }
}

async function compareWithTorch(
  name: TinyModel,
): Promise<{ labels: string[]; kvHeads: number[]; allowed: (Uint8Array | null)[] }> {
  const dir = join(tinyModelsDir(), name);
  const opened = await openSource({ kind: 'model', path: dir, text: TEXT });
  const ids = await idsOf(dir, TEXT);
  const ref = torchAttention(dir, { ids });
  const overview = await opened.source.overview();
  assert.equal(overview.layers, ref.layers);
  assert.equal(overview.heads, ref.heads);
  assert.equal(overview.n, ids.length);
  const allowed: (Uint8Array | null)[] = [];
  for (let layer = 0; layer < ref.layers; layer++) {
    for (let head = 0; head < ref.heads; head++) {
      const p = await opened.source.head(layer, head);
      if (head === 0) allowed.push(p.allowed);
      const n = p.n;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const c = cellIndex(ref, layer, head, i, j);
          const masked = ref.scores[c] === -Infinity;
          const ours = p.allowed ? p.allowed[i * n + j] === 1 : true;
          assert.equal(ours, !masked, `${name} L${layer} H${head} (${i}, ${j}): allowed`);
          assert.ok(
            Math.abs(p.weights[i * n + j] - ref.weights[c]) < 1e-4,
            `${name} L${layer} H${head} (${i}, ${j}): weight ${p.weights[i * n + j]} vs torch ${ref.weights[c]}`,
          );
          if (!masked)
            assert.ok(
              Math.abs(p.dots![i * n + j] * p.factor! - ref.scores[c]) < 1e-4 * Math.max(1, Math.abs(ref.scores[c])),
              `${name} L${layer} H${head} (${i}, ${j}): score`,
            );
        }
      }
    }
  }
  await opened.close();
  return { labels: overview.tokens, kvHeads: overview.summaries.map((s) => s.kvHead!), allowed };
}

describe('host: the model source on the tiny models', function () {
  this.timeout(180_000);
  after(() => shutdownFastAttention());

  it('GPT-2: every head matches torch; labels are the byte-level BPE subwords; offsets point into the text', async () => {
    const { labels } = await compareWithTorch('gpt2-tiny');
    assert.equal(labels.join(''), TEXT);
    assert.ok(labels.includes(' cat') && labels.includes('.'), labels.join('|'));
    const opened = await openSource({ kind: 'model', path: join(tinyModelsDir(), 'gpt2-tiny'), text: TEXT });
    const offsets = opened.info.offsets!;
    assert.deepEqual(
      offsets.map(([a, b]) => TEXT.slice(a, b)),
      labels,
    );
    const overview = await opened.source.overview();
    assert.equal(overview.mask, 'causal');
    assert.match(
      overview.warnings[0],
      /Model gpt2-tiny \(GPT2LMHeadModel\): 2 layers × 4 heads.*q·k × 0\.3536 \(1\/√8\)/,
    );
    // "The cat sat" repeats: the induction score is measured; the catalogue figures are shares.
    for (const s of overview.summaries) {
      for (const v of [s.previousTokenScore, s.firstTokenMass, s.inductionScore, s.diagonalShare])
        assert.ok(typeof v === 'number' && v >= 0 && v <= 1 + 1e-6);
    }
    await opened.close();
  });

  it('Mistral: grouped-query heads name their key/value head, and the sliding window is masked cells', async () => {
    const { kvHeads, allowed } = await compareWithTorch('mistral-tiny');
    assert.deepEqual(kvHeads, [0, 0, 0, 0, 0, 0, 0, 0]);
    const a = allowed[0]!;
    const n = Math.sqrt(a.length);
    assert.equal(a[(n - 1) * n + 0], 0, 'a key 4 or more back is outside the window of 4');
    assert.equal(a[(n - 1) * n + n - 4], 1);
    const opened = await openSource({ kind: 'model', path: join(tinyModelsDir(), 'mistral-tiny'), text: TEXT });
    const o = await opened.source.overview();
    assert.equal(o.mask, 'custom');
    assert.ok(o.warnings.some((w) => /Grouped-query attention: 4 query heads share 1 key\/value heads/.test(w)));
    assert.ok(o.warnings.some((w) => /Sliding window: layers 0, 1 attend to the last 4 tokens/.test(w)));
    // The panel shows these as one neutral line with the rest behind a disclosure: none is a warning.
    const notices = sortNotices(o.warnings);
    assert.match(notices.detected ?? '', /^\S+ \(MistralForCausalLM\), 2 layers × 4 heads$/);
    assert.deepEqual(notices.warnings, []);
    assert.deepEqual(notices.details, o.warnings, 'every model note kept, word for word, behind the disclosure');
    await assert.rejects(
      opened.source.head(0, 0, { mask: 'none' }),
      /a model's mask \(custom\) is part of its computation/,
    );
    await opened.close();
  });

  it('Llama (GQA 4:2, BF16) matches torch, with BOS marked as a special token', async () => {
    const { labels, kvHeads } = await compareWithTorch('llama-tiny');
    assert.deepEqual(kvHeads.slice(0, 4), [0, 0, 1, 1]);
    assert.match(labels[0], /^⟨.+⟩$/);
  });

  it('BERT: bidirectional heads match torch; CLS and SEP are marked', async () => {
    const { labels } = await compareWithTorch('bert-tiny');
    assert.match(labels[0], /^⟨\[CLS\]⟩$/);
    assert.match(labels[labels.length - 1], /^⟨\[SEP\]⟩$/);
  });

  it('the induction sequence repeats random ordinary tokens, and its induction scores are measured', async () => {
    const dir = join(tinyModelsDir(), 'gpt2-tiny');
    const model = await openModelDir(dir);
    try {
      const ids = inductionIds(model, 10);
      assert.equal(ids.length, 20);
      assert.deepEqual(ids.slice(0, 10), ids.slice(10));
      assert.equal(new Set(ids).size, 10);
      const source = await ModelSource.run(model, { kind: 'model', path: dir, text: '', ids });
      const o = await source.overview();
      assert.equal(o.n, 20);
      assert.equal(source.offsets, null);
      const pieces = vocabularyPieces((await model.folder.readText('tokenizer.json'))!);
      assert.deepEqual(
        o.tokens,
        ids.map((id) => pieces[id]),
      );
      for (const s of o.summaries)
        assert.ok(typeof s.inductionScore === 'number' && s.inductionScore >= 0 && s.inductionScore <= 1);
      const thumbs = await source.thumbnails(8);
      assert.equal(thumbs.items.length, 2 * (4 + 1));
    } finally {
      await model.close();
    }
  });

  it('a request with induction builds the sequence in the worker and says so in the header', async () => {
    const opened = await openSource({
      kind: 'model',
      path: join(tinyModelsDir(), 'llama-tiny'),
      text: '',
      induction: 8,
    });
    const o = await opened.source.overview();
    assert.equal(o.n, 1 + 16, 'BOS, then 8 tokens twice');
    assert.deepEqual(o.tokens.slice(1, 9), o.tokens.slice(9, 17));
    assert.ok(o.warnings.some((w) => /Induction sequence: 8 random tokens/.test(w)));
    assert.equal(opened.info.offsets, null);
    await opened.close();
  });

  it('refuses past the token cap in one line naming the folder and the setting', async () => {
    const dir = join(tinyModelsDir(), 'gpt2-tiny');
    await assert.rejects(openSource({ kind: 'model', path: dir, text: TEXT, limits: { maxTokens: 3 } }), (e: Error) => {
      assert.ok(!e.message.includes('\n'));
      assert.match(
        e.message,
        /gpt2-tiny: text: 10 tokens exceed the limit of 3 \(setting attentionInspector\.limits\.maxTokens\)/,
      );
      return true;
    });
  });

  it('a folder that is not a model is one line naming config.json', async () => {
    await assert.rejects(openSource({ kind: 'model', path: tinyModelsDir(), text: 'x' }), /config\.json: is missing/);
  });

  it('names a cached snapshot by its repo', () => {
    assert.equal(modelDisplayName('/h/hub/models--Qwen--Qwen2.5-0.5B/snapshots/abc'), 'Qwen/Qwen2.5-0.5B');
    assert.equal(modelDisplayName('/tmp/gpt2-tiny/'), 'gpt2-tiny');
  });
});
