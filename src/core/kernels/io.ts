// Moving matrices between JavaScript and a plan's slots in linear memory, and turning a finished
// plan back into the core's result types. `copy` decides whether results are fresh arrays (the private
// memory is reused by the next call) or views (a per-call shared memory that nothing else reuses).
import type { Matrix } from '../matrix';
import type { ProjectedHead } from '../attention';
import type { SharpnessSummary } from '../sharpness';
import { emptyRows } from '../mask';
import { SWEEP_SLOTS } from './abi';
import type { AttentionPlan, HeadPlan, Slot } from './plan';

export function writeMatrix(buffer: ArrayBufferLike, slot: Slot, m: Matrix): void {
  new Float32Array(buffer, slot.ptr, slot.rows * slot.cols).set(m.data);
}

export function readMatrix(buffer: ArrayBufferLike, slot: Slot, copy: boolean): Matrix {
  const view = new Float32Array(buffer, slot.ptr, slot.rows * slot.cols);
  return { rows: slot.rows, cols: slot.cols, data: copy ? view.slice() : view };
}

/**
 * Writes a plan's inputs: X and the projections (unless the memory already holds them packed:
 * plan.packWeights false), or each head's Q, K, V; the mask table; W_O.
 */
export function writeAttentionInputs(
  buffer: ArrayBufferLike,
  plan: AttentionPlan,
  inputs: {
    x?: Matrix;
    heads: readonly { W_Q?: Matrix; W_K?: Matrix; W_V?: Matrix; q?: Matrix; k?: Matrix; v?: Matrix }[];
    wO?: Matrix | null;
    allowed: Uint8Array | null;
  },
): void {
  if (plan.x && inputs.x) writeMatrix(buffer, plan.x, inputs.x);
  plan.heads.forEach((h, i) => {
    const given = inputs.heads[i];
    if (plan.x) {
      if (!plan.packWeights) return;
      writeMatrix(buffer, h.wq!, given.W_Q!);
      writeMatrix(buffer, h.wk!, given.W_K!);
      writeMatrix(buffer, h.wv!, given.W_V!);
    } else {
      writeMatrix(buffer, h.q, given.q!);
      writeMatrix(buffer, h.k, given.k!);
      writeMatrix(buffer, h.v, given.v!);
    }
  });
  if (plan.mask !== 0 && inputs.allowed) new Uint8Array(buffer, plan.mask, inputs.allowed.length).set(inputs.allowed);
  if (plan.wO && inputs.wO) writeMatrix(buffer, plan.wO, inputs.wO);
}

/** One head as a call that may drop the n×m logits returns it: dots and scores null when not kept. */
export interface HeadParts extends Omit<ProjectedHead, 'dots' | 'scores'> {
  readonly dots: Matrix | null;
  readonly scores: Matrix | null;
}

/** One head's results (and its Q, K, V) from a finished plan. */
export function readHeadParts(
  buffer: ArrayBufferLike,
  h: HeadPlan,
  allowed: Uint8Array | null,
  copy: boolean,
): HeadParts {
  return {
    q: readMatrix(buffer, h.q, copy),
    k: readMatrix(buffer, h.k, copy),
    v: readMatrix(buffer, h.v, copy),
    dots: h.dots ? readMatrix(buffer, h.dots, copy) : null,
    factor: h.factor,
    scores: h.scores ? readMatrix(buffer, h.scores, copy) : null,
    allowed,
    weights: readMatrix(buffer, h.weights, copy),
    output: readMatrix(buffer, h.out, copy),
    emptyRows: emptyRows(allowed, h.q.rows, h.k.rows),
  };
}

/** One head's AttentionResult (plus its Q, K, V) from a plan that kept dots and scores. */
export function readHead(
  buffer: ArrayBufferLike,
  h: HeadPlan,
  allowed: Uint8Array | null,
  copy: boolean,
): ProjectedHead {
  const parts = readHeadParts(buffer, h, allowed, copy);
  if (!parts.dots || !parts.scores) throw new Error('readHead: the plan did not keep dots and scores');
  return { ...parts, dots: parts.dots, scores: parts.scores };
}

/** Per-factor means from summed sweep accumulators (rows with no allowed key are left out, as in the reference). */
export function sweepSummaries(acc: Float64Array, factorCount: number): SharpnessSummary[] {
  const rows = acc[factorCount * SWEEP_SLOTS];
  return Array.from({ length: factorCount }, (_, f) => {
    const at = (slot: number): number => (rows === 0 ? 0 : acc[f * SWEEP_SLOTS + slot] / rows);
    return {
      meanEntropy: at(0),
      meanNormalizedEntropy: at(1),
      meanMaxWeight: at(2),
      meanEffectiveTokens: at(3),
      meanJacobianNorm: at(4),
    };
  });
}
