// The Llama family (transformers' modeling_llama.py, modeling_mistral.py, modeling_qwen2.py,
// modeling_qwen3.py): RMSNorm pre-norm blocks, q/k/v projections (Qwen2: with biases; attention_bias
// elsewhere), Qwen3's per-head RMSNorm on q and k before RoPE, rotary embeddings with rope_theta and
// rope_scaling, grouped-query attention over num_key_value_heads, causal masks narrowed to the
// sliding window where the layer has one, and a SwiGLU MLP.
import type { ModelConfig } from './config';
import type { AttentionResult } from '../attention';
import type { WeightStore } from './weights';
import { addInPlace, gatedInPlace, linear, matmulInThread, rmsNorm } from './blocks';
import { applyRope, ropeTables } from './rope';
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
import type { MaskSpec } from '../mask';
import { scaleFactor } from '../scale';

export function llamaPrefix(weights: WeightStore): string {
  return weights.has('model.embed_tokens.weight') ? 'model.' : '';
}

export async function llamaForward<H extends HeadOutput = AttentionResult>(
  config: ModelConfig,
  weights: WeightStore,
  input: ModelInput,
  options: ForwardOptions<H> = {},
): Promise<ForwardResult> {
  const { hidden: d, layers, heads, kvHeads, headDim, intermediate: inner, normEps: eps } = config;
  const n = input.ids.length;
  const p = llamaPrefix(weights);
  const attend = attendOf(options);
  const mm = options.matmul ?? matmulInThread;
  const qWidth = heads * headDim,
    kvWidth = kvHeads * headDim;
  const bias = async (name: string, size: number) => (config.qkvBias ? weights.vector(name, [size]) : null);
  const tables = ropeTables(
    config.rope!,
    Array.from({ length: n }, (_, i) => i),
  );
  const masks = new Map<number | null, MaskSpec>();
  const maskFor = (window: number | null): MaskSpec => {
    let m = masks.get(window);
    if (!m) masks.set(window, (m = modelMask(n, true, window, input.attentionMask)));
    return m;
  };
  const factor = scaleFactor('sqrt', headDim);
  const h = await weights.rows(`${p}embed_tokens.weight`, config.vocabSize, d, input.ids);
  for (let l = 0; l < layers; l++) {
    throwIfAborted(options.signal);
    const b = `${p}layers.${l}.`;
    const a = rmsNorm(h, await weights.vector(`${b}input_layernorm.weight`, [d]), eps);
    let q = await linear(
      a,
      await weights.matrix(`${b}self_attn.q_proj.weight`, qWidth, d),
      await bias(`${b}self_attn.q_proj.bias`, qWidth),
      mm,
    );
    let k = await linear(
      a,
      await weights.matrix(`${b}self_attn.k_proj.weight`, kvWidth, d),
      await bias(`${b}self_attn.k_proj.bias`, kvWidth),
      mm,
    );
    const v = await linear(
      a,
      await weights.matrix(`${b}self_attn.v_proj.weight`, kvWidth, d),
      await bias(`${b}self_attn.v_proj.bias`, kvWidth),
      mm,
    );
    if (config.qkNorm) {
      q = rmsNorm(q, await weights.vector(`${b}self_attn.q_norm.weight`, [headDim]), eps);
      k = rmsNorm(k, await weights.vector(`${b}self_attn.k_norm.weight`, [headDim]), eps);
    }
    const qRot = applyRope(q, headDim, tables),
      kRot = applyRope(k, headDim, tables);
    const window = config.slidingWindows[l];
    const mask = maskFor(window);
    const attn = await multiHeadSelfAttention(qRot, kRot, v, { heads, kvHeads, headDim }, mask, factor, attend);
    await options.onLayer?.({
      layer: l,
      factor,
      mask,
      heads: attn.heads,
      kvHeadOf: attn.kvHeadOf,
      window,
      ...(options.keepQK ? { qk: { qPre: q, kPre: k, qRot, kRot } } : {}),
    });
    const oBias = config.outputBias ? await weights.vector(`${b}self_attn.o_proj.bias`, [d]) : null;
    addInPlace(h, await linear(attn.output, await weights.matrix(`${b}self_attn.o_proj.weight`, d, qWidth), oBias, mm));
    const m = rmsNorm(h, await weights.vector(`${b}post_attention_layernorm.weight`, [d]), eps);
    const mlpBias = async (name: string, size: number) => (config.mlpBias ? weights.vector(name, [size]) : null);
    const gate = await linear(
      m,
      await weights.matrix(`${b}mlp.gate_proj.weight`, inner, d),
      await mlpBias(`${b}mlp.gate_proj.bias`, inner),
      mm,
    );
    const up = await linear(
      m,
      await weights.matrix(`${b}mlp.up_proj.weight`, inner, d),
      await mlpBias(`${b}mlp.up_proj.bias`, inner),
      mm,
    );
    gatedInPlace(gate, up, config.activation);
    addInPlace(
      h,
      await linear(
        gate,
        await weights.matrix(`${b}mlp.down_proj.weight`, d, inner),
        await mlpBias(`${b}mlp.down_proj.bias`, d),
        mm,
      ),
    );
  }
  return { hidden: rmsNorm(h, await weights.vector(`${p}norm.weight`, [d]), eps) };
}
