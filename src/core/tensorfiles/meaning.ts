// Are these maps attention weights (post-softmax) or scores (logits)? Softmax rows are
// non-negative and sum to 1, so a sample of rows from a few heads decides; a fully masked row may
// be all zeros. Any negative value, non-finite value or row sum away from 1 means scores. The
// tolerance follows the dtype: bfloat16 keeps 8 significant bits, so its rows sum to 1 only
// within about 2^-8.
import { type Matrix } from '../matrix';
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
 * is the head row that m's row 0 is (when m holds only some of the head's rows).
 */
export function firstNonSoftmaxRow(m: Matrix, rows: readonly number[], tolerance: number, firstRow = 0): string | null {
  for (const i of rows) {
    const at = firstRow + i;
    let sum = 0;
    for (let j = 0; j < m.cols; j++) {
      const x = m.data[i * m.cols + j];
      if (!Number.isFinite(x)) return `row ${at} has ${x}`;
      if (x < -tolerance) return `row ${at} has ${Number(x.toPrecision(4))} < 0`;
      sum += x;
    }
    if (Math.abs(sum - 1) > tolerance && Math.abs(sum) > tolerance) return `row ${at} sums to ${Number(sum.toPrecision(6))}, not 1`;
  }
  return null;
}

/** The first sampled row of one head that is not a softmax row; a C-ordered head is read only at those rows. */
async function checkHead(file: TensorFile, view: AttentionView, at: { layer: number; head: number; batch: number }, rows: readonly number[], tolerance: number): Promise<string | null> {
  if (file.tensor(view.layerTensors[view.grouped ? at.layer : 0].map!).fortranOrder) {
    const data = await readHead(file, view, at);
    return data.kind === 'map' ? firstNonSoftmaxRow(data.matrix, rows, tolerance) : null;
  }
  // One row at a time: a long head (16384² values) is never read whole to decide what it holds.
  for (const r of rows) {
    const bad = firstNonSoftmaxRow(await readHeadRows(file, view, at, r, r + 1), [0], tolerance, r);
    if (bad !== null) return bad;
  }
  return null;
}

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
export async function detectMeaning(file: TensorFile, view: AttentionView, override?: Meaning, batch = 0): Promise<MeaningResult> {
  if (view.kind === 'qkv') {
    if (override !== undefined && override !== 'qkv') {
      throw new TensorFileError(file.name, { tensor: view.id }, `holds queries/keys/values, so it cannot be read as ${override}`);
    }
    const t = view.layerTensors[0];
    return { meaning: 'qkv', evidence: `queries/keys/values (${[t.q, t.k, t.v].filter(Boolean).join(', ')}): scores and weights are computed from them`, overridden: false };
  }
  if (override === 'qkv') throw new TensorFileError(file.name, { tensor: view.id }, 'holds attention maps, not queries/keys/values');
  if (override !== undefined) return { meaning: override, evidence: `given as ${override}`, overridden: true };

  const dtype = file.tensor(view.layerTensors[0].map!).dtype;
  const tolerance = sumTolerance(dtype);
  const heads = sampleHeads(view);
  let checked = 0;
  for (const h of heads) {
    const rows = sampleRows(view.queries);
    const bad = await checkHead(file, view, { ...h, batch }, rows, tolerance);
    if (bad !== null) {
      return { meaning: 'scores', evidence: `${bad} (layer ${view.layerIds[h.layer]}, head ${h.head}): not softmax output, so read as scores`, overridden: false };
    }
    checked += rows.length;
  }
  return {
    meaning: 'weights',
    evidence: `all ${checked} sampled rows from ${heads.length} head${heads.length === 1 ? '' : 's'} are non-negative and sum to 1 ± ${tolerance} (or 0 when fully masked): softmax weights`,
    overridden: false,
  };
}
