// The .npy format (numpy's NEP 1): "\x93NUMPY", a version byte pair, a little-endian header length
// (2 bytes in v1, 4 in v2/v3), a Python-literal dict {'descr', 'fortran_order', 'shape'} padded
// with spaces and a newline, then the raw array bytes. v3 only differs by a UTF-8 header.
import { type ByteSource, readRange } from './byteSource';
import { type ElementType, parseNpyDescr } from './dtype';
import { TensorFileError } from './errors';
import { type PyValue, PyLiteralError, parsePyLiteral } from './pyLiteral';
import { MAX_TENSOR_ELEMENTS, checkedElementCount, formatShape } from './shape';
import { type LimitOptions, limitRule, resolveLimits } from '../limits';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy itself refuses headers over 10 000 bytes unless told the file is trusted; v1 cannot exceed 65 535. */
export const NPY_MAX_HEADER = 65536;

export interface NpyHeader {
  readonly version: string;
  readonly type: ElementType;
  readonly fortranOrder: boolean;
  readonly shape: number[];
  /** Where the array bytes start, within the source. */
  readonly dataOffset: number;
  readonly dataLength: number;
}

export function hasNpyMagic(bytes: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => bytes[i] === b);
}

export async function readNpyHeader(source: ByteSource, limits?: LimitOptions): Promise<NpyHeader> {
  const name = source.name;
  const caps = resolveLimits(limits);
  const head = await readRange(source, 0, Math.min(source.size, 12), 'the .npy preamble');
  if (head.length < 10)
    throw new TensorFileError(name, { offset: 0 }, `${head.length} bytes is too short for a .npy file (truncated?)`);
  if (!hasNpyMagic(head))
    throw new TensorFileError(name, { offset: 0 }, 'not a .npy file: it does not start with \\x93NUMPY');
  const major = head[6],
    minor = head[7];
  if (major < 1 || major > 3)
    throw new TensorFileError(
      name,
      { offset: 6 },
      `unsupported .npy format version ${major}.${minor} (1, 2 and 3 are read)`,
    );
  const preamble = major === 1 ? 10 : 12;
  if (head.length < preamble)
    throw new TensorFileError(name, { offset: 8 }, 'file ends inside the header length (truncated?)');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  // limits.maxHeaderBytes can lower the cap for .npy headers; the fixed 64 KiB stays the ceiling.
  if (headerLength > caps.maxHeaderBytes && caps.maxHeaderBytes < NPY_MAX_HEADER) {
    throw new TensorFileError(
      name,
      { offset: 8 },
      limitRule(`${headerLength} header bytes`, 'maxHeaderBytes', caps, 'bytes'),
    );
  }
  if (headerLength > NPY_MAX_HEADER) {
    throw new TensorFileError(
      name,
      { offset: 8 },
      `header length ${headerLength} exceeds the ${NPY_MAX_HEADER}-byte cap for .npy headers (numpy writes them under 10 kB; a fixed cap, not a setting)`,
    );
  }
  const headerBytes = await readRange(source, preamble, headerLength, 'the .npy header');
  const text = decodeHeaderText(name, headerBytes, major);
  const fields = parseHeaderDict(name, text, preamble);

  const dataOffset = preamble + headerLength;
  const count = checkedElementCount(fields.shape);
  if (!count.ok) throw new TensorFileError(name, { offset: preamble }, count.reason);
  const dataLength = count.count * fields.type.itemsize;
  const present = source.size - dataOffset;
  if (present !== dataLength) {
    const rule =
      present < dataLength
        ? `data has ${present} bytes but shape ${formatShape(fields.shape)} of ${fields.type.label} needs ${dataLength} (truncated?)`
        : `data has ${present} bytes but shape ${formatShape(fields.shape)} of ${fields.type.label} needs only ${dataLength} (${present - dataLength} trailing bytes)`;
    throw new TensorFileError(name, { offset: dataOffset }, rule);
  }
  return {
    version: `${major}.${minor}`,
    type: fields.type,
    fortranOrder: fields.fortranOrder,
    shape: fields.shape,
    dataOffset,
    dataLength,
  };
}

function decodeHeaderText(name: string, bytes: Uint8Array, major: number): string {
  if (major >= 3) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new TensorFileError(name, { offset: 12 }, 'v3 header is not valid UTF-8');
    }
  }
  // v1/v2 headers are latin-1: every byte is one character, so character positions are byte offsets.
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

interface HeaderFields {
  type: ElementType;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeaderDict(name: string, text: string, headerOffset: number): HeaderFields {
  let value: PyValue;
  try {
    value = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof PyLiteralError)
      throw new TensorFileError(
        name,
        { offset: headerOffset + e.position },
        `header is not a Python literal dict: ${e.rule}`,
      );
    throw e;
  }
  if (value === null || typeof value !== 'object' || value.kind !== 'dict') {
    throw new TensorFileError(name, { offset: headerOffset }, 'header is not a dict');
  }
  const fields = new Map<string, PyValue>();
  for (const [k, v] of value.entries) {
    if (typeof k !== 'string')
      throw new TensorFileError(name, { offset: headerOffset }, 'header dict has a non-string key');
    fields.set(k, v);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!fields.has(key)) throw new TensorFileError(name, { offset: headerOffset }, `header has no '${key}' key`);
  }
  const extra = [...fields.keys()].filter((k) => k !== 'descr' && k !== 'fortran_order' && k !== 'shape');
  if (extra.length > 0)
    throw new TensorFileError(
      name,
      { offset: headerOffset },
      `header has unexpected key ${JSON.stringify(extra[0].slice(0, 40))}`,
    );

  const descr = fields.get('descr');
  if (typeof descr !== 'string') {
    const what =
      descr !== null && typeof descr === 'object' && descr.kind === 'list'
        ? 'a structured dtype (a list of fields), which is not supported'
        : 'not a string';
    throw new TensorFileError(name, { offset: headerOffset }, `'descr' is ${what}`);
  }
  const parsed = parseNpyDescr(descr);
  if (!parsed.ok) throw new TensorFileError(name, { offset: headerOffset }, parsed.reason);

  const fortranOrder = fields.get('fortran_order');
  if (typeof fortranOrder !== 'boolean')
    throw new TensorFileError(name, { offset: headerOffset }, "'fortran_order' is not True or False");

  const shape = fields.get('shape');
  if (shape === null || typeof shape !== 'object' || shape.kind !== 'tuple') {
    throw new TensorFileError(name, { offset: headerOffset }, "'shape' is not a tuple of integers");
  }
  const dims: number[] = [];
  for (const d of shape.items) {
    if (typeof d === 'number' && Number.isInteger(d) && d > Number.MAX_SAFE_INTEGER) {
      // A whole number, only too large to hold exactly: the rule it breaks is the element cap.
      throw new TensorFileError(
        name,
        { offset: headerOffset },
        `'shape' has ${BigInt(d)} elements along axis ${dims.length}, over the ${MAX_TENSOR_ELEMENTS}-element limit of one tensor (a fixed cap)`,
      );
    }
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new TensorFileError(
        name,
        { offset: headerOffset },
        `'shape' has ${JSON.stringify(d)?.slice(0, 30)}, not a non-negative integer`,
      );
    }
    dims.push(d);
  }
  if (dims.length > 32)
    throw new TensorFileError(
      name,
      { offset: headerOffset },
      `'shape' has ${dims.length} dimensions (numpy allows 32)`,
    );
  return { type: parsed.type, fortranOrder, shape: dims };
}
