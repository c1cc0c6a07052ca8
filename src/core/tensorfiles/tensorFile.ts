// One view over the three container formats: open a file (reading only its headers), list its
// tensors, and convert any leading-index slice of a tensor to float32. A slice of a C-ordered
// tensor is one contiguous byte range, so it costs exactly one positional read of its own bytes.
import { type ByteSource, SliceByteSource, readRange } from './byteSource';
import { StridedByteSource } from './torch/stridedSource';
import { type DType, type ElementType, NUMERIC_ITEMSIZE, type NumericDType, isNumeric } from './dtype';
import { decodeToFloat32, decodeUnicode, elementReader } from './decode';
import { TensorFileError, quote } from './errors';
import { type Matrix } from '../matrix';
import { hasNpyMagic, readNpyHeader } from './npy';
import { readNpz } from './npz';
import { readSafetensorsHeader } from './safetensors';
import { MAX_SLICE_ELEMENTS, MAX_STRING_BYTES, cStrides, fStrides, formatShape, product } from './shape';
import { ZIP_EMPTY_MAGIC, ZIP_LOCAL_MAGIC, readZipDirectory } from './zip';
import { LEGACY_MESSAGE, isLegacyTorch, readTorchArchive } from './torch/torchFile';
import type { LimitOptions } from '../limits';

export type TensorFormat = 'npy' | 'npz' | 'safetensors' | 'torch';

export interface TensorInfo {
  readonly name: string;
  /** Canonical element type: f16 bf16 f32 f64 bool i8 u8 i16 u16 i32 u32 i64 u64, or unicode (token lists). */
  readonly dtype: DType;
  /** The dtype as the file spells it ('<f4', '>f2', '|b1', 'BF16'). */
  readonly dtypeLabel: string;
  readonly itemsize: number;
  readonly littleEndian: boolean;
  readonly shape: readonly number[];
  readonly fortranOrder: boolean;
  /** Start of the data: a byte offset in the file, or in the inflated member when `compressed`. */
  readonly byteOffset: number;
  readonly byteLength: number;
  /** The zip member holding the tensor (.npz only). */
  readonly member?: string;
  /** True for a deflated .npz member (slices then cost inflating the member up to them). */
  readonly compressed: boolean;
  /** torch.save files: saved as an nn.Parameter (a model weight, never an attention map). */
  readonly parameter?: boolean;
}

/** @internal A listed tensor and the bytes behind it (readers build these). */
export interface Stored {
  readonly info: TensorInfo;
  readonly type: ElementType;
  /** The bytes `info.byteOffset` refers to. */
  readonly source: ByteSource;
}

/** Fortran-ordered tensors up to this size are read whole once and kept, so each head is not a full scan. */
const FORTRAN_CACHE_BYTES = 64 * 1024 * 1024;
/** Window for scanning a larger Fortran-ordered tensor. */
const FORTRAN_WINDOW_BYTES = 4 * 1024 * 1024;

export class TensorFile {
  private readonly byName = new Map<string, Stored>();
  /** Axis-permuted views made by `permuted` (not listed as the file's tensors). */
  private readonly views = new Map<string, Stored>();
  private fortranCache: { name: string; bytes: Uint8Array } | undefined;

  /** @internal Use openTensorFile. */
  constructor(
    readonly source: ByteSource,
    readonly format: TensorFormat,
    stored: Stored[],
    /** safetensors `__metadata__` (string → string), else null. */
    readonly metadata: Record<string, string> | null,
    /** .npz members that are not .npy arrays. */
    readonly otherMembers: readonly string[] = [],
  ) {
    for (const s of stored) this.byName.set(s.info.name, s);
  }

  get name(): string {
    return this.source.name;
  }

  /** Tensors in file order. */
  get tensors(): TensorInfo[] {
    return [...this.byName.values()].map((s) => s.info);
  }

  /** The named tensor, or an error that lists what the file does hold. */
  tensor(name: string): TensorInfo {
    return this.stored(name).info;
  }

  has(name: string): boolean {
    return this.byName.has(name) || this.views.has(name);
  }

