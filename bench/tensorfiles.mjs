// Tensor-file benchmark: writes a multi-GB safetensors file of attention maps (float32 and float16),
// then measures, against `cat FILE > /dev/null` on the same warm file as the baseline:
//   - opening it and showing one head (peak RSS of the CLI process),
//   - one streaming pass reading every head into float32 (the reader alone, MB/s; f16 converts),
//   - the CLI's streaming pass with every head's sharpness (`compute --summary`), f32 and f16.
// Usage: node bench/tensorfiles.mjs [--gb 1.1] [--json]. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const PROBE = join(ROOT, 'bench', 'rss-probe.cjs');
const args = process.argv.slice(2);
const gb = Number(args[args.indexOf('--gb') + 1] ?? 1.1) || 1.1;
const asJson = args.includes('--json');

/** [layers, heads, n, n] softmax-like rows: each row is one-hot-ish but sums to 1. */
function writeSafetensors(path, dtype, layers, heads, n) {
  const itemsize = dtype === 'F32' ? 4 : 2;
  const bytes = layers * heads * n * n * itemsize;
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    attn: { dtype, shape: [layers, heads, n, n], data_offsets: [0, bytes] },
  });
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const fd = openSync(path, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.length));
  writeSync(fd, len);
  writeSync(fd, Buffer.from(padded));
  // One head's block, reused: row i puts 1/2 on key i and spreads the rest evenly (a valid softmax row).
  const head = Buffer.alloc(n * n * itemsize);
  const rest = 0.5 / (n - 1);
  const f16 = (x) => {
    const f = new Float32Array([x]);
    const u = new Uint32Array(f.buffer)[0];
    const sign = (u >>> 16) & 0x8000,
      exp = ((u >>> 23) & 0xff) - 127 + 15,
      mant = (u >>> 13) & 0x3ff;
    if (exp <= 0) return sign | ((0x400 | mant) >> (1 - exp));
    return sign | (exp << 10) | mant;
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = i === j ? 0.5 : rest;
      if (itemsize === 4) head.writeFloatLE(v, (i * n + j) * 4);
      else head.writeUInt16LE(f16(v), (i * n + j) * 2);
    }
  }
  for (let h = 0; h < layers * heads; h++) writeSync(fd, head);
  closeSync(fd);
  return statSync(path).size;
}

function timed(cmd, argv) {
  const t0 = process.hrtime.bigint();
  // From the repository, so `--import tsx` resolves whatever the caller's directory.
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 30, cwd: ROOT });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  const rss = /PEAK_RSS_KB (\d+)/.exec(r.stderr ?? '');
  return { ms, rssMB: rss ? Number(rss[1]) / 1024 : null, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'ai-bench-tf-'));
try {
  const n = 1024,
    heads = 12;
  const layers = Math.max(1, Math.round((gb * 2 ** 30) / (heads * n * n * 4)));
  const f32 = join(dir, 'big-f32.safetensors');
  const f16 = join(dir, 'big-f16.safetensors');
  const size32 = writeSafetensors(f32, 'F32', layers, heads, n);
  const size16 = writeSafetensors(f16, 'F16', layers, heads, n);
  const cat = (file) => median([0, 1, 2].map(() => timed('sh', ['-c', `cat '${file}' > /dev/null`]).ms));
  const cat32 = cat(f32),
    cat16 = cat(f16);
  const node = (file, extra) => timed(process.execPath, ['-r', PROBE, CLI, 'compute', file, '--summary', ...extra]);
  const oneHead = [0, 1, 2].map(() => node(f32, ['--layer', String(layers - 1), '--head', '5']));
  const readOnly = (file) =>
    timed(process.execPath, ['-r', PROBE, '--import', 'tsx', join(ROOT, 'bench', 'tensorReadPass.ts'), file]);
  // The pass reports its own time (open to last head), without Node's and tsx's start-up.
  const inProcess = (r) => ({ ...r, ms: JSON.parse(r.stdout).ms ?? r.ms });
  const read32 = inProcess(readOnly(f32));
  const read16 = inProcess(readOnly(f16));
  const stream32 = node(f32, []);
  const stream16 = node(f16, []);
  const heads32 = JSON.parse(stream32.stdout).heads.length;
  const mb = (bytes) => bytes / 2 ** 20;
  const cases = [
    {
      name: 'file-open-one-head',
      fileMB: mb(size32),
      oursMs: median(oneHead.map((r) => r.ms)),
      baselineMs: cat32,
      baseline: 'cat FILE > /dev/null',
      peakRssMB: Math.max(...oneHead.map((r) => r.rssMB)),
    },
    {
      name: 'file-read-f32',
      fileMB: mb(size32),
      oursMs: read32.ms,
      baselineMs: cat32,
      baseline: 'cat FILE > /dev/null',
      oursMBps: mb(size32) / (read32.ms / 1000),
      catMBps: mb(size32) / (cat32 / 1000),
      peakRssMB: read32.rssMB,
    },
    {
      name: 'file-read-f16',
      fileMB: mb(size16),
      oursMs: read16.ms,
      baselineMs: cat16,
      baseline: 'cat FILE > /dev/null',
      oursMBps: mb(size16) / (read16.ms / 1000),
      catMBps: mb(size16) / (cat16 / 1000),
      peakRssMB: read16.rssMB,
    },
    {
      name: 'file-stream-f32',
      fileMB: mb(size32),
      heads: heads32,
      oursMs: stream32.ms,
      baselineMs: cat32,
      baseline: 'cat FILE > /dev/null',
      oursMBps: mb(size32) / (stream32.ms / 1000),
      catMBps: mb(size32) / (cat32 / 1000),
      peakRssMB: stream32.rssMB,
    },
    {
      name: 'file-stream-f16',
      fileMB: mb(size16),
      oursMs: stream16.ms,
      baselineMs: cat16,
      baseline: 'cat FILE > /dev/null',
      oursMBps: mb(size16) / (stream16.ms / 1000),
      catMBps: mb(size16) / (cat16 / 1000),
      peakRssMB: stream16.rssMB,
    },
  ].map((c) => ({ ...c, ratio: c.oursMs / c.baselineMs }));
  if (asJson) console.log(JSON.stringify({ cases }));
  else {
    console.log(
      `tensor files: ${layers} layers × ${heads} heads × ${n}×${n} (${mb(size32).toFixed(0)} MB f32, ${mb(size16).toFixed(0)} MB f16), baseline: cat FILE > /dev/null (warm cache)`,
    );
    for (const c of cases) {
      console.log(
        `${c.name.padEnd(20)} ours ${c.oursMs.toFixed(0).padStart(7)} ms  cat ${c.baselineMs.toFixed(0).padStart(6)} ms  ratio ${c.ratio.toFixed(2).padStart(6)}×  peak RSS ${c.peakRssMB?.toFixed(0)} MB${c.oursMBps ? `  ${c.oursMBps.toFixed(0)} MB/s (cat ${c.catMBps.toFixed(0)} MB/s)` : ''}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
