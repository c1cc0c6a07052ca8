// Real-model benchmarks (issue 12), run by `npm run bench` and on their own: `node bench/models.mjs`.
//   model-gpt2-512   GPT-2 small (12 layers, hidden 768, 12 heads), random weights, 512 tokens
//   model-llama-256  Llama-3.2-1B's shape (16 layers, hidden 2048, 32 heads, 8 kv heads, intermediate
//                    8192, rope_theta 500000 + llama3 rope_scaling), BF16, vocabulary 50304, 256 tokens
//   memory-gpt2-1024, memory-qwen2.5-0.5b-512  `compute --model … --summary` peak RSS
//   memory-gpt2-1024-pooled  the same on the long-sequence path (--full-resolution-tokens 512)
// Each case runs every layer's attention weights out (output_attentions, eager semantics) on both sides,
// each side in its own process (so each peak RSS is its own): ours is bench/modelRun.ts (the pooled
// forward pass `compute --model` runs), PyTorch is bench/torch_models.py under /usr/bin/python3 with
// torch.set_num_threads(2), float32. Weights are written once by torch (bench/make_bench_models.py) into
// $ATTENTION_BENCH_MODELS (default ~/.cache/attention-inspector/bench-models) and reused.
// Debian's torch links the reference (netlib) BLAS, about 1 GFLOPS: a baseline nobody would run. The
// torch side therefore loads OpenBLAS when it finds it: $ATTENTION_TORCH_BLAS_DIR (a folder holding
// libblas.so.3), else /usr/lib/x86_64-linux-gnu/openblas-pthread (apt install libopenblas0-pthread, or
// without installing: apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb DIR).
// Without it the table says "torch (generic BLAS)".
// Ours runs the relaxed-SIMD kernel build (fused multiply-add) where this Node accepts it, as VS Code's
// Electron and Node >= 22 load it by default: Node 20 gets --experimental-wasm-relaxed-simd for our child
// (ATTENTION_KERNELS=simd128 times the plain build). Both sides hold the weights in float32 across runs
// (torch from loading, ours from the warm-up: WeightStore.retainConverted); the warm-up's time, with its
// per-layer reading and conversion from the file's dtype as one `compute --model` pays it, is printed as
// "cold".
// Options: --reps N (default 3), --quick (1 rep), --only a,b (case names), --skip-memory, --json.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const reps = Number(option('--reps', flag('--quick') ? 1 : 3));
const only = option('--only', null)?.split(',') ?? null;
const wanted = (name) => only === null || only.includes(name);
const log = (line) => process.stderr.write(`${line}\n`);
const TORCH_PYTHON = process.env.ATTENTION_TORCH_PYTHON ?? '/usr/bin/python3';
const MODELS = process.env.ATTENTION_BENCH_MODELS ?? join(homedir(), '.cache', 'attention-inspector', 'bench-models');
const CLI = join(ROOT, 'dist', 'cli.js');
const WORKER = join(ROOT, 'dist', 'attentionWorker.js');
if (!existsSync(WORKER) || !existsSync(CLI))
  throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');

function run(command, argv, options = {}) {
  const r = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  if (r.status !== 0)
    throw new Error(
      `${[command, ...argv].join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`,
    );
  return r;
}

