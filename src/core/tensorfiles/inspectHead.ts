// One head of a tensor file, inspected like any other input: exported weights are measured as they
// are; exported scores and Q/K/V go through the same scaling, mask and softmax as JSON input. The
// CLI and the extension's file source both call this, so a file means the same thing everywhere.
import { type ComputeEngine, type HeadInspection, REFERENCE_ENGINE, inspect, inspectWeights } from '../inspect';
import { exportedWeightsPass } from '../kernels/weightRows';
import { type ScaleRule, refuseRescale } from '../scale';
import type { MaskSpec } from '../mask';
import { type Meaning, sumTolerance } from './meaning';
import type { DType } from './dtype';
import { quote } from './errors';
import type { AttentionView } from './layout';
import type { TensorFile } from './tensorFile';
import { checkWeights, refuseNonFinite } from '../values';
import type { HeadData } from './heads';
import { InputError } from '../errors';
import { matmulTransposed } from '../matrix';

export interface FileHeadOptions {
  readonly scale?: ScaleRule;
  readonly mask?: MaskSpec;
  /** Key dimension for exported scores (enables the 1/√d_k factors); Q/K/V know their own. */
  readonly dK?: number;
  readonly scaleSource?: string;
  readonly maskSource?: string;
  readonly grid?: readonly number[];
  /** Names the file and tensor in value errors, e.g. `attn.npy: tensor "attn"` (default: the head alone). */
  readonly source?: string;
  /** The stored dtype: sets the weights' row-sum tolerance and float16's mask value for scores. */
  readonly dtype?: DType;
  /** Exported weights: how far a row may sum from 1 (MeaningResult.tolerance, precision-aware: values that are exactly
   * bfloat16 are held to bfloat16's rounding whatever the file's dtype); default from `dtype`. */
  readonly sumTolerance?: number;
  /** Exported weights' per-row sharpness with the WebAssembly kernel unless this is the reference. */
  readonly engine?: ComputeEngine;
}

export function inspectFileHead(
  data: HeadData,
  meaning: Meaning,
  layer: number,
  head: number,
  options: FileHeadOptions = {},
): HeadInspection {
  const at = (h: HeadInspection): HeadInspection => ({ ...h, layer, head });
  // Every value shown is checked (src/core/values.ts), not only the rows detection sampled.
  const where = `layer ${layer} head ${head}`;
  const inFile = options.source ?? '';
  const common = {
    scale: options.scale,
    mask: options.mask,
    scaleSource: options.scaleSource,
    maskSource: options.maskSource,
    grid: options.grid,
    inputSource: where,
    scoresDtype: options.dtype,
    valuesFrom: inFile,
  };
  if (data.kind === 'qkv') {
    refuseNonFinite(data.q, where, 'Q', inFile);
    refuseNonFinite(data.k, where, 'K', inFile);
    if (data.v) refuseNonFinite(data.v, where, 'V', inFile);
    if (data.v) return at(inspect({ form: 'qkv', Q: data.q, K: data.k, V: data.v }, common).heads[0]);
    // Queries and keys without values: the scores are known, the output is not.
    const dots = matmulTransposed(data.q, data.k);
    return at({
      ...inspect({ form: 'scores', scores: [dots], dK: data.q.cols }, common).heads[0],
      q: data.q,
      k: data.k,
    });
  }
  if (meaning === 'weights') {
    if (options.scale !== undefined) throw refuseRescale(options.scaleSource ?? 'scale', 'weightsTensor');
    if (options.mask !== undefined)
      throw new InputError(
        options.maskSource ?? 'mask',
        'this tensor holds post-softmax weights; a mask can no longer apply',
      );
    const tolerance = options.sumTolerance ?? sumTolerance(options.dtype ?? 'f32');
    // One kernel pass checks and measures a head whose rows are all in rule; any other head (and
    // the reference engine) takes the reference path, which names the row at fault.
    const pass =
      options.engine !== undefined && options.engine !== REFERENCE_ENGINE
        ? exportedWeightsPass(data.matrix, tolerance)
        : null;
    if (pass) {
      const inspected = inspectWeights(data.matrix, layer, head, pass);
      return pass.maskedRows.length ? { ...inspected, maskedRows: pass.maskedRows } : inspected;
    }
    const { weights, maskedRows } = checkWeights(data.matrix, tolerance, where, inFile);
    const inspected = inspectWeights(weights, layer, head);
    return maskedRows.length ? { ...inspected, maskedRows } : inspected;
  }
  return at(inspect({ form: 'scores', scores: [data.matrix], dK: options.dK }, common).heads[0]);
}

/** The `source` and `dtype` of FileHeadOptions for a view of a file: value errors then name both. */
export function fileValueOptions(opened: { readonly file: TensorFile; readonly view: AttentionView }): {
  source: string;
  dtype: DType;
} {
  const first = opened.view.layerTensors[0];
  const tensor = first.map ?? first.q;
  return {
    source: `${opened.file.name}: tensor ${quote(opened.view.id)}`,
    dtype: tensor !== undefined ? opened.file.tensor(tensor).dtype : 'f32',
  };
}
