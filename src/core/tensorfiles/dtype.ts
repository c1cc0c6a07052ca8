// Element types the readers understand, and how the two file formats spell them. Floats are the
// attention data; booleans and integers are the masks people save next to them; fixed-width
// unicode is only for token lists saved with numpy (np.array(['I', 'go', 'home'])).

export type NumericDType =
  'f16' | 'bf16' | 'f32' | 'f64' | 'bool' | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64';
export type DType = NumericDType | 'unicode';

export interface ElementType {
  readonly dtype: DType;
  /** Bytes per element (for 'unicode', 4 × characters). */
  readonly itemsize: number;
  readonly littleEndian: boolean;
  /** The dtype exactly as the file spells it ('<f4', '>i2', 'BF16'), for listings and messages. */
  readonly label: string;
}

export const NUMERIC_ITEMSIZE: Readonly<Record<NumericDType, number>> = {
  f16: 2,
  bf16: 2,
  f32: 4,
  f64: 8,
  bool: 1,
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
};

export function isFloat(dtype: DType): boolean {
  return dtype === 'f16' || dtype === 'bf16' || dtype === 'f32' || dtype === 'f64';
}

export function isNumeric(dtype: DType): dtype is NumericDType {
  return dtype !== 'unicode';
}

/** Either the element type or the reason it is refused. */
export type DTypeResult = { ok: true; type: ElementType } | { ok: false; reason: string };

const NPY_KINDS: Record<string, Partial<Record<number, NumericDType>>> = {
  f: { 2: 'f16', 4: 'f32', 8: 'f64' },
  i: { 1: 'i8', 2: 'i16', 4: 'i32', 8: 'i64' },
  u: { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' },
  b: { 1: 'bool' },
};

/** Parses a numpy `descr` string as np.save writes it: byte order, kind letter, item size ('<f4'). */
export function parseNpyDescr(descr: string): DTypeResult {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) return { ok: false, reason: `unsupported descr ${JSON.stringify(descr.slice(0, 40))}` };
  const [, order, kind, digits] = m;
  const size = digits === '' ? NaN : Number(digits);
  if (kind === 'O')
    return {
      ok: false,
      reason: `object arrays (descr ${JSON.stringify(descr)}) store a pickle, which is never loaded; save a numeric array instead`,
    };
  if (kind === 'V')
    return {
      ok: false,
      reason: `raw-bytes dtype ${JSON.stringify(descr)} is not supported (bfloat16 from ml_dtypes saves this way: convert with .astype(np.float32) before np.save)`,
    };
  if (kind === 'U') {
    if (!(size >= 1 && size <= 1 << 20))
      return { ok: false, reason: `unicode dtype ${JSON.stringify(descr)} has an invalid width` };
    const le = order !== '>';
    return { ok: true, type: { dtype: 'unicode', itemsize: 4 * size, littleEndian: le, label: descr } };
  }
  const names = Object.hasOwn(NPY_KINDS, kind) ? NPY_KINDS[kind] : undefined;
  if (!names)
    return {
      ok: false,
      reason: `dtype kind '${kind}' (${describeKind(kind)}) is not supported; use float, bool or integer arrays`,
    };
  const dtype = names[size];
  if (!dtype)
    return { ok: false, reason: `dtype ${JSON.stringify(descr)} is not supported (item size ${digits || '?'})` };
  // '|' means "byte order not applicable", which numpy only writes for one-byte types.
  if (order === '|' && size !== 1)
    return { ok: false, reason: `dtype ${JSON.stringify(descr)} has no byte order but ${size}-byte items` };
  return { ok: true, type: { dtype, itemsize: size, littleEndian: order !== '>', label: descr } };
}

function describeKind(kind: string): string {
  switch (kind) {
    case 'c':
      return 'complex';
    case 'S':
    case 'a':
      return 'byte string';
    case 'M':
      return 'datetime';
    case 'm':
      return 'timedelta';
    default:
      return 'unknown';
  }
}

const SAFETENSORS_DTYPES: Record<string, NumericDType> = {
  BOOL: 'bool',
  U8: 'u8',
  I8: 'i8',
  U16: 'u16',
  I16: 'i16',
  F16: 'f16',
  BF16: 'bf16',
  U32: 'u32',
  I32: 'i32',
  F32: 'f32',
  F64: 'f64',
  U64: 'u64',
  I64: 'i64',
};

/** Parses a safetensors dtype name ('F32', 'BF16'…); safetensors data is always little-endian. */
export function parseSafetensorsDtype(name: string): DTypeResult {
  const dtype = Object.hasOwn(SAFETENSORS_DTYPES, name) ? SAFETENSORS_DTYPES[name] : undefined;
  if (dtype) return { ok: true, type: { dtype, itemsize: NUMERIC_ITEMSIZE[dtype], littleEndian: true, label: name } };
  if (/^F[0-9]/.test(name) || /^C[0-9]/.test(name)) {
    return {
      ok: false,
      reason: `dtype ${JSON.stringify(name.slice(0, 20))} is not supported; convert to F16, BF16, F32 or F64`,
    };
  }
  return { ok: false, reason: `unknown dtype ${JSON.stringify(name.slice(0, 20))}` };
}
