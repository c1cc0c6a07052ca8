#!/usr/bin/env python3
"""Save attention from a real model in files Attention Inspector opens.

    python3 export_attention.py hf  "When Mary and John went to the store"   # Hugging Face transformers
    python3 export_attention.py tl  "When Mary and John went to the store"   # TransformerLens

NOT RUN IN THIS REPOSITORY: it needs torch, transformers or transformer_lens, and a model download
(GPT-2 small, about 500 MB), none of which the project's tests have. It follows the libraries'
documented APIs (transformers' `output_attentions`, safetensors' `save_file(tensors, filename,
metadata)`, TransformerLens' `run_with_cache` and its hook names). Copy the function you need.

What the inspector reads (see the README, "Model tensor files"):
  * weights (post-softmax, rows sum to 1) or scores (pre-softmax): detected, or --meaning;
  * one tensor per layer named with the layer number (`attentions.0`, `blocks.0.attn.hook_pattern`)
    of shape [batch, heads, q, k], or one stacked [layers, batch, heads, q, k] tensor;
  * queries/keys/values as `….q`, `….k`, `….v` of shape [batch, heads, tokens, d_head];
  * tokens: safetensors `__metadata__["tokens"]` (a JSON list as a string), an .npz array named
    `tokens`, or a sidecar FILE.tokens.json next to the file.
"""
import json
import sys

import numpy as np


def export_hugging_face(text, model_name="gpt2", out="attention"):
    """transformers: one [batch, heads, q, k] tensor of weights per layer, from output_attentions."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_name)
    # The fused attention kernels (sdpa, flash) never form the weights; the eager path returns them.
    model = AutoModel.from_pretrained(model_name, attn_implementation="eager")
    model.eval()
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**encoded, output_attentions=True)
    # Decoded one by one, so labels read " Mary" rather than the byte-level "ĠMary".
    tokens = [tokenizer.decode([i]) for i in encoded["input_ids"][0].tolist()]

    # 1. safetensors, the Hugging Face layout: attentions.0 … attentions.{L-1}, tokens in the header.
    #    The values must be strings, hence json.dumps; tensors must be contiguous and on the CPU.
    save_file(
        {f"attentions.{layer}": a.detach().float().cpu().contiguous() for layer, a in enumerate(outputs.attentions)},
        f"{out}.safetensors",
        metadata={"tokens": json.dumps(tokens), "format": "pt", "model": model_name},
    )

    # 2. .npy, all layers stacked: [layers, batch, heads, q, k]; the tokens go in a sidecar file.
    stacked = torch.stack(outputs.attentions).detach().float().cpu().numpy()
    np.save(f"{out}.npy", stacked)
    with open(f"{out}.npy.tokens.json", "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False)
    print(f"wrote {out}.safetensors and {out}.npy ({stacked.shape}, {len(tokens)} tokens)")


def export_transformer_lens(text, model_name="gpt2-small", out="attention-tl"):
    """TransformerLens: patterns (weights), scores (pre-softmax) and q/k/v from the activation cache."""
    from transformer_lens import HookedTransformer

    model = HookedTransformer.from_pretrained(model_name)
    # run_with_cache prepends the BOS token by default, and so does to_str_tokens: they line up.
    _, cache = model.run_with_cache(text)
    tokens = model.to_str_tokens(text)
    layers = range(model.cfg.n_layers)

    def array(name):
        return cache[name].detach().float().cpu().numpy()

    # hook_pattern: [batch, heads, q, k] softmax weights. np.savez names each member after its key.
    np.savez_compressed(
        f"{out}-pattern.npz",
        tokens=np.array(tokens),
        **{f"blocks.{l}.attn.hook_pattern": array(f"blocks.{l}.attn.hook_pattern") for l in layers},
    )

    # hook_attn_scores: [batch, heads, q, k] pre-softmax scores, already divided by √d_head, with
    # -inf above the diagonal (the causal mask). The inspector can re-scale these; a factor of 1
    # shows the model as it ran.
    np.savez_compressed(
        f"{out}-scores.npz",
        tokens=np.array(tokens),
        **{f"blocks.{l}.attn.hook_attn_scores": array(f"blocks.{l}.attn.hook_attn_scores") for l in layers},
    )

    # hook_q / hook_k / hook_v are [batch, pos, heads, d_head]; the inspector expects the heads
    # before the tokens, [batch, heads, pos, d_head], so swap those two axes.
    qkv = {}
    for l in layers:
        for role in ("q", "k", "v"):
            qkv[f"blocks.{l}.attn.{role}"] = np.ascontiguousarray(array(f"blocks.{l}.attn.hook_{role}").transpose(0, 2, 1, 3))
    np.savez_compressed(f"{out}-qkv.npz", tokens=np.array(tokens), **qkv)
    print(f"wrote {out}-pattern.npz, {out}-scores.npz and {out}-qkv.npz ({len(tokens)} tokens)")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("hf", "tl"):
        sys.exit("usage: export_attention.py hf|tl TEXT")
    if sys.argv[1] == "hf":
        export_hugging_face(sys.argv[2])
    else:
        export_transformer_lens(sys.argv[2])
