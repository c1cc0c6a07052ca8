// torch.save files (.pt, .pth, .bin): since PyTorch 1.6 a zip archive holding `PREFIX/data.pkl`
// (the pickled object, tensors as persistent ids naming storages), `PREFIX/data/KEY` (each storage's
// raw bytes) and `PREFIX/version` (and, since 2.x, `PREFIX/byteorder`). The pickle is read by the
// restricted ./pickle unpickler; every tensor found in it (in dicts, OrderedDicts, lists and tuples,
// named by its path: `attentions.3`, `0.1`) is checked against its storage's bytes and listed like
// an .npy member: contiguous tensors are windows onto their storage, strided views are gathered.
import { type ByteSource, SliceByteSource, readRange } from '../byteSource';
import { NUMERIC_ITEMSIZE, type NumericDType } from '../dtype';
import { TensorFileError, quote } from '../errors';
import { InflatingByteSource } from '../inflatingSource';
import { checkedElementCount, cStrides, fStrides, formatShape } from '../shape';
import { type ZipEntry, memberDataOffset, readZipDirectory } from '../zip';
import { type LimitOptions, limitRule, resolveLimits } from '../../limits';
import { type PyValue, type TorchTensor, describeValue, isTensor, unpickle } from './pickle';
import { StridedByteSource } from './stridedSource';

/** One tensor of the archive, ready to be listed: where its C-order bytes are. */
export interface TorchTensorEntry {
  readonly name: string;
  readonly dtype: NumericDType;
  readonly shape: number[];
  readonly fortranOrder: boolean;
  readonly littleEndian: boolean;
  /** The bytes the tensor's data starts in (a storage window, or a strided view's gather). */
  readonly source: ByteSource;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly member: string;
  readonly compressed: boolean;
  /** Saved as an nn.Parameter. */
  readonly parameter: boolean;
  /** How the tensor lies in its storage, for `info`: 'contiguous', 'fortran' or 'strided'. */
  readonly storageLayout: 'contiguous' | 'fortran' | 'strided';
}

export interface TorchContents {
  readonly tensors: TorchTensorEntry[];
  /** A list of strings saved under the key `tokens` (e.g. {"attentions": …, "tokens": [...]}). */
  readonly tokens: string[] | null;
  /** Other lists of strings under a key ending in `tokens` (`encoder_tokens`, `decoder_tokens`…), by path. */
  readonly tokenLists: Record<string, string[]>;
  /** Other plain values (numbers, strings) by path, shown by `info`. */
  readonly values: Record<string, string>;
}

/** Most tensors one archive may list, and most containers walked (a pickle can share subtrees). */
const MAX_TENSORS = 100_000;
const MAX_NODES = 1_000_000;
const MAX_DEPTH = 32;

/** The legacy (pre-1.6, or _use_new_zipfile_serialization=False) format starts with a pickled magic number. */
export function isLegacyTorch(head: Uint8Array): boolean {
  return head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a; // PROTO 2, LONG1 (the magic 0x1950a86a20f9469cfc6c)
}

export const LEGACY_MESSAGE =
  'legacy torch.save format (PyTorch < 1.6, or _use_new_zipfile_serialization=False) is not read: re-save with torch.save in PyTorch ≥ 1.6, or as .safetensors';

function isCStrided(shape: readonly number[], strides: readonly number[]): boolean {
  const c = cStrides(shape);
  return shape.every((d, i) => d <= 1 || strides[i] === c[i]);
}

function isFStrided(shape: readonly number[], strides: readonly number[]): boolean {
  const f = fStrides(shape);
  return shape.every((d, i) => d <= 1 || strides[i] === f[i]);
}

/** A member's uncompressed bytes as a source (stored, as torch.save writes them, or deflated if re-zipped). */
async function memberSource(archive: ByteSource, entry: ZipEntry): Promise<ByteSource> {
  const where = { offset: entry.directoryOffset };
  if (entry.flags & 1) throw new TensorFileError(archive.name, where, `member ${quote(entry.name)} is encrypted`);
  const start = await memberDataOffset(archive, entry);
  const label = `${archive.name}[${entry.name}]`;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw new TensorFileError(
        archive.name,
        where,
        `stored member ${quote(entry.name)} declares ${entry.compressedSize} bytes stored but ${entry.uncompressedSize} uncompressed`,
      );
    }
    return new SliceByteSource(label, archive, start, entry.uncompressedSize);
  }
  if (entry.method === 8)
    return new InflatingByteSource(label, archive, start, entry.compressedSize, entry.uncompressedSize);
  throw new TensorFileError(
    archive.name,
    where,
    `member ${quote(entry.name)} uses compression method ${entry.method} (only stored and deflated are read)`,
  );
}