  /**
   * A view of tensor `name` with its axes in the order `perm` (as torch's permute), e.g. TransformerLens's
   * [batch, pos, head, d_head] as [batch, head, pos, d_head]. It is not listed with the file's tensors;
   * its name (`NAME.permute(0, 2, 1, 3)`) reads like the torch call that makes it. Heads are gathered
   * from the original bytes, one span per read.
   */
  permuted(name: string, perm: readonly number[]): string {
    const viewName = `${name}.permute(${perm.join(', ')})`;
    if (this.views.has(viewName)) return viewName;
    const s = this.stored(name);
    const { info } = s;
    if (perm.length !== info.shape.length || [...perm].sort((a, b) => a - b).some((a, i) => a !== i)) {
      throw new TensorFileError(
        this.name,
        { tensor: name },
        `permutation (${perm.join(', ')}) does not fit shape ${formatShape(info.shape)}`,
      );
    }
    const strides = info.fortranOrder ? fStrides(info.shape) : cStrides(info.shape);
    const shape = perm.map((a) => info.shape[a]);
    const bytes = new SliceByteSource(s.source.name, s.source, info.byteOffset, info.byteLength);
    const source = new StridedByteSource(
      s.source.name,
      bytes,
      info.itemsize,
      shape,
      perm.map((a) => strides[a]),
      0,
      viewName,
    );
    this.views.set(viewName, {
      info: { ...info, name: viewName, shape, fortranOrder: false, byteOffset: 0 },
      type: s.type,
      source,
    });
    return viewName;
  }

  /**
   * @internal Registers a view built elsewhere (generate()'s steps assembled into one map): like
   * `permuted`'s views it is read by name and not listed with the file's tensors. Idempotent by name.
   */
  addView(view: Stored): string {
    if (!this.views.has(view.info.name)) this.views.set(view.info.name, view);
    return view.info.name;
  }

  /** @internal */
  stored(name: string): Stored {
    const s = this.byName.get(name) ?? this.views.get(name);
    if (s) return s;
    const other = this.otherMembers.find((m) => m === name || m.replace(/\.[^./]*$/, '') === name);
    if (other !== undefined)
      throw new TensorFileError(this.name, { tensor: name }, `member ${quote(other)} is not a .npy array`);
    const names = [...this.byName.keys()];
    const listed =
      names
        .slice(0, 20)
        .map((n) => quote(n, 60))
        .join(', ') + (names.length > 20 ? `, … (${names.length} in all)` : '');
    throw new TensorFileError(
      this.name,
      { tensor: name },
      names.length === 0 ? 'not found: the file holds no tensors' : `not found; the file holds ${listed}`,
    );
  }

  /** @internal Whole raw bytes of a small Fortran-ordered tensor, kept for the next slice. */
  async fortranBytes(s: Stored): Promise<Uint8Array> {
    if (this.fortranCache?.name !== s.info.name) {
      this.fortranCache = undefined; // drop the old one before reading the new one
      this.fortranCache = {
        name: s.info.name,
        bytes: await readRange(s.source, s.info.byteOffset, s.info.byteLength, `tensor ${quote(s.info.name)}`),
      };
    }
    return this.fortranCache.bytes;
  }
}

/** Strips the directory and extension: the name a lone .npy array is listed under. */
function stem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/**
 * Opens a .npy, .npz or .safetensors file: recognises it by its first bytes (then by its name),
 * reads and validates the headers, and reads no tensor data.
 */
export async function openTensorFile(source: ByteSource, limits?: LimitOptions): Promise<TensorFile> {
  const head = await readRange(source, 0, Math.min(source.size, 9), 'the file signature');
  const ext = /\.([a-z]+)$/i.exec(source.name)?.[1]?.toLowerCase();
  const torchName = ext === 'pt' || ext === 'pth' || ext === 'bin';
  if (isLegacyTorch(head)) throw new TensorFileError(source.name, { offset: 0 }, LEGACY_MESSAGE);
  if (torchName && startsWith(head, ZIP_LOCAL_MAGIC)) return openTorch(source, limits);
  if (torchName && head[0] === 0x80)
    throw new TensorFileError(
      source.name,
      { offset: 0 },
      'a bare pickle, not a torch.save archive (a zip with data.pkl): pickles are never loaded; save tensors with torch.save or as .safetensors',
    );
  if (
    startsWith(head, ZIP_LOCAL_MAGIC) &&
    ext !== 'npz' &&
    (await readZipDirectory(source)).some((e) => /^([^/]+\/)?data\.pkl$/.test(e.name))
  )
    return openTorch(source, limits);
  if (hasNpyMagic(head) || (ext === 'npy' && !startsWith(head, ZIP_LOCAL_MAGIC))) return openNpy(source, limits);
  if (startsWith(head, ZIP_LOCAL_MAGIC) || startsWith(head, ZIP_EMPTY_MAGIC) || ext === 'npz')
    return openNpz(source, limits);
  if (ext === 'safetensors' || head[8] === 0x7b /* '{' */) return openSafetensors(source, limits);
  throw new TensorFileError(
    source.name,
    { offset: 0 },
    'unrecognised format: not .npy (\\x93NUMPY), .npz (a zip), .safetensors (8-byte length then a JSON header) or torch.save (.pt/.pth/.bin, a zip with data.pkl)',
  );
}

