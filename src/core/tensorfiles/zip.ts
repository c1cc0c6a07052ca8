// Just enough of the zip format to find the members of an .npz: the end-of-central-directory
// record (and its zip64 form, which numpy's writer produces for big archives), the central
// directory, and each member's local header to learn where its data starts. Nothing is
// decompressed here; members are opened one at a time by ./npz.
import { type ByteSource, readRange } from './byteSource';
import { TensorFileError, quote } from './errors';
import { MAX_TENSORS } from './shape';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated; anything else is refused when the member is opened. */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  /** Byte offset of this entry's record in the central directory (for messages). */
  readonly directoryOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD64_LOCATOR_SIGNATURE = 0x07064b50;
const EOCD64_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 65535;
/** The central directory is read whole; 64 MiB is ~1M members, far beyond any real .npz. */
const MAX_DIRECTORY = 64 * 1024 * 1024;

export const ZIP_LOCAL_MAGIC = [0x50, 0x4b, 0x03, 0x04];
export const ZIP_EMPTY_MAGIC = [0x50, 0x4b, 0x05, 0x06];

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(name: string, dv: DataView, at: number, fileOffset: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new TensorFileError(name, { offset: fileOffset }, `${what} ${v} is too large`);
  return Number(v);
}

interface DirectoryLocation {
  entries: number;
  offset: number;
  size: number;
  /** Where the (zip32) end record starts; the directory must end before it. */
  end: number;
}

async function findDirectory(source: ByteSource): Promise<DirectoryLocation> {
  const name = source.name;
  if (source.size < EOCD_SIZE)
    throw new TensorFileError(name, { offset: 0 }, `${source.size} bytes is too short for a zip archive`);
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = await readRange(source, tailStart, tailLength, 'the zip end record');
  const dv = view(tail);
  let at = -1;
  // Search backwards; prefer a record whose comment reaches exactly the end of the file.
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (dv.getUint32(i, true) !== EOCD_SIGNATURE) continue;
    const commentLength = dv.getUint16(i + 20, true);
    if (i + EOCD_SIZE + commentLength === tailLength) {
      at = i;
      break;
    }
    if (at < 0 && i + EOCD_SIZE + commentLength <= tailLength) at = i;
  }
  if (at < 0)
    throw new TensorFileError(
      name,
      { offset: tailStart },
      'no zip end-of-central-directory record (not a zip archive, or truncated)',
    );
  const eocd = tailStart + at;
  const disk = dv.getUint16(at + 4, true),
    directoryDisk = dv.getUint16(at + 6, true);
  let entries = dv.getUint16(at + 10, true);
  let size = dv.getUint32(at + 12, true);
  let offset = dv.getUint32(at + 16, true);
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    ({ entries, size, offset } = await readZip64End(source, eocd));
  } else if (disk !== 0 || directoryDisk !== 0) {
    throw new TensorFileError(name, { offset: eocd }, 'multi-volume zip archives are not supported');
  }
  return { entries, offset, size, end: eocd };
}

async function readZip64End(
  source: ByteSource,
  eocd: number,
): Promise<{ entries: number; size: number; offset: number }> {
  const name = source.name;
  if (eocd < 20) throw new TensorFileError(name, { offset: eocd }, 'zip64 end record locator is missing');
  const locator = view(await readRange(source, eocd - 20, 20, 'the zip64 locator'));
  if (locator.getUint32(0, true) !== EOCD64_LOCATOR_SIGNATURE) {
    throw new TensorFileError(name, { offset: eocd - 20 }, 'zip64 end record locator is missing');
  }
  const at = u64(name, locator, 8, eocd - 12, 'zip64 end record offset');
  const record = view(await readRange(source, at, 56, 'the zip64 end record'));
  if (record.getUint32(0, true) !== EOCD64_SIGNATURE)
    throw new TensorFileError(name, { offset: at }, 'bad zip64 end record signature');
  if (record.getUint32(16, true) !== 0 || record.getUint32(20, true) !== 0) {
    throw new TensorFileError(name, { offset: at }, 'multi-volume zip archives are not supported');
  }
  return {
    entries: u64(name, record, 32, at + 32, 'zip64 entry count'),
    size: u64(name, record, 40, at + 40, 'zip64 directory size'),
    offset: u64(name, record, 48, at + 48, 'zip64 directory offset'),
  };
}

