// The project's side of `npm run bench` (bench/run.mjs bundles this with esbuild): seeded inputs,
// the timed calls into the fast path (src/node/parallel) and .npy files so numpy reads the very same
// numbers. Everything here is what the extension host would call.
import { type Matrix, matrixFrom, normalGenerator } from '../src/core';
import { logGrid } from '../src/core/sharpness';
import * as kernels from '../src/core/kernels';
import {
  AttentionPool,
  computeHeadsFast,
  computeMultiHeadFast,
  resetSharedKernels,
  sharedKernelVariant,
  sweepStatisticsFast,
} from '../src/node/parallel';
import { streamHeadOverviews } from '../src/node/streaming';

export const D_MODEL = 768;
export const HEADS = 12;
export const D_K = 64;

export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const normal = normalGenerator(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = normal() * scale;
  return matrixFrom(rows, cols, data);
}

/** Columns [from, from + count) of a matrix: head h's slice of a d_model×d_model projection. */
function columns(a: Matrix, from: number, count: number): Matrix {
  const out = new Float32Array(a.rows * count);
  for (let i = 0; i < a.rows; i++) out.set(a.data.subarray(i * a.cols + from, i * a.cols + from + count), i * count);
  return matrixFrom(a.rows, count, out);
}

/** A float32 .npy file (format 1.0) holding `data` with `shape`. */
export function npyBytes(data: Float32Array, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export interface FullInputs {
  readonly x: Matrix;
  readonly wq: Matrix;
  readonly wk: Matrix;
  readonly wv: Matrix;
  readonly heads: { W_Q: Matrix; W_K: Matrix; W_V: Matrix }[];
}

/** X (n × 768) and W_Q, W_K, W_V (768 × 768, head h = columns 64h…64h+63), scaled like a trained layer. */
export function fullInputs(n: number, seed: number): FullInputs {
  const x = randomMatrix(n, D_MODEL, seed);
  const scale = 1 / Math.sqrt(D_MODEL);
  const [wq, wk, wv] = [1, 2, 3].map((i) => randomMatrix(D_MODEL, D_MODEL, seed + i, scale));
  const heads = Array.from({ length: HEADS }, (_, h) => ({
    W_Q: columns(wq, h * D_K, D_K),
    W_K: columns(wk, h * D_K, D_K),
    W_V: columns(wv, h * D_K, D_K),
  }));
  return { x, wq, wk, wv, heads };
}

export interface AttnInputs {
  /** [heads, n, d_k] as one array each (numpy's layout) … */
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  /** … and as per-head matrices (views into those arrays). */
  readonly heads: { q: Matrix; k: Matrix; v: Matrix }[];
}

export function attnInputs(n: number, seed: number): AttnInputs {
  const [q, k, v] = [1, 2, 3].map((i) => randomMatrix(HEADS * n, D_K, seed + 10 * i).data);
  const view = (a: Float32Array, h: number) => matrixFrom(n, D_K, a.subarray(h * n * D_K, (h + 1) * n * D_K));
  return { q, k, v, heads: Array.from({ length: HEADS }, (_, h) => ({ q: view(q, h), k: view(k, h), v: view(v, h) })) };
}

/** Logits of one head with the spread of real ones (Q·Kᵀ of unit-variance rows, d_k = 64). */
export function sweepInputs(n: number, seed: number): Matrix {
  return randomMatrix(n, n, seed, Math.sqrt(D_K));
}

export const SWEEP_FACTORS = logGrid();

export function makePool(workerFile: string): AttentionPool {
  return new AttentionPool({ script: { file: workerFile } });
}

/** reuseMemory false maps fresh memory every call (the first call's cost, page faults included). */
export async function runFull(
  inputs: FullInputs,
  pool: AttentionPool,
  reuseMemory = true,
): Promise<{ output: Matrix; engine: string }> {
  const r = await computeMultiHeadFast(inputs.x, inputs.heads, {
    pool,
    keep: { dots: false, scores: false },
    reuseMemory,
  });
  return { output: r.output, engine: r.engine };
}

export async function runAttn(
  inputs: AttnInputs,
  pool: AttentionPool,
  reuseMemory = true,
): Promise<{ outputs: Matrix[]; engine: string }> {
  const r = await computeHeadsFast(inputs.heads, { pool, keep: { dots: false, scores: false }, reuseMemory });
  return { outputs: r.heads.map((h) => h.output), engine: r.engine };
}

export async function runSweep(dots: Matrix, pool: AttentionPool): Promise<number[]> {
  const stats = await sweepStatisticsFast(dots, null, SWEEP_FACTORS, { pool });
  return stats.map((s) => s.meanEntropy);
}

/** The streaming path for long sequences: every head, one at a time, overview + outputs only. */
export async function runStreaming(inputs: FullInputs, overview: number, pool: AttentionPool): Promise<number> {
  let heads = 0;
  await streamHeadOverviews(inputs.x, inputs.heads, { overviewSize: overview, pool }, () => {
    heads++;
  });
  return heads;
}

export function kernelsLoaded(): boolean {
  return kernels.initKernelsSync();
}

/** Whether this Node validates WebAssembly relaxed SIMD (the fused multiply-add build can run). */
export const relaxedSimdSupported = kernels.relaxedSimdSupported;

/** The build the extension would load here (ATTENTION_KERNELS unset). */
export const defaultKernelVariant = kernels.defaultKernelVariant;

/** Switches both the one-thread and the pool's kernels to a build; pools made afterwards use it. */
export function useKernelVariant(variant: kernels.KernelVariant): void {
  process.env.ATTENTION_KERNELS = variant;
  kernels.resetKernels();
  resetSharedKernels();
  if (!kernels.initKernelsSync() || sharedKernelVariant() !== variant)
    throw new Error(`the ${variant} kernels did not load`);
}
