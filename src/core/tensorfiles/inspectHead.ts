// One head of a tensor file, inspected like any other input: exported weights are measured as they
// are; exported scores and Q/K/V go through the same scaling, mask and softmax as JSON input. The
// CLI and the extension's file source both call this, so a file means the same thing everywhere.
import { type HeadInspection, inspect, inspectWeights } from '../inspect';
import type { ScaleSpec } from '../attention';
import type { MaskSpec } from '../mask';
import type { Meaning } from './meaning';
import type { HeadData } from './heads';
import { InputError } from '../errors';
import { matmulTransposed } from '../matrix';

export interface FileHeadOptions {
  readonly scale?: ScaleSpec;
  readonly mask?: MaskSpec;
  /** Key dimension for exported scores (enables the 1/√d_k factors); Q/K/V know their own. */
  readonly dK?: number;
  readonly scaleSource?: string;
  readonly maskSource?: string;
  readonly grid?: readonly number[];
}

export function inspectFileHead(data: HeadData, meaning: Meaning, layer: number, head: number, options: FileHeadOptions = {}): HeadInspection {
  const at = (h: HeadInspection): HeadInspection => ({ ...h, layer, head });
  const common = { scale: options.scale, mask: options.mask, scaleSource: options.scaleSource, maskSource: options.maskSource, grid: options.grid, inputSource: `layer ${layer} head ${head}` };
  if (data.kind === 'qkv') {
    if (data.v) return at(inspect({ form: 'qkv', Q: data.q, K: data.k, V: data.v }, common).heads[0]);
    // Queries and keys without values: the scores are known, the output is not.
    const dots = matmulTransposed(data.q, data.k);
    return at({ ...inspect({ form: 'scores', scores: [dots], dK: data.q.cols }, common).heads[0], q: data.q, k: data.k });
  }
  if (meaning === 'weights') {
    if (options.scale !== undefined) throw new InputError(options.scaleSource ?? 'scale', 'this tensor holds post-softmax weights, which cannot be re-scaled (pass --meaning scores if they are logits)');
    if (options.mask !== undefined) throw new InputError(options.maskSource ?? 'mask', 'this tensor holds post-softmax weights; a mask can no longer apply');
    return inspectWeights(data.matrix, layer, head);
  }
  return at(inspect({ form: 'scores', scores: [data.matrix], dK: options.dK }, common).heads[0]);
}
