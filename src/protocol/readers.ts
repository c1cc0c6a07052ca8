// Runtime readers for everything that crosses the host/webview boundary: request parameters and
// results. Each returns the declared type (messages.ts) or throws Invalid with "path: rule"; the
// method table (methods.ts) pairs them with their methods, and validate.ts turns throws into
// Checked values. Every typed array must have exactly the length its shape says.
import {
  type ExportParams,
  type ExportResult,
  type HeadIndex,
  type HeadParams,
  type HeadPayload,
  type HeadSummary,
  type MaskName,
  type Overview,
  type PooledInfo,
  type RegionParams,
  type RegionPayload,
  type SweepSample,
  type Thumbnails,
  type VarianceSample,
  EXPORT_FORMATS,
  MASK_NAMES,
  MAX_REGION_CELLS,
  VARIANTS,
  ROTATIONS,
} from './messages';
import { SWEEP_LABELS } from '../core/scale';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export class Invalid extends Error {}

export function fail(path: string, rule: string): never {
  throw new Invalid(`${path}: ${rule}`);
}

export function attempt<T>(read: () => T): Checked<T> {
  try {
    return { ok: true, value: read() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

export function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value))
    fail(path, 'expected an object');
  return value as Record<string, unknown>;
}

/** Limits that keep a hostile or broken peer from making the other side allocate absurd amounts. */
export const MAX_DIM = 1 << 16;
export const MAX_NAME = 255;
export const MAX_TEXT = 4096;

export function integer(value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(path, `expected an integer in [${min}, ${max}]`);
  return value;
}

export function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'expected a finite number');
  return value;
}

export function positive(value: unknown, path: string): number {
  const x = finite(value, path);
  if (!(x > 0)) fail(path, 'expected a positive number');
  return x;
}

export function nullable<T>(value: unknown, read: (v: unknown) => T): T | null {
  return value === null ? null : read(value);
}

export function oneOf<T extends string>(value: unknown, options: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value))
    fail(path, `expected one of ${options.join(', ')}`);
  return value as T;
}

export function string(value: unknown, path: string, max = Infinity): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  if (value.length > max) fail(path, `longer than ${max} characters`);
  return value;
}

export function strings(value: unknown, path: string, length: number): string[] {
  if (!Array.isArray(value) || value.length !== length) fail(path, `expected ${length} strings`);
  value.forEach((s, i) => string(s, `${path}[${i}]`));
  return value as string[];
}

export function headIndex(value: unknown, path: string): HeadIndex {
  return value === 'mean' ? 'mean' : integer(value, path, 0, MAX_DIM);
}

/** A Float32Array of exactly `length` values (an ArrayBuffer of the right size is accepted and wrapped). */
export function float32(value: unknown, path: string, length: number): Float32Array {
  const array = value instanceof ArrayBuffer ? new Float32Array(value) : value;
  if (!(array instanceof Float32Array)) fail(path, 'expected a Float32Array');
  if (array.length !== length) fail(path, `expected ${length} values, found ${array.length}`);
  return array;
}

export function uint8(value: unknown, path: string, length: number): Uint8Array {
  const array = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  if (!(array instanceof Uint8Array)) fail(path, 'expected a Uint8Array');
  if (array.length !== length) fail(path, `expected ${length} values, found ${array.length}`);
  return array;
}

export function maskName(value: unknown, path: string): MaskName {
  return oneOf(value, MASK_NAMES, path);
}

// ---- request parameters (webview → host) -------------------------------------------------------

function optionalMask(p: Record<string, unknown>): MaskName | undefined {
  return p.mask === undefined ? undefined : maskName(p.mask, 'params.mask');
}

export function readOverviewParams(value: unknown): { readonly mask?: MaskName } {
  return { mask: optionalMask(params(value)) };
}

export function readHeadParams(value: unknown): HeadParams {
  const p = params(value);
  // Heads come at the input's own scale; the panel re-scales the logits it has. A client asking the
  // host to re-scale would otherwise get the unscaled picture without a word.
  if (p.scale !== undefined)
    fail('params.scale', 'the host sends heads at the input’s own scale; re-scale a head’s dots in the panel');
  return {
    layer: integer(p.layer, 'params.layer', 0, MAX_DIM),
    head: headIndex(p.head, 'params.head'),
    mask: optionalMask(p),
    variant: p.variant === undefined ? undefined : oneOf(p.variant, VARIANTS, 'params.variant'),
    ...(p.rotation === undefined ? {} : { rotation: oneOf(p.rotation, ROTATIONS, 'params.rotation') }),
  };
}

