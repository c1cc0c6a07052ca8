"""torch's nn.Linear products on a Llama-3.2-1B layer's shapes, the partner of bench/gemmShapes.ts.

Run under /usr/bin/python3 with OpenBLAS as bench/models.mjs loads it, e.g.
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 LD_LIBRARY_PATH=DIR/openblas-pthread /usr/bin/python3 bench/torch_gemm_shapes.py [tokens]
"""
import sys
import time

import torch


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    torch.set_num_threads(2)
    for k, m in [(2048, 2048), (2048, 512), (2048, 8192), (8192, 2048)]:
        a = torch.randn(n, k)
        w = torch.randn(m, k)
        torch.nn.functional.linear(a, w)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            torch.nn.functional.linear(a, w)
            times.append(time.perf_counter() - t0)
        t = sorted(times)[2]
        print(f"torch {n}x{k} · ({m}x{k})ᵀ {t * 1e3:.1f} ms {2 * n * k * m / t / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
