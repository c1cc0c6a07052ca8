// Turns stored element bytes into float32 values, one slice at a time. Bytes that are aligned and in
// the machine's byte order are read where they are (float32 handed over by its reader is kept as
// is: no copy); others are copied into an aligned buffer and byte-swapped first. Each dtype is then
// one tight loop over the native typed array.
import { type ElementType, type NumericDType } from './dtype';
import { acquireRuntime, releaseRuntime } from '../kernels/runtime';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * float16 bits → float32 bits, exactly as numpy's `astype(np.float32)` (npy_halfbits_to_floatbits):
 * normals by moving the exponent and fraction into place and re-biasing the exponent (+112 << 23);
 * ±inf and NaN (payload kept, as numpy keeps it) by re-biasing again to exponent 255; subnormals by
 * one exact float subtraction (the fraction as a float32 with exponent 2^-14, minus 2^-14). Integer
 * work on the bits, never a float that could canonicalise a NaN. The scalar reference of the
 * WebAssembly converter (assembly/convert.ts), and the converter where the kernels are not loaded.
 */
export function float16ToFloat32Bits(h: number): number {
  const magnitude = (h & 0x7fff) << 13;
  const exponent = magnitude & 0x0f800000;
  let bits = magnitude + 0x38000000;
  if (exponent === 0x0f800000) bits += 0x38000000;
  else if (exponent === 0) {
    SCRATCH_BITS[0] = bits + 0x00800000;
    SCRATCH_FLOAT[0] -= 2 ** -14;
    bits = SCRATCH_BITS[0];
  }
  return (bits | ((h & 0x8000) << 16)) >>> 0;
}

const SCRATCH_FLOAT = new Float32Array(1);
const SCRATCH_BITS = new Uint32Array(SCRATCH_FLOAT.buffer);

/** float16 bit patterns → float32 bit patterns, `count` of them (the hot loop of float16 slices). */
export function convertFloat16(bits: Uint16Array, out: Uint32Array): void {
  const count = out.length;
  for (let i = 0; i < count; i++) {
    const h = bits[i];
    const magnitude = (h & 0x7fff) << 13;
    const exponent = magnitude & 0x0f800000;
    // Normal numbers (the common case) take the first branch only.
    if (exponent !== 0 && exponent !== 0x0f800000) out[i] = (magnitude + 0x38000000) | ((h & 0x8000) << 16);
    else out[i] = float16ToFloat32Bits(h);
  }
}

/** Below this many values a call into the kernels costs more than the JavaScript loop. */
const WASM_MIN_VALUES = 1 << 14;
/** Values per kernel call: 384 KB of linear memory (small enough to stay in cache) whatever the slice. */
const WASM_CHUNK_VALUES = 1 << 16;

interface ConvertExports {
  float16ToFloat32?(src: number, count: number, dst: number): void;
}

/**
 * float16 → float32 with the WebAssembly SIMD converter (assembly/convert.ts, eight values a step)
 * a chunk at a time, else the JavaScript loop. Measured on 1M values (a 1024² head), on a shared
 * machine: the kernel ~0.8 ns a value, ~2–3 ns with the copies into and out of its memory, against
 * ~3.5–4 ns for the JavaScript loop here and for the 65536-entry lookup table it replaced.
 */
function convertFloat16Fast(bits: Uint16Array, out: Uint32Array): void {
  const rt = HOST_LITTLE_ENDIAN && bits.length >= WASM_MIN_VALUES ? acquireRuntime() : null;
  const convert = rt ? (rt.exports as unknown as ConvertExports).float16ToFloat32 : undefined;
  if (!rt || !convert) {
    if (rt) releaseRuntime(rt);
    convertFloat16(bits, out);
    return;
  }
  try {
    const chunk = Math.min(bits.length, WASM_CHUNK_VALUES);
    const src = rt.arena.reserve(chunk * 2);
    const dst = rt.arena.reserve(chunk * 4);
    rt.arena.commit(rt.memory);
    const heap = rt.memory.buffer;
    const input = new Uint16Array(heap, src, chunk);
    const output = new Uint32Array(heap, dst, chunk);
    for (let at = 0; at < bits.length; at += chunk) {
      const count = Math.min(chunk, bits.length - at);
      input.set(bits.subarray(at, at + count));
      convert(src, count, dst);
      out.set(count === chunk ? output : output.subarray(0, count), at);
    }
  } catch (error) {
    // Linear memory that cannot grow: the JavaScript loop needs none.
    if (!(error instanceof RangeError)) throw error;
    convertFloat16(bits, out);
  } finally {
    releaseRuntime(rt);
  }
}

/** Reverses the bytes of each `itemsize`-byte element in place. */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

export interface DecodeOptions {
  /**
   * The caller hands `bytes` over (a fresh buffer from its reader that nobody else holds): float32
   * data is then returned as a view of them instead of a copy.
   */
  readonly owned?: boolean;
}

/**
 * Decodes `bytes` (a whole number of elements, in storage order) to float32. Booleans and integers
 * become their numeric values (masks: 0/1); 64-bit integers beyond 2^24 lose precision, as any
 * float32 would.
 */
