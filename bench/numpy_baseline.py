"""The numpy side of `npm run bench`: the same cases on the same inputs (.npy files written by
bench/run.mjs), timed the same way (two warm-ups, then `reps` runs, median), in float32 throughout.

Usage: python3 bench/numpy_baseline.py DIR REPS CASE [CASE ...]
Prints one JSON object: {"numpy", "blas", "threads", "cases": {name: {"ms", "times"}}}; for the
n = 128 cases it also saves numpy's output as DIR/<case>-out.npy so the runner can check agreement.
"""
import ctypes
import glob
import json
import os
import sys
import time

import numpy as np

HEADS, D_K = 12, 64


def softmax_rows(s):
    """Stable softmax over the last axis, in place (as the reference: shift by the row max)."""
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return s


def split_heads(m, n):
    return m.reshape(n, HEADS, D_K).transpose(1, 0, 2)


def full(d, n):
    x, wq, wk, wv = d["x"], d["wq"], d["wk"], d["wv"]

    def run():
        q, k, v = split_heads(x @ wq, n), split_heads(x @ wk, n), split_heads(x @ wv, n)
        weights = softmax_rows((q @ k.transpose(0, 2, 1)) * np.float32(1 / np.sqrt(D_K)))
        out = (weights @ v).transpose(1, 0, 2).reshape(n, HEADS * D_K)
        return weights, out

    return run


def attn(d, n):
    q, k, v = d["q"], d["k"], d["v"]

    def run():
        weights = softmax_rows((q @ k.transpose(0, 2, 1)) * np.float32(1 / np.sqrt(D_K)))
        return weights, weights @ v

    return run


def sweep(d, n):
    dots, factors = d["dots"], d["factors"]

    def run():
        # Per factor: softmax of dots·f and its sharpness, averaged over rows (as src/core/sharpness).
        rows = []
        for f in factors:
            t = dots * np.float32(f)
            t -= t.max(axis=1, keepdims=True)
            e = np.exp(t)
            z = e.sum(axis=1, keepdims=True)
            p = e / z
            log_p = t - np.log(z)
            h = np.maximum(0, -(p * log_p).sum(axis=1))
            p2 = (p * p).sum(axis=1)
            p3 = (p * p * p).sum(axis=1)
            jac = np.sqrt(np.maximum(0, p2 - 2 * p3 + p2 * p2))
            rows.append((h.mean(), (h / np.log(dots.shape[1])).mean(), p.max(axis=1).mean(), np.exp(h).mean(), jac.mean()))
        return rows, None

    return run


def blas_info():
    """Which BLAS numpy uses and with how many threads (threadpoolctl if installed, else OpenBLAS itself)."""
    try:
        from threadpoolctl import threadpool_info  # type: ignore

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                return f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')})", lib.get("num_threads")
    except ImportError:
        pass
    name, threads = "unknown", None
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - older numpy has no dict mode
        pass
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*")) + glob.glob(os.path.join(os.path.dirname(np.__file__), ".libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                try:
                    get_threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
                except AttributeError:
                    continue
                threads = get_threads()
                try:
                    core = getattr(lib, f"{prefix}get_corename{suffix}")
                    core.restype = ctypes.c_char_p
                    name += f", core {core().decode()}"
                except AttributeError:
                    pass
                return name, threads
    return name, threads


def main():
    folder, reps, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    cases = {}
    for name in names:
        kind, n = name.split("-")[0], int(name.split("-")[1])
        files = {os.path.basename(p)[len(name) + 1:-4]: p for p in glob.glob(os.path.join(folder, f"{name}-*.npy")) if not p.endswith("-out.npy")}
        d = {key: np.load(path) for key, path in files.items()}
        run = {"full": full, "attn": attn, "sweep": sweep}[kind](d, n)
        run()  # two warm-ups, as for ours
        _, out = run()
        if out is not None and n == 128:
            np.save(os.path.join(folder, f"{name}-out.npy"), np.ascontiguousarray(out, dtype=np.float32))
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        cases[name] = {"ms": sorted(times)[len(times) // 2], "times": times}
    blas, threads = blas_info()
    print(json.dumps({"numpy": np.__version__, "blas": blas, "threads": threads, "cases": cases}))


if __name__ == "__main__":
    main()
