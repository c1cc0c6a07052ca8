// float16 → float32 for half-precision tensor files, eight values per step. The same bit arithmetic
// as numpy's npy_halfbits_to_floatbits (and src/core/tensorfiles/decode.ts float16ToFloat32Bits):
// integer work on the bits, so NaN payloads survive, and one exact float subtraction for subnormals.

/** 2^-14: the float16 subnormal unit times 1024, subtracted to normalise a subnormal exactly. */
const SUBNORMAL_MAGIC: f32 = 6.103515625e-5;

// @ts-ignore: decorator
@inline function halvesToFloats(h: v128): v128 {
  const magnitude = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  const exponent = v128.and(magnitude, i32x4.splat(0x0f800000));
  // Re-bias the exponent by 127 − 15; ±inf and NaN (exponent 31) once more, to 255.
  let bits = i32x4.add(magnitude, i32x4.splat(0x38000000));
  bits = i32x4.add(bits, v128.and(i32x4.eq(exponent, i32x4.splat(0x0f800000)), i32x4.splat(0x38000000)));
  // Zero and subnormals (exponent 0): 2^-14·(1 + f/1024) − 2^-14 = f·2^-24, exact in float32.
  const normalised = f32x4.sub(i32x4.add(bits, i32x4.splat(0x00800000)), f32x4.splat(SUBNORMAL_MAGIC));
  bits = v128.bitselect(normalised, bits, i32x4.eq(exponent, i32x4.splat(0)));
  return v128.or(bits, i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** dst[i] = float32(src[i]) for `count` little-endian float16 values (src 2-byte, dst 4-byte elements). */
export function float16ToFloat32(src: usize, count: i32, dst: usize): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    v128.store(dst + (<usize>i << 2), halvesToFloats(i32x4.extend_low_i16x8_u(h)));
    v128.store(dst + (<usize>i << 2) + 16, halvesToFloats(i32x4.extend_high_i16x8_u(h)));
  }
  for (; i < count; i++) {
    const lane = i32x4.extract_lane(halvesToFloats(i32x4.splat(<i32>load<u16>(src + (<usize>i << 1)))), 0);
    store<i32>(dst + (<usize>i << 2), lane);
  }
}
