// Turns stored element bytes into float32 values, one slice at a time. The bytes are copied into an
// aligned buffer, byte-swapped when the file's byte order differs from the machine's, and then read
// through the native typed array, so each dtype is one tight loop.
import { type ElementType, type NumericDType } from './dtype';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | undefined;

/** Every float16 bit pattern's value (256 KB, built on first use): decoding becomes one lookup. */
function float16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = float16BitsToNumber(h);
  }
  return halfTable;
}

/** IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
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

/**
 * Decodes `bytes` (a whole number of elements, in storage order) to float32. Booleans and integers
 * become their numeric values (masks: 0/1); 64-bit integers beyond 2^24 lose precision, as any
 * float32 would.
 */
export function decodeToFloat32(bytes: Uint8Array, type: ElementType & { dtype: NumericDType }): Float32Array {
  const count = Math.floor(bytes.length / type.itemsize);
  // A fresh, aligned copy: the source may be an unaligned view, and swapping must not touch it.
  const buffer = new ArrayBuffer(count * type.itemsize);
  const copy = new Uint8Array(buffer);
  copy.set(bytes.subarray(0, copy.length));
  if (type.itemsize > 1 && type.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, type.itemsize);
  switch (type.dtype) {
    case 'f32':
      return new Float32Array(buffer);
    case 'f64':
      return Float32Array.from(new Float64Array(buffer));
    case 'f16': {
      const table = float16Table();
      const bits = new Uint16Array(buffer);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[bits[i]];
      return out;
    }
    case 'bf16': {
      // bfloat16 is the top half of a float32: shifting the bits up is an exact conversion.
      const bits = new Uint16Array(buffer);
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
      return Float32Array.from(new Int8Array(buffer));
    case 'i16':
      return Float32Array.from(new Int16Array(buffer));
    case 'u16':
      return Float32Array.from(new Uint16Array(buffer));
    case 'i32':
      return Float32Array.from(new Int32Array(buffer));
    case 'u32':
      return Float32Array.from(new Uint32Array(buffer));
    case 'i64': {
      const src = new BigInt64Array(buffer);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(src[i]);
      return out;
    }
    case 'u64': {
      const src = new BigUint64Array(buffer);
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
      const table = float16Table();
      return (dv, at) => table[dv.getUint16(at, le)];
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