async function openNpy(source: ByteSource, limits?: LimitOptions): Promise<TensorFile> {
  const h = await readNpyHeader(source, limits);
  const info: TensorInfo = {
    name: stem(source.name),
    dtype: h.type.dtype,
    dtypeLabel: h.type.label,
    itemsize: h.type.itemsize,
    littleEndian: h.type.littleEndian,
    shape: h.shape,
    fortranOrder: h.fortranOrder,
    byteOffset: h.dataOffset,
    byteLength: h.dataLength,
    compressed: false,
  };
  return new TensorFile(source, 'npy', [{ info, type: h.type, source }], null);
}

async function openNpz(source: ByteSource, limits?: LimitOptions): Promise<TensorFile> {
  const contents = await readNpz(source, limits);
  const stored = contents.members.map((m): Stored => ({
    info: {
      name: m.name,
      dtype: m.header.type.dtype,
      dtypeLabel: m.header.type.label,
      itemsize: m.header.type.itemsize,
      littleEndian: m.header.type.littleEndian,
      shape: m.header.shape,
      fortranOrder: m.header.fortranOrder,
      byteOffset: m.header.dataOffset,
      byteLength: m.header.dataLength,
      member: m.memberName,
      compressed: m.compressed,
    },
    type: m.header.type,
    source: m.source,
  }));
  return new TensorFile(source, 'npz', stored, null, contents.otherMembers);
}

async function openSafetensors(source: ByteSource, limits?: LimitOptions): Promise<TensorFile> {
  const h = await readSafetensorsHeader(source, limits);
  const stored = h.entries.map((e): Stored => ({
    info: {
      name: e.name,
      dtype: e.type.dtype,
      dtypeLabel: e.type.label,
      itemsize: e.type.itemsize,
      littleEndian: true,
      shape: e.shape,
      fortranOrder: false,
      byteOffset: e.byteOffset,
      byteLength: e.byteLength,
      compressed: false,
    },
    type: e.type,
    source,
  }));
  return new TensorFile(source, 'safetensors', stored, h.metadata);
}

async function openTorch(source: ByteSource, limits?: LimitOptions): Promise<TensorFile> {
  const contents = await readTorchArchive(source, limits);
  const stored = contents.tensors.map((t): Stored => {
    const itemsize = NUMERIC_ITEMSIZE[t.dtype];
    const label = TORCH_DTYPE_LABELS[t.dtype];
    return {
      info: {
        name: t.name,
        dtype: t.dtype,
        dtypeLabel: label,
        itemsize,
        littleEndian: t.littleEndian,
        shape: t.shape,
        fortranOrder: t.fortranOrder,
        byteOffset: t.byteOffset,
        byteLength: t.byteLength,
        member: t.member,
        compressed: t.compressed,
        parameter: t.parameter,
      },
      type: { dtype: t.dtype, itemsize, littleEndian: t.littleEndian, label },
      source: t.source,
    };
  });
  // Pickled token lists are carried as metadata, as safetensors carries them (JSON strings).
  const lists = Object.entries({ ...contents.tokenLists, ...(contents.tokens ? { tokens: contents.tokens } : {}) });
  const metadata =
    lists.length > 0 ? Object.fromEntries(lists.map(([key, list]) => [key, JSON.stringify(list)])) : null;
  return new TensorFile(source, 'torch', stored, metadata);
}

const TORCH_DTYPE_LABELS: Readonly<Record<NumericDType, string>> = {
  f16: 'float16',
  bf16: 'bfloat16',
  f32: 'float32',
  f64: 'float64',
  bool: 'bool',
  i8: 'int8',
  u8: 'uint8',
  i16: 'int16',
  u16: 'uint16',
  i32: 'int32',
  u32: 'uint32',
  i64: 'int64',
  u64: 'uint64',
};

/** Names, dtypes, shapes and byte ranges of every tensor, in file order. */
export function listTensors(file: TensorFile): TensorInfo[] {
  return file.tensors;
}

export interface Slice {
  /** The trailing dimensions left after fixing the leading indices. */
  readonly shape: number[];
  /** Values in C (row-major) order, whatever the file's order. */
  readonly data: Float32Array;
}

