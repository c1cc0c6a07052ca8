// The node side of a model run: a folder on disk, the attention step on the worker pool (the
// WebAssembly kernels on min(2, cores) threads, heads in parallel; one thread when the pool cannot
// start), and the projections and MLPs on the kernels in this thread.
import { type AttendFn, type LoadedModel, loadModel } from '../../core/models';
import { computeHeadsFast } from '../parallel';
import { NodeModelFolder } from './nodeFolder';

/** Attention for a layer's heads on the shared worker pool. */
export function attendOnPool(signal?: AbortSignal): AttendFn {
  return async (heads, mask, factor) => {
    const { heads: done } = await computeHeadsFast(heads, { mask, scale: factor, signal });
    return done.map((h) => ({ dots: h.dots!, factor: h.factor, scores: h.scores!, allowed: h.allowed, weights: h.weights, output: h.output, emptyRows: h.emptyRows }));
  };
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
