// A ByteSource over a file handle: positional reads of exactly the requested ranges, so opening a
// multi-gigabyte tensor file reads its header and nothing else until a head is asked for.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type ByteSource, checkRange } from '../core/tensorfiles/byteSource';
import { TensorFileError } from '../core/tensorfiles/errors';
import { openRegularFile } from './regularFile';

export class FileByteSource implements ByteSource {
  /** Bytes handed out so far (lets tests and `info` show how little of a big file was read). */
  bytesRead = 0;
  reads = 0;
  /** Each read fills a new buffer of its own (float32 slices are then kept as read, not copied). */
  readonly freshReads = true;

  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly handle: fs.FileHandle,
  ) {}

  /** Opens `filePath` for reading; `name` (default: the base name) is used in error messages. */
  static async open(filePath: string, name = path.basename(filePath)): Promise<FileByteSource> {
    // Checked to be a regular file before it is opened: a FIFO would block open() for ever.
    const { handle, size } = await openRegularFile(filePath, name);
    return new FileByteSource(name, size, handle);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    // Not zero-filled first (every byte is overwritten or the read fails), and never a slice of
    // Node's shared pool: the buffer is the read's alone, as freshReads promises.
    const out = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    let filled = 0;
    // A positional read may return fewer bytes than asked (pipes, network file systems): continue.
    while (filled < length) {
      const { bytesRead } = await this.handle.read(out, filled, length - filled, offset + filled);
      if (bytesRead === 0) {
        throw new TensorFileError(
          this.name,
          { offset: offset + filled },
          `file ended early: needs ${length - filled} more bytes (changed while reading?)`,
        );
      }
      filled += bytesRead;
    }
    this.bytesRead += length;
    this.reads++;
    return out;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
