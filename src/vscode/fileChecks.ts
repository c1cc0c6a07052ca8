// What the extension checks about a workspace file before it reads one byte, kept free of the
// vscode module so unit tests run it over real FIFOs, devices and symlinks. VS Code's stat gives a
// FileType bit set; a FIFO, socket or device has neither File nor Directory (Unknown, 0), and a
// symlink adds SymbolicLink (64) to what it points at, so a link to /dev/zero is 64 and is refused.
import { type LimitOptions, limitError, resolveLimits } from '../core/limits';
import type { InputError } from '../core/errors';

/** vscode.FileType's values (a stable part of the API). */
export const FILE_TYPE = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;

/** A regular file, or a symlink to one: the only things the extension opens. */
export function isRegularFileType(type: number): boolean {
  return (type & FILE_TYPE.File) !== 0;
}

/**
 * The items whose stat says regular file, in their order. `statType` must only stat (never open):
 * opening a FIFO blocks until a writer comes. A stat that fails drops the item (it went away).
 */
export async function keepRegularFiles<T>(
  items: readonly T[],
  statType: (item: T) => PromiseLike<number>,
): Promise<T[]> {
  const regular = await Promise.all(
    items.map((item) => Promise.resolve(statType(item)).then(isRegularFileType, () => false)),
  );
  return items.filter((_, i) => regular[i]);
}

/**
 * The refusal for a file read whole into memory (remote and virtual workspaces, JSON inputs) that is
 * larger than the cap: the same limits module and wording as every other cap, or null when it fits.
 */
export function inMemoryRefusal(name: string, size: number, limits: LimitOptions): InputError | null {
  const resolved = resolveLimits(limits);
  if (size <= resolved.maxFileBytesInMemory) return null;
  return limitError(name, `${size} bytes`, 'maxFileBytesInMemory', resolved, 'bytes read into memory');
}
