#!/usr/bin/env python3
"""PyTorch reference forward passes, written from Hugging Face transformers' modeling code, that record every
layer's and head's attention exactly as the model computes it.

    /usr/bin/python3 test/models/reference.py MODEL_DIR --ids 1,2,3 [--token-type-ids 0,0,1]
        [--attention-mask 1,1,0] --out FILE

Writes FILE: 8-byte little-endian header length, a JSON header, then float64 little-endian arrays
(the header gives each array's byte offset from the start of the data and its shape):
  scores  [layers, heads, n, n]    q·kᵀ after the model's own scaling (and RoPE); -inf where masked
  weights [layers, heads, n, n]    softmax of scores over keys (= output_attentions under eager); a row with no
                                   allowed key (left padding in a causal model) is all 0, not NaN
  qPre, qRot [layers, heads, n, headDim]    the query before / after RoPE (no RoPE: equal)
  kPre, kRot [layers, kvHeads, n, headDim]  the key, one per key/value head (grouped-query attention)
  hidden  [n, hiddenSize]          the final hidden state, after the final norm where the model has one
q and k never include the softmax scale (DistilBERT divides q by √d before the product; that scale is in
`scores`, not in q). Query head h reads key/value head kvHeadOf[h] = h // (heads / kvHeads), as repeat_kv does.

The same forward functions run in float32 for the PyTorch timing baseline (bench/torch_models.py).
Every piece cites the transformers function it mirrors (src/transformers/models/<family>/modeling_<family>.py).
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_model_weights  # noqa: E402

LLAMA_FAMILY = {'LlamaForCausalLM', 'LlamaModel', 'MistralForCausalLM', 'MistralModel', 'Qwen2ForCausalLM',
                'Qwen2Model', 'Qwen3ForCausalLM', 'Qwen3Model'}
GPT2_FAMILY = {'GPT2LMHeadModel', 'GPT2Model'}
BERT_FAMILY = {'BertModel', 'BertForMaskedLM', 'RobertaModel', 'RobertaForMaskedLM'}
DISTILBERT_FAMILY = {'DistilBertModel', 'DistilBertForMaskedLM'}
SUPPORTED = sorted(LLAMA_FAMILY | GPT2_FAMILY | BERT_FAMILY | DISTILBERT_FAMILY)


class Recorder:
    """Collects per-layer tensors; off (record=False) for the timing baseline, except the weights that
    output_attentions=True returns anyway."""

    def __init__(self, record: bool):
        self.record = record
        self.scores, self.weights, self.q_pre, self.k_pre, self.q_rot, self.k_rot = [], [], [], [], [], []

    def layer(self, scores, weights, q_pre, k_pre, q_rot, k_rot):
        self.weights.append(weights)
        if self.record:
            self.scores.append(scores)
            self.q_pre.append(q_pre)
            self.k_pre.append(k_pre)
            self.q_rot.append(q_rot)
            self.k_rot.append(k_rot)


# --- shared building blocks -----------------------------------------------------------------------------

def linear(x, w, b=None):
    """nn.Linear: x · Wᵀ + b, W stored [out, in]."""
    return F.linear(x, w, b)


def conv1d(x, w, b):
    """GPT-2's Conv1D (transformers/pytorch_utils.py, Conv1D.forward): x · W + b, W stored [in, out]."""
    return torch.addmm(b, x, w)


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm(x, w, eps):
    """LlamaRMSNorm.forward: w · x / √(mean(x²) + eps). HF upcasts x to float32 for the statistic and casts
    back before the weight; here the whole computation is in the run's dtype (float64 for the reference)."""
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


