// Which projection weights a shared memory still holds, packed, from its last call. A model's W_Q,
// W_K, W_V come back unchanged call after call; copying them into the call's memory (7 MB for 12
// heads of d_model 768) and packing them into panels was most of a small call's fixed time. A call
// whose weights are the very same Float32Array objects (and the same weightsVersion) as the memory's
// last call skips both. Identity, not content: changing a weight array in place between calls needs
// a new weightsVersion (or residentWeights: false), as the API comment in index.ts says.
import type { HeadProjection } from '../../core/attention';

const ids = new WeakMap<Float32Array, number>();
let nextId = 1;

/** A number for this array object while it lives (a new array never gets an old one's number). */
function idOf(data: Float32Array): number {
  let id = ids.get(data);
  if (id === undefined) {
    id = nextId++;
    ids.set(data, id);
  }
  return id;
}

/** The tag of a call's projections: every weight's identity and shape, in order, and the version. */
export function weightsTag(heads: readonly HeadProjection[], version: number): string {
  const parts = heads.map((h) => [h.W_Q, h.W_K, h.W_V].map((w) => `${idOf(w.data)}:${w.rows}x${w.cols}`).join(','));
  return `v${version};${parts.join(';')}`;
}
