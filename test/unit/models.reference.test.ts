// Every tiny model (test/models/make_tiny_models.py: random weights in the exact Hugging Face layout)
// runs through our loader, tokenizer and forward pass, and each layer's and head's scores, weights and
// q/k before and after RoPE must match the float64 PyTorch reference written from the transformers
// modeling code (test/models/reference.py) to 1e-4; the final hidden state too.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { type LayerAttention, type LoadedModel, runModel, tokenizeForModel } from '../../src/core/models';
import { TINY_MODELS, type TorchAttention, tinyModelsDir, torchAttention, withModel } from '../helpers/torchReference';

const TEXT = 'The quick brown fox jumps over the lazy dog. Attention heads find the subject!';
const TOLERANCE = 1e-4;

interface Ours {
  layers: LayerAttention[];
  hidden: Float32Array;
}

async function runOurs(
  model: LoadedModel,
  input: { ids: number[]; tokenTypeIds?: number[]; attentionMask?: number[] },
): Promise<Ours> {
  const layers: LayerAttention[] = [];
  const { hidden } = await runModel(model, input, { keepQK: true, onLayer: (l) => void layers.push(l) });
  return { layers, hidden: hidden.data };
}

/** Largest |ours − reference| / max(1, |reference|) over the cells, with the worst cell named. */
function worst(label: string, ours: ArrayLike<number>, ref: ArrayLike<number>): { error: number; at: string } {
  assert.equal(ours.length, ref.length, `${label}: ${ours.length} values vs the reference's ${ref.length}`);
  let error = 0,
    at = '';
  for (let i = 0; i < ref.length; i++) {
    const a = ours[i],
      b = ref[i];
    if (b === -Infinity || a === -Infinity) {
      if (a !== b) return { error: Infinity, at: `${label}[${i}] ours ${a} reference ${b}` };
      continue;
    }
    const e = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (!(e <= error)) {
      error = e;
      at = `${label}[${i}] ours ${a} reference ${b}`;
    }
  }
  return { error, at };
}

/** Our per-layer captures laid out as the reference's [layers, heads, n, n] / [layers, heads, n, headDim]. */
function flatten(ours: Ours, ref: TorchAttention) {
  const { layers, heads, kvHeads, n, headDim } = ref;
  const scores = new Float64Array(layers * heads * n * n),
    weights = new Float64Array(scores.length);
  const qPre = new Float64Array(layers * heads * n * headDim),
    qRot = new Float64Array(qPre.length);
  const kPre = new Float64Array(layers * kvHeads * n * headDim),
    kRot = new Float64Array(kPre.length);
  ours.layers.forEach((layer, l) => {
    layer.heads.forEach((h, hh) => {
      const base = (l * heads + hh) * n * n;
      for (let c = 0; c < n * n; c++) {
        scores[base + c] = h.allowed && h.allowed[c] === 0 ? -Infinity : h.dots.data[c] * h.factor;
        weights[base + c] = h.weights.data[c];
      }
    });
    const split = (m: { cols: number; data: Float32Array }, count: number, into: Float64Array) => {
      for (let hh = 0; hh < count; hh++)
        for (let t = 0; t < n; t++)
          for (let d = 0; d < headDim; d++)
            into[((l * count + hh) * n + t) * headDim + d] = m.data[t * m.cols + hh * headDim + d];
    };
    split(layer.qk!.qPre, heads, qPre);
    split(layer.qk!.qRot, heads, qRot);
    split(layer.qk!.kPre, kvHeads, kPre);
    split(layer.qk!.kRot, kvHeads, kRot);
  });
  return { scores, weights, qPre, qRot, kPre, kRot };
}

function assertMatches(name: string, ours: Ours, ref: TorchAttention): void {
  assert.equal(ours.layers.length, ref.layers, `${name}: layers`);
  assert.equal(ours.layers[0].heads.length, ref.heads, `${name}: heads`);
  assert.deepEqual(ours.layers[0].kvHeadOf, ref.kvHeadOf, `${name}: which key/value head each query head reads`);
  const flat = flatten(ours, ref);
  for (const key of ['scores', 'weights', 'qPre', 'kPre', 'qRot', 'kRot'] as const) {
    const w = worst(`${name} ${key}`, flat[key], ref[key]);
    assert.ok(w.error <= TOLERANCE, `${w.at}: error ${w.error} > ${TOLERANCE}`);
  }
  const w = worst(`${name} hidden`, ours.hidden, ref.hidden);
  assert.ok(w.error <= TOLERANCE, `${w.at}: error ${w.error} > ${TOLERANCE}`);
}

describe('real models against the PyTorch float64 reference', function () {
  this.timeout(180_000);
  before(() => {
    tinyModelsDir();
  });

  for (const name of TINY_MODELS) {
    it(`${name}: every layer's and head's scores, weights, q and k (before/after RoPE) and the final hidden state`, async () => {
      await withModel(name, async (model) => {
        const tokens = tokenizeForModel(model, TEXT);
        assert.ok(tokens.ids.length >= 12, `${name}: ${tokens.ids.length} tokens`);
        assert.deepEqual(tokens.warnings, []);
        const input = {
          ids: tokens.ids,
          tokenTypeIds:
            model.config.family === 'bert' && model.config.bertVariant !== 'distilbert'
              ? tokens.tokenTypeIds
              : undefined,
        };
        const ours = await runOurs(model, input);
        const ref = torchAttention(join(tinyModelsDir(), name), input);
        assert.equal(ref.n, tokens.ids.length);
        assertMatches(name, ours, ref);
      });
    });
  }

  for (const name of ['bert-tiny', 'roberta-tiny', 'distilbert-tiny'] as const) {
    it(`${name}: padded keys are masked for every query (attention_mask), token types change the embeddings`, async () => {
      await withModel(name, async (model) => {
        const a = tokenizeForModel(model, 'the dog sleeps').ids;
        const pad = model.config.padTokenId ?? 0;
        const ids = [...a, ...a.slice(1), pad, pad, pad];
        const attentionMask = ids.map((_, i) => (i < ids.length - 3 ? 1 : 0));
        const distil = model.config.bertVariant === 'distilbert';
        const tokenTypeIds =
          distil || model.config.typeVocabSize < 2
            ? undefined
            : ids.map((_, i) => (i >= a.length && i < ids.length - 3 ? 1 : 0));
        const input = { ids, attentionMask, tokenTypeIds };
        const ours = await runOurs(model, input);
        const ref = torchAttention(join(tinyModelsDir(), name), input);
        assertMatches(name, ours, ref);
        // The padded keys carry no weight in any row.
        for (const layer of ours.layers)
          for (const h of layer.heads)
            for (let i = 0; i < ids.length; i++)
              for (let j = ids.length - 3; j < ids.length; j++) assert.equal(h.weights.data[i * ids.length + j], 0);
      });
    });
  }

  it('llama-tiny with left padding: padded keys masked on top of the causal mask, a row with no key is all zero', async () => {
    await withModel('llama-tiny', async (model) => {
      const t = tokenizeForModel(model, 'the fox runs').ids;
      const ids = [0, 0, ...t];
      const attentionMask = ids.map((_, i) => (i < 2 ? 0 : 1));
      const ours = await runOurs(model, { ids, attentionMask });
      const ref = torchAttention(join(tinyModelsDir(), 'llama-tiny'), { ids, attentionMask });
      assertMatches('llama-tiny padded', ours, ref);
    });
  });
});