def gelu_tanh(x):
    """activations.py, NewGELUActivation ("gelu_new", GPT-2)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gelu_erf(x):
    """activations.py, GELUActivation ("gelu", BERT/RoBERTa/DistilBERT): nn.functional.gelu, exact erf."""
    return F.gelu(x)


def split_heads(x, heads, head_dim):
    """[n, heads·head_dim] -> [heads, n, head_dim]."""
    return x.view(x.shape[0], heads, head_dim).transpose(0, 1)


def merge_heads(x):
    """[heads, n, head_dim] -> [n, heads·head_dim]."""
    return x.transpose(0, 1).reshape(x.shape[1], -1)


def kv_head_of(heads, kv_heads):
    """repeat_kv (modeling_llama.py): key/value head j is repeated n_rep times in a row, so query head h
    reads key/value head h // n_rep."""
    n_rep = heads // kv_heads
    return [h // n_rep for h in range(heads)]


def allowed_cells(n, causal, sliding_window=None, key_mask=None):
    """[n, n] bool, True where query i may attend to key j.
    masking_utils.py: causal_mask_function kv_idx <= q_idx; sliding_window_overlay kv_idx > q_idx - window;
    padding_mask_function: the attention_mask of the key."""
    i = torch.arange(n).view(n, 1)
    j = torch.arange(n).view(1, n)
    allowed = torch.ones(n, n, dtype=torch.bool)
    if causal:
        allowed &= j <= i
    if sliding_window is not None:
        allowed &= j > i - sliding_window
    if key_mask is not None:
        allowed &= key_mask.view(1, n).bool()
    return allowed


def attend(q, k, v, scale, allowed, heads, kv_heads):
    """eager_attention_forward (modeling_llama.py; GPT-2's and BERT's eager paths are the same math):
    scores = q·kᵀ·scale, masked, softmax over keys, then weights·v. q [H, n, d], k and v [KV, n, d].
    Masked cells are -inf (HF adds finfo.min, which gives the same softmax for any row with an allowed key);
    a row with no allowed key gets all-zero weights instead of NaN."""
    n_rep = heads // kv_heads
    k_full = k.repeat_interleave(n_rep, dim=0) if n_rep > 1 else k
    v_full = v.repeat_interleave(n_rep, dim=0) if n_rep > 1 else v
    scores = torch.matmul(q, k_full.transpose(1, 2)) * scale
    scores = scores.masked_fill(~allowed, float('-inf'))
    empty = ~allowed.any(dim=-1)  # [n]
    safe = scores.masked_fill(empty.view(1, -1, 1), 0.0) if bool(empty.any()) else scores
    weights = torch.softmax(safe, dim=-1)
    if bool(empty.any()):
        weights = weights.masked_fill(empty.view(1, -1, 1), 0.0)
    return scores, weights, torch.matmul(weights, v_full)


# --- rotary position embedding ------------------------------------------------------------------------

def rope_parameters(config):
    """(rope_type, theta, scaling dict) from a config in either layout: rope_theta + rope_scaling (≤ 4.x)
    or rope_parameters (5.x)."""
    params = config.get('rope_parameters')
    if params:
        return params.get('rope_type', params.get('type', 'default')), params.get('rope_theta', 10000.0), params
    scaling = config.get('rope_scaling') or {}
    return scaling.get('rope_type', scaling.get('type', 'default')), config.get('rope_theta', 10000.0), scaling


def rope_inv_freq(config, head_dim, dtype):
    """modeling_rope_utils.py: _compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
    _compute_llama3_parameters (inv_freq only; their attention_factor is 1.0)."""
    rope_type, theta, s = rope_parameters(config)
    dim = int(head_dim * config.get('partial_rotary_factor', 1.0))
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype) / dim))
    if rope_type == 'default':
        return inv_freq
    if rope_type == 'linear':
        return inv_freq / s['factor']
    if rope_type == 'llama3':
        factor, low, high = s['factor'], s['low_freq_factor'], s['high_freq_factor']
        old_context = s['original_max_position_embeddings']
        low_freq_wavelen = old_context / low
        high_freq_wavelen = old_context / high
        wavelen = 2 * math.pi / inv_freq
        # wavelen < high_freq_wavelen: kept; wavelen > low_freq_wavelen: divided by factor; between: smooth blend
        inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth_factor = (old_context / wavelen - low) / (high - low)
        smoothed = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
        is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
        return torch.where(is_medium, smoothed, inv_freq_llama)
    raise ValueError(f'rope_type {rope_type!r} is not supported by the reference (default, linear, llama3)')