/** Lists the archive's members from its central directory. */
export async function readZipDirectory(source: ByteSource): Promise<ZipEntry[]> {
  const name = source.name;
  const loc = await findDirectory(source);
  if (loc.size > MAX_DIRECTORY)
    throw new TensorFileError(
      name,
      { offset: loc.end },
      `central directory of ${loc.size} bytes exceeds the ${MAX_DIRECTORY}-byte cap`,
    );
  if (loc.offset + loc.size > loc.end) {
    throw new TensorFileError(
      name,
      { offset: loc.end },
      `central directory [${loc.offset}, ${loc.offset + loc.size}) runs past its end record at byte ${loc.end} (truncated?)`,
    );
  }
  if (loc.entries > MAX_TENSORS)
    throw new TensorFileError(
      name,
      { offset: loc.end },
      `${loc.entries} archive members exceed the limit of ${MAX_TENSORS} members (a fixed cap)`,
    );
  if (loc.entries > loc.size / 46)
    throw new TensorFileError(
      name,
      { offset: loc.end },
      `${loc.entries} entries cannot fit in a ${loc.size}-byte central directory`,
    );
  const dir = await readRange(source, loc.offset, loc.size, 'the zip central directory');
  const dv = view(dir);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < loc.entries; n++) {
    const at = loc.offset + p;
    if (p + 46 > dir.length) throw new TensorFileError(name, { offset: at }, 'central directory ends inside an entry');
    if (dv.getUint32(p, true) !== CENTRAL_SIGNATURE)
      throw new TensorFileError(name, { offset: at }, 'bad central directory entry signature');
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > dir.length) throw new TensorFileError(name, { offset: at }, 'central directory ends inside an entry');
    const memberName = new TextDecoder('utf-8').decode(dir.subarray(p + 46, p + 46 + nameLength));
    // zip64 extra field (id 1): 8-byte values for exactly those fields stored as 0xFFFFFFFF, in this order.
    const extraStart = p + 46 + nameLength;
    for (let e = extraStart; e + 4 <= extraStart + extraLength;) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (e + 4 + len > extraStart + extraLength) break;
      if (id === 1) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + len)
            throw new TensorFileError(
              name,
              { offset: loc.offset + e },
              `zip64 extra field of ${quote(memberName)} is too short for its ${what}`,
            );
          const v = u64(name, dv, q, loc.offset + q, what);
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      e += 4 + len;
    }
    entries.push({
      name: memberName,
      method,
      flags,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
      directoryOffset: at,
    });
    p = next;
  }
  refuseOverlaps(name, entries);
  return entries;
}

/**
 * Members may not share bytes: each local record (30 bytes, the name, the data) must end before the
 * next begins. Archives that point many directory entries at one member are decompression bombs.
 */
function refuseOverlaps(name: string, entries: readonly ZipEntry[]): void {
  const byOffset = entries
    .filter((e) => !e.name.endsWith('/'))
    .sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1],
      e = byOffset[i];
    const prevEnd = prev.localHeaderOffset + 30 + prev.compressedSize;
    if (e.localHeaderOffset < prevEnd) {
      throw new TensorFileError(
        name,
        { offset: e.directoryOffset },
        `member ${quote(e.name)} at byte ${e.localHeaderOffset} overlaps member ${quote(prev.name)} (bytes ${prev.localHeaderOffset}–${prevEnd - 1}): members may not share data`,
      );
    }
  }
}

/** Where a member's (possibly compressed) bytes start: after its local header, name and extra field. */
export async function memberDataOffset(source: ByteSource, entry: ZipEntry): Promise<number> {
  const name = source.name;
  const header = view(await readRange(source, entry.localHeaderOffset, 30, `the local header of ${quote(entry.name)}`));
  if (header.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw new TensorFileError(
      name,
      { offset: entry.localHeaderOffset },
      `bad local header signature for member ${quote(entry.name)}`,
    );
  }
  const start = entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  if (start + entry.compressedSize > source.size) {
    throw new TensorFileError(
      name,
      { offset: start },
      `member ${quote(entry.name)} needs ${entry.compressedSize} bytes but the file ends at byte ${source.size} (truncated?)`,
    );
  }
  return start;
}
