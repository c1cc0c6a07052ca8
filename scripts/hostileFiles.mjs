// Writers for hostile files, shared by scripts/stress.mjs and the hardening tests
// (test/unit/hardening.*.test.ts): minimal and byte-exact, so each file is exactly what a case says
// (a shape the writer would refuse, a directory that repeats a member, a header of 10^6 tensors).
// Types: hostileFiles.d.mts.
import { crc32, deflateRawSync, constants as zlibConstants } from 'node:zlib';

export function npy(descr, shape, data, { rawShape } = {}) {
  const shapeText = rawShape ?? (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return Buffer.concat([out, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export function safetensors(entries, metadata, { headerText } = {}) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const blobs = [];
  for (const [name, dtype, shape, data] of entries) {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    blobs.push(bytes);
  }
  const text = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([len, text, ...blobs]);
}

/** A zip64 extra field: the 8-byte sizes whose 4-byte fields hold 0xFFFFFFFF, uncompressed first. */
function zip64Extra(...sizes) {
  const extra = Buffer.alloc(4 + 8 * sizes.length);
  extra.writeUInt16LE(1, 0);
  extra.writeUInt16LE(8 * sizes.length, 2);
  sizes.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return extra;
}

/** A zip of [name, bytes, {deflate, compressed, size}] members; `repeatFirst` repeats the first entry in the directory. */
export function zip(members, { repeatFirst = 0 } = {}) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const data = m.compressed ?? (m.deflate ? deflateRawSync(m.bytes) : m.bytes);
    const size = m.size ?? m.bytes.length;
    const crc = m.crc ?? crc32(m.bytes ?? Buffer.alloc(0));
    // A member of 4 GiB or more keeps its sizes in a zip64 extra field (id 1), as numpy's writer does.
    const big = size >= 0xffffffff;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(big ? 45 : 20, 4);
    local.writeUInt16LE(m.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(big ? 0xffffffff : data.length, 18);
    local.writeUInt32LE(big ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    const localExtra = big ? zip64Extra(size, data.length) : Buffer.alloc(0);
    local.writeUInt16LE(localExtra.length, 28);
    const entry = { name, method: m.deflate ? 8 : 0, crc, csize: data.length, size, offset };
    locals.push(local, name, localExtra, data);
    offset += 30 + name.length + localExtra.length + data.length;
    central.push(entry);
  }
  const dir = [];
  const record = (e, name) => {
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(e.method, 10);
    c.writeUInt32LE(e.crc >>> 0, 16);
    const big = e.size >= 0xffffffff;
    c.writeUInt32LE(e.csize, 20);
    c.writeUInt32LE(big ? 0xffffffff : e.size, 24);
    c.writeUInt16LE(name.length, 28);
    const extra = big ? zip64Extra(e.size) : Buffer.alloc(0);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(e.offset, 42);
    dir.push(c, name, extra);
  };
  for (const e of central) record(e, e.name);
  for (let i = 0; i < repeatFirst; i++) record(central[0], Buffer.from(`copy${i}.npy`));
  const dirBytes = Buffer.concat(dir);
  const count = central.length + repeatFirst;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  if (count > 0xffff) {
    // zip64 end record and locator for the entry count.
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(dirBytes.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + dirBytes.length), 8);
    loc.writeUInt32LE(1, 16);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    return Buffer.concat([...locals, dirBytes, z, loc, end]);
  }
  return Buffer.concat([...locals, dirBytes, end]);
}

/**
 * A raw deflate stream of `prefix` then `zeros` zero bytes without an 8 GiB buffer: independent
 * sync-flushed streams (non-final blocks, back-references only within themselves) concatenate into
 * one valid stream, and 1 MiB of zeros always compresses to the same bytes.
 */
export function deflatedZeros(prefix, zeros) {
  const CHUNK = 1 << 20;
  const flushed = (buf) => deflateRawSync(buf, { level: 9, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const head = flushed(Buffer.concat([prefix, Buffer.alloc(CHUNK)]));
  const steady = flushed(Buffer.alloc(CHUNK));
  const repeats = Math.floor(zeros / CHUNK) - 2;
  const tail = deflateRawSync(Buffer.alloc(zeros - CHUNK * (repeats + 1)), { level: 9 });
  return Buffer.concat([head, ...Array(repeats).fill(steady), tail]);
}
