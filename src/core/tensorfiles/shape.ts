// Shape arithmetic with the limits checked before anything is allocated: a header may claim any
// shape, and only after the claimed size has been compared with the bytes really present may a
// reader trust it.

/** Largest element count any tensor may claim (2^36 ≈ 6.9e10, 256 GiB of float32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 36;

/** Largest slice converted to float32 at once (2^26 values, 256 MiB: an 8192 × 8192 map). */
export const MAX_SLICE_ELEMENTS = 2 ** 26;

/** Most tensors (or archive members) one file may list: time and memory grow with the count. */
export const MAX_TENSORS = 65536;

/**
 * Largest ratio of a deflated member's declared size to its compressed size, for members over
 * INFLATION_CHECKED_BYTES: dense tensors compress a few times at most, and deflate's own maximum is
 * about 1032, which only a near-constant bomb reaches (8 MB inflating to 8 GiB).
 */
export const MAX_INFLATION_RATIO = 200;
export const INFLATION_CHECKED_BYTES = 64 * 1024 * 1024;

/** Largest string array read for tokens (a million 4-character tokens is 16 MiB). */
export const MAX_STRING_BYTES = 64 * 1024 * 1024;

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The product of the dimensions, or an error string when a dimension is not a non-negative safe
 * integer or the product passes MAX_TENSOR_ELEMENTS. Stops multiplying as soon as the limit is
 * passed, so the arithmetic itself can never overflow.
 */
export function checkedElementCount(
  shape: readonly unknown[],
): { ok: true; count: number } | { ok: false; reason: string } {
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      return {
        ok: false,
        reason: `shape dimension ${i} is ${JSON.stringify(d)?.slice(0, 30)}, not a non-negative integer`,
      };
    }
  }
  const dims = shape as number[];
  if (dims.includes(0)) return { ok: true, count: 0 };
  for (const d of dims) {
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      const claimed = dims.reduce((a, b) => a * BigInt(b), 1n);
      return {
        ok: false,
        reason: `shape ${formatShape(dims)} claims ${claimed} elements, over the ${MAX_TENSOR_ELEMENTS}-element limit`,
      };
    }
  }
  return { ok: true, count };
}

/** Row-major (C order) strides in elements. */
export function cStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Column-major (Fortran order) strides in elements. */
export function fStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = 0; i < shape.length; i++) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