/**
 * Converts tensor[index[0], index[1], …, :, :] to float32. For a C-ordered tensor the slice is one
 * contiguous range and is read with one positional read. A Fortran-ordered tensor scatters the
 * slice across the whole tensor: small ones (≤ 64 MiB) are read once and kept for later slices,
 * larger ones are scanned in 4 MiB windows on every call (re-save with np.ascontiguousarray to
 * avoid that).
 */
export async function readSlice(
  file: TensorFile,
  tensor: string | TensorInfo,
  index: readonly number[] = [],
): Promise<Slice> {
  const s = file.stored(typeof tensor === 'string' ? tensor : tensor.name);
  const { info } = s;
  const type = numericType(file, s);
  if (index.length > info.shape.length) {
    throw new TensorFileError(
      file.name,
      { tensor: info.name },
      `${index.length} indices for a ${info.shape.length}-D tensor of shape ${formatShape(info.shape)}`,
    );
  }
  index.forEach((x, axis) => {
    if (!Number.isInteger(x) || x < 0 || x >= info.shape[axis]) {
      throw new TensorFileError(
        file.name,
        { tensor: info.name },
        `index ${x} is out of range for axis ${axis} of size ${info.shape[axis]}`,
      );
    }
  });
  const shape = info.shape.slice(index.length);
  const count = product(shape);
  if (count > MAX_SLICE_ELEMENTS) {
    throw new TensorFileError(
      file.name,
      { tensor: info.name },
      `a slice of shape ${formatShape(shape)} has ${count} values, over the ${MAX_SLICE_ELEMENTS} read at once`,
    );
  }
  if (count === 0) return { shape, data: new Float32Array(0) };
  if (!info.fortranOrder || shape.length === 0) {
    const strides = info.fortranOrder ? fStrides(info.shape) : cStrides(info.shape);
    const first = index.reduce((acc, x, axis) => acc + x * strides[axis], 0);
    const bytes = await readRange(
      s.source,
      info.byteOffset + first * info.itemsize,
      count * info.itemsize,
      `tensor ${quote(info.name)}`,
    );
    return { shape, data: decodeToFloat32(bytes, type, { owned: s.source.freshReads === true }) };
  }
  return { shape, data: await gatherFortran(file, s, type, index, shape) };
}

/**
 * Rows r0…r1−1 of the 2-D slice tensor[index…, :, :] as a Matrix: one positional read for a C-ordered
 * tensor, so a long head can be walked a block of rows at a time. A Fortran-ordered tensor keeps its
 * rows scattered: the whole slice is read (readSlice's own cap applies) and the rows copied out.
 */
export async function readRows(
  file: TensorFile,
  tensor: string | TensorInfo,
  index: readonly number[],
  r0: number,
  r1: number,
): Promise<Matrix> {
  const s = file.stored(typeof tensor === 'string' ? tensor : tensor.name);
  const { info } = s;
  if (index.length !== info.shape.length - 2) {
    throw new TensorFileError(
      file.name,
      { tensor: info.name },
      `${index.length} indices do not leave a matrix of the ${info.shape.length}-D tensor of shape ${formatShape(info.shape)}`,
    );
  }
  const [rows, cols] = info.shape.slice(-2);
  if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 < r1 && r1 <= rows)) {
    throw new TensorFileError(file.name, { tensor: info.name }, `rows ${r0}–${r1 - 1} are not inside 0–${rows - 1}`);
  }
  if (info.fortranOrder) {
    const whole = await readMatrix(file, info, index);
    return { rows: r1 - r0, cols, data: whole.data.slice(r0 * cols, r1 * cols) };
  }
  const count = (r1 - r0) * cols;
  if (count > MAX_SLICE_ELEMENTS) {
    throw new TensorFileError(
      file.name,
      { tensor: info.name },
      `${r1 - r0} rows of ${cols} values are over the ${MAX_SLICE_ELEMENTS} read at once`,
    );
  }
  index.forEach((x, axis) => {
    if (!Number.isInteger(x) || x < 0 || x >= info.shape[axis]) {
      throw new TensorFileError(
        file.name,
        { tensor: info.name },
        `index ${x} is out of range for axis ${axis} of size ${info.shape[axis]}`,
      );
    }
  });
  const strides = cStrides(info.shape);
  const first = index.reduce((acc, x, axis) => acc + x * strides[axis], 0) + r0 * cols;
  const bytes = await readRange(
    s.source,
    info.byteOffset + first * info.itemsize,
    count * info.itemsize,
    `tensor ${quote(info.name)}`,
  );
  return {
    rows: r1 - r0,
    cols,
    data: decodeToFloat32(bytes, numericType(file, s), { owned: s.source.freshReads === true }),
  };
}