/** OpenBLAS for the torch child, or null (then torch runs Debian's generic BLAS). */
function openBlasDir() {
  for (const dir of [process.env.ATTENTION_TORCH_BLAS_DIR, '/usr/lib/x86_64-linux-gnu/openblas-pthread']) {
    if (dir && existsSync(join(dir, 'libblas.so.3'))) return dir;
  }
  return null;
}

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
/** Node flags for our child: relaxed SIMD where this Node validates it only behind the flag. */
function oursNodeFlags() {
  if (process.env.ATTENTION_KERNELS?.trim() === 'simd128') return [];
  const probe = spawnSync(process.execPath, [RELAXED_FLAG, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  return probe.status === 0 ? [RELAXED_FLAG] : [];
}

const cases = [];
const CASES = [
  { name: 'model-gpt2-512', model: 'gpt2-small', tokens: 512 },
  { name: 'model-llama-256', model: 'llama-1b', tokens: 256 },
].filter((c) => wanted(c.name));
const MEMORY = [
  { name: 'memory-gpt2-1024', model: 'gpt2-small', tokens: 1024 },
  { name: 'memory-qwen2.5-0.5b-512', model: 'qwen2.5-0.5b', tokens: 512 },
  // The long-sequence path (pooled heads, never n×n) on the same 1024 tokens, threshold lowered to 512.
  { name: 'memory-gpt2-1024-pooled', model: 'gpt2-small', tokens: 1024, extra: ['--full-resolution-tokens', '512'] },
].filter((c) => !flag('--skip-memory') && wanted(c.name));

const needed = [...new Set([...CASES, ...MEMORY].map((c) => c.model))];
if (needed.length) {
  mkdirSync(MODELS, { recursive: true });
  log(`bench models in ${MODELS} (written once by bench/make_bench_models.py)…`);
  run(TORCH_PYTHON, [join(ROOT, 'bench', 'make_bench_models.py'), MODELS, '--only', needed.join(',')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const TMP = mkdtempSync(join(tmpdir(), 'attention-models-bench-'));
const blas = openBlasDir();
const baseline = blas ? 'torch + OpenBLAS' : 'torch (generic BLAS)';
try {
  if (CASES.length) {
    await esbuild.build({
      entryPoints: [join(ROOT, 'bench', 'modelRun.ts')],
      outfile: join(TMP, 'modelRun.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      loader: { '.wasm': 'binary' },
      logLevel: 'warning',
    });
    // The pool finds its worker next to the bundle, as it does next to dist/cli.js.
    copyFileSync(WORKER, join(TMP, 'attentionWorker.js'));
  }
  const torchEnv = {
    ...process.env,
    OMP_NUM_THREADS: '2',
    OPENBLAS_NUM_THREADS: '2',
    ...(blas ? { LD_LIBRARY_PATH: [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
  };
  const nodeFlags = oursNodeFlags();
  for (const c of CASES) {
    const dir = join(MODELS, c.model);
    log(`${c.name}: ours…`);
    const ours = JSON.parse(
      run(process.execPath, [
        ...nodeFlags,
        '--expose-gc',
        join(TMP, 'modelRun.cjs'),
        dir,
        String(c.tokens),
        String(reps),
      ])
        .stdout.trim()
        .split('\n')
        .pop(),
    );
    log(`${c.name}: ${baseline}…`);
    const torch = JSON.parse(
      run(
        TORCH_PYTHON,
        [join(ROOT, 'bench', 'torch_models.py'), dir, '--tokens', String(c.tokens), '--reps', String(reps)],
        { env: torchEnv },
      )
        .stdout.trim()
        .split('\n')
        .pop(),
    );
    const diff = (a, b) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    const p = ours.profile;
    cases.push({
      name: c.name,
      n: c.tokens,
      oursMs: ours.ms,
      oursColdMs: ours.coldMs,
      kernels: ours.kernels,
      torchMs: torch.ms,
      ratio: ours.ms / torch.ms,
      oursPeakRssMB: ours.peakRssKb / 1024,
      torchPeakRssMB: torch.peakRssKb / 1024,
      profile: {
        gemmMs: p.gemm,
        attentionMs: p.attention,
        weightsMs: p.weights,
        otherMs: p.total - p.gemm - p.attention - p.weights,
      },
      maxDiff: {
        hidden: diff(ours.hiddenSample, torch.hiddenSample),
        weights: diff(ours.weightsSample, torch.weightsSample),
      },
      oursTimes: ours.times,
      torchTimes: torch.times,
    });
  }
  for (const c of MEMORY) {
    const text = join(TMP, `${c.name}.txt`);
    // GPT-2's BPE makes "hello" and each " hello" one token: exactly c.tokens tokens.
    writeFileSync(text, `hello${' hello'.repeat(c.tokens - 1)}`);
    log(`${c.name}…`);
    const t0 = performance.now();
    const r = run(process.execPath, [
      '-r',
      join(ROOT, 'bench', 'rss-probe.cjs'),
      CLI,
      'compute',
      '--model',
      join(MODELS, c.model),
      '--text-file',
      text,
      '--summary',
      '--max-tokens',
      String(c.tokens),
      ...(c.extra ?? []),
    ]);
    const ms = performance.now() - t0;
    const peak = Number(/PEAK_RSS_KB (\d+)/.exec(r.stderr)?.[1]);
    const out = JSON.parse(r.stdout);
    if (out.tokens.length !== c.tokens)
      throw new Error(`${c.name}: the text gave ${out.tokens.length} tokens, not ${c.tokens}`);
    cases.push({ name: c.name, n: c.tokens, oursMs: ms, peakRssMB: peak / 1024, heads: out.heads.length });
  }
} finally {
  rmSync(TMP, { recursive: true, force: true });
}

if (flag('--json')) {
  console.log(
    JSON.stringify({
      cases: cases.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => !k.endsWith('Times')))),
      baseline,
      reps,
    }),
  );
} else {
  const f = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  console.log(
    `Real models: median of ${reps} run${reps === 1 ? '' : 's'} after one warm-up, each side in its own process; ${cpus().length} cores, Node ${process.version}`,
  );
  console.log(
    `ours: the pooled forward pass of compute --model (WebAssembly ${cases.find((c) => c.kernels)?.kernels ?? 'SIMD'} kernels, 2 worker threads); ${baseline}, torch.set_num_threads(2), float32, eager attention, all attentions out`,
  );
  console.log(
    'both sides hold the weights in float32 across runs; "cold" is our warm-up, which reads and converts each layer from the file',
  );
  console.log('');
  console.log(
    `${'case'.padEnd(26)} ${'ours ms'.padStart(9)} ${'cold ms'.padStart(9)} ${'torch ms'.padStart(9)} ${'ours/torch'.padStart(10)}  ${'ours RSS'.padStart(9)} ${'torch RSS'.padStart(9)}  where our time goes`,
  );
  for (const c of cases) {
    if (c.torchMs === undefined) {
      console.log(
        `${c.name.padEnd(26)} ${f(c.oursMs).padStart(9)} ${'—'.padStart(9)} ${'—'.padStart(9)} ${'—'.padStart(10)}  ${`${f(c.peakRssMB)} MB`.padStart(9)} ${'—'.padStart(9)}  compute --model --summary, whole process (${c.heads} heads)`,
      );
      continue;
    }
    const p = c.profile,
      pct = (x) => `${((100 * x) / c.oursMs).toFixed(0)}%`;
    console.log(
      `${c.name.padEnd(26)} ${f(c.oursMs).padStart(9)} ${f(c.oursColdMs).padStart(9)} ${f(c.torchMs).padStart(9)} ${`${c.ratio.toFixed(2)}×`.padStart(10)}  ${`${f(c.oursPeakRssMB)} MB`.padStart(9)} ${`${f(c.torchPeakRssMB)} MB`.padStart(9)}  GEMM ${pct(p.gemmMs)}, attention ${pct(p.attentionMs)}, weight reading+conversion ${pct(p.weightsMs)}, norms/activations/RoPE ${pct(p.otherMs)}`,
    );
  }
  console.log('');
  for (const c of cases)
    if (c.maxDiff)
      console.log(
        `agreement with torch, ${c.name}: last hidden row max |Δ| = ${c.maxDiff.hidden.toExponential(2)}, last layer head 0 last row weights max |Δ| = ${c.maxDiff.weights.toExponential(2)}`,
      );
}
