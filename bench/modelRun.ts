// Our side of the model benchmarks (bench/models.mjs bundles this and runs it in a child process, so
// its peak RSS is its own): a model folder's forward pass as `compute --model` runs it (attention and
// the products on the worker pool, weights converted from the file's dtype per layer), every layer's
// attention weights kept, as output_attentions=True returns them. One warm-up, then reps runs, median;
// each run's time is split into products (GEMM), attention, weight reading and conversion, and the rest
// (norms, activations, RoPE, head slicing), by timing the injected functions.
//   node modelRun.cjs MODEL_DIR TOKENS REPS → one JSON line on stdout
import { performance } from 'node:perf_hooks';
import type { Matrix } from '../src/core/matrix';
import { runModel } from '../src/core/models';
import * as kernels from '../src/core/kernels';
import { attendOnPool, matmulOnPool, openModelDir } from '../src/node/models/run';
import { shutdownFastAttention } from '../src/node/parallel';

/** The token ids both sides run (bench/torch_models.py bench_ids). */
function benchIds(n: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % Math.min(vocab, 50257));
}

interface Profile {
  total: number;
  gemm: number;
  attention: number;
  weights: number;
}

async function main(): Promise<void> {
  const [dir, tokensArg, repsArg] = process.argv.slice(2);
  const n = Number(tokensArg),
    reps = Number(repsArg ?? 3);
  kernels.initKernelsSync();
  const model = await openModelDir(dir);
  // As torch_models.py holds every weight in float32 and times the forward pass only: the first run
  // (the warm-up) converts each tensor once and keeps it; the timed runs read none. The cold cost,
  // conversion per layer as a single `compute --model` pays it, is the warm-up's time, reported too.
  model.weights.retainConverted(Number.POSITIVE_INFINITY);
  const ids = benchIds(n, model.config.vocabSize);
  const profile: Profile = { total: 0, gemm: 0, attention: 0, weights: 0 };
  const timed =
    <A extends unknown[], R>(key: keyof Profile, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await fn(...args);
      } finally {
        profile[key] += performance.now() - t0;
      }
    };
  const store = model.weights;
  store.vector = timed('weights', store.vector.bind(store));
  store.rows = timed('weights', store.rows.bind(store));
  const attend = timed('attention', attendOnPool());
  const matmul = timed('gemm', matmulOnPool());
  const runs: Profile[] = [];
  let coldMs = 0;
  let sample: { hidden: number[]; weights: number[] } = { hidden: [], weights: [] };
  for (let rep = 0; rep <= reps; rep++) {
    Object.assign(profile, { total: 0, gemm: 0, attention: 0, weights: 0 });
    let kept: Matrix[][] = [];
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const { hidden } = await runModel(
      model,
      { ids },
      { attend, matmul, onLayer: (l) => void kept.push(l.heads.map((h) => h.weights)) },
    );
    profile.total = performance.now() - t0;
    if (rep > 0) runs.push({ ...profile });
    else coldMs = profile.total;
    const d = model.config.hidden;
    sample = {
      hidden: Array.from(hidden.data.subarray((n - 1) * d, (n - 1) * d + 16)),
      weights: Array.from(kept[kept.length - 1][0].data.subarray((n - 1) * n, (n - 1) * n + 16)),
    };
    kept = [];
  }
  await model.close();
  await shutdownFastAttention();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mid = runs.find((r) => r.total === median(runs.map((x) => x.total)))!;
  process.stdout.write(
    `${JSON.stringify({
      ms: mid.total,
      times: runs.map((r) => r.total),
      coldMs,
      kernels: kernels.kernelVariant(),
      retainedF32Bytes: model.weights.retainedFloat32Bytes,
      profile: mid,
      peakRssKb: process.resourceUsage().maxRSS,
      hiddenSample: sample.hidden,
      weightsSample: sample.weights,
    })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`modelRun: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