/** A 2-D slice as a Matrix: the (q × k) map of one head, or one head's (n × d) queries/keys/values. */
export async function readMatrix(
  file: TensorFile,
  tensor: string | TensorInfo,
  index: readonly number[],
): Promise<Matrix> {
  const slice = await readSlice(file, tensor, index);
  if (slice.shape.length !== 2) {
    const name = typeof tensor === 'string' ? tensor : tensor.name;
    throw new TensorFileError(
      file.name,
      { tensor: name },
      `slice at [${index.join(', ')}] has shape ${formatShape(slice.shape)}, not a matrix`,
    );
  }
  return { rows: slice.shape[0], cols: slice.shape[1], data: slice.data };
}

/** A 1-D unicode array (token lists saved with numpy) as strings. */
export async function readStrings(file: TensorFile, tensor: string): Promise<string[]> {
  const s = file.stored(tensor);
  if (s.info.dtype !== 'unicode' || s.info.shape.length !== 1) {
    throw new TensorFileError(
      file.name,
      { tensor },
      `is ${s.info.dtypeLabel} of shape ${formatShape(s.info.shape)}, not a 1-D string array`,
    );
  }
  if (s.info.byteLength > MAX_STRING_BYTES) {
    throw new TensorFileError(
      file.name,
      { tensor },
      `string array of ${s.info.byteLength} bytes exceeds the ${MAX_STRING_BYTES}-byte cap for token lists`,
    );
  }
  const bytes = await readRange(s.source, s.info.byteOffset, s.info.byteLength, `tensor ${quote(tensor)}`);
  return decodeUnicode(bytes, s.info.itemsize, s.info.littleEndian);
}

function numericType(file: TensorFile, s: Stored): ElementType & { dtype: NumericDType } {
  const t = s.type;
  if (!isNumeric(t.dtype))
    throw new TensorFileError(file.name, { tensor: s.info.name }, `is a string array (${t.label}), not numbers`);
  return t as ElementType & { dtype: NumericDType };
}

/**
 * Gathers a Fortran-ordered slice into C order. With the leading indices fixed, walking the
 * trailing indices first-fastest visits strictly increasing byte offsets, so one forward pass over
 * the tensor (cached whole, or in windows) picks every element.
 */
async function gatherFortran(
  file: TensorFile,
  s: Stored,
  type: ElementType & { dtype: NumericDType },
  index: readonly number[],
  shape: number[],
): Promise<Float32Array> {
  const { info } = s;
  const size = info.itemsize;
  const f = fStrides(info.shape);
  const k = index.length;
  const base = index.reduce((acc, x, axis) => acc + x * f[axis], 0);
  const ft = f.slice(k);
  const ct = cStrides(shape);
  const count = product(shape);
  const out = new Float32Array(count);
  const read = elementReader(type);
  const cached = info.byteLength <= FORTRAN_CACHE_BYTES ? await file.fortranBytes(s) : undefined;
  let window = cached ?? new Uint8Array(0);
  let windowStart = 0; // element offset of window[0]
  let dv = new DataView(window.buffer, window.byteOffset, window.byteLength);
  const lastElement = base + shape.reduce((acc, d, i) => acc + (d - 1) * ft[i], 0);
  const idx = new Array<number>(shape.length).fill(0);
  let element = base;
  let outPos = 0;
  for (let n = 0; n < count; n++) {
    if ((element - windowStart + 1) * size > window.length) {
      const elements = Math.min(Math.max(1, Math.floor(FORTRAN_WINDOW_BYTES / size)), lastElement - element + 1);
      window = await readRange(
        s.source,
        info.byteOffset + element * size,
        elements * size,
        `tensor ${quote(info.name)}`,
      );
      windowStart = element;
      dv = new DataView(window.buffer, window.byteOffset, window.byteLength);
    }
    out[outPos] = read(dv, (element - windowStart) * size);
    // Advance the trailing multi-index, first axis fastest (Fortran order).
    for (let a = 0; a < idx.length; a++) {
      idx[a]++;
      element += ft[a];
      outPos += ct[a];
      if (idx[a] < shape[a]) break;
      element -= shape[a] * ft[a];
      outPos -= shape[a] * ct[a];
      idx[a] = 0;
    }
  }
  return out;
}
