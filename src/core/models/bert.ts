// The BERT family (transformers' modeling_bert.py, modeling_roberta.py, modeling_distilbert.py):
// bidirectional attention over word + position (+ token type) embeddings, post-LN blocks, an erf
// GELU MLP. RoBERTa numbers positions from padding_idx + 1 and gives padding tokens padding_idx
// (create_position_ids_from_input_ids); DistilBERT has no token types and names its layers
// q_lin/k_lin/v_lin/out_lin. Padded keys (attention_mask 0) are masked for every query.
import type { ModelConfig } from './config';
import type { AttentionResult } from '../attention';
import type { WeightStore } from './weights';
import { type MatmulFn, activateInPlace, addInPlace, layerNorm, linear, matmulInThread } from './blocks';
import {
  type ForwardOptions,
  type ForwardResult,
  type ModelInput,
  attendOf,
  type HeadOutput,
  modelMask,
  multiHeadSelfAttention,
  throwIfAborted,
} from './attention';
import { ModelError } from './errors';
import type { Matrix } from '../matrix';
import { scaleFactor } from '../scale';

/** The checkpoint's prefix ("bert.", "roberta.", "distilbert." or none), found from its embeddings. */
export function bertPrefix(config: ModelConfig, weights: WeightStore): string {
  const own = `${config.bertVariant}.`;
  return weights.has(`${own}embeddings.word_embeddings.weight`) ? own : '';
}

/** RoBERTa: padding tokens get padding_idx, the others padding_idx + their rank among non-padding tokens. */
export function robertaPositions(ids: readonly number[], paddingIdx: number): number[] {
  let seen = 0;
  return ids.map((id) => (id === paddingIdx ? paddingIdx : paddingIdx + ++seen));
}

/** A LayerNorm's (γ, β), under either naming (weight/bias, or gamma/beta in older checkpoints). */
async function norm(weights: WeightStore, base: string, d: number): Promise<[Float32Array, Float32Array]> {
  if (!weights.has(`${base}.weight`) && weights.has(`${base}.gamma`))
    return [await weights.vector(`${base}.gamma`, [d]), await weights.vector(`${base}.beta`, [d])];
  return [await weights.vector(`${base}.weight`, [d]), await weights.vector(`${base}.bias`, [d])];
}

async function dense(
  weights: WeightStore,
  base: string,
  out: number,
  inp: number,
  x: Matrix,
  mm: MatmulFn,
): Promise<Matrix> {
  return linear(x, await weights.matrix(`${base}.weight`, out, inp), await weights.vector(`${base}.bias`, [out]), mm);
}

export async function bertForward<H extends HeadOutput = AttentionResult>(
  config: ModelConfig,
  weights: WeightStore,
  input: ModelInput,
  options: ForwardOptions<H> = {},
): Promise<ForwardResult> {
  const { hidden: d, layers, heads, headDim, intermediate: inner, normEps: eps } = config;
  const n = input.ids.length;
  const p = bertPrefix(config, weights);
  const attend = attendOf(options);
  const mm = options.matmul ?? matmulInThread;
  const distil = config.bertVariant === 'distilbert';
  const positions =
    config.bertVariant === 'roberta'
      ? robertaPositions(input.ids, config.padTokenId ?? 1)
      : Array.from({ length: n }, (_, i) => i);
  const last = positions.length ? Math.max(...positions) : 0;
  if (last >= config.maxPositions)
    throw new ModelError(
      'config.json',
      { field: 'max_position_embeddings' },
      `the text needs position ${last} but the model's position table holds ${config.maxPositions}`,
    );
  const x = await weights.rows(`${p}embeddings.word_embeddings.weight`, config.vocabSize, d, input.ids);
  addInPlace(x, await weights.rows(`${p}embeddings.position_embeddings.weight`, config.maxPositions, d, positions));
  if (!distil) {
    const types = input.tokenTypeIds ?? Array<number>(n).fill(0);
    if (types.length !== n) throw new RangeError(`${types.length} token type ids for ${n} tokens`);
    const bad = types.find((t) => !(t >= 0 && t < config.typeVocabSize));
    if (bad !== undefined)
      throw new ModelError(
        'config.json',
        { field: 'type_vocab_size' },
        `token type ${bad} is outside the model's ${config.typeVocabSize} types`,
      );
    addInPlace(x, await weights.rows(`${p}embeddings.token_type_embeddings.weight`, config.typeVocabSize, d, types));
  }
  let h = layerNorm(x, ...(await norm(weights, `${p}embeddings.LayerNorm`, d)), eps);
  const mask = modelMask(n, false, null, input.attentionMask);
  const factor = scaleFactor('sqrt', headDim);
  for (let l = 0; l < layers; l++) {
    throwIfAborted(options.signal);
    const b = distil ? `${p}transformer.layer.${l}.` : `${p}encoder.layer.${l}.`;
    const names = distil
      ? {
          q: 'attention.q_lin',
          k: 'attention.k_lin',
          v: 'attention.v_lin',
          o: 'attention.out_lin',
          ln1: 'sa_layer_norm',
          up: 'ffn.lin1',
          down: 'ffn.lin2',
          ln2: 'output_layer_norm',
        }
      : {
          q: 'attention.self.query',
          k: 'attention.self.key',
          v: 'attention.self.value',
          o: 'attention.output.dense',
          ln1: 'attention.output.LayerNorm',
          up: 'intermediate.dense',
          down: 'output.dense',
          ln2: 'output.LayerNorm',
        };
    const q = await dense(weights, b + names.q, d, d, h, mm),
      k = await dense(weights, b + names.k, d, d, h, mm),
      v = await dense(weights, b + names.v, d, d, h, mm);
    const attn = await multiHeadSelfAttention(q, k, v, { heads, kvHeads: heads, headDim }, mask, factor, attend);
    await options.onLayer?.({
      layer: l,
      factor,
      mask,
      heads: attn.heads,
      kvHeadOf: attn.kvHeadOf,
      window: null,
      ...(options.keepQK ? { qk: { qPre: q, kPre: k, qRot: q, kRot: k } } : {}),
    });
    const o = await dense(weights, b + names.o, d, d, attn.output, mm);
    addInPlace(o, h);
    h = layerNorm(o, ...(await norm(weights, b + names.ln1, d)), eps);
    const f = await dense(weights, b + names.up, inner, d, h, mm);
    activateInPlace(f.data, config.activation);
    const g = await dense(weights, b + names.down, d, inner, f, mm);
    addInPlace(g, h);
    h = layerNorm(g, ...(await norm(weights, b + names.ln2, d)), eps);
  }
  return { hidden: h };
}
