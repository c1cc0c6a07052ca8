// Types for hostileFiles.mjs (the writers the stress script and the hardening tests share).
type Numbers = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A .npy file: the header numpy would write (or `rawShape` verbatim), then the data's bytes. */
export function npy(descr: string, shape: readonly number[], data: Numbers, options?: { rawShape?: string }): Buffer;

/** A .safetensors file of [name, dtype, shape, data] entries; `headerText` replaces the JSON header. */
export function safetensors(
  entries: readonly (readonly [string, string, readonly number[], Numbers])[],
  metadata?: Record<string, unknown> | null,
  options?: { headerText?: string },
): Buffer;

export interface ZipMember {
  name: string;
  bytes: Buffer | null;
  deflate?: boolean;
  /** Already-deflated data (then `size` and `crc` say what it inflates to). */
  compressed?: Buffer;
  size?: number;
  crc?: number;
}

/** A zip archive; `repeatFirst` adds that many more directory entries pointing at the first member. */
export function zip(members: readonly ZipMember[], options?: { repeatFirst?: number }): Buffer;

/** A raw deflate stream of `prefix` then zeros, `zeros` bytes in all after the prefix, built without holding them. */
export function deflatedZeros(prefix: Buffer, zeros: number): Buffer;
