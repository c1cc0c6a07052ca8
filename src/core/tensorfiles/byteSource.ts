// Where tensor bytes come from. Readers never assume the whole file is in memory: they ask for the
// header, then for the few byte ranges a view needs, so a multi-gigabyte file costs only what is
// shown. The file-handle implementation lives in src/node (this folder is also bundled for the
// browser); the in-memory one serves the webview and the tests.
import { TensorFileError } from './errors';

export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Shown in error messages (a file name, or `file[member]` inside an archive). */
  readonly name: string;
  /** Exactly `length` bytes starting at `offset`; rejects with TensorFileError when the range runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Every read returns a new buffer of its own (nobody else holds it), so a reader may keep it as
   * the decoded values instead of copying (float32 slices). Unset: reads may be views of shared bytes.
   */
  readonly freshReads?: boolean;
}

/**
 * Throws the "truncated" error when [offset, offset+length) is not inside a source of `size` bytes.
 * `what` says what the bytes were for, so the message explains which structure was cut short.
 */
export function checkRange(name: string, size: number, offset: number, length: number, what = 'data'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new TensorFileError(name, {}, `invalid byte range ${offset}+${length} for ${what}`);
  }
  if (offset + length > size) {
    throw new TensorFileError(
      name,
      { offset },
      `${what} needs ${length} bytes but the file ends at byte ${size} (truncated?)`,
    );
  }
}

/** Reads a range after checking it, so every reader gets the same "truncated" message. */
export async function readRange(
  source: ByteSource,
  offset: number,
  length: number,
  what = 'data',
): Promise<Uint8Array> {
  checkRange(source.name, source.size, offset, length, what);
  return source.read(offset, length);
}

/** A byte source over bytes already in memory (the webview, the tests). */
export class MemoryByteSource implements ByteSource {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A window [start, start+size) of another source: a stored (uncompressed) member of a zip archive. */
export class SliceByteSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly parent: ByteSource,
    private readonly start: number,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    return this.parent.read(this.start + offset, length);
  }
}