export function readThumbnailsParams(value: unknown): { readonly size: number; readonly mask?: MaskName } {
  const p = params(value);
  return { size: integer(p.size, 'params.size', 1, 512), mask: optionalMask(p) };
}

export function readNoParams(value: unknown): Record<string, never> {
  params(value);
  return {};
}

export function readRegionParams(value: unknown): RegionParams {
  const p = params(value);
  const rows = integer(p.rows, 'params.rows', 1, MAX_DIM);
  const cols = integer(p.cols, 'params.cols', 1, MAX_DIM);
  if (rows * cols > MAX_REGION_CELLS)
    fail('params.rows', `a region holds at most ${MAX_REGION_CELLS} cells, asked for ${rows}×${cols}`);
  return {
    layer: integer(p.layer, 'params.layer', 0, MAX_DIM),
    head: integer(p.head, 'params.head', 0, MAX_DIM),
    mask: optionalMask(p),
    row0: integer(p.row0, 'params.row0', 0, MAX_DIM),
    rows,
    col0: integer(p.col0, 'params.col0', 0, MAX_DIM),
    cols,
  };
}

export function readExportParams(value: unknown): ExportParams {
  const p = params(value);
  const format = oneOf(p.format, EXPORT_FORMATS, 'params.format');
  const name = string(p.name, 'params.name', MAX_NAME);
  const reserved = /[/\\:*?"<>|]/.test(name) || Array.from(name).some((c) => c.charCodeAt(0) < 32);
  if (reserved || name.startsWith('.') || name.trim() === '')
    fail('params.name', 'expected a plain file name (no folders or reserved characters)');
  const data = p.data;
  if (format === 'html') {
    if (data !== undefined) fail('params.data', 'the host builds the report itself');
    return { format, name };
  }
  if (format === 'png') {
    if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) fail('params.data', 'expected the PNG bytes');
    return { format, name, data: data instanceof Uint8Array ? data.slice().buffer : data };
  }
  return { format, name, data: string(data, 'params.data') };
}

function params(value: unknown): Record<string, unknown> {
  return record(value ?? {}, 'params');
}

// ---- results (host → webview) -----------------------------------------------------------------

function readSummary(value: unknown, path: string): HeadSummary {
  const o = record(value, path);
  return {
    layer: integer(o.layer, `${path}.layer`, 0, MAX_DIM),
    head: integer(o.head, `${path}.head`, 0, MAX_DIM),
    dK: nullable(o.dK, (v) => integer(v, `${path}.dK`, 1, MAX_DIM)),
    factor: nullable(o.factor, (v) => positive(v, `${path}.factor`)),
    meanEntropy: finite(o.meanEntropy, `${path}.meanEntropy`),
    meanMaxWeight: finite(o.meanMaxWeight, `${path}.meanMaxWeight`),
    meanEffectiveTokens: finite(o.meanEffectiveTokens, `${path}.meanEffectiveTokens`),
    diagonalShare: nullable(o.diagonalShare, (v) => finite(v, `${path}.diagonalShare`)),
    ...optionalCatalogue(o, path),
  };
}

/** The head catalogue's optional figures (real model heads): present only where the source gives them. */
function optionalCatalogue(
  o: Record<string, unknown>,
  path: string,
): Pick<HeadSummary, 'previousTokenScore' | 'firstTokenMass' | 'inductionScore' | 'kvHead'> {
  const out: {
    -readonly [K in 'previousTokenScore' | 'firstTokenMass' | 'inductionScore' | 'kvHead']?: HeadSummary[K];
  } = {};
  for (const key of ['previousTokenScore', 'firstTokenMass', 'inductionScore'] as const) {
    if (o[key] !== undefined) out[key] = nullable(o[key], (v) => finite(v, `${path}.${key}`));
  }
  if (o.kvHead !== undefined) out.kvHead = integer(o.kvHead, `${path}.kvHead`, 0, MAX_DIM);
  return out;
}

