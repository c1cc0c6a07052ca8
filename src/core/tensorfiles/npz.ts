// .npz archives: a zip whose members are .npy files (np.savez stores them, np.savez_compressed
// deflates them). Each member becomes a ByteSource of its own uncompressed bytes: a window onto
// the archive when stored, a streaming inflater when deflated, so only the members (and ranges)
// actually used are ever decompressed.
import { type ByteSource, SliceByteSource } from './byteSource';
import { TensorFileError, quote } from './errors';
import { type InflationGuard, InflatingByteSource } from './inflatingSource';
import { type NpyHeader, readNpyHeader } from './npy';
import { type ZipEntry, memberDataOffset, readZipDirectory } from './zip';
import type { LimitOptions } from '../limits';
import { INFLATION_CHECKED_BYTES, MAX_INFLATION_RATIO } from './shape';

export interface NpzMember {
  /** Tensor name: the member name without its '.npy' suffix (as numpy's NpzFile presents it). */
  readonly name: string;
  readonly memberName: string;
  readonly compressed: boolean;
  /** The member's uncompressed bytes. */
  readonly source: ByteSource;
  readonly header: NpyHeader;
}

export interface NpzContents {
  readonly members: NpzMember[];
  /** Members that are not .npy arrays (listed so a request for them gets a precise error). */
  readonly otherMembers: string[];
}

/**
 * A deflated member that declares more than INFLATION_CHECKED_BYTES at over MAX_INFLATION_RATIO:1 is
 * a zip bomb or nearly constant data; either way inflating it is refused, but only when bytes past
 * the first INFLATION_CHECKED_BYTES are read: its .npy header is still read, so `info` lists it.
 */
function inflationGuard(archiveName: string, entry: ZipEntry): InflationGuard | undefined {
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.uncompressedSize <= INFLATION_CHECKED_BYTES || ratio <= MAX_INFLATION_RATIO) return undefined;
  const rule = `deflated member ${quote(entry.name)} declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} (${Math.round(ratio)}:1), over the ${MAX_INFLATION_RATIO}:1 inflation limit (a fixed cap against zip bombs; save with np.savez, uncompressed, to read it)`;
  return {
    freeBytes: INFLATION_CHECKED_BYTES,
    refuse: () => new TensorFileError(archiveName, { offset: entry.directoryOffset }, rule),
  };
}

export async function readNpz(archive: ByteSource, limits?: LimitOptions): Promise<NpzContents> {
  const entries = await readZipDirectory(archive);
  const members: NpzMember[] = [];
  const otherMembers: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue; // a directory record
    if (seen.has(entry.name))
      throw new TensorFileError(
        archive.name,
        { offset: entry.directoryOffset },
        `member ${quote(entry.name)} appears twice`,
      );
    seen.add(entry.name);
    if (!entry.name.endsWith('.npy')) {
      otherMembers.push(entry.name);
      continue;
    }
    const where = { offset: entry.directoryOffset };
    if (entry.flags & 1) throw new TensorFileError(archive.name, where, `member ${quote(entry.name)} is encrypted`);
    const memberLabel = `${archive.name}[${entry.name}]`;
    const start = await memberDataOffset(archive, entry);
    let source: ByteSource;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) {
        throw new TensorFileError(
          archive.name,
          where,
          `stored member ${quote(entry.name)} declares ${entry.compressedSize} bytes stored but ${entry.uncompressedSize} uncompressed`,
        );
      }
      source = new SliceByteSource(memberLabel, archive, start, entry.uncompressedSize);
    } else if (entry.method === 8) {
      source = new InflatingByteSource(
        memberLabel,
        archive,
        start,
        entry.compressedSize,
        entry.uncompressedSize,
        inflationGuard(archive.name, entry),
      );
    } else {
      throw new TensorFileError(
        archive.name,
        where,
        `member ${quote(entry.name)} uses compression method ${entry.method} (only stored and deflated are read)`,
      );
    }
    const header = await readNpyHeader(source, limits);
    members.push({
      name: entry.name.slice(0, -4),
      memberName: entry.name,
      compressed: entry.method === 8,
      source,
      header,
    });
  }
  return { members, otherMembers };
}
