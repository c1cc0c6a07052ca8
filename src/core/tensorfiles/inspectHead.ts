// One head of a tensor file, inspected like any other input: exported weights are measured as they
// are; exported scores and Q/K/V go through the same scaling, mask and softmax as JSON input. The
// CLI and the extension's file source both call this, so a file means the same thing everywhere.
import { type HeadInspection, inspect, inspectWeights } from '../inspect';
import type { ScaleSpec } from '../attention';
import type { MaskSpec } from '../mask';
import type { Meaning } from './meaning';
import type { HeadData } from './heads';
import { InputError } from '../errors';
import { type Matrix, matmulTransposed } from '../matrix';
import { sumTolerance } from './meaning';
import { checkWeightRows } from './weightRows';

export interface FileHeadOptions {
  readonly scale?: ScaleSpec;
  readonly mask?: MaskSpec;
  /** Key dimension for exported scores (enables the 1/√d_k factors); Q/K/V know their own. */
  readonly dK?: number;
  readonly scaleSource?: string;
  readonly maskSource?: string;
  readonly grid?: readonly number[];
  /** Exported weights: how far a row may sum from 1 (MeaningResult.tolerance; default the loosest, bfloat16's). */
  readonly sumTolerance?: number;
  /** Exported scores stored as float16: its most negative value (−65504) is an additive mask too. */
  readonly scoresDtype?: string;
  /** Names the file and tensor in a refusal of bad weight rows. */
  readonly source?: string;
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
    const where = `${options.source ? `${options.source}: ` : ''}layer ${layer} head ${head}`;
    return inspectWeights(checkWeightRows(data.matrix, options.sumTolerance ?? sumTolerance('bf16'), where).matrix, layer, head);
  }
  return at(inspect({ form: 'scores', scores: [maskedScores(data.matrix, options.scoresDtype)], dK: options.dK }, common).heads[0]);
}

/** Below this a float32 score is an additive mask (HF adds torch.finfo(dtype).min, about −3.4e38). */
export const MASKED_SCORE = -1e30;

/**
 * Exported scores with additive masks made explicit: −∞ already is one; a value at or below −1e30
 * (float32's and bfloat16's finfo.min, which Hugging Face adds to masked logits) or float16's
 * −65504 in a float16 tensor becomes −∞, so it is drawn and counted as masked instead of
 * stretching the colour scale. Only ever −∞: NaN and +∞ stay, and are refused by name downstream.
 */
export function maskedScores(m: Matrix, dtype?: string): Matrix {
  const floor = dtype === 'f16' ? -65504 : MASKED_SCORE;
  let data = m.data;
  for (let i = 0; i < data.length; i++) {
    if (data[i] <= floor && data[i] !== -Infinity) {
      if (data === m.data) data = m.data.slice();
      data[i] = -Infinity;
    }
  }
  return data === m.data ? m : { rows: m.rows, cols: m.cols, data };
}
