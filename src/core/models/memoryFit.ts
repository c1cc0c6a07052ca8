// Whether a model can run here at all, decided from config.json and the safetensors headers before
// any weight is read. The forward pass reads one layer at a time and gathers embedding rows, so the
// whole model never has to fit; what must fit is each matrix product: the weight as float32, its
// packed copy and the activations on either side, inside the kernels' WebAssembly memory, whose
// addresses are 32-bit (assembly/compile.mjs: --maximumMemory 65536 pages of 64 KiB).
import type { ModelConfig } from './config';
import { ModelError } from './errors';
import { filePath, type ModelFolder } from './folder';

/** The kernels' linear memory at most: 4 GiB. */
export const KERNEL_MEMORY_BYTES = 65536 * 65536;
/** Kept free for everything else in that memory (scores, softmax rows, the pool's scratch). */
const RESERVE_BYTES = 512 * 1024 ** 2;
/** The tokens the estimate assumes for the activations (the panel's default cap is larger, but a product's activations are small beside its weight). */
const TOKENS = 512;

export interface ProductNeed {
  /** The weight of the largest product. */
  readonly tensor: string;
  readonly shape: readonly number[];
  /** The weight as float32. */
  readonly weightBytes: number;
  /** Weight, its packed copy and the activations at TOKENS tokens. */
  readonly bytes: number;
}

/** Embedding tables are gathered a row at a time, never a product's operand. */
const GATHERED = /(^|\.)(wte|wpe|embed_tokens|word_embeddings|position_embeddings|token_type_embeddings)\.weight$/;

/** The largest matrix product's memory, over the 2-D weights `tensors` lists (expectedTensors). */
export function largestProduct(tensors: readonly { name: string; shape: number[] }[]): ProductNeed | null {
  let best: ProductNeed | null = null;
  for (const { name, shape } of tensors) {
    if (shape.length !== 2 || GATHERED.test(name)) continue;
    const [k, m] = shape;
    const weightBytes = k * m * 4;
    const bytes = 2 * weightBytes + TOKENS * (k + m) * 4;
    if (!best || bytes > best.bytes) best = { tensor: name, shape, weightBytes, bytes };
  }
  return best;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(bytes < 10 * 1024 ** 3 ? 2 : 1)} GiB`;
}

/** Refuses, in one line naming the folder and the tensor, a model whose largest product cannot fit. */
export function checkModelFits(
  folder: ModelFolder,
  config: ModelConfig,
  tensors: readonly { name: string; shape: number[] }[],
  limitBytes = KERNEL_MEMORY_BYTES,
): void {
  const need = largestProduct(tensors);
  if (!need || need.bytes <= limitBytes - RESERVE_BYTES) return;
  throw new ModelError(
    filePath(folder, 'config.json'),
    { tensor: need.tensor },
    `this ${config.architecture} is too large to run here: its weight [${need.shape.join(', ')}] is ${gib(need.weightBytes)} as float32, and a product with it needs about ${gib(need.bytes)} of the kernels' WebAssembly memory, which holds at most ${gib(limitBytes)} (${gib(RESERVE_BYTES)} of it kept for the rest): choose a model with smaller layers`,
  );
}
