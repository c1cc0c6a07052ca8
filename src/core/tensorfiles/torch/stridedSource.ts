// A strided PyTorch view (a transpose, a slice with a step, an expanded tensor) seen as the bytes of
// its C-ordered copy, so the readers treat it like any other tensor: a read of C-order elements
// [e0, e1) reads the one storage span those elements come from and gathers them. Each read is of
// one head or a block of rows, so the span stays near the head's size unless the view scatters a
// head over the whole storage; past MAX_SPAN_BYTES it is refused with the fix (.contiguous()).
import { type ByteSource, checkRange } from '../byteSource';
import { TensorFileError } from '../errors';
import { cStrides } from '../shape';

/** Most storage bytes one gather may read (256 MiB). */
export const MAX_SPAN_BYTES = 256 * 1024 * 1024;

export class StridedByteSource implements ByteSource {
  readonly size: number;
  private readonly contiguous: number[];

  constructor(
    readonly name: string,
    /** The storage's bytes. */
    private readonly storage: ByteSource,
    private readonly itemsize: number,
    private readonly shape: readonly number[],
    private readonly strides: readonly number[],
    /** Storage offset in elements. */
    private readonly offset: number,
    private readonly tensor: string,
  ) {
    this.contiguous = cStrides(shape);
    this.size = shape.reduce((a, b) => a * b, 1) * itemsize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    const size = this.itemsize;
    if (offset % size !== 0 || length % size !== 0) {
      throw new TensorFileError(
        this.name,
        { tensor: this.tensor },
        `read of ${length} bytes at ${offset} is not whole ${size}-byte elements`,
      );
    }
    const first = offset / size;
    const count = length / size;
    if (count === 0) return new Uint8Array(0);
    // Storage element of C-order element `first`, and the multi-index walk from there.
    const idx = this.shape.map((_, a) => Math.floor(first / this.contiguous[a]) % this.shape[a]);
    const positions = new Float64Array(count);
    let at = this.offset + idx.reduce((acc, x, a) => acc + x * this.strides[a], 0);
    let lo = Infinity;
    let hi = -Infinity;
    for (let n = 0; n < count; n++) {
      positions[n] = at;
      if (at < lo) lo = at;
      if (at > hi) hi = at;
      for (let a = idx.length - 1; a >= 0; a--) {
        idx[a]++;
        at += this.strides[a];
        if (idx[a] < this.shape[a]) break;
        at -= this.shape[a] * this.strides[a];
        idx[a] = 0;
      }
    }
    const span = (hi - lo + 1) * size;
    if (span > MAX_SPAN_BYTES) {
      throw new TensorFileError(
        this.name,
        { tensor: this.tensor },
        `this strided view spreads ${count} values over ${span} bytes of its storage (over ${MAX_SPAN_BYTES} read at once): save it with .contiguous()`,
      );
    }
    const bytes = await this.storage.read(lo * size, span);
    const out = new Uint8Array(length);
    for (let n = 0; n < count; n++) {
      const from = (positions[n] - lo) * size;
      out.set(bytes.subarray(from, from + size), n * size);
    }
    return out;
  }
}
