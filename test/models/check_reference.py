#!/usr/bin/env python3
"""Checks reference.py's building blocks against torch's own modules and against independent formulas.

    /usr/bin/python3 test/models/check_reference.py TINY_MODELS_DIR

torch 1.13 has no scaled_dot_product_attention, but nn.MultiheadAttention computes the same per-head
softmax(q·kᵀ/√d) with a boolean mask, so BERT's and GPT-2's first layers can be checked against it. RoPE is
checked as a complex rotation of the (c, c + d/2) pairs, the llama3 frequencies one scalar at a time.
Prints "all checks passed" or exits 1 naming the first failed check.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

torch.set_num_threads(1)
failures = []


def check(name, ok, detail=''):
    print(('ok   ' if ok else 'FAIL ') + name + (f': {detail}' if detail else ''))
    if not ok:
        failures.append(name)


def close(name, a, b, tol=1e-10):
    err = (a - b).abs().max().item()
    check(name, err <= tol, f'max |diff| {err:.2e}')


def mha_weights(x, wq, bq, wk, bk, wv, bv, heads, block=None):
    """Per-head attention weights of nn.MultiheadAttention with the given projections ([out, in] weights)."""
    d = x.shape[1]
    mha = torch.nn.MultiheadAttention(d, heads, bias=True, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([wq, wk, wv], 0))
        mha.in_proj_bias.copy_(torch.cat([bq, bk, bv], 0))
        _, w = mha(x[None], x[None], x[None], attn_mask=block, need_weights=True, average_attn_weights=False)
    return w[0]


def reference_layer0(model_dir, ids, **kw):
    config, arch, weights = R.load_model(model_dir)
    with torch.no_grad():
        rec, *_ = R.forward(config, arch, weights, ids, **kw)
    return config, weights, rec


def main(tiny):
    g = torch.Generator().manual_seed(7)

    # BERT layer 0 vs nn.MultiheadAttention on the embedding output.
    ids = torch.tensor([2, 40, 41, 77, 90, 12, 3])
    config, w, rec = reference_layer0(os.path.join(tiny, 'bert-tiny'), ids)
    e = 'bert.embeddings.'
    summed = w[e + 'word_embeddings.weight'][ids] + w[e + 'token_type_embeddings.weight'][0] + w[e + 'position_embeddings.weight'][:len(ids)]
    ln = torch.nn.LayerNorm(summed.shape[1], eps=config['layer_norm_eps']).double()
    with torch.no_grad():
        ln.weight.copy_(w[e + 'LayerNorm.weight'])
        ln.bias.copy_(w[e + 'LayerNorm.bias'])
        h0 = ln(summed)
    s = 'bert.encoder.layer.0.attention.self.'
    close('BERT layer 0 weights = nn.MultiheadAttention', rec.weights[0],
          mha_weights(h0, w[s + 'query.weight'], w[s + 'query.bias'], w[s + 'key.weight'], w[s + 'key.bias'],
                      w[s + 'value.weight'], w[s + 'value.bias'], config['num_attention_heads']))

    # GPT-2 layer 0 (Conv1D weights transposed into nn.Linear layout) with a causal mask.
    ids = torch.tensor([15496, 995, 11, 616, 1438, 318, 257])
    config, w, rec = reference_layer0(os.path.join(tiny, 'gpt2-tiny'), ids)
    D = config['n_embd']
    x = w['wte.weight'][ids] + w['wpe.weight'][:len(ids)]
    h0 = F.layer_norm(x, (D,), w['h.0.ln_1.weight'], w['h.0.ln_1.bias'], config['layer_norm_epsilon'])
    wt, b = w['h.0.attn.c_attn.weight'].t(), w['h.0.attn.c_attn.bias']
    block = torch.triu(torch.ones(len(ids), len(ids), dtype=torch.bool), diagonal=1)
    close('GPT-2 layer 0 weights = nn.MultiheadAttention (causal)', rec.weights[0],
          mha_weights(h0, wt[:D], b[:D], wt[D:2 * D], b[D:2 * D], wt[2 * D:], b[2 * D:], config['n_head'], block))
    check('GPT-2 masked cells are -inf and weight 0',
          bool((rec.scores[0][:, block] == float('-inf')).all() and (rec.weights[0][:, block] == 0).all()))

    # Activations and norms.
    v = torch.randn(1000, dtype=torch.float64, generator=g) * 4
    close('gelu_new = F.gelu(approximate="tanh")', R.gelu_tanh(v), F.gelu(v, approximate='tanh'), 1e-14)
    close('gelu = erf formula', R.gelu_erf(v), 0.5 * v * (1 + torch.erf(v / math.sqrt(2))), 1e-14)
    m = torch.randn(5, 48, dtype=torch.float64, generator=g)
    wn = torch.randn(48, dtype=torch.float64, generator=g)
    manual = torch.stack([wn * row / math.sqrt(sum(t * t for t in row.tolist()) / 48 + 1e-6) for row in m])
    close('RMSNorm = w·x/√(mean(x²)+eps)', R.rms_norm(m, wn, 1e-6), manual, 1e-13)

    # RoPE: rotate_half on halves = complex rotation of (x_c, x_{c+d/2}) by position·inv_freq_c.
    d, n = 16, 9
    q = torch.randn(3, n, d, dtype=torch.float64, generator=g)
    inv = 1.0 / (10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    cos, sin = R.rope_cos_sin(inv, n, torch.float64)
    z = torch.complex(q[..., :d // 2], q[..., d // 2:]) * torch.polar(torch.ones(n, d // 2, dtype=torch.float64),
                                                                     torch.arange(n, dtype=torch.float64)[:, None] * inv[None])
    close('RoPE = complex rotation of pairs (c, c+d/2)', R.apply_rope(q, cos, sin), torch.cat([z.real, z.imag], -1), 1e-12)

    # llama3 frequencies, one scalar at a time from the definition in modeling_rope_utils.py.
    cfg = {'rope_theta': 500000.0, 'rope_scaling': {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0,
                                                    'high_freq_factor': 4.0, 'original_max_position_embeddings': 64}}
    got = R.rope_inv_freq(cfg, 16, torch.float64).tolist()
    bands = []
    for i, f in enumerate(got):
        base = 500000.0 ** (-(2 * i) / 16)
        wl = 2 * math.pi / base
        if wl < 64 / 4:
            want, band = base, 'high'
        elif wl > 64 / 1:
            want, band = base / 8, 'low'
        else:
            t = (64 / wl - 1) / (4 - 1)
            want, band = (1 - t) * base / 8 + t * base, 'smooth'
        bands.append(band)
        check(f'llama3 inv_freq[{i}] ({band})', abs(f - want) <= 1e-15 * max(1, want), f'{f} vs {want}')
    check('llama3 test config exercises all three bands', set(bands) == {'high', 'low', 'smooth'}, ','.join(bands))
    with open(os.path.join(tiny, 'llama-tiny', 'config.json')) as f:
        lc = json.load(f)
    check('llama-tiny config uses the same scaling', lc['rope_scaling'] == cfg['rope_scaling'] and lc['rope_theta'] == 500000.0)

    # GQA: repeat_interleave over kv heads = HF's repeat_kv expand/reshape.
    k = torch.randn(2, n, d, dtype=torch.float64, generator=g)
    hf = k[:, None].expand(2, 3, n, d).reshape(6, n, d)
    close('repeat_kv = repeat_interleave', k.repeat_interleave(3, dim=0), hf, 0)
    check('kv_head_of(8, 2)', R.kv_head_of(8, 2) == [0, 0, 0, 0, 1, 1, 1, 1])

    # RoBERTa positions: padding keeps padding_idx, the rest count from padding_idx + 1.
    check('RoBERTa position ids', R.roberta_position_ids(torch.tensor([0, 5, 6, 2, 1, 1]), 1).tolist() == [2, 3, 4, 5, 1, 1])

    # Sliding window: query i sees keys i-W+1 … i.
    a = R.allowed_cells(6, True, 3)
    check('sliding window 3', [row.nonzero().flatten().tolist() for row in a] == [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])

    if failures:
        sys.exit(f'check_reference.py: {len(failures)} failed: {", ".join(failures)}')
    print('all checks passed')


if __name__ == '__main__':
    main(sys.argv[1])