def rope_cos_sin(inv_freq, n, dtype):
    """LlamaRotaryEmbedding.forward: freqs = position · inv_freq, emb = cat(freqs, freqs). HF computes this in
    float32; the reference keeps the run's dtype."""
    positions = torch.arange(n, dtype=dtype)
    freqs = torch.outer(positions, inv_freq.to(dtype))
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    """modeling_llama.py rotate_half: (x1, x2) -> (-x2, x1) over the two halves of the last dimension."""
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x, cos, sin):
    """apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, cos and sin [n, head_dim] broadcast over heads.
    partial_rotary_factor < 1 (not in these families) would rotate only the first dims."""
    d = cos.shape[-1]
    if d == x.shape[-1]:
        return x * cos + rotate_half(x) * sin
    return torch.cat([x[..., :d] * cos + rotate_half(x[..., :d]) * sin, x[..., d:]], dim=-1)


# --- GPT-2: modeling_gpt2.py ----------------------------------------------------------------------------

def strip_prefix(weights, prefix):
    """GPT2LMHeadModel checkpoints on the hub have no `transformer.` prefix; models saved by a recent
    save_pretrained do. Accept both, as from_pretrained does (base_model_prefix)."""
    if any(k.startswith(prefix) for k in weights):
        return {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
    return weights


def gpt2_forward(config, weights, ids, key_mask, rec: Recorder):
    """GPT2Model.forward: wte + wpe, pre-LN blocks (GPT2Block.forward), ln_f.
    GPT2Attention: c_attn splits [q | k | v]; eager_attention_forward divides by √head_dim
    (scale_attn_weights; scale_attn_by_inverse_layer_idx would divide by layer_idx + 1 too)."""
    w = strip_prefix(weights, 'transformer.')
    D, H, L = config['n_embd'], config['n_head'], config['n_layer']
    hd = D // H
    eps = config.get('layer_norm_epsilon', 1e-5)
    n = ids.shape[0]
    if n > config['n_positions']:
        raise ValueError(f'{n} tokens > n_positions {config["n_positions"]}')
    x = w['wte.weight'][ids] + w['wpe.weight'][:n]
    allowed = allowed_cells(n, True, None, key_mask)
    for i in range(L):
        p = f'h.{i}.'
        scale = 1.0 / math.sqrt(hd) if config.get('scale_attn_weights', True) else 1.0
        if config.get('scale_attn_by_inverse_layer_idx', False):
            scale /= float(i + 1)
        h = layer_norm(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias'], eps)
        qkv = conv1d(h, w[p + 'attn.c_attn.weight'], w[p + 'attn.c_attn.bias'])
        q, k, v = (split_heads(t, H, hd) for t in qkv.split(D, dim=1))
        scores, weights_, out = attend(q, k, v, scale, allowed, H, H)
        rec.layer(scores, weights_, q, k, q, k)
        x = x + conv1d(merge_heads(out), w[p + 'attn.c_proj.weight'], w[p + 'attn.c_proj.bias'])
        h = layer_norm(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias'], eps)
        act = gelu_tanh if config.get('activation_function', 'gelu_new') in ('gelu_new', 'gelu_pytorch_tanh') else gelu_erf
        h = conv1d(act(conv1d(h, w[p + 'mlp.c_fc.weight'], w[p + 'mlp.c_fc.bias'])), w[p + 'mlp.c_proj.weight'], w[p + 'mlp.c_proj.bias'])
        x = x + h
    return layer_norm(x, w['ln_f.weight'], w['ln_f.bias'], eps), H, H, hd


# --- Llama, Mistral, Qwen2, Qwen3: modeling_llama.py and the files that copy it --------------------------

def layer_sliding_windows(config, arch):
    """Which layers use a sliding window, and its width.
    Mistral (modeling_mistral.py): every layer when sliding_window is set.
    Qwen2/Qwen3 (configuration_qwen2.py / _qwen3.py): layer_types if given, else layer i slides when
    use_sliding_window and sliding_window is set and i >= max_window_layers. Llama: never."""
    L = config['num_hidden_layers']
    window = config.get('sliding_window')
    if arch.startswith('Mistral'):
        return [window] * L
    if arch.startswith('Qwen'):
        types = config.get('layer_types')
        if types is None:
            on = config.get('use_sliding_window', False) and window is not None
            types = ['sliding_attention' if on and i >= config.get('max_window_layers', L) else 'full_attention' for i in range(L)]
        return [window if t == 'sliding_attention' else None for t in types]
    return [None] * L


def llama_forward(config, weights, ids, key_mask, rec: Recorder, arch):
    """LlamaModel.forward: embed_tokens; per LlamaDecoderLayer: input_layernorm → self_attn → residual,
    post_attention_layernorm → mlp (down(silu(gate)·up)) → residual; final norm.
    LlamaAttention.forward: q/k/v projections (Qwen2: with biases; Llama: attention_bias), Qwen3Attention:
    q_norm/k_norm RMSNorm over head_dim BEFORE RoPE, apply_rotary_pos_emb, repeat_kv, scaling = head_dim^-0.5."""
    w = weights
    D, H = config['hidden_size'], config['num_attention_heads']
    KV = config.get('num_key_value_heads') or H
    hd = config.get('head_dim') or D // H
    L = config['num_hidden_layers']
    eps = config.get('rms_norm_eps', 1e-6)
    n = ids.shape[0]
    dtype = w['model.embed_tokens.weight'].dtype
    windows = layer_sliding_windows(config, arch)
    cos, sin = rope_cos_sin(rope_inv_freq(config, hd, torch.float64), n, dtype)
    scale = hd ** -0.5
    x = w['model.embed_tokens.weight'][ids].to(dtype)
    masks = {}
    for i in range(L):
        p = f'model.layers.{i}.'
        a = p + 'self_attn.'
        h = rms_norm(x, w[p + 'input_layernorm.weight'], eps)
        q = split_heads(linear(h, w[a + 'q_proj.weight'], w.get(a + 'q_proj.bias')), H, hd)
        k = split_heads(linear(h, w[a + 'k_proj.weight'], w.get(a + 'k_proj.bias')), KV, hd)
        v = split_heads(linear(h, w[a + 'v_proj.weight'], w.get(a + 'v_proj.bias')), KV, hd)
        if a + 'q_norm.weight' in w:
            q = rms_norm(q, w[a + 'q_norm.weight'], eps)
            k = rms_norm(k, w[a + 'k_norm.weight'], eps)
        q_rot, k_rot = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if windows[i] not in masks:
            masks[windows[i]] = allowed_cells(n, True, windows[i], key_mask)
        scores, weights_, out = attend(q_rot, k_rot, v, scale, masks[windows[i]], H, KV)
        rec.layer(scores, weights_, q, k, q_rot, k_rot)
        x = x + linear(merge_heads(out), w[a + 'o_proj.weight'], w.get(a + 'o_proj.bias'))
        h = rms_norm(x, w[p + 'post_attention_layernorm.weight'], eps)
        m = p + 'mlp.'
        gate = F.silu(linear(h, w[m + 'gate_proj.weight'], w.get(m + 'gate_proj.bias')))
        up = linear(h, w[m + 'up_proj.weight'], w.get(m + 'up_proj.bias'))
        x = x + linear(gate * up, w[m + 'down_proj.weight'], w.get(m + 'down_proj.bias'))
    return rms_norm(x, w['model.norm.weight'], eps), H, KV, hd


# --- BERT, RoBERTa: modeling_bert.py, modeling_roberta.py -------------------------------------------------

def roberta_position_ids(ids, padding_idx):
    """modeling_roberta.py create_position_ids_from_input_ids: padding tokens get padding_idx, the others
    padding_idx + 1, + 2, … counting only non-padding tokens."""
    mask = ids.ne(padding_idx).int()
    return (torch.cumsum(mask, dim=0).type_as(mask) * mask).long() + padding_idx


def bert_forward(config, weights, ids, token_type_ids, key_mask, rec: Recorder, roberta):
    """BertEmbeddings.forward: word + token_type + position (RoBERTa: positions from padding_idx + 1), then
    LayerNorm. BertLayer: self-attention (scores / √head_dim + extended mask), BertSelfOutput
    LayerNorm(dense(ctx) + x) (post-LN), BertIntermediate gelu, BertOutput LayerNorm(dense(h) + attn_out)."""
    prefix = 'roberta.' if roberta else 'bert.'
    w = strip_prefix(weights, prefix)
    D, H, L = config['hidden_size'], config['num_attention_heads'], config['num_hidden_layers']
    hd = D // H
    eps = config.get('layer_norm_eps', 1e-12)
    n = ids.shape[0]
    if roberta:
        positions = roberta_position_ids(ids, config.get('pad_token_id', 1))
    else:
        positions = torch.arange(n)
    if int(positions.max()) >= config['max_position_embeddings']:
        raise ValueError(f'position {int(positions.max())} >= max_position_embeddings {config["max_position_embeddings"]}')
    e = 'embeddings.'
    x = w[e + 'word_embeddings.weight'][ids] + w[e + 'token_type_embeddings.weight'][token_type_ids]
    x = x + w[e + 'position_embeddings.weight'][positions]
    x = layer_norm(x, w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'], eps)
    allowed = allowed_cells(n, False, None, key_mask)
    act = gelu_erf if config.get('hidden_act', 'gelu') == 'gelu' else gelu_tanh
    for i in range(L):
        p = f'encoder.layer.{i}.'
        s = p + 'attention.self.'
        q = split_heads(linear(x, w[s + 'query.weight'], w[s + 'query.bias']), H, hd)
        k = split_heads(linear(x, w[s + 'key.weight'], w[s + 'key.bias']), H, hd)
        v = split_heads(linear(x, w[s + 'value.weight'], w[s + 'value.bias']), H, hd)
        scores, weights_, out = attend(q, k, v, 1.0 / math.sqrt(hd), allowed, H, H)
        rec.layer(scores, weights_, q, k, q, k)
        o = p + 'attention.output.'
        attn = layer_norm(linear(merge_heads(out), w[o + 'dense.weight'], w[o + 'dense.bias']) + x,
                          w[o + 'LayerNorm.weight'], w[o + 'LayerNorm.bias'], eps)
        h = act(linear(attn, w[p + 'intermediate.dense.weight'], w[p + 'intermediate.dense.bias']))
        x = layer_norm(linear(h, w[p + 'output.dense.weight'], w[p + 'output.dense.bias']) + attn,
                       w[p + 'output.LayerNorm.weight'], w[p + 'output.LayerNorm.bias'], eps)
    return x, H, H, hd


# --- DistilBERT: modeling_distilbert.py -----------------------------------------------------------------

def distilbert_forward(config, weights, ids, key_mask, rec: Recorder):
    """Embeddings: word + position (learned; sinusoidal_pos_embds writes fixed sinusoids into the same
    table, so the checkpoint's values are used either way), LayerNorm(eps 1e-12). MultiHeadSelfAttention:
    q = q_lin(x) / √dim_per_head BEFORE q·kᵀ, masked_fill(mask == 0, finfo.min), softmax.
    TransformerBlock: sa_layer_norm(attn + x), output_layer_norm(ffn(sa) + sa), ffn = lin2(gelu(lin1))."""
    w = strip_prefix(weights, 'distilbert.')
    D, H, L = config['dim'], config['n_heads'], config['n_layers']
    hd = D // H
    eps = 1e-12
    n = ids.shape[0]
    e = 'embeddings.'
    x = w[e + 'word_embeddings.weight'][ids] + w[e + 'position_embeddings.weight'][torch.arange(n)]
    x = layer_norm(x, w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'], eps)
    allowed = allowed_cells(n, False, None, key_mask)
    act = gelu_erf if config.get('activation', 'gelu') == 'gelu' else F.relu
    for i in range(L):
        a = f'transformer.layer.{i}.attention.'
        p = f'transformer.layer.{i}.'
        q = split_heads(linear(x, w[a + 'q_lin.weight'], w[a + 'q_lin.bias']), H, hd)
        k = split_heads(linear(x, w[a + 'k_lin.weight'], w[a + 'k_lin.bias']), H, hd)
        v = split_heads(linear(x, w[a + 'v_lin.weight'], w[a + 'v_lin.bias']), H, hd)
        # DistilBERT scales q, then takes the product with scale 1.
        scores, weights_, out = attend(q / math.sqrt(hd), k, v, 1.0, allowed, H, H)
        rec.layer(scores, weights_, q, k, q, k)
        sa = layer_norm(linear(merge_heads(out), w[a + 'out_lin.weight'], w[a + 'out_lin.bias']) + x,
                        w[p + 'sa_layer_norm.weight'], w[p + 'sa_layer_norm.bias'], eps)
        f = linear(act(linear(sa, w[p + 'ffn.lin1.weight'], w[p + 'ffn.lin1.bias'])), w[p + 'ffn.lin2.weight'], w[p + 'ffn.lin2.bias'])
        x = layer_norm(f + sa, w[p + 'output_layer_norm.weight'], w[p + 'output_layer_norm.bias'], eps)
    return x, H, H, hd


# --- entry points ---------------------------------------------------------------------------------------

def load_model(model_dir, dtype=torch.float64):
    with open(os.path.join(model_dir, 'config.json')) as f:
        config = json.load(f)
    arch = (config.get('architectures') or ['?'])[0]
    if arch not in SUPPORTED:
        raise ValueError(f'{model_dir}/config.json: architecture {arch} is not supported (supported: {", ".join(SUPPORTED)})')
    return config, arch, read_model_weights(model_dir, dtype)


def forward(config, arch, weights, ids, token_type_ids=None, attention_mask=None, record=True):
    """-> (Recorder, final hidden [n, D], heads, kvHeads, headDim). ids etc. are int64 1-D tensors."""
    rec = Recorder(record)
    key_mask = attention_mask
    if arch in GPT2_FAMILY:
        out = gpt2_forward(config, weights, ids, key_mask, rec)
    elif arch in LLAMA_FAMILY:
        out = llama_forward(config, weights, ids, key_mask, rec, arch)
    elif arch in BERT_FAMILY:
        tt = token_type_ids if token_type_ids is not None else torch.zeros_like(ids)
        out = bert_forward(config, weights, ids, tt, key_mask, rec, arch.startswith('Roberta'))
    else:
        out = distilbert_forward(config, weights, ids, key_mask, rec)
    hidden, heads, kv_heads, head_dim = out
    return rec, hidden, heads, kv_heads, head_dim


def write_result(path, rec: Recorder, hidden, heads, kv_heads, head_dim, arch):
    arrays = [('scores', torch.stack(rec.scores)), ('weights', torch.stack(rec.weights)),
              ('qPre', torch.stack(rec.q_pre)), ('kPre', torch.stack(rec.k_pre)),
              ('qRot', torch.stack(rec.q_rot)), ('kRot', torch.stack(rec.k_rot)), ('hidden', hidden)]
    header = {'architecture': arch, 'layers': len(rec.weights), 'heads': heads, 'kvHeads': kv_heads,
              'n': int(hidden.shape[0]), 'headDim': head_dim, 'hiddenSize': int(hidden.shape[1]),
              'kvHeadOf': kv_head_of(heads, kv_heads), 'arrays': {}}
    blobs, offset = [], 0
    for name, t in arrays:
        b = t.detach().to(torch.float64).contiguous().numpy().tobytes()
        header['arrays'][name] = {'offset': offset, 'shape': list(t.shape)}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)  # so the float64 data starts 8-byte aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def int_list(s):
    return [int(v) for v in s.split(',')] if s else []


def main():
    ap = argparse.ArgumentParser(description='float64 PyTorch reference attentions of a Hugging Face model folder')
    ap.add_argument('model_dir')
    ap.add_argument('--ids', required=True, help='comma-separated token ids')
    ap.add_argument('--token-type-ids')
    ap.add_argument('--attention-mask', help='comma-separated 0/1, one per token (0: padding)')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ids = torch.tensor(int_list(args.ids), dtype=torch.int64)
    tt = torch.tensor(int_list(args.token_type_ids), dtype=torch.int64) if args.token_type_ids else None
    mask = torch.tensor(int_list(args.attention_mask), dtype=torch.int64) if args.attention_mask else None
    for name, t in (('--token-type-ids', tt), ('--attention-mask', mask)):
        if t is not None and t.shape != ids.shape:
            sys.exit(f'reference.py: {name} has {t.shape[0]} values for {ids.shape[0]} ids')
    try:
        config, arch, weights = load_model(args.model_dir)
        vocab = config.get('vocab_size')
        if ids.numel() == 0 or int(ids.min()) < 0 or (vocab and int(ids.max()) >= vocab):
            raise ValueError(f'token ids must be in [0, {vocab}) and at least one')
        with torch.no_grad():
            rec, hidden, heads, kv_heads, head_dim = forward(config, arch, weights, ids, tt, mask)
    except (ValueError, KeyError) as e:
        sys.exit(f'reference.py: {args.model_dir}: {e.__class__.__name__}: {e}')
    write_result(args.out, rec, hidden, heads, kv_heads, head_dim, arch)


if __name__ == '__main__':
    main()
