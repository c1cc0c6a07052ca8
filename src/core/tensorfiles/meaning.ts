// Are these maps attention weights (post-softmax) or scores (logits)? Softmax rows are
// non-negative and sum to 1, so a sample of rows from a few heads decides, by the same row rule the
// display applies to every value (classifyWeightRow, src/core/values.ts): a fully masked row is all
// NaN or exactly all zero; any negative value, other non-finite value or row sum away from 1 means
// scores. The tolerance follows the source precision: bfloat16 keeps 8 significant bits, so its
// rows sum to 1 only within about 2^-8.
import { type Matrix } from '../matrix';
import { classifyWeightRow, describeWeightRowProblem } from '../values';
import { type DType } from './dtype';
import { TensorFileError } from './errors';
import { readHead, readHeadRows } from './heads';
import { type AttentionView } from './layout';
import { type TensorFile } from './tensorFile';

export type Meaning = 'weights' | 'scores' | 'qkv';

export interface MeaningResult {
  readonly meaning: Meaning;
  /** What was checked and found, in one sentence. */
  readonly evidence: string;
  readonly overridden: boolean;
  /** Weights: how far a row may sum from 1, from the precision the values were computed in. */
  readonly tolerance?: number;
  /** Weights: that precision (the file's dtype, or bf16/f16 when every sampled value fits one). */
  readonly precision?: DType;
}

const SUM_TOLERANCE: Partial<Record<DType, number>> = { f64: 1e-6, f32: 1e-3, f16: 1e-2, bf16: 3e-2 };
const ROWS_PER_HEAD = 16;

export function sumTolerance(dtype: DType): number {
  return SUM_TOLERANCE[dtype] ?? 1e-3;
}

/** Up to `count` row indices spread evenly over n rows, always including the first and last. */
export function sampleRows(n: number, count = ROWS_PER_HEAD): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1)));
}

/**
 * The first row (of those sampled) that is not a softmax row, described; null when all are. `firstRow`
 * is the head row that m's row 0 is (when m holds only some of the head's rows). The rule is
 * classifyWeightRow's, the one the display applies to every value (src/core/values.ts).
 */
export function firstNonSoftmaxRow(m: Matrix, rows: readonly number[], tolerance: number, firstRow = 0): string | null {
  for (const i of rows) {
    const problem = describeWeightRowProblem(
      classifyWeightRow(m.data.subarray(i * m.cols, (i + 1) * m.cols), tolerance),
      firstRow + i,
      tolerance,
    );
    if (problem !== null) return problem;
  }
  return null;
}

/** Is this row a fully masked query of nn.MultiheadAttention (all NaN)? */
export function isAllNaN(row: Float32Array): boolean {
  return row.length > 0 && row.every((x) => Number.isNaN(x));
}

/** The sampled rows of one head (row r of the head is rows[i] of the result); a C-ordered head is read only at those rows. */
async function sampleHead(
  file: TensorFile,
  view: AttentionView,
  at: { layer: number; head: number; batch: number },
  rows: readonly number[],
): Promise<Matrix> {
  const cols = view.keys;
  const out = new Float32Array(rows.length * cols);
  if (file.tensor(view.layerTensors[view.grouped ? at.layer : 0].map!).fortranOrder) {
    const data = await readHead(file, view, at);
    if (data.kind === 'map')
      rows.forEach((r, i) => out.set(data.matrix.data.subarray(r * cols, (r + 1) * cols), i * cols));
    return { rows: rows.length, cols, data: out };
  }
  // One row at a time: a long head (16384² values) is never read whole to decide what it holds.
  for (let i = 0; i < rows.length; i++)
    out.set((await readHeadRows(file, view, at, rows[i], rows[i] + 1)).data, i * cols);
  return { rows: rows.length, cols, data: out };
}

/** Every value exactly a bfloat16 (the low 16 bits of its float32 are zero). */
function fitsBfloat16(values: Float32Array): boolean {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) if (Number.isFinite(values[i]) && (bits[i] & 0xffff) !== 0) return false;
  return true;
}

/** Every value exactly a float16 (at most 11 significant bits, within its range). */
function fitsFloat16(values: Float32Array): boolean {
  for (const x of values) {
    if (!Number.isFinite(x) || x === 0) continue;
    const a = Math.abs(x);
    if (a > 65504) return false;
    const e = Math.max(-14, Math.floor(Math.log2(a)));
    if (!Number.isInteger(a / 2 ** (e - 10))) return false;
  }
  return true;
}

