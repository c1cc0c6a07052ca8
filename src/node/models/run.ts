// The node side of a model run: a folder on disk, and the forward pass on the worker pool (the
// WebAssembly kernels on min(2, cores) threads; one thread when the pool cannot start): attention
// with heads in parallel, the projections and MLPs with output columns split over the threads.
// Weights stay in their file dtype on disk; each layer's are converted to float32 when it runs.
import { type AttendFn, type LoadedModel, type MatmulFn, loadModel } from '../../core/models';
import { type AttentionPool, computeHeadsFast, matmulFast } from '../parallel';
import { NodeModelFolder } from './nodeFolder';

/** Attention for a layer's heads on the shared worker pool. */
export function attendOnPool(signal?: AbortSignal): AttendFn {
  return async (heads, mask, factor) => {
    const { heads: done } = await computeHeadsFast(heads, { mask, scale: factor, signal });
    return done.map((h) => ({
      dots: h.dots!,
      factor: h.factor,
      scores: h.scores!,
      allowed: h.allowed,
      weights: h.weights,
      output: h.output,
      emptyRows: h.emptyRows,
    }));
  };
}

/**
 * Projections and MLPs on the worker pool (products under minMacs multiply-adds stay on this thread):
 * the shared one, or `pool` (a long run gives the streaming kernels and the products one pool, so
 * two cores get two workers, not four).
 */
export function matmulOnPool(signal?: AbortSignal, minMacs?: number, pool?: AttentionPool): MatmulFn {
  return (a, b, transposed) => matmulFast(a, b, transposed, { signal, minMacs, pool });
}

/** Opens and checks the model folder at `dir`; close() releases its files. */
export async function openModelDir(dir: string): Promise<LoadedModel & { close: () => Promise<void> }> {
  const folder = await NodeModelFolder.open(dir);
  try {
    const model = await loadModel(folder);
    return { ...model, close: () => folder.close() };
  } catch (e) {
    await folder.close();
    throw e;
  }
}