/** The `PREFIX/` of the archive's one `PREFIX/data.pkl`, or a refusal saying what the zip is instead. */
function findPrefix(archive: ByteSource, entries: readonly ZipEntry[]): string {
  const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name) || e.name === 'data.pkl');
  if (pickles.length === 1) return pickles[0].name.slice(0, -'data.pkl'.length);
  if (pickles.length > 1)
    throw new TensorFileError(
      archive.name,
      {},
      `holds ${pickles.length} data.pkl records (${pickles.map((p) => quote(p.name)).join(', ')}); a torch.save archive has one`,
    );
  if (entries.some((e) => /(^|\/)constants\.pkl$/.test(e.name) || /(^|\/)code\//.test(e.name))) {
    throw new TensorFileError(
      archive.name,
      {},
      'is a TorchScript archive (torch.jit.save): its code is never run; save the tensors with torch.save or safetensors instead',
    );
  }
  if (entries.some((e) => e.name.endsWith('.npy'))) {
    throw new TensorFileError(
      archive.name,
      {},
      'is a zip of .npy arrays (an .npz), not a torch.save archive: rename it to .npz',
    );
  }
  throw new TensorFileError(archive.name, {}, 'is a zip archive without PREFIX/data.pkl: not a torch.save file');
}

/** Reads a torch.save archive's pickle and lists its tensors (no tensor data is read). */
export async function readTorchArchive(archive: ByteSource, limits?: LimitOptions): Promise<TorchContents> {
  const entries = await readZipDirectory(archive);
  const prefix = findPrefix(archive, entries);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const pklEntry = byName.get(`${prefix}data.pkl`)!;
  const caps = resolveLimits(limits);
  if (pklEntry.uncompressedSize > caps.maxHeaderBytes) {
    throw new TensorFileError(
      archive.name,
      { offset: pklEntry.directoryOffset },
      limitRule(`data.pkl of ${pklEntry.uncompressedSize} bytes`, 'maxHeaderBytes', caps, 'bytes'),
    );
  }
  const pklSource = await memberSource(archive, pklEntry);
  const pkl = await readRange(pklSource, 0, pklSource.size, 'data.pkl');
  const { value } = unpickle(pklSource.name, pkl);

  let littleEndian = true;
  const orderEntry = byName.get(`${prefix}byteorder`);
  if (orderEntry) {
    const src = await memberSource(archive, orderEntry);
    const text = new TextDecoder().decode(await readRange(src, 0, Math.min(src.size, 16), 'byteorder')).trim();
    if (text !== 'little' && text !== 'big')
      throw new TensorFileError(src.name, { offset: 0 }, `byteorder is ${quote(text, 16)}, not "little" or "big"`);
    littleEndian = text === 'little';
  }

  const found = flatten(archive.name, value);
  const storageSources = new Map<string, ByteSource>();
  const tensors: TorchTensorEntry[] = [];
  for (const { name, tensor } of found.tensors) {
    const member = `${prefix}data/${tensor.storage.key}`;
    const entry = byName.get(member);
    if (!entry)
      throw new TensorFileError(archive.name, { tensor: name }, `its storage ${quote(member)} is not in the archive`);
    let storage = storageSources.get(member);
    if (!storage) storageSources.set(member, (storage = await memberSource(archive, entry)));
    tensors.push(place(archive.name, name, tensor, member, storage, entry.method === 8, littleEndian));
  }
  return { tensors, tokens: found.tokens, tokenLists: found.tokenLists, values: found.values };
}

/** Checks a tensor against its storage's bytes and says where its C-order bytes are. */
function place(
  file: string,
  name: string,
  t: TorchTensor,
  member: string,
  storage: ByteSource,
  compressed: boolean,
  littleEndian: boolean,
): TorchTensorEntry {
  const fail = (rule: string): never => {
    throw new TensorFileError(file, { tensor: name }, rule);
  };
  const itemsize = NUMERIC_ITEMSIZE[t.dtype];
  const counted = checkedElementCount(t.shape);
  if (!counted.ok) return fail(counted.reason);
  const count = counted.count;
  // An untyped storage counts bytes; a typed one counts elements.
  const storageElements = t.storage.dtype === null ? Math.floor(t.storage.numel / itemsize) : t.storage.numel;
  if (storage.size < storageElements * itemsize) {
    fail(`storage ${quote(member)} claims ${storageElements} × ${itemsize} bytes but holds ${storage.size}`);
  }
  if (count > 0) {
    const last = t.offset + t.shape.reduce((acc, d, i) => acc + (d - 1) * t.strides[i], 0);
    if (last >= storageElements) {
      fail(
        `shape ${formatShape(t.shape)}, stride ${formatShape(t.strides)} and offset ${t.offset} reach element ${last} of a storage of ${storageElements}`,
      );
    }
  }
  const base = { name, dtype: t.dtype, shape: t.shape, littleEndian, member, compressed, parameter: t.parameter };
  if (count === 0 || isCStrided(t.shape, t.strides)) {
    return {
      ...base,
      fortranOrder: false,
      source: storage,
      byteOffset: t.offset * itemsize,
      byteLength: count * itemsize,
      storageLayout: 'contiguous',
    };
  }
  if (t.shape.length >= 2 && isFStrided(t.shape, t.strides)) {
    return {
      ...base,
      fortranOrder: true,
      source: storage,
      byteOffset: t.offset * itemsize,
      byteLength: count * itemsize,
      storageLayout: 'fortran',
    };
  }
  const strided = new StridedByteSource(storage.name, storage, itemsize, t.shape, t.strides, t.offset, name);
  return {
    ...base,
    fortranOrder: false,
    source: strided,
    byteOffset: 0,
    byteLength: count * itemsize,
    storageLayout: 'strided',
  };
}

