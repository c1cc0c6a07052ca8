#!/usr/bin/env python3
"""Writes the example inputs in this folder (all but the two hand-written paper examples).

    python3 examples/generate_examples.py

numpy only: the .safetensors files are written by hand (8-byte little-endian header length, JSON
header, raw little-endian data), and the .npz is a zip of np.lib.format arrays with pinned member
timestamps. The seed is fixed, so every run writes the same bytes.

What it writes (see README.md in this folder for how to open each one):
  causal-mask.json          one head over a short sentence, mask "causal" (GPT-style)
  why-projections.json      token vectors X and two heads of W_Q/W_K/W_V: raw Q = K = V = X
                            attends to itself; the projections learn to look elsewhere
  long-sequence.json        256 tokens, Q/K/V with d_k = 16, causal: a local head with a sink
  attention-explained.txt   the same 256 words as plain text, for Inspect Selection
  gpt-style-attention.npy   [layers=4, batch=1, heads=4, q=24, k=24] float32 post-softmax weights
  gpt-style-attention.npy.tokens.json   the token sidecar for the .npy
  gpt-style-attention.safetensors       the same weights as Hugging Face's output_attentions tuple
                            (attentions.0 … attentions.3, each [1, 4, 24, 24]), tokens in __metadata__
  transformerlens-scores.npz            pre-softmax scores as TransformerLens caches them
                            (blocks.L.attn.hook_attn_scores, [1, 4, 24, 24], -inf above the diagonal)
                            plus a `tokens` string array
  qkv-heads.safetensors     queries/keys/values per layer (blocks.L.attn.q/k/v, [heads, 24, 16]
                            float16): the inspector computes scores under any scaling from them
"""
import io
import json
import os
import struct
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20260101)

# GPT-2-style tokens (decoded, so word tokens carry their leading space). The clause repeats, which
# is what gives duplicate-token and induction heads something to find.
MODEL_TOKENS = [
    "<|endoftext|>", "When", " Mary", " and", " John", " went", " to", " the", " store", ",",
    " John", " gave", " a", " drink", " to", " Mary", ".", " When", " Mary", " and", " John",
    " went", " to", " the",
]
N = len(MODEL_TOKENS)
LAYERS, HEADS = 4, 4

# One head type per (layer, head), in the order real models tend to show them: positional heads
# early, content heads (duplicate token, induction) later, BOS sinks everywhere.
HEAD_TYPES = [
    ["previous", "self", "broad", "sink"],
    ["previous", "sink", "duplicate", "broad"],
    ["induction", "sink", "broad", "previous"],
    ["induction", "sink", "broad", "self"],
]


def write_text(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_json(name, doc):
    """One matrix row per line: readable, and diffs stay small when a value changes."""
    def fmt(value, indent):
        pad = " " * indent
        if isinstance(value, dict):
            items = [f'{pad}  {json.dumps(k)}: {fmt(v, indent + 2).lstrip()}' for k, v in value.items()]
            return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, list) and value and isinstance(value[0], list):
            rows = [pad + "  " + json.dumps(r, separators=(", ", ": ")) if not isinstance(r[0], list) else fmt(r, indent + 2) for r in value]
            return pad + "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        return pad + json.dumps(value, ensure_ascii=False)
    write_text(name, fmt(doc, 0) + "\n")


def rounded(a, digits=3):
    """Nested lists of Python floats, rounded so the JSON stays short (and -0.0 becomes 0.0)."""
    return (np.round(np.asarray(a, dtype=np.float64), digits) + 0.0).tolist()


def softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def causal(n):
    """True where query i may attend to key j (j <= i)."""
    return np.tril(np.ones((n, n), dtype=bool))


# ---------------------------------------------------------------------------------------------
# Model-shaped attention maps: logits built from the head's rule plus noise, masked causally.

