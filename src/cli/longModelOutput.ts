// `compute --model` on a text past the whole-matrix size: when a text has more tokens than
// --full-resolution-tokens (default FULL_RESOLUTION_TOKENS, as the panel's long texts), or its heads ×
// n² cells pass the dense cap, each head is printed as a max-pooled overview with exact per-row
// figures (src/node/models/longRun.ts), and --region ROWS:COLS adds that block at full resolution.
import { InputError, MAX_DENSE_CELLS } from '../core';
import type { LayerAttention } from '../core/models';
import { type PooledModelHead, modelRegion } from '../node/models/longRun';
import { shortFloat32 } from './serialize';

/** Overview blocks per side in the CLI's JSON unless --overview says otherwise (64² numbers per head). */
export const CLI_OVERVIEW_SIDE = 64;

export interface TokenRange {
  /** First and one-past-last token. */
  readonly from: number;
  readonly to: number;
}

export interface RegionRequest {
  readonly rows: TokenRange;
  readonly cols: TokenRange;
}

/** Why the dense path does not apply to n tokens (null when it does): the message the user sees. */
export function longReason(n: number, heads: number, fullResolutionTokens: number): string | null {
  if (n > fullResolutionTokens) return `more than ${fullResolutionTokens} (--full-resolution-tokens)`;
  if (n * n * heads > MAX_DENSE_CELLS)
    return `${heads} heads × ${n}² cells pass the ${MAX_DENSE_CELLS} cells a layer may hold whole`;
  return null;
}

function range(text: string, flag: string, n: number, what: string): TokenRange {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!m) throw new InputError(flag, `expected ${what} token numbers like 100-163, found ${JSON.stringify(text)}`);
  const a = Number(m[1]),
    b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new InputError(flag, `${what} range ${text.trim()} runs backwards`);
  if (b >= n) throw new InputError(flag, `${what} token ${b} is past the last token (${n - 1})`);
  return { from: a, to: b + 1 };
}

/** "--region 100-163:0-511": query tokens 100…163 against keys 0…511, inclusive, checked against n tokens. */
export function parseRegion(value: string, n: number): RegionRequest {
  const parts = value.split(':');
  if (parts.length !== 2)
    throw new InputError('--region', `expected ROWS:COLS like 100-163:0-511, found ${JSON.stringify(value)}`);
  return { rows: range(parts[0], '--region', n, 'query'), cols: range(parts[1], '--region', n, 'key') };
}

const vector = (v: Float32Array) => Array.from(v, shortFloat32);
const mean = (v: Float32Array) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return v.length ? Number((s / v.length).toPrecision(8)) : 0;
};

function rows(data: Float32Array, r: number, c: number, allowed: Uint8Array | null): (number | null)[][] {
  return Array.from({ length: r }, (_, i) =>
    Array.from(data.subarray(i * c, (i + 1) * c), (x, j) =>
      allowed && allowed[i * c + j] === 0 ? null : shortFloat32(x),
    ),
  );
}

/**
 * One head of a long run as JSON: the overview (omitted under --summary), per-row entropy, largest
 * weight and diagonal weight, their means, and the region (scores null where masked) when asked.
 */
export function pooledHeadJson(
  layer: LayerAttention<PooledModelHead>,
  head: number,
  headDim: number,
  summary: boolean,
  region: RegionRequest | null,
): object {
  const h = layer.heads[head];
  let regionJson: object | undefined;
  if (region) {
    const r = modelRegion(
      { qRot: layer.qk!.qRot, kRot: layer.qk!.kRot, headDim, mask: layer.mask, factor: layer.factor },
      head,
      layer.kvHeadOf[head],
      [region.rows.from, region.rows.to],
      [region.cols.from, region.cols.to],
    );
    const rr = region.rows.to - region.rows.from,
      cc = region.cols.to - region.cols.from;
    regionJson = {
      row0: region.rows.from,
      rows: rr,
      col0: region.cols.from,
      cols: cc,
      scores: rows(r.scores.data, rr, cc, r.allowed),
      weights: rows(r.weights.data, rr, cc, null),
    };
  }
  return {
    layer: layer.layer,
    head,
    kvHead: layer.kvHeadOf[head],
    window: layer.window,
    dK: headDim,
    factor: Number(h.factor.toPrecision(8)),
    cell: h.cell,
    ...(summary ? {} : { overview: rows(h.overview.data, h.overview.rows, h.overview.cols, null) }),
    entropy: vector(h.entropy),
    maxWeight: vector(h.maxWeight),
    diagonalWeight: vector(h.diagonal),
    meanEntropy: mean(h.entropy),
    meanMaxWeight: mean(h.maxWeight),
    meanDiagonalWeight: mean(h.diagonal),
    ...(regionJson ? { region: regionJson } : {}),
  };
}