interface Flattened {
  tensors: { name: string; tensor: TorchTensor }[];
  tokens: string[] | null;
  tokenLists: Record<string, string[]>;
  values: Record<string, string>;
}

/**
 * Names every tensor by its path through dicts (keys), lists and tuples (indices), joined with '.':
 * {"attentions": (a, b)} gives attentions.0 and attentions.1, a bare tuple gives 0, 1…, a lone
 * tensor is named after the file. Anything that is neither a tensor, a container of them, a
 * `tokens` list of strings nor a plain number/string/None is refused by what it is.
 */
function flatten(file: string, root: PyValue): Flattened {
  const out: Flattened = { tensors: [], tokens: null, tokenLists: {}, values: {} };
  const names = new Set<string>();
  let nodes = 0;
  const stem = (file.split(/[\\/]/).pop() ?? file).replace(/\.[^.]*$/, '') || 'tensor';
  const visit = (v: PyValue, path: string[], depth: number): void => {
    const name = path.length === 0 ? stem : path.join('.');
    if (++nodes > MAX_NODES)
      throw new TensorFileError(
        file,
        {},
        `the pickle holds more than ${MAX_NODES} values (shared or cyclic containers?)`,
      );
    if (depth > MAX_DEPTH)
      throw new TensorFileError(file, { tensor: name }, `containers nested deeper than ${MAX_DEPTH} (cyclic?)`);
    if (
      v === null ||
      typeof v === 'boolean' ||
      typeof v === 'number' ||
      typeof v === 'bigint' ||
      typeof v === 'string'
    ) {
      if (path.length > 0 && Object.keys(out.values).length < 1000)
        out.values[name] = typeof v === 'string' ? v.slice(0, 200) : String(v);
      return;
    }
    if (isTensor(v)) {
      if (names.has(name))
        throw new TensorFileError(
          file,
          { tensor: name },
          'two tensors have this name (a key with dots that clashes with a nested path)',
        );
      if (out.tensors.length >= MAX_TENSORS) throw new TensorFileError(file, {}, `more than ${MAX_TENSORS} tensors`);
      names.add(name);
      out.tensors.push({ name, tensor: v });
      return;
    }
    switch (v.type) {
      case 'dict':
        for (const [k, item] of v.entries.values()) {
          const key =
            typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'bigint' ? String(k) : undefined;
          if (key === undefined)
            throw new TensorFileError(
              file,
              { tensor: name },
              `a dict key is ${describeValue(k)}; tensors are named by string or integer keys`,
            );
          if (key.endsWith('tokens') && isStringList(item)) {
            // encoder_tokens / decoder_tokens label an encoder-decoder's two sequences.
            const items = (item as { items: string[] }).items;
            if (key === 'tokens') out.tokens = items;
            else out.tokenLists[[...path, key].join('.')] = items;
            continue;
          }
          visit(item, [...path, key], depth + 1);
        }
        return;
      case 'list':
      case 'tuple':
        if (path.length > 0 && path[path.length - 1] === 'tokens' && isStringList(v)) return;
        if (v.items.length > 0 && v.items.every((x) => typeof x === 'string')) {
          if (path.length === 0) out.tokens = v.items as string[];
          else out.values[name] = JSON.stringify(v.items).slice(0, 200);
          return;
        }
        v.items.forEach((item, i) => visit(item, [...path, String(i)], depth + 1));
        return;
      default:
        throw new TensorFileError(
          file,
          path.length > 0 ? { tensor: name } : {},
          `holds ${describeValue(v)}, not a tensor or a dict, list or tuple of tensors`,
        );
    }
  };
  visit(root, [], 0);
  return out;
}

function isStringList(v: PyValue): boolean {
  return (
    v !== null &&
    typeof v === 'object' &&
    (v.type === 'list' || v.type === 'tuple') &&
    v.items.every((x) => typeof x === 'string')
  );
}