def head_targets(kind, tokens):
    """n×n 0/1 matrix of the keys a head of this kind looks for, per query."""
    n = len(tokens)
    t = np.zeros((n, n))
    for i in range(n):
        if kind == "previous" and i > 0:
            t[i, i - 1] = 1
        elif kind == "self":
            t[i, i] = 1
        elif kind == "duplicate":
            for j in range(i):
                if tokens[j] == tokens[i]:
                    t[i, j] = 1
        elif kind == "induction":
            # the token after an earlier occurrence of the current token: "A B … A" → attend to B
            for j in range(1, i + 1):
                if tokens[j - 1] == tokens[i] and j - 1 < i:
                    t[i, j] = 1
    return t


def head_logits(kind, layer, tokens):
    n = len(tokens)
    noise = rng.normal(0.0, 0.6 if kind != "broad" else 0.35, size=(n, n))
    logits = noise.copy()
    if kind == "sink":
        logits[:, 0] += 6.0
    elif kind == "broad":
        # a mild preference for recent keys, otherwise spread out
        logits += -0.08 * np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    else:
        targets = head_targets(kind, tokens)
        logits += 5.5 * targets
        # rows with nothing to find fall back on the first token, as real heads do
        logits[:, 0] += np.where(targets.sum(axis=1) > 0, 1.0, 4.5)
    # later layers lean on the BOS sink a little more
    logits[:, 0] += 0.5 * layer
    return np.where(causal(n), logits, -np.inf)


def model_scores():
    """[layers, batch=1, heads, n, n] pre-softmax scores with -inf where masked."""
    out = np.empty((LAYERS, 1, HEADS, N, N))
    for layer in range(LAYERS):
        for head in range(HEADS):
            out[layer, 0, head] = head_logits(HEAD_TYPES[layer][head], layer, MODEL_TOKENS)
    return out


# ---------------------------------------------------------------------------------------------
# File writers.

def write_npy(name, array):
    with open(os.path.join(HERE, name), "wb") as f:
        np.save(f, array, allow_pickle=False)


def write_npz(name, arrays):
    """A deflated .npz (what np.savez_compressed writes) with fixed timestamps, so bytes repeat."""
    with zipfile.ZipFile(os.path.join(HERE, name), "w") as z:
        for key, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buf.getvalue())


SAFETENSORS_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("<f8"): "F64"}


