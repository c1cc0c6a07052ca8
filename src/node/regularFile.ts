// The one way the node side opens a user's file: checked to be a regular file before it is opened,
// opened non-blocking, checked again on the handle, and read with a byte cap that does not trust the
// size the file reports. A FIFO would block open() until a writer came; a character device
// (/dev/zero, or a symlink to it) reports size 0 and never ends; /proc files report 0 and are not.
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TensorFileError } from '../core/tensorfiles/errors';

/** What a non-regular file is, for the message. */
function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(name: string, stat: import('node:fs').Stats): TensorFileError {
  return new TensorFileError(name, {}, `is ${kindOf(stat)}, not a regular file (only regular files are read)`);
}

/** How a failed open or read is worded: by default `cannot open (ENOENT)`. */
export type OpenFailure = (code: string) => string;

function cannot(name: string, e: unknown, what: OpenFailure): TensorFileError {
  return new TensorFileError(name, {}, what((e as NodeJS.ErrnoException).code ?? 'EIO'));
}

/** What the common error codes mean, so the message states the rule and not only a code. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files',
  EIO: 'an I/O error',
};

/** `no such file (ENOENT)`; an unknown code stands alone. */
export function errnoReason(code: string): string {
  const words = ERRNO_WORDS[code];
  return words ? `${words} (${code})` : code;
}

const CANNOT_OPEN: OpenFailure = (code) => `cannot open: ${errnoReason(code)}`;
const CANNOT_READ: OpenFailure = (code) => `cannot read: ${errnoReason(code)}`;

/**
 * Opens a regular file for reading, never blocking: stat (following symlinks) first, then open with
 * O_NONBLOCK, then fstat the handle (the path may have been swapped in between).
 */
export async function openRegularFile(
  filePath: string,
  name = path.basename(filePath),
  what: OpenFailure = CANNOT_OPEN,
): Promise<{ handle: fs.FileHandle; size: number }> {
  let before;
  try {
    before = await fs.stat(filePath);
  } catch (e) {
    throw cannot(name, e, what);
  }
  if (!before.isFile()) throw notRegular(name, before);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw cannot(name, e, what);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(name, stat);
    return { handle, size: stat.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * A regular file's bytes, at most `maxBytes` of them: more is refused with `overCap(bytes)` (the
 * caller's message naming its cap), whatever size the file claims. Reads in chunks, so a file that
 * grows while read (or claims 0 bytes) costs at most maxBytes + one chunk.
 */
export async function readRegularFile(
  filePath: string,
  maxBytes: number,
  overCap: (bytes: string) => Error,
  name = path.basename(filePath),
  what: OpenFailure = CANNOT_READ,
): Promise<Buffer> {
  const { handle, size } = await openRegularFile(filePath, name, what);
  try {
    if (size > maxBytes) throw overCap(String(size));
    const chunks: Buffer[] = [];
    let total = 0;
    const chunkSize = Math.max(1, Math.min(maxBytes + 1, Math.max(size + 1, 64 * 1024), 16 * 1024 * 1024));
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunkSize, total));
      } catch (e) {
        throw cannot(name, e, what);
      }
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw overCap(`more than ${maxBytes}`);
      chunks.push(bytesRead === chunkSize ? chunk : chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** A regular file's text (UTF-8), capped like readRegularFile. */
export async function readRegularText(
  filePath: string,
  maxBytes: number,
  overCap: (bytes: string) => Error,
  name = path.basename(filePath),
  what: OpenFailure = CANNOT_READ,
): Promise<string> {
  return (await readRegularFile(filePath, maxBytes, overCap, name, what)).toString('utf8');
}