/**
 * The precision the values were computed in: the file's dtype, or bfloat16/float16 when every
 * sampled value is exactly one (a bf16 model's weights saved through .float() sum to 1 only within
 * bfloat16 rounding, whatever the file's dtype).
 */
export function sourcePrecision(values: Float32Array, fileDtype: DType): DType {
  if (fileDtype !== 'f32' && fileDtype !== 'f64') return fileDtype;
  if (fitsBfloat16(values)) return 'bf16';
  if (fitsFloat16(values)) return 'f16';
  return fileDtype;
}

const PRECISION_NAMES: Partial<Record<DType, string>> = {
  f64: 'float64',
  f32: 'float32',
  f16: 'float16',
  bf16: 'bfloat16',
};

/** Heads to sample: the first, the last and one in the middle (distinct). */
function sampleHeads(view: AttentionView): { layer: number; head: number }[] {
  const picks = [
    { layer: 0, head: 0 },
    { layer: Math.floor((view.layers - 1) / 2), head: Math.floor((view.heads - 1) / 2) },
    { layer: view.layers - 1, head: view.heads - 1 },
  ];
  const seen = new Set<string>();
  return picks.filter((p) => {
    const key = `${p.layer},${p.head}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Decides weights vs scores from sampled rows, unless `override` says what the maps are. */
export async function detectMeaning(
  file: TensorFile,
  view: AttentionView,
  override?: Meaning,
  batch = 0,
): Promise<MeaningResult> {
  if (view.kind === 'qkv') {
    if (override !== undefined && override !== 'qkv') {
      throw new TensorFileError(
        file.name,
        { tensor: view.id },
        `holds queries/keys/values, so it cannot be read as ${override}`,
      );
    }
    const t = view.layerTensors[0];
    return {
      meaning: 'qkv',
      evidence: `queries/keys/values (${[t.q, t.k, t.v].filter(Boolean).join(', ')}): scores and weights are computed from them`,
      overridden: false,
    };
  }
  if (override === 'qkv')
    throw new TensorFileError(file.name, { tensor: view.id }, 'holds attention maps, not queries/keys/values');
  if (override !== undefined) return { meaning: override, evidence: `given as ${override}`, overridden: true };

  const dtype = file.tensor(view.layerTensors[0].map!).dtype;
  const heads = sampleHeads(view);
  const rows = sampleRows(view.queries);
  const samples = [];
  for (const h of heads) samples.push({ h, m: await sampleHead(file, view, { ...h, batch }, rows) });
  const all = new Float32Array(samples.reduce((n, x) => n + x.m.data.length, 0));
  samples.reduce((at, x) => (all.set(x.m.data, at), at + x.m.data.length), 0);
  const precision = sourcePrecision(all, dtype);
  const tolerance = sumTolerance(precision);
  let masked = 0;
  for (const { h, m } of samples) {
    const bad = firstNonSoftmaxRow(
      m,
      m.data.length === 0 ? [] : Array.from({ length: m.rows }, (_, i) => i),
      tolerance,
    );
    if (bad !== null) {
      // Report the head's own row number, not the sample's.
      const named = bad.replace(/^row (\d+)/, (_, i: string) => `row ${rows[Number(i)]}`);
      return {
        meaning: 'scores',
        evidence: `${named} (layer ${view.layerIds[h.layer]}, head ${h.head}): not softmax output, so read as scores`,
        overridden: false,
      };
    }
    for (let i = 0; i < m.rows; i++) if (isAllNaN(m.data.subarray(i * m.cols, (i + 1) * m.cols))) masked++;
  }
  const checked = samples.length * rows.length;
  const narrowed =
    precision !== dtype
      ? `; every sampled value is exactly a ${PRECISION_NAMES[precision]}, so the rows were computed in ${PRECISION_NAMES[precision]} and are held to its rounding`
      : '';
  const nan =
    masked > 0
      ? `; ${masked} sampled row${masked === 1 ? ' is' : 's are'} all NaN, as nn.MultiheadAttention gives for a query with no allowed key: shown as fully masked rows`
      : '';
  return {
    meaning: 'weights',
    evidence: `all ${checked} sampled rows from ${heads.length} head${heads.length === 1 ? '' : 's'} are non-negative and sum to 1 ± ${tolerance} (or are all NaN or all 0: fully masked): softmax weights${narrowed}${nan}`,
    overridden: false,
    tolerance,
    precision,
  };
}