def write_safetensors(name, tensors, metadata):
    """safetensors by its spec: u64 header length, JSON header padded with spaces to a multiple
    of 8, then each tensor's little-endian C-order bytes, contiguous from offset 0."""
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for key, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[key] = {
            "dtype": SAFETENSORS_DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in chunks:
            f.write(data)


# ---------------------------------------------------------------------------------------------
# The examples.

def causal_example():
    tokens = ["The", "cat", "sat", "on", "the", "mat"]
    d_k, d_v = 4, 3
    q = rng.normal(0.0, 1.0, size=(len(tokens), d_k))
    k = rng.normal(0.0, 1.0, size=(len(tokens), d_k))
    # the second "the" (4) asks for the key of the first "The" (0), a copy-like head
    q[4] = 5.0 * k[0] / np.linalg.norm(k[0])
    v = rng.normal(0.0, 1.0, size=(len(tokens), d_v))
    write_json("causal-mask.json", {
        "tokens": tokens, "mask": "causal", "scale": "sqrt",
        "Q": rounded(q, 2), "K": rounded(k, 2), "V": rounded(v, 2),
    })


def spread_keys(count, width, norm):
    """`count` vectors of length `norm` in `width` dims, far apart: the best of a few random draws by
    the largest pairwise cosine, so each key is clearly more similar to itself than to any other."""
    best, best_cos = None, 2.0
    for _ in range(200):
        u = rng.normal(0.0, 1.0, size=(count, width))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        cos = (u @ u.T - 2.0 * np.eye(count)).max()
        if cos < best_cos:
            best, best_cos = u, cos
    return norm * best


def projections_example():
    """Raw attention (Q = K = V = X) is a similarity search: every token is most similar to itself,
    so the diagonal wins. Projections let a token ask for something it is not: head 0 looks at the
    previous token (it reads the position part of X), head 1 sends "it" to "animal"."""
    tokens = ["the", "animal", "did", "not", "cross", "the", "street", "because", "it", "was", "tired"]
    n, d_model, d_k = len(tokens), 12, 4  # d_model > n: the least-squares fits below are exact
    vocab = {t: rng.normal(0.0, 1.0, size=d_model) for t in dict.fromkeys(tokens)}
    position = np.array([[np.sin(i / 10.0 ** (2 * (c // 2) / d_model) + (c % 2) * np.pi / 2) for c in range(d_model)] for i in range(n)])
    x = np.array([vocab[t] for t in tokens]) + 0.7 * position       # token embedding + position
    # Choose the keys and queries each head should produce, then solve X·W = target for W.
    keys0 = spread_keys(n, d_k, 2.0)
    queries0 = 3.0 * np.vstack([keys0[:1], keys0[:-1]])              # token i asks for key i-1
    keys1 = spread_keys(n, d_k, 2.0)
    queries1 = 0.2 * rng.normal(0.0, 1.0, size=(n, d_k))             # most tokens ask for little
    queries1[8] = 3.0 * keys1[1]                                     # "it" asks for "animal"
    solve = lambda target: np.linalg.lstsq(x, target, rcond=None)[0]
    w_v0 = rng.normal(0.0, 1.0, size=(d_model, 2)) / np.sqrt(d_model)
    w_v1 = rng.normal(0.0, 1.0, size=(d_model, 2)) / np.sqrt(d_model)
    write_json("why-projections.json", {
        "tokens": tokens,
        "X": rounded(x, 3),
        "heads": [
            {"W_Q": rounded(solve(queries0), 3), "W_K": rounded(solve(keys0), 3), "W_V": rounded(w_v0, 3)},
            {"W_Q": rounded(solve(queries1), 3), "W_K": rounded(solve(keys1), 3), "W_V": rounded(w_v1, 3)},
        ],
    })


LONG_TEXT = (
    "Attention lets every token in a sequence look at every other token and decide how much of each "
    "one to take. A query asks a question, each key offers an answer, and the dot product of the two "
    "says how well they match. The scores go through a softmax, which turns them into weights that "
    "are positive and sum to one, and the output is the weighted sum of the values. When the scores "
    "are large the softmax becomes sharp: nearly all of the weight lands on one key and the gradient "
    "through the other keys vanishes. Dot products of random vectors grow with their length, "
    "because each of the d components adds its own variance, so the scores of wide heads would be "
    "large for no good reason. Dividing by the square root of the key width brings their variance "
    "back to one, and the softmax stays soft enough to learn from at the start of training. A causal "
    "mask hides the future, so a language model only attends to the words it has read. "
    "Real models learn heads that follow simple rules: some look at the previous token, some look "
    "back at an earlier copy of the current token, and many park spare attention on the first "
    "token, which acts as a sink when there is nothing useful to find. Long sequences make these "
    "patterns easy to see as bands, stripes and columns in the weights, and they show why the "
    "cost of attention grows with the square of the length of the text."
)


def long_sequence_example():
    words = LONG_TEXT.split()
    assert len(words) == 256, len(words)
    write_text("attention-explained.txt", LONG_TEXT + "\n")
    n, d_k, d_v = len(words), 16, 4
    pos = np.arange(n)[:, None]
    # rotary-style position features: q_i·k_j = Σ cos(ω (i − j)) peaks at j = i and decays with
    # distance, which gives a local band; a content part adds noise; key 0 carries a sink direction.
    freqs = 1.0 / (10.0 ** (np.arange(6) / 3.0))
    angle = pos * freqs[None, :]
    features = np.concatenate([np.cos(angle), np.sin(angle)], axis=1)   # n × 12
    q = np.zeros((n, d_k))
    k = np.zeros((n, d_k))
    q[:, :12] = 1.6 * features
    k[:, :12] = 1.6 * features
    q[:, 12:15] = rng.normal(0.0, 0.8, size=(n, 3))
    k[:, 12:15] = rng.normal(0.0, 0.8, size=(n, 3))
    q[:, 15] = 1.5
    k[0, 15] = 9.0
    v = rng.normal(0.0, 1.0, size=(n, d_v))
    write_json("long-sequence.json", {
        "tokens": words, "mask": "causal", "scale": "sqrt",
        "Q": rounded(q, 3), "K": rounded(k, 3), "V": rounded(v, 2),
    })


def model_examples():
    scores = model_scores()
    weights = softmax(scores).astype("<f4")                  # masked cells are exactly 0
    write_npy("gpt-style-attention.npy", weights)
    write_text("gpt-style-attention.npy.tokens.json", json.dumps(MODEL_TOKENS, ensure_ascii=False) + "\n")
    # Hugging Face returns a tuple with one [batch, heads, q, k] tensor per layer.
    write_safetensors(
        "gpt-style-attention.safetensors",
        {f"attentions.{layer}": np.ascontiguousarray(weights[layer]) for layer in range(LAYERS)},
        {"tokens": json.dumps(MODEL_TOKENS, ensure_ascii=False), "format": "pt",
         "source": "generated by examples/generate_examples.py (model-shaped, not a trained model)"},
    )
    # TransformerLens caches blocks.L.attn.hook_attn_scores: scaled scores, -inf where masked.
    arrays = {f"blocks.{layer}.attn.hook_attn_scores": scores[layer].astype("<f4") for layer in range(LAYERS)}
    arrays["tokens"] = np.array(MODEL_TOKENS)
    write_npz("transformerlens-scores.npz", arrays)


def qkv_example():
    """Per-layer q/k/v for two layers of four heads ([heads, tokens, d_head], float16). Head types
    as above, built into the vectors: with q_i = c·u_target and k_j = u_j for random u, the scaled
    score of the target is c·|u|²/√d ≈ c·√d while the others are noise of spread c; unscaled, every
    score is √d times larger and the softmax turns one-hot."""
    d = 16
    layers = 2
    kinds = [["previous", "sink", "self", "broad"], ["induction", "sink", "duplicate", "broad"]]
    tensors = {}
    for layer in range(layers):
        q = np.zeros((HEADS, N, d))
        k = np.zeros((HEADS, N, d))
        v = rng.normal(0.0, 1.0, size=(HEADS, N, d))
        for head, kind in enumerate(kinds[layer]):
            u = rng.normal(0.0, 1.0, size=(N, d))
            k[head] = u
            if kind == "broad":
                q[head] = 0.15 * rng.normal(0.0, 1.0, size=(N, d))
                continue
            if kind == "sink":
                targets = np.zeros((N, N))
                targets[:, 0] = 1
            else:
                targets = head_targets(kind, MODEL_TOKENS)
                targets[targets.sum(axis=1) == 0, 0] = 1     # nothing to find: the first token
            want = targets / targets.sum(axis=1, keepdims=True)
            q[head] = 1.4 * (want @ u) + 0.2 * rng.normal(0.0, 1.0, size=(N, d))
        prefix = f"blocks.{layer}.attn."
        tensors[prefix + "q"] = q.astype("<f2")
        tensors[prefix + "k"] = k.astype("<f2")
        tensors[prefix + "v"] = v.astype("<f2")
    write_safetensors(
        "qkv-heads.safetensors", tensors,
        {"tokens": json.dumps(MODEL_TOKENS, ensure_ascii=False), "format": "pt",
         "source": "generated by examples/generate_examples.py (model-shaped, not a trained model)"},
    )


if __name__ == "__main__":
    causal_example()
    projections_example()
    long_sequence_example()
    model_examples()
    qkv_example()
