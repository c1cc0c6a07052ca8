// GPT-2 (transformers' modeling_gpt2.py): learned token and position embeddings, pre-LN blocks,
// Conv1D weights stored [in, out] (y = x·W + b), the fused c_attn projection split into q, k, v,
// causal attention scaled by 1/√head_dim (and 1/(layer+1) under scale_attn_by_inverse_layer_idx),
// a GELU-tanh MLP, and the final ln_f. Checkpoints name tensors with or without "transformer.".
import type { ModelConfig } from './config';
import type { AttentionResult } from '../attention';
import type { WeightStore } from './weights';
import { activateInPlace, addInPlace, columns, conv1d, layerNorm, matmulInThread } from './blocks';
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

export function gpt2Prefix(weights: WeightStore): string {
  return weights.has('wte.weight') ? '' : 'transformer.';
}

export async function gpt2Forward<H extends HeadOutput = AttentionResult>(
  config: ModelConfig,
  weights: WeightStore,
  input: ModelInput,
  options: ForwardOptions<H> = {},
): Promise<ForwardResult> {
  const { hidden: d, layers, heads, headDim, intermediate: inner, normEps: eps } = config;
  const n = input.ids.length;
  const p = gpt2Prefix(weights);
  if (n > config.maxPositions)
    throw new ModelError(
      'config.json',
      { field: 'n_positions' },
      `the text has ${n} tokens but the model's position table holds ${config.maxPositions}`,
    );
  const attend = attendOf(options);
  const mm = options.matmul ?? matmulInThread;
  const h = await weights.rows(`${p}wte.weight`, config.vocabSize, d, input.ids);
  addInPlace(
    h,
    await weights.rows(
      `${p}wpe.weight`,
      config.maxPositions,
      d,
      Array.from({ length: n }, (_, i) => i),
    ),
  );
  const mask = modelMask(n, true, null, input.attentionMask);
  for (let l = 0; l < layers; l++) {
    throwIfAborted(options.signal);
    const b = `${p}h.${l}.`;
    const a = layerNorm(
      h,
      await weights.vector(`${b}ln_1.weight`, [d]),
      await weights.vector(`${b}ln_1.bias`, [d]),
      eps,
    );
    const qkv = await conv1d(
      a,
      await weights.matrix(`${b}attn.c_attn.weight`, d, 3 * d),
      await weights.vector(`${b}attn.c_attn.bias`, [3 * d]),
      mm,
    );
    const factor = (config.scaleByHeadDim ? 1 / Math.sqrt(headDim) : 1) / (config.scaleByInverseLayer ? l + 1 : 1);
    const attn = await multiHeadSelfAttention(qkv, qkv, qkv, { heads, kvHeads: heads, headDim }, mask, factor, attend, {
      q: 0,
      k: d,
      v: 2 * d,
    });
    // q and k as matrices of their own only when asked for (GPT-2 has no RoPE: before = after).
    const q = options.keepQK ? columns(qkv, 0, d) : null,
      k = options.keepQK ? columns(qkv, d, d) : null;
    await options.onLayer?.({
      layer: l,
      factor,
      mask,
      heads: attn.heads,
      kvHeadOf: attn.kvHeadOf,
      window: null,
      ...(q && k ? { qk: { qPre: q, kPre: k, qRot: q, kRot: k } } : {}),
    });
    addInPlace(
      h,
      await conv1d(
        attn.output,
        await weights.matrix(`${b}attn.c_proj.weight`, d, d),
        await weights.vector(`${b}attn.c_proj.bias`, [d]),
        mm,
      ),
    );
    const m = layerNorm(
      h,
      await weights.vector(`${b}ln_2.weight`, [d]),
      await weights.vector(`${b}ln_2.bias`, [d]),
      eps,
    );
    const f = await conv1d(
      m,
      await weights.matrix(`${b}mlp.c_fc.weight`, d, inner),
      await weights.vector(`${b}mlp.c_fc.bias`, [inner]),
      mm,
    );
    activateInPlace(f.data, config.activation);
    addInPlace(
      h,
      await conv1d(
        f,
        await weights.matrix(`${b}mlp.c_proj.weight`, inner, d),
        await weights.vector(`${b}mlp.c_proj.bias`, [d]),
        mm,
      ),
    );
  }
  return {
    hidden: layerNorm(h, await weights.vector(`${p}ln_f.weight`, [d]), await weights.vector(`${p}ln_f.bias`, [d]), eps),
  };
}