export function readOverview(value: unknown): Overview {
  const o = record(value, 'overview');
  const n = integer(o.n, 'overview.n', 1, MAX_DIM);
  const m = integer(o.m, 'overview.m', 1, MAX_DIM);
  const layers = integer(o.layers, 'overview.layers', 1, 4096);
  const heads = integer(o.heads, 'overview.heads', 1, 4096);
  if (!Array.isArray(o.summaries) || o.summaries.length !== layers * heads)
    fail('overview.summaries', `expected ${layers * heads} head summaries`);
  if (!Array.isArray(o.masks)) fail('overview.masks', 'expected an array');
  if (!Array.isArray(o.warnings)) fail('overview.warnings', 'expected an array');
  return {
    title: string(o.title, 'overview.title', MAX_TEXT),
    form: oneOf(o.form, ['qkv', 'projected', 'scores', 'weights', 'text'] as const, 'overview.form'),
    n,
    m,
    tokens: strings(o.tokens, 'overview.tokens', n),
    keyTokens: strings(o.keyTokens, 'overview.keyTokens', m),
    layers,
    heads,
    mask: maskName(o.mask, 'overview.mask'),
    masks: o.masks.map((x, i) => maskName(x, `overview.masks[${i}]`)),
    rescalable: o.rescalable === true,
    hasVectors: o.hasVectors === true,
    hasRaw: o.hasRaw === true,
    ...(o.rotary === undefined
      ? {}
      : typeof o.rotary === 'boolean'
        ? { rotary: o.rotary }
        : fail('overview.rotary', 'expected true or false')),
    summaries: o.summaries.map((s, i) => readSummary(s, `overview.summaries[${i}]`)),
    warnings: o.warnings.map((w, i) => string(w, `overview.warnings[${i}]`, MAX_TEXT)),
    ...(o.pooled === undefined ? {} : { pooled: readPooled(o.pooled, n, m) }),
  };
}

function readPooled(value: unknown, n: number, m: number): PooledInfo {
  const o = record(value, 'overview.pooled');
  const tokens = integer(o.tokens, 'overview.pooled.tokens', 1, MAX_DIM);
  const cell = integer(o.cell, 'overview.pooled.cell', 1, MAX_DIM);
  if (n !== m || Math.ceil(tokens / cell) !== n)
    fail('overview.pooled', `${tokens} tokens in blocks of ${cell} do not make ${n}×${m} blocks`);
  return {
    tokens,
    cell,
    fullResolutionTokens: integer(o.fullResolutionTokens, 'overview.pooled.fullResolutionTokens', 1, MAX_DIM),
  };
}

export function readRegion(value: unknown): RegionPayload {
  const o = record(value, 'region');
  const rows = integer(o.rows, 'region.rows', 1, MAX_DIM);
  const cols = integer(o.cols, 'region.cols', 1, MAX_DIM);
  if (rows * cols > MAX_REGION_CELLS) fail('region.rows', `a region holds at most ${MAX_REGION_CELLS} cells`);
  return {
    row0: integer(o.row0, 'region.row0', 0, MAX_DIM),
    rows,
    col0: integer(o.col0, 'region.col0', 0, MAX_DIM),
    cols,
    tokens: strings(o.tokens, 'region.tokens', rows),
    keyTokens: strings(o.keyTokens, 'region.keyTokens', cols),
    factor: nullable(o.factor, (v) => positive(v, 'region.factor')),
    dots: nullable(o.dots, (v) => float32(v, 'region.dots', rows * cols)),
    weights: float32(o.weights, 'region.weights', rows * cols),
    allowed: nullable(o.allowed, (v) => uint8(v, 'region.allowed', rows * cols)),
    entropy: float32(o.entropy, 'region.entropy', rows),
  };
}

function readSweep(value: unknown): SweepSample[] {
  if (!Array.isArray(value)) fail('head.sweep', 'expected an array');
  return value.map((p, i) => {
    const o = record(p, `head.sweep[${i}]`);
    return {
      factor: positive(o.factor, `head.sweep[${i}].factor`),
      label: oneOf(o.label, SWEEP_LABELS, `head.sweep[${i}].label`),
      meanEntropy: finite(o.meanEntropy, `head.sweep[${i}].meanEntropy`),
      meanMaxWeight: finite(o.meanMaxWeight, `head.sweep[${i}].meanMaxWeight`),
      meanEffectiveTokens: finite(o.meanEffectiveTokens, `head.sweep[${i}].meanEffectiveTokens`),
    };
  });
}

