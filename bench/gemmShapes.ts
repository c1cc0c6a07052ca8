// GFLOP/s of our GEMM on a Llama-3.2-1B layer's products at 256 tokens (q/o 2048×2048, k/v 512×2048,
// gate/up 8192×2048, down 2048×8192, all nn.Linear x·Wᵀ): pooled (matmulFast, as compute --model runs
// them) and on one thread, median of 5 after a warm-up. bench/torch_gemm_shapes.py times the same
// shapes in torch. Not part of `npm run bench`; run it where the model bench says the GEMM dominates:
//   npx esbuild bench/gemmShapes.ts --bundle --platform=node --format=cjs --target=node20 \
//     --loader:.wasm=binary --outfile=/tmp/gemm/gemmShapes.cjs && cp dist/attentionWorker.js /tmp/gemm/ \
//     && node --experimental-wasm-relaxed-simd /tmp/gemm/gemmShapes.cjs [tokens]
import { performance } from 'node:perf_hooks';
import * as kernels from '../src/core/kernels';
import { matrixFrom } from '../src/core/matrix';
import { matmulFast, shutdownFastAttention } from '../src/node/parallel';

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}
async function main(): Promise<void> {
  kernels.initKernelsSync();
  const n = Number(process.argv[2] ?? 256);
  const shapes: [number, number][] = [
    [2048, 2048],
    [2048, 512],
    [2048, 8192],
    [8192, 2048],
  ];
  for (const [k, m] of shapes) {
    const a = matrixFrom(n, k, rand(n * k));
    const w = matrixFrom(m, k, rand(m * k));
    await matmulFast(a, w, true);
    const times: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      await matmulFast(a, w, true);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const t = times[2];
    const t1 = performance.now();
    kernels.matmulTransposed(a, w);
    const single = performance.now() - t1;
    const flop = 2 * n * k * m;
    console.log(
      `${n}x${k} · (${m}x${k})ᵀ  pooled ${t.toFixed(1)} ms ${(flop / t / 1e6).toFixed(1)} GFLOP/s; one thread ${single.toFixed(1)} ms ${(flop / single / 1e6).toFixed(1)} GFLOP/s`,
    );
  }
  await shutdownFastAttention();
}
void main();
