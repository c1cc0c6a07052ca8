#!/usr/bin/env python3
"""The PyTorch side of the model benchmarks (bench/models.mjs): one model folder's forward pass in float32
with eager attention and every layer's attention weights returned (what transformers does with
attn_implementation="eager", output_attentions=True), on 2 threads.

    /usr/bin/python3 bench/torch_models.py MODEL_DIR --tokens N [--reps R]

The forward pass is test/models/reference.py's (written from transformers' modeling code, checked against
it in the tests), run here in float32. Weights are read once into float32 tensors, as from_pretrained with
torch_dtype=float32 holds them; only the forward pass is timed: one warm-up, then R runs, median.
Prints one JSON line: ms (median), times, peakRssKb (this process, loading included), and samples of the
last hidden row and of the last layer's first head for bench/models.mjs to compare with ours.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'test', 'models'))
import reference  # noqa: E402


def bench_ids(n, vocab):
    """The token ids both sides run: a fixed spread over GPT-2's 50257 ids (every bench model's tokenizer)."""
    return [(i * 7919 + 13) % min(vocab, 50257) for i in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model_dir')
    ap.add_argument('--tokens', type=int, required=True)
    ap.add_argument('--reps', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    config, arch, weights = reference.load_model(args.model_dir, torch.float32)
    vocab = config['vocab_size']
    ids = torch.tensor(bench_ids(args.tokens, vocab), dtype=torch.int64)
    times = []
    with torch.inference_mode():
        for rep in range(args.reps + 1):
            t0 = time.perf_counter()
            rec, hidden, *_ = reference.forward(config, arch, weights, ids, record=False)
            elapsed = (time.perf_counter() - t0) * 1000
            if rep > 0:
                times.append(elapsed)
            last_weights = rec.weights[-1]
            del rec
    n = args.tokens
    out = {
        'ms': sorted(times)[len(times) // 2], 'times': times,
        'peakRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        'hiddenSample': hidden[-1, :16].tolist(),
        'weightsSample': last_weights[0, n - 1, :16].tolist(),
    }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
