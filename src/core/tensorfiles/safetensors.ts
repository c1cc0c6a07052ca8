// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the
// data. The rules are those of the reference implementation: N ≤ 100 MB, the header starts with
// '{', tensors sorted by begin tile the data exactly from 0 (no gaps, no overlaps), each tensor's
// bytes equal product(shape) × itemsize, and the file ends where the data ends.
import { type ByteSource, readRange } from './byteSource';
import { type ElementType, parseSafetensorsDtype } from './dtype';
import { TensorFileError, quote } from './errors';
import { MAX_TENSORS, checkedElementCount, formatShape } from './shape';
import { type LimitOptions, limitRule, resolveLimits } from '../limits';

/** The format's own cap (and limits.maxHeaderBytes' default). */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

export interface SafetensorsEntry {
  readonly name: string;
  readonly type: ElementType;
  readonly shape: number[];
  /** Absolute byte offset of the tensor's data in the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  readonly headerLength: number;
  /** In file order (by data offset). */
  readonly entries: SafetensorsEntry[];
  readonly metadata: Record<string, string> | null;
}

export async function readSafetensorsHeader(source: ByteSource, limits?: LimitOptions): Promise<SafetensorsHeader> {
  const name = source.name;
  const caps = resolveLimits(limits);
  if (source.size < 8)
    throw new TensorFileError(
      name,
      { offset: 0 },
      `${source.size} bytes is too short for a safetensors file (it starts with an 8-byte header length)`,
    );
  const lengthBytes = await readRange(source, 0, 8, 'the header length');
  const n = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  // Checked before anything is read: the claimed length may be anything up to 2^64 - 1.
  if (n > BigInt(caps.maxHeaderBytes))
    throw new TensorFileError(name, { offset: 8 }, limitRule(`${n} header bytes`, 'maxHeaderBytes', caps, 'bytes'));
  const headerLength = Number(n);
  if (8 + headerLength > source.size) {
    throw new TensorFileError(
      name,
      { offset: 8 },
      `header length ${headerLength} runs past the end of the ${source.size}-byte file (truncated?)`,
    );
  }
  const bytes = await readRange(source, 8, headerLength, 'the header');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TensorFileError(name, { offset: 8 }, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new TensorFileError(name, { offset: 8 }, "header does not start with '{'");
  // Each tensor is one JSON object: counted before parsing, so a header listing a million tiny
  // tensors costs one scan, not gigabytes of parsed objects.
  const objects = countJsonObjects(text);
  if (objects - 2 > MAX_TENSORS)
    throw new TensorFileError(
      name,
      { offset: 8 },
      `header holds ${objects - 1} objects (tensor entries), over the limit of ${MAX_TENSORS} tensors in one file (a fixed cap)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new TensorFileError(name, { offset: 8 }, `header is not valid JSON (${detail.slice(0, 120)})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new TensorFileError(name, { offset: 8 }, 'header is not a JSON object');

  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  const dataStart = 8 + headerLength;
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === '__metadata__') {
      metadata = checkMetadata(name, value);
      continue;
    }
    entries.push(checkEntry(name, key, value, dataStart));
  }

  // Sorted by begin, the tensors must tile [0, dataLength) exactly.
  entries.sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  let end = dataStart;
  let previous: string | undefined;
  for (const e of entries) {
    if (e.byteOffset !== end) {
      const begin = e.byteOffset - dataStart,
        prevEnd = end - dataStart;
      const rule =
        e.byteOffset < end
          ? `data_offsets begin ${begin} overlaps ${quote(previous ?? '')}, which ends at ${prevEnd}`
          : previous === undefined
            ? `data_offsets begin ${begin} leaves a gap: the first tensor must start at 0`
            : `data_offsets begin ${begin} leaves a ${begin - prevEnd}-byte gap after ${quote(previous)}, which ends at ${prevEnd}`;
      throw new TensorFileError(name, { tensor: e.name }, rule);
    }
    end = e.byteOffset + e.byteLength;
    previous = e.name;
  }
  if (end !== source.size) {
    const rule =
      end < source.size
        ? `file has ${source.size} bytes but 8 + header ${headerLength} + data ${end - dataStart} = ${end} (${source.size - end} trailing bytes)`
        : `file has ${source.size} bytes but 8 + header ${headerLength} + data ${end - dataStart} = ${end} (truncated?)`;
    throw new TensorFileError(name, { offset: Math.min(end, source.size) }, rule);
  }
  return { headerLength, entries, metadata };
}

/** The '{' outside strings in JSON text: the number of objects it holds, once it is valid JSON. */
export function countJsonObjects(text: string): number {
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) count++;
  }
  return count;
}

function checkMetadata(name: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TensorFileError(name, { offset: 8 }, '__metadata__ is not an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string')
      throw new TensorFileError(name, { offset: 8 }, `__metadata__.${k.slice(0, 40)} is not a string`);
    out[k] = v;
  }
  return out;
}

function checkEntry(name: string, key: string, value: unknown, dataStart: number): SafetensorsEntry {
  const fail = (rule: string): never => {
    throw new TensorFileError(name, { tensor: key }, rule);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('entry is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.dtype !== 'string') return fail("'dtype' is missing or not a string");
  const parsed = parseSafetensorsDtype(v.dtype);
  if (!parsed.ok) return fail(parsed.reason);
  if (!Array.isArray(v.shape)) return fail("'shape' is missing or not a list");
  const count = checkedElementCount(v.shape);
  if (!count.ok) return fail(count.reason);
  const shape = v.shape as number[];
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) return fail("'data_offsets' is not a [begin, end] pair");
  const [begin, end] = offsets as unknown[];
  if (
    typeof begin !== 'number' ||
    typeof end !== 'number' ||
    !Number.isSafeInteger(begin) ||
    !Number.isSafeInteger(end) ||
    begin < 0 ||
    end < begin
  ) {
    return fail(`'data_offsets' ${JSON.stringify(offsets).slice(0, 60)} are not integers with 0 ≤ begin ≤ end`);
  }
  const needed = count.count * parsed.type.itemsize;
  if (end - begin !== needed) {
    fail(
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${formatShape(shape)} of ${parsed.type.label} needs ${needed}`,
    );
  }
  return { name: key, type: parsed.type, shape: [...shape], byteOffset: dataStart + begin, byteLength: needed };
}