export function readHeadPayload(value: unknown): HeadPayload {
  const o = record(value, 'head');
  const n = integer(o.n, 'head.n', 1, MAX_DIM);
  const m = integer(o.m, 'head.m', 1, MAX_DIM);
  const dK = nullable(o.dK, (v) => integer(v, 'head.dK', 1, MAX_DIM));
  const dV = nullable(o.dV, (v) => integer(v, 'head.dV', 1, MAX_DIM));
  const vectors = o.q !== null || o.k !== null || o.v !== null || o.output !== null;
  if (vectors && (dK === null || dV === null)) fail('head.dK', 'vectors need d_k and d_v');
  if (!Array.isArray(o.emptyRows)) fail('head.emptyRows', 'expected an array');
  const diagonal = nullable(o.diagonal, (v) => {
    const d = record(v, 'head.diagonal');
    return {
      meanDiagonalWeight: finite(d.meanDiagonalWeight, 'head.diagonal.meanDiagonalWeight'),
      argmaxOnDiagonal: finite(d.argmaxOnDiagonal, 'head.diagonal.argmaxOnDiagonal'),
    };
  });
  return {
    layer: integer(o.layer, 'head.layer', 0, MAX_DIM),
    head: headIndex(o.head, 'head.head'),
    variant: oneOf(o.variant, VARIANTS, 'head.variant'),
    ...(o.rotation === undefined ? {} : { rotation: oneOf(o.rotation, ROTATIONS, 'head.rotation') }),
    mask: maskName(o.mask, 'head.mask'),
    n,
    m,
    dK,
    dV,
    factor: nullable(o.factor, (v) => positive(v, 'head.factor')),
    dots: nullable(o.dots, (v) => float32(v, 'head.dots', n * m)),
    allowed: nullable(o.allowed, (v) => uint8(v, 'head.allowed', n * m)),
    weights: float32(o.weights, 'head.weights', n * m),
    entropy: float32(o.entropy, 'head.entropy', n),
    maxWeight: float32(o.maxWeight, 'head.maxWeight', n),
    effectiveTokens: float32(o.effectiveTokens, 'head.effectiveTokens', n),
    emptyRows: o.emptyRows.map((r, i) => integer(r, `head.emptyRows[${i}]`, 0, n - 1)),
    sweep: readSweep(o.sweep),
    diagonal,
    q: nullable(o.q, (v) => float32(v, 'head.q', n * (dK ?? 0))),
    k: nullable(o.k, (v) => float32(v, 'head.k', m * (dK ?? 0))),
    v: nullable(o.v, (v) => float32(v, 'head.v', m * (dV ?? 0))),
    output: nullable(o.output, (v) => float32(v, 'head.output', n * (dV ?? 0))),
  };
}

export function readThumbnails(value: unknown): Thumbnails {
  const o = record(value, 'thumbnails');
  const rows = integer(o.rows, 'thumbnails.rows', 1, 512);
  const cols = integer(o.cols, 'thumbnails.cols', 1, 512);
  if (!Array.isArray(o.items)) fail('thumbnails.items', 'expected an array');
  const items = o.items.map((it, i) => {
    const r = record(it, `thumbnails.items[${i}]`);
    return {
      layer: integer(r.layer, `thumbnails.items[${i}].layer`, 0, MAX_DIM),
      head: headIndex(r.head, `thumbnails.items[${i}].head`),
    };
  });
  const out = {
    rows,
    cols,
    items,
    data: float32(o.data, 'thumbnails.data', items.length * rows * cols),
    allowed: nullable(o.allowed, (v) => uint8(v, 'thumbnails.allowed', rows * cols)),
  };
  if (o.itemAllowed === undefined) return out;
  if (out.allowed !== null) fail('thumbnails.itemAllowed', 'expected no shared allowed mask beside per-item masks');
  return { ...out, itemAllowed: uint8(o.itemAllowed, 'thumbnails.itemAllowed', items.length * rows * cols) };
}

export function readVariance(value: unknown): VarianceSample[] {
  if (!Array.isArray(value)) fail('variance', 'expected an array');
  return value.map((p, i) => {
    const o = record(p, `variance[${i}]`);
    return {
      dK: integer(o.dK, `variance[${i}].dK`, 1, MAX_DIM),
      samples: integer(o.samples, `variance[${i}].samples`, 1),
      varDot: finite(o.varDot, `variance[${i}].varDot`),
      varScaled: finite(o.varScaled, `variance[${i}].varScaled`),
    };
  });
}

export function readExportResult(value: unknown): ExportResult {
  const o = record(value, 'export');
  return {
    saved: o.saved === true,
    location: o.location === undefined ? undefined : string(o.location, 'export.location', MAX_TEXT),
  };
}
