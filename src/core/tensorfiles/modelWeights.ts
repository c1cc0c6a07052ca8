// Model parameters are not attention. A state dict's `in_proj_weight`, Llama's
// `self_attn.q_proj.weight`, GPT-2's `attn.c_attn.weight` or TransformerLens's `W_Q` say how a model
// would compute attention, not what it attended to: a square one drawn as a heatmap is a plausible
// wrong picture. They are recognised by name (and nn.Parameter in torch.save files) and never read
// as maps, queries, keys or values; the message says what they are and what to open instead.
import { type TensorInfo } from './tensorFile';

/** Names of parameter tensors (PyTorch, Hugging Face, TransformerLens, GPT-2 conventions). */
const PARAMETER_NAMES: readonly RegExp[] = [
  /(^|[._/])(weight|bias)$/i, // nn.Linear, nn.LayerNorm, every HF module: `….weight`, `….bias`
  /(^|[._/])in_proj_(weight|bias)$/, // nn.MultiheadAttention
  /(^|[._/])(bias_[kv])$/, // nn.MultiheadAttention(add_bias_kv=True)
  /(^|[._/])[a-z]*_proj([._/]|$)/i, // q_proj, k_proj, v_proj, o_proj, out_proj, qkv_proj, c_proj
  /(^|[._/])c_(attn|proj|fc)([._/]|$)/, // GPT-2 Conv1D
  /(^|[._/])(W|b)_(Q|K|V|O|in|out|gate|E|U|pos)$/, // TransformerLens parameters
  /(^|[._/])(wq|wk|wv|wo|wqkv|Wqkv)([._/]|$)/, // Meta Llama / Mistral / MPT originals
  /(^|[._/])(query_key_value|qkv)\.(weight|bias)$/, // Falcon, GPT-NeoX
  /(^|[._/])(inv_freq|rotary_emb\.\w+|position_embeddings|embed_tokens|wte|wpe|lm_head)([._/]|$)/,
];

/** True when the name (or the torch.save record) says this tensor is a model parameter. */
export function isModelWeight(info: Pick<TensorInfo, 'name' | 'parameter'>): boolean {
  return info.parameter === true || PARAMETER_NAMES.some((re) => re.test(info.name));
}

/** What to tell the user about a file (or a tensor) that holds parameters instead of attention. */
export function modelWeightsMessage(weights: readonly TensorInfo[], total: number): string {
  const shown = weights
    .slice(0, 3)
    .map((t) => `${JSON.stringify(t.name)} [${t.shape.join(', ')}]`)
    .join(', ');
  const more = weights.length > 3 ? ` and ${weights.length - 3} more` : '';
  const all =
    weights.length === total
      ? 'holds model weights'
      : `holds model weights (${weights.length} of its ${total} tensors)`;
  return `${all}, not attention: ${shown}${more} ${weights.length === 1 ? 'is a parameter' : 'are parameters'} (how a model computes attention, not what it attended to) and ${weights.length === 1 ? 'is' : 'are'} never drawn as maps; open the model folder to run it on text, or export attention with output_attentions=True (or Q/K/V activations)`;
}
