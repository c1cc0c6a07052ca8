// A deflated zip member seen as a ByteSource of its uncompressed bytes, without ever holding the
// whole member: compressed bytes are read in small chunks and fed to fflate's streaming inflater,
// output before the wanted range is dropped, and inflation stops once the range is complete.
// Reads that move forward (a header, then heads in file order) continue the same stream; a read
// behind the current position restarts from the member's first byte. Memory stays at about one
// requested range plus one chunk's output; a random read costs inflating everything before it.
// Each read starts with a small push and doubles it: deflate expands at most ~1032:1, so reading a
// .npy header (the first ~128 bytes) inflates at most FIRST_CHUNK × 1032 bytes, never the member.
import { Inflate } from 'fflate';
import { type ByteSource, checkRange } from './byteSource';
import { TensorFileError } from './errors';

/** Compressed bytes per push, at most: small, because highly compressible data (zeros) can expand ~1000×. */
const CHUNK = 16 * 1024;
/** The first push of each read: 256 compressed bytes inflate to at most ~264 KB. */
const FIRST_CHUNK = 256;

/**
 * Refuses a read that would inflate past `freeBytes` of output, by throwing the error it returns
 * (a zip bomb's data is refused when it is needed, so its header can still be listed).
 */
export interface InflationGuard {
  readonly freeBytes: number;
  refuse(): Error;
}

export class InflatingByteSource implements ByteSource {
  private inflater!: Inflate;
  /** Compressed bytes consumed so far. */
  private consumed = 0;
  /** Uncompressed bytes emitted so far. */
  private produced = 0;
  /** Kept output [keptStart, produced), in pieces. */
  private kept: Uint8Array[] = [];
  private keptStart = 0;
  /** Output before this offset is not needed by the current read. */
  private wantFrom = 0;
  /** The last compressed byte has been pushed. */
  private inputDone = false;
  /** A read failed part-way; the next read starts the stream again. */
  private broken = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly archive: ByteSource,
    private readonly dataStart: number,
    private readonly compressedSize: number,
    /** The uncompressed size the zip directory declares; reads are checked against it. */
    readonly size: number,
    /** Set when the member's declared inflation is suspect: reads past its freeBytes are refused. */
    private readonly guard?: InflationGuard,
  ) {
    this.restart();
  }

  private restart(): void {
    this.inflater = new Inflate((chunk) => this.accept(chunk));
    this.consumed = 0;
    this.produced = 0;
    this.kept = [];
    this.keptStart = 0;
    this.inputDone = false;
    this.broken = false;
  }

  private accept(chunk: Uint8Array): void {
    const start = this.produced;
    this.produced += chunk.length;
    if (this.produced <= this.wantFrom) {
      // Entirely before the wanted range: drop it (and anything kept before it).
      this.kept = [];
      this.keptStart = this.produced;
      return;
    }
    if (this.kept.length === 0) this.keptStart = start;
    this.kept.push(chunk);
  }

  /** Reads run one at a time: they share one inflater whose position each of them moves. */
  read(offset: number, length: number): Promise<Uint8Array> {
    const result = this.queue.then(() => this.readNow(offset, length));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    if (this.guard && offset + length > this.guard.freeBytes) throw this.guard.refuse();
    if (this.broken || offset < this.keptStart) this.restart();
    this.wantFrom = offset;
    this.dropBefore(offset);
    const end = offset + length;
    let push = FIRST_CHUNK;
    while (this.produced < end) {
      if (this.inputDone) {
        this.broken = true;
        throw new TensorFileError(
          this.name,
          { offset: this.produced },
          `deflated data ends after ${this.produced} bytes but the zip directory declares ${this.size}`,
        );
      }
      const take = Math.min(push, this.compressedSize - this.consumed);
      push = Math.min(CHUNK, push * 2);
      const chunk = take > 0 ? await this.archive.read(this.dataStart + this.consumed, take) : new Uint8Array(0);
      this.consumed += take;
      const last = this.consumed >= this.compressedSize;
      try {
        // fflate may keep a reference to the pushed chunk, so give it its own copy.
        this.inflater.push(chunk.slice(), last);
      } catch (e) {
        this.broken = true;
        throw new TensorFileError(
          this.name,
          { offset: this.produced },
          `corrupt deflate stream (${e instanceof Error ? e.message : String(e)})`,
        );
      }
      if (last) this.inputDone = true;
    }
    this.dropBefore(offset);
    const joined = concat(this.kept, this.produced - this.keptStart);
    this.kept = [joined];
    return joined.slice(offset - this.keptStart, end - this.keptStart);
  }

  private dropBefore(offset: number): void {
    while (this.kept.length > 0 && this.keptStart + this.kept[0].length <= offset) {
      this.keptStart += this.kept[0].length;
      this.kept.shift();
    }
    if (this.kept.length === 0 && this.keptStart < this.produced) this.keptStart = this.produced;
  }
}

function concat(pieces: Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(total);
  let p = 0;
  for (const piece of pieces) {
    out.set(piece, p);
    p += piece.length;
  }
  return out;
}