export function decodeToFloat32(
  bytes: Uint8Array,
  type: ElementType & { dtype: NumericDType },
  options: DecodeOptions = {},
): Float32Array {
  const count = Math.floor(bytes.length / type.itemsize);
  const swap = type.itemsize > 1 && type.littleEndian !== HOST_LITTLE_ENDIAN;
  let buffer: ArrayBufferLike, at: number;
  if (!swap && bytes.byteOffset % type.itemsize === 0) {
    // Read in place: aligned and in the machine's byte order, nothing to copy (only float32 is then
    // returned as a view, and only of bytes the caller handed over).
    buffer = bytes.buffer;
    at = bytes.byteOffset;
    if (type.dtype === 'f32')
      return options.owned ? new Float32Array(buffer, at, count) : new Float32Array(buffer.slice(at, at + count * 4));
  } else {
    // An aligned copy: the source may be an unaligned view, and swapping must not touch it.
    buffer = new ArrayBuffer(count * type.itemsize);
    at = 0;
    const copy = new Uint8Array(buffer);
    copy.set(bytes.subarray(0, copy.length));
    if (swap) swapBytes(copy, type.itemsize);
  }
  const copy = new Uint8Array(buffer, at, count * type.itemsize);
  switch (type.dtype) {
    case 'f32':
      return new Float32Array(buffer, at, count);
    case 'f64':
      return Float32Array.from(new Float64Array(buffer, at, count));
    case 'f16': {
      const out = new Float32Array(count);
      convertFloat16Fast(new Uint16Array(buffer, at, count), new Uint32Array(out.buffer));
      return out;
    }
    case 'bf16': {
      // bfloat16 is the top half of a float32: shifting the bits up is an exact conversion.
      const bits = new Uint16Array(buffer, at, count);
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) outBits[i] = bits[i] << 16;
      return out;
    }
    case 'bool': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = copy[i] === 0 ? 0 : 1;
      return out;
    }
    case 'u8':
      return Float32Array.from(copy);
    case 'i8':
      return Float32Array.from(new Int8Array(buffer, at, count));
    case 'i16':
      return Float32Array.from(new Int16Array(buffer, at, count));
    case 'u16':
      return Float32Array.from(new Uint16Array(buffer, at, count));
    case 'i32':
      return Float32Array.from(new Int32Array(buffer, at, count));
    case 'u32':
      return Float32Array.from(new Uint32Array(buffer, at, count));
    case 'i64': {
      const src = new BigInt64Array(buffer, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(src[i]);
      return out;
    }
    case 'u64': {
      const src = new BigUint64Array(buffer, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(src[i]);
      return out;
    }
  }
}

/** Decodes numpy fixed-width unicode (UTF-32, NUL-padded) into strings. */
export function decodeUnicode(bytes: Uint8Array, itemsize: number, littleEndian: boolean): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let start = 0; start + itemsize <= bytes.length; start += itemsize) {
    let s = '';
    for (let p = start; p < start + itemsize; p += 4) {
      const cp = view.getUint32(p, littleEndian);
      s += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
    }
    out.push(s.replace(/\0+$/, '')); // numpy pads with NULs and strips only the trailing ones
  }
  return out;
}

/**
 * A reader for one element at a byte position, for gathers that pick scattered elements out of a
 * larger buffer (Fortran-ordered slices) instead of converting a contiguous run.
 */
export function elementReader(type: ElementType & { dtype: NumericDType }): (dv: DataView, at: number) => number {
  const le = type.littleEndian;
  switch (type.dtype) {
    case 'f32':
      return (dv, at) => dv.getFloat32(at, le);
    case 'f64':
      return (dv, at) => dv.getFloat64(at, le);
    case 'f16': {
      const scratch = new Float32Array(1);
      const bits = new Uint32Array(scratch.buffer);
      return (dv, at) => {
        bits[0] = float16ToFloat32Bits(dv.getUint16(at, le));
        return scratch[0];
      };
    }
    case 'bf16': {
      const scratch = new Float32Array(1);
      const bits = new Uint32Array(scratch.buffer);
      return (dv, at) => {
        bits[0] = dv.getUint16(at, le) << 16;
        return scratch[0];
      };
    }
    case 'bool':
      return (dv, at) => (dv.getUint8(at) === 0 ? 0 : 1);
    case 'u8':
      return (dv, at) => dv.getUint8(at);
    case 'i8':
      return (dv, at) => dv.getInt8(at);
    case 'i16':
      return (dv, at) => dv.getInt16(at, le);
    case 'u16':
      return (dv, at) => dv.getUint16(at, le);
    case 'i32':
      return (dv, at) => dv.getInt32(at, le);
    case 'u32':
      return (dv, at) => dv.getUint32(at, le);
    case 'i64':
      return (dv, at) => Number(dv.getBigInt64(at, le));
    case 'u64':
      return (dv, at) => Number(dv.getBigUint64(at, le));
  }
}
