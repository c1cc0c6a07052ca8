// Bad tensor files: each is refused with one TensorFileError whose message is one line naming the
// file, where (byte offset or tensor) and the rule broken. Files are built byte by byte here, or
// are the numpy-written fixtures with one field changed.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import {
  type ByteSource,
  MemoryByteSource,
  TensorFileError,
  detectAttention,
  openTensorFile,
  readSlice,
  readStrings,
} from '../../src/core/tensorfiles';

const DIR = join(__dirname, '..', 'fixtures', 'tensorfiles');
const text = new TextEncoder();

function fixture(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DIR, file)));
}

/** A .npy file: magic, version, header length, the header padded to 64 with a newline, then data. */
function npy(header: string, data: Uint8Array | number, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const padding = (64 - ((pre + header.length + 1) % 64)) % 64;
  const h = text.encode(header + ' '.repeat(padding) + '\n');
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(pre + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(body, pre + h.length);
  return out;
}

function header(descr: string, shape: string, fortran = 'False'): string {
  return `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
}

/** A safetensors file from a header (object or raw text) and `data` bytes. */
function safetensors(h: object | string, data: number, declaredLength?: bigint): Uint8Array {
  const json = text.encode(typeof h === 'string' ? h : JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + data);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** Opens `bytes` as `name` and, when `probe` is given, runs it on the file; returns the error. */
async function failure(
  name: string,
  bytes: Uint8Array,
  probe?: (f: Awaited<ReturnType<typeof openTensorFile>>) => Promise<unknown> | unknown,
): Promise<TensorFileError> {
  try {
    const f = await openTensorFile(new MemoryByteSource(name, bytes));
    if (!probe) assert.fail(`${name} opened without error`);
    await probe(f);
  } catch (e) {
    if (!(e instanceof TensorFileError)) throw e;
    assert.ok(!/[\r\n]/.test(e.message), `one line: ${e.message}`);
    assert.ok(e.message.startsWith(`${name}: `) || e.message.startsWith(`${name}[`), e.message);
    return e;
  }
  return assert.fail(`${name}: no error`);
}

type Case = [
  title: string,
  name: string,
  bytes: () => Uint8Array,
  message: RegExp,
  probe?: Parameters<typeof failure>[2],
];

const f4 = (n: number): number => n * 4;

const cases: Case[] = [
  // .npy
  [
    'wrong magic',
    'a.npy',
    () => {
      const b = npy(header('<f4', '(2,)'), 8);
      b[5] = 0x5a;
      return b;
    },
    /^a\.npy: byte 0: not a \.npy file: it does not start with \\x93NUMPY$/,
  ],
  ['too short', 'a.npy', () => new Uint8Array([0x93, 0x4e, 0x55]), /byte 0: 3 bytes is too short for a \.npy file/],
  ['version 4', 'a.npy', () => npy(header('<f4', '(2,)'), 8, 4), /byte 6: unsupported \.npy format version 4\.0/],
  [
    'oversize header',
    'a.npy',
    () => {
      const b = npy(header('<f4', '(2,)'), 8, 2);
      new DataView(b.buffer).setUint32(8, 70000, true);
      return b;
    },
    /byte 8: header length 70000 exceeds the 65536-byte cap/,
  ],
  [
    'header past the end',
    'a.npy',
    () => npy(header('<f4', '(2,)'), 8).subarray(0, 40),
    /byte 10: the \.npy header needs \d+ bytes but the file ends at byte 40 \(truncated\?\)/,
  ],
  [
    'unclosed dict',
    'a.npy',
    () => npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", 8),
    /header is not a Python literal dict: expected "}"|unexpected end/,
  ],
  [
    'code instead of a literal',
    'a.npy',
    () => npy("{'descr': __import__('os').system('ls'), 'fortran_order': False, 'shape': (2,)}", 8),
    /byte 20: header is not a Python literal dict: unexpected "_"/,
  ],
  ['missing shape', 'a.npy', () => npy("{'descr': '<f4', 'fortran_order': False}", 8), /header has no 'shape' key/],
  [
    'extra key',
    'a.npy',
    () => npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
    /header has unexpected key "x"/,
  ],
  ['object dtype', 'a.npy', () => fixture('object.npy'), /object arrays \(descr "\|O"\) store a pickle/],
  ['complex dtype', 'a.npy', () => npy(header('<c8', '(2,)'), 16), /dtype kind 'c' \(complex\) is not supported/],
  ['bytes dtype', 'a.npy', () => npy(header('|S3', '(2,)'), 6), /'S' \(byte string\) is not supported/],
  [
    'void (ml_dtypes bfloat16) dtype',
    'a.npy',
    () => npy(header('<V2', '(2,)'), 4),
    /raw-bytes dtype "<V2".*astype\(np\.float32\)/,
  ],
  ['long double', 'a.npy', () => npy(header('<f16', '(2,)'), 32), /dtype "<f16" is not supported/],
  [
    'structured dtype',
    'a.npy',
    () => npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8),
    /'descr' is a structured dtype/,
  ],
  [
    'fortran_order not a bool',
    'a.npy',
    () => npy(header('<f4', '(2,)', '1'), 8),
    /'fortran_order' is not True or False/,
  ],
  ['shape as a list', 'a.npy', () => npy(header('<f4', '[2]'), 8), /'shape' is not a tuple/],
  ['negative dimension', 'a.npy', () => npy(header('<f4', '(-2,)'), 8), /'shape' has -2, not a non-negative integer/],
  ['float dimension', 'a.npy', () => npy(header('<f4', '(2.5,)'), 8), /only decimal integers/],
  [
    'data too short',
    'a.npy',
    () => npy(header('<f4', '(2, 3)'), f4(5)),
    /data has 20 bytes but shape \[2, 3\] of <f4 needs 24 \(truncated\?\)/,
  ],
  ['data too long', 'a.npy', () => npy(header('<f4', '(2, 3)'), f4(7)), /needs only 24 \(4 trailing bytes\)/],
  [
    '10^12 elements',
    'a.npy',
    () => npy(header('<f4', '(1000000, 1000000)'), 64),
    /shape \[1000000, 1000000\] claims 1000000000000 elements, over the 68719476736-element limit/,
  ],
  [
    '2^53-overflowing shape',
    'a.npy',
    () => npy(header('<f4', '(99999999999999999999,)'), 8),
    /over the 68719476736-element limit of one tensor/,
  ],
  // .safetensors
  [
    'header length over the cap',
    'model.safetensors',
    () => safetensors({}, 0, 9999999999n),
    /^model\.safetensors: byte 8: 9999999999 header bytes exceed the limit of 100000000 bytes \(setting attentionInspector\.limits\.maxHeaderBytes\)$/,
  ],
  [
    'header past the end',
    'm.safetensors',
    () => safetensors({}, 0, 5000n),
    /byte 8: header length 5000 runs past the end of the 10-byte file/,
  ],
  [
    'shorter than 8 bytes',
    'm.safetensors',
    () => new Uint8Array(5),
    /byte 0: 5 bytes is too short for a safetensors file/,
  ],
  ['header not an object', 'm.safetensors', () => safetensors('[1, 2]', 0), /byte 8: header does not start with '\{'/],
  ['header not JSON', 'm.safetensors', () => safetensors('{"a": ', 0), /byte 8: header is not valid JSON/],
  [
    'header not UTF-8',
    'm.safetensors',
    () => {
      const b = safetensors('{"a":1}  ', 0);
      b[14] = 0xff;
      return b;
    },
    /byte 8: header is not valid UTF-8/,
  ],
  [
    'metadata value not a string',
    'm.safetensors',
    () => safetensors({ __metadata__: { tokens: ['a'] } }, 0),
    /__metadata__\.tokens is not a string/,
  ],
  [
    'unsupported dtype',
    'm.safetensors',
    () => safetensors({ t: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2),
    /tensor "t": dtype "F8_E4M3" is not supported/,
  ],
  [
    'unknown dtype',
    'm.safetensors',
    () => safetensors({ t: { dtype: 'toString', shape: [2], data_offsets: [0, 2] } }, 2),
    /tensor "t": unknown dtype "toString"/,
  ],
  ['entry not an object', 'm.safetensors', () => safetensors({ t: 3 }, 0), /tensor "t": entry is not an object/],
  [
    'negative dimension',
    'm.safetensors',
    () => safetensors({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, 0),
    /shape dimension 0 is -1/,
  ],
  [
    'offsets not a pair',
    'm.safetensors',
    () => safetensors({ t: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4),
    /'data_offsets' is not a \[begin, end\] pair/,
  ],
  [
    'end before begin',
    'm.safetensors',
    () => safetensors({ t: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4),
    /are not integers with 0 ≤ begin ≤ end/,
  ],
  [
    'bytes ≠ shape × itemsize',
    'm.safetensors',
    () => safetensors({ t: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20),
    /tensor "t": data_offsets \[0, 20\] hold 20 bytes but shape \[2, 3\] of F32 needs 24/,
  ],
  [
    'gap between tensors',
    'm.safetensors',
    () =>
      safetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
        },
        20,
      ),
    /tensor "b": data_offsets begin 12 leaves a 4-byte gap after "a", which ends at 8/,
  ],
  [
    'overlapping tensors',
    'm.safetensors',
    () =>
      safetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        12,
      ),
    /tensor "b": data_offsets begin 4 overlaps "a", which ends at 8/,
  ],
  [
    'first tensor not at 0',
    'm.safetensors',
    () => safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
    /tensor "a": data_offsets begin 4 leaves a gap: the first tensor must start at 0/,
  ],
  [
    'trailing bytes',
    'm.safetensors',
    () => safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 9),
    /file has \d+ bytes but 8 \+ header \d+ \+ data 8 = \d+ \(1 trailing bytes\)/,
  ],
  [
    'data truncated',
    'm.safetensors',
    () => safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 7),
    /\(truncated\?\)/,
  ],
  [
    '10^12 elements',
    'm.safetensors',
    () => safetensors({ a: { dtype: 'F32', shape: [1000000, 1000000], data_offsets: [0, 4e12] } }, 8),
    /claims 1000000000000 elements/,
  ],
  [
    'offsets beyond 2^53',
    'm.safetensors',
    () => safetensors('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 90071992547409930]}}', 8),
    /are not integers/,
  ],
  // .npz
  ['not a zip', 'a.npz', () => fixture('weights5d_f32.npy').subarray(20), /no zip end-of-central-directory record/],
  [
    'truncated zip',
    'a.npz',
    () => fixture('qkv.npz').subarray(0, 700),
    /no zip end-of-central-directory record|truncated/,
  ],
  [
    'member not a .npy array',
    'a.npz',
    () => fixture('not_npy.npz'),
    /tensor "notes\.txt": member "notes\.txt" is not a \.npy array/,
    (f) => readSlice(f, 'notes.txt'),
  ],
  [
    '--tensor on a non-array member',
    'a.npz',
    () => fixture('not_npy.npz'),
    /tensor "notes": member "notes\.txt" is not a \.npy array/,
    (f) => detectAttention(f, { tensor: 'notes' }),
  ],
  [
    'member named .npy that is not',
    'a.npz',
    () => zipSync({ 'x.npy': text.encode('hello, not numpy') }, { level: 0 }),
    /^a\.npz\[x\.npy\]: byte 0: not a \.npy file/,
  ],
  [
    'unsupported compression method',
    'a.npz',
    () =>
      patchZip(fixture('qkv.npz'), (dv, local, central) => {
        dv.setUint16(local + 8, 12, true);
        dv.setUint16(central + 10, 12, true);
      }),
    /member "[a-z]\.npy" uses compression method 12/,
  ],
  [
    'encrypted member',
    'a.npz',
    () =>
      patchZip(fixture('qkv.npz'), (dv, local, central) => {
        dv.setUint16(local + 6, 1, true);
        dv.setUint16(central + 8, 1, true);
      }),
    /member "[a-z]\.npy" is encrypted/,
  ],
  [
    'corrupt deflate stream',
    'a.npz',
    () => corruptDeflate(fixture('per_layer_compressed.npz')),
    /corrupt deflate stream|deflated data ends|not a \.npy file|header|data has/,
  ],
  [
    'deflated member shorter than its directory says',
    'a.npz',
    () => declareLarger(zipSync({ 'x.npy': npy(header('<f4', '(18,)'), 8) }, { level: 6 })),
    /^a\.npz\[x\.npy\]: byte 136: deflated data ends after 136 bytes but the zip directory declares 200$/,
    (f) => readSlice(f, 'x'),
  ],
  [
    'deflated member with trailing bytes',
    'a.npz',
    () => declareLarger(zipSync({ 'x.npy': npy(header('<f4', '(2,)'), 8) }, { level: 6 })),
    /a\.npz\[x\.npy\]: byte 128: data has 72 bytes but shape \[2\] of <f4 needs only 8 \(64 trailing bytes\)/,
  ],
  // any format
  [
    'unrecognised bytes',
    'a.bin',
    () => text.encode('hello world, no tensors here'),
    /^a\.bin: byte 0: unrecognised format/,
  ],
  [
    'a string array is not numbers',
    'a.npz',
    () => fixture('per_layer_compressed.npz'),
    /tensor "tokens": is a string array \(<U4\), not numbers/,
    (f) => readSlice(f, 'tokens'),
  ],
  [
    'numbers are not strings',
    'a.npy',
    () => fixture('v2_f32.npy'),
    /is <f4 of shape \[3, 3\], not a 1-D string array/,
    (f) => readStrings(f, 'a'),
  ],
  [
    'index out of range',
    'a.npy',
    () => fixture('weights5d_f32.npy'),
    /tensor "a": index 2 is out of range for axis 0 of size 2/,
    (f) => readSlice(f, 'a', [2]),
  ],
  [
    'too many indices',
    'a.npy',
    () => fixture('v2_f32.npy'),
    /3 indices for a 2-D tensor/,
    (f) => readSlice(f, 'a', [0, 0, 0]),
  ],
  [
    'unknown tensor',
    'a.npz',
    () => fixture('qkv.npz'),
    /tensor "w": not found; the file holds "q", "k", "v"|tensor "w": not found; candidates/,
    (f) => readSlice(f, 'w'),
  ],
];

/** Applies `edit` to the first local header and the first central directory entry. */
function patchZip(bytes: Uint8Array, edit: (dv: DataView, local: number, central: number) => void): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  let central = -1;
  for (let i = b.length - 22; i >= 0; i--) if (dv.getUint32(i, true) === 0x02014b50) central = i;
  edit(dv, 0, central);
  return b;
}

/** Flips bytes in the middle of the first member's compressed data. */
function corruptDeflate(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  const start = 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  for (let i = start + 2; i < start + 40; i++) b[i] ^= 0xa5;
  return b;
}

/** Declares a larger uncompressed size for the only member than the stream produces. */
function declareLarger(bytes: Uint8Array): Uint8Array {
  return patchZip(bytes, (dv, local, central) => {
    const size = dv.getUint32(central + 24, true) + 64;
    dv.setUint32(central + 24, size, true);
    dv.setUint32(local + 22, size, true);
  });
}

describe('tensor files: bad input is refused with one clear line', () => {
  for (const [title, name, bytes, message, probe] of cases) {
    it(`${name}: ${title}`, async () => {
      const e = await failure(name, bytes(), probe);
      assert.match(e.message, message);
    });
  }

  it('a read past the end of a source names the file, the offset and the file size', async () => {
    const source: ByteSource = new MemoryByteSource('x.bin', new Uint8Array(10));
    await assert.rejects(
      source.read(8, 4),
      (e: unknown) =>
        e instanceof TensorFileError &&
        e.message === 'x.bin: byte 8: data needs 4 bytes but the file ends at byte 10 (truncated?)',
    );
  });

  it('a slice too big to convert at once is refused before allocating', async () => {
    const bytes = 4 * 3 * 8192 * 8192;
    const head = text.encode(
      JSON.stringify({ big: { dtype: 'F32', shape: [3, 8192, 8192], data_offsets: [0, bytes] } }),
    );
    // A source that claims the data without holding it: nothing past the header may be read.
    const source: ByteSource = {
      name: 'big.safetensors',
      size: 8 + head.length + bytes,
      async read(offset, length) {
        if (offset + length > 8 + head.length) throw new Error('data read');
        const out = new Uint8Array(8 + head.length);
        new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
        out.set(head, 8);
        return out.subarray(offset, offset + length);
      },
    };
    const f = await openTensorFile(source);
    await assert.rejects(
      readSlice(f, 'big'),
      (e: unknown) =>
        e instanceof TensorFileError &&
        /a slice of shape \[3, 8192, 8192\] has 201326592 values, over the 67108864 read at once/.test(e.message),
    );
  });
});
