// A restricted unpickler for the `data.pkl` inside a torch.save archive. It mirrors PyTorch's own
// `weights_only=True` loader (torch/_weights_only_unpickler.py): the same opcodes (protocol 2, as
// torch.save writes), the same global allow-list, the same rules for what REDUCE, NEWOBJ, BUILD,
// APPEND and SETITEM may act on. It goes one step further: nothing is ever *called*. A global is a
// name; "calling" an allowed rebuild function builds a plain description of a tensor (storage key,
// offset, shape, strides) that ./torchFile checks against the archive's bytes. Allowed globals we
// cannot turn into plain data (quantized and sparse tensors, Counter, complex…) are refused by name,
// and every other global is refused by name before anything else happens.
import { TensorFileError, quote } from '../errors';
import { type NumericDType } from '../dtype';

export interface PyTuple {
  readonly type: 'tuple';
  readonly items: PyValue[];
}
export interface PyList {
  readonly type: 'list';
  readonly items: PyValue[];
}
export interface PyDict {
  readonly type: 'dict';
  readonly ordered: boolean;
  readonly entries: Map<string, [PyValue, PyValue]>;
}
export interface PySet {
  readonly type: 'set';
  readonly items: PyValue[];
}
export interface PyBytes {
  readonly type: 'bytes';
  readonly bytes: Uint8Array;
}
/** A global pushed by GLOBAL: only ever a name. */
export interface PyGlobal {
  readonly type: 'global';
  readonly path: string;
}
export interface TorchStorage {
  readonly type: 'storage';
  /** The member `data/KEY` holding the bytes. */
  readonly key: string;
  /** Element type of a typed storage (torch.FloatStorage…); null for torch.UntypedStorage (bytes). */
  readonly dtype: NumericDType | null;
  /** Element count (bytes for an untyped storage) as the pickle claims it. */
  readonly numel: number;
  readonly location: string;
}
export interface TorchTensor {
  readonly type: 'tensor';
  readonly storage: TorchStorage;
  readonly dtype: NumericDType;
  readonly offset: number;
  readonly shape: number[];
  readonly strides: number[];
  /** Saved as an nn.Parameter (torch.save(model.weight)). */
  readonly parameter: boolean;
}
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyTuple
  | PyList
  | PyDict
  | PySet
  | PyBytes
  | PyGlobal
  | TorchStorage
  | TorchTensor;

/** Storage classes by the name torch.save writes (torch.FloatStorage…), and their element types. */
export const STORAGE_DTYPES: Readonly<Record<string, NumericDType>> = {
  DoubleStorage: 'f64',
  FloatStorage: 'f32',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  BoolStorage: 'bool',
  ByteStorage: 'u8',
  CharStorage: 'i8',
  ShortStorage: 'i16',
  IntStorage: 'i32',
  LongStorage: 'i64',
};
/** torch dtypes (as `str(dtype)` spells them) that a tensor here may have. */
const TORCH_DTYPES: Readonly<Record<string, NumericDType>> = {
  'torch.float64': 'f64',
  'torch.float32': 'f32',
  'torch.float16': 'f16',
  'torch.bfloat16': 'bf16',
  'torch.bool': 'bool',
  'torch.uint8': 'u8',
  'torch.int8': 'i8',
  'torch.int16': 'i16',
  'torch.int32': 'i32',
  'torch.int64': 'i64',
  'torch.uint16': 'u16',
  'torch.uint32': 'u32',
  'torch.uint64': 'u64',
};

// ---- the allow-list, as in torch/_weights_only_unpickler.py's _get_allowed_globals -------------

const STORAGE_NAMES = [
  ...Object.keys(STORAGE_DTYPES),
  'ComplexDoubleStorage',
  'ComplexFloatStorage',
  'QInt8Storage',
  'QUInt8Storage',
  'QInt32Storage',
  'QUInt4x2Storage',
  'QUInt2x4Storage',
];
const TENSOR_CLASS_NAMES = [
  'DoubleTensor',
  'FloatTensor',
  'HalfTensor',
  'BFloat16Tensor',
  'BoolTensor',
  'ByteTensor',
  'CharTensor',
  'ShortTensor',
  'IntTensor',
  'LongTensor',
];
const OTHER_DTYPES = [
  'complex32',
  'complex64',
  'complex128',
  'qint8',
  'quint8',
  'qint32',
  'quint4x2',
  'quint2x4',
  'float8_e4m3fn',
  'float8_e5m2',
  'float8_e4m3fnuz',
  'float8_e5m2fnuz',
  'bits8',
  'bits16',
  'bits1x8',
  'bits2x4',
  'bits4x2',
];
const REBUILD_FUNCTIONS = [
  '_rebuild_parameter',
  '_rebuild_parameter_with_state',
  '_rebuild_qtensor',
  '_rebuild_tensor',
  '_rebuild_tensor_v2',
  '_rebuild_tensor_v3',
  '_rebuild_sparse_tensor',
  '_rebuild_meta_tensor_no_storage',
  '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy',
  '_rebuild_device_tensor_from_cpu_tensor',
];

/** Every global PyTorch's weights_only loader allows by default. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'collections.Counter',
  'torch.nn.parameter.Parameter',
  'torch.serialization._get_layout',
  'torch.Size',
  'torch.Tensor',
  'torch.device',
  '_codecs.encode',
  'builtins.bytearray',
  'builtins.set',
  'builtins.complex',
  ...Object.keys(TORCH_DTYPES),
  ...OTHER_DTYPES.map((d) => `torch.${d}`),
  ...Array.from({ length: 7 }, (_, i) => `torch.uint${i + 1}`),
  ...Array.from({ length: 7 }, (_, i) => `torch.int${i + 1}`),
  ...TENSOR_CLASS_NAMES.flatMap((t) => [`torch.${t}`, `torch.cuda.${t}`]),
  'torch.cuda.sparse.FloatTensor',
  'torch.sparse.FloatTensor',
  ...STORAGE_NAMES.map((s) => `torch.${s}`),
  'torch.storage.TypedStorage',
  'torch.storage.UntypedStorage',
  'torch.UntypedStorage',
  'torch.TypedStorage',
  'torch.per_tensor_affine',
  'torch.per_tensor_symmetric',
  'torch.per_channel_affine',
  'torch.per_channel_symmetric',
  'torch.per_channel_affine_float_qparams',
  ...REBUILD_FUNCTIONS.map((f) => `torch._utils.${f}`),
  'torch._tensor._rebuild_from_type_v2',
]);
/** Modules never allowed, whatever else is (as in PyTorch). */
const BLOCKED_MODULES = new Set(['sys', 'os', 'posix', 'nt']);
/** Python 2 module names torch maps to their Python 3 ones (torch._utils.IMPORT_MAPPING, the parts that matter). */
const IMPORT_MAPPING: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

// ---- opcodes: exactly those the weights_only loader accepts ----------------------------------

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  BINFLOAT: 0x47,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  SHORT_BINSTRING: 0x55,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  APPENDS: 0x65,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  EMPTY_LIST: 0x5d,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  EMPTY_TUPLE: 0x29,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  EMPTY_SET: 0x8f,
} as const;

/** Names of the opcodes this loader refuses, so the message says which one it met. */
const REFUSED_OPCODES: Readonly<Record<number, string>> = {
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4c: 'LONG',
  0x50: 'PERSID',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x56: 'UNICODE',
  0x64: 'DICT',
  0x67: 'GET',
  0x69: 'INST',
  0x6c: 'LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x8b: 'LONG4',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
};

/** Bounds on what a pickle may build, whatever its size: nesting and memo entries. */
const MAX_STACK_DEPTH = 256;
const MAX_MEMO = 1 << 20;

export interface UnpickleResult {
  readonly value: PyValue;
  /** Every storage met, by key (one object per key, so shared storages are one storage). */
  readonly storages: ReadonlyMap<string, TorchStorage>;
  /** Protocol from PROTO (torch.save writes 2). */
  readonly protocol: number;
}

/** A short description of a value for messages ("a tuple of 3", "the string \"x\""). */
export function describeValue(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${String(v)}`;
  if (typeof v === 'string') return `the string ${quote(v, 30)}`;
  switch (v.type) {
    case 'tuple':
    case 'list':
    case 'set':
      return `a ${v.type} of ${v.items.length}`;
    case 'dict':
      return `a${v.ordered ? 'n OrderedDict' : ' dict'} of ${v.entries.size}`;
    case 'bytes':
      return `${v.bytes.length} bytes`;
    case 'global':
      return `the global ${v.path}`;
    case 'storage':
      return `storage ${quote(v.key)}`;
    case 'tensor':
      return 'a tensor';
  }
}

/** Dict keys as plain strings (Python hashes them by value: 1 and "1" differ, so the type is kept). */
function keyOf(k: PyValue, fail: (rule: string) => never): string {
  if (typeof k === 'string') return `s${k}`;
  if (typeof k === 'number' || typeof k === 'bigint') return `n${String(k)}`;
  if (typeof k === 'boolean' || k === null) return `c${String(k)}`;
  if (k.type === 'tuple') return `t(${k.items.map((x) => keyOf(x, fail)).join(',')})`;
  if (k.type === 'bytes') return `b${Array.from(k.bytes).join(',')}`;
  return fail(`${describeValue(k)} cannot be a dict key`);
}

/**
 * Unpickles `bytes` under the weights_only rules. `name` is the member's label for messages; every
 * refusal is a TensorFileError at the byte offset of the opcode concerned.
 */
export function unpickle(name: string, bytes: Uint8Array): UnpickleResult {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let opAt = 0;
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const storages = new Map<string, TorchStorage>();
  let protocol = -1;
  const fail = (rule: string): never => {
    throw new TensorFileError(name, { offset: opAt }, rule);
  };
  const need = (n: number, what: string): void => {
    if (pos + n > bytes.length) fail(`${what} needs ${n} bytes but data.pkl ends at byte ${bytes.length} (truncated?)`);
  };
  const pop = (what: string): PyValue => {
    if (stack.length === 0) fail(`${what} on an empty stack (corrupt pickle)`);
    return stack.pop()!;
  };
  const top = (what: string): PyValue => {
    if (stack.length === 0) fail(`${what} on an empty stack (corrupt pickle)`);
    return stack[stack.length - 1];
  };
  const popMark = (what: string): PyValue[] => {
    if (metastack.length === 0) fail(`${what} without a MARK (corrupt pickle)`);
    const items = stack;
    stack = metastack.pop()!;
    return items;
  };
  const readLine = (what: string): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 1024) fail(`${what} is not a line of at most 1024 bytes`);
    const text = utf8(bytes.subarray(pos, end), what);
    pos = end + 1;
    return text;
  };
  const utf8 = (b: Uint8Array, what: string): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return fail(`${what} is not valid UTF-8`);
    }
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail(`data.pkl ends at byte ${bytes.length} before its STOP opcode (truncated?)`);
    const op = bytes[pos++];
    switch (op) {
      case OP.PROTO:
        need(1, 'PROTO');
        protocol = bytes[pos++];
        if (protocol > 5) fail(`pickle protocol ${protocol} is unknown`);
        break;
      case OP.STOP: {
        const value = pop('STOP');
        if (metastack.length > 0) fail('STOP inside an unclosed MARK (corrupt pickle)');
        return { value, storages, protocol };
      }
      case OP.GLOBAL: {
        let module = readLine('GLOBAL module');
        const attr = readLine('GLOBAL name');
        if (Object.hasOwn(IMPORT_MAPPING, module)) module = IMPORT_MAPPING[module];
        const path = `${module}.${attr}`;
        if (BLOCKED_MODULES.has(module.split('.')[0]))
          fail(`refused global ${quote(path, 100)}: module ${module} is never loaded (only tensors are)`);
        if (!ALLOWED_GLOBALS.has(path)) {
          fail(
            `refused global ${quote(path, 100)}: not in PyTorch's weights_only allow-list; this reader loads only tensors and dicts, lists and tuples of them (a pickled object or a whole nn.Module was saved: save model.state_dict() or the tensors instead)`,
          );
        }
        stack.push({ type: 'global', path });
        break;
      }
      case OP.REDUCE: {
        const args = pop('REDUCE');
        const func = top('REDUCE');
        stack[stack.length - 1] = reduce(func, args, fail, storages);
        break;
      }
      case OP.NEWOBJ: {
        const args = pop('NEWOBJ');
        const cls = pop('NEWOBJ');
        if (!isGlobal(cls) || !ALLOWED_GLOBALS.has(cls.path))
          fail(`NEWOBJ on ${describeValue(cls)}: only allowed classes can be created`);
        const g = cls as PyGlobal;
        if (g.path === 'torch.nn.parameter.Parameter') {
          const data = isTuple(args) ? args.items[0] : undefined;
          if (data === undefined || !isTensor(data)) fail('nn.Parameter(...) without a tensor');
          stack.push({ ...(data as TorchTensor), parameter: true });
        } else {
          fail(`NEWOBJ of ${g.path}: allowed by PyTorch, but not a dense tensor, so not read here`);
        }
        break;
      }
      case OP.BUILD: {
        const state = pop('BUILD');
        const inst = top('BUILD');
        // OrderedDict attributes (a state_dict's `_metadata` versions) are kept by PyTorch and not needed here.
        if (isDict(inst)) break;
        if (isTensor(inst)) {
          // Parameter/tensor state: (requires_grad, backward_hooks[, python attributes]) carries no data.
          if (state === null || isTuple(state) || isDict(state)) break;
        }
        fail(`BUILD of ${describeValue(inst)}: only tensors, nn.Parameters and OrderedDicts may be built`);
        break;
      }
      case OP.APPEND: {
        const item = pop('APPEND');
        const list = top('APPEND');
        if (!isList(list)) fail(`APPEND to ${describeValue(list)}: only lists can be appended to`);
        (list as PyList).items.push(item);
        break;
      }
      case OP.APPENDS: {
        const items = popMark('APPENDS');
        const list = top('APPENDS');
        if (!isList(list)) fail(`APPENDS to ${describeValue(list)}: only lists can be appended to`);
        (list as PyList).items.push(...items);
        break;
      }
      case OP.SETITEM: {
        const v = pop('SETITEM');
        const k = pop('SETITEM');
        const d = top('SETITEM');
        if (!isDict(d)) fail(`SETITEM on ${describeValue(d)}: only dicts and OrderedDicts take items`);
        (d as PyDict).entries.set(keyOf(k, fail), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark('SETITEMS');
        const d = top('SETITEMS');
        if (!isDict(d)) fail(`SETITEMS on ${describeValue(d)}: only dicts and OrderedDicts take items`);
        if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items (corrupt pickle)');
        for (let i = 0; i < items.length; i += 2)
          (d as PyDict).entries.set(keyOf(items[i], fail), [items[i], items[i + 1]]);
        break;
      }
      case OP.MARK:
        if (metastack.length >= MAX_STACK_DEPTH) fail(`nesting deeper than ${MAX_STACK_DEPTH} MARKs`);
        metastack.push(stack);
        stack = [];
        break;
      case OP.TUPLE: {
        const items = popMark('TUPLE'); // first: popMark replaces `stack`
        stack.push({ type: 'tuple', items });
        break;
      }
      case OP.TUPLE1: {
        const a = pop('TUPLE1');
        stack.push({ type: 'tuple', items: [a] });
        break;
      }
      case OP.TUPLE2: {
        const b = pop('TUPLE2');
        const a = pop('TUPLE2');
        stack.push({ type: 'tuple', items: [a, b] });
        break;
      }
      case OP.TUPLE3: {
        const c = pop('TUPLE3');
        const b = pop('TUPLE3');
        const a = pop('TUPLE3');
        stack.push({ type: 'tuple', items: [a, b, c] });
        break;
      }
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.EMPTY_TUPLE:
        stack.push({ type: 'tuple', items: [] });
        break;
      case OP.EMPTY_LIST:
        stack.push({ type: 'list', items: [] });
        break;
      case OP.EMPTY_DICT:
        stack.push({ type: 'dict', ordered: false, entries: new Map() });
        break;
      case OP.EMPTY_SET:
        stack.push({ type: 'set', items: [] });
        break;
      case OP.BININT:
        need(4, 'BININT');
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case OP.BININT1:
        need(1, 'BININT1');
        stack.push(bytes[pos]);
        pos += 1;
        break;
      case OP.BININT2:
        need(2, 'BININT2');
        stack.push(dv.getUint16(pos, true));
        pos += 2;
        break;
      case OP.BINFLOAT:
        need(8, 'BINFLOAT');
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case OP.LONG1: {
        need(1, 'LONG1');
        const n = bytes[pos++];
        need(n, 'LONG1');
        stack.push(decodeLong(bytes.subarray(pos, pos + n)));
        pos += n;
        break;
      }
      case OP.BINUNICODE: {
        need(4, 'BINUNICODE');
        const n = dv.getUint32(pos, true);
        pos += 4;
        need(n, 'BINUNICODE');
        stack.push(utf8(bytes.subarray(pos, pos + n), 'BINUNICODE string'));
        pos += n;
        break;
      }
      case OP.SHORT_BINSTRING: {
        need(1, 'SHORT_BINSTRING');
        const n = bytes[pos++];
        need(n, 'SHORT_BINSTRING');
        stack.push({ type: 'bytes', bytes: bytes.slice(pos, pos + n) });
        pos += n;
        break;
      }
      case OP.BINPERSID: {
        const pid = pop('BINPERSID');
        stack.push(persistentLoad(pid, fail, storages));
        break;
      }
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const long = op === OP.LONG_BINGET;
        need(long ? 4 : 1, long ? 'LONG_BINGET' : 'BINGET');
        const i = long ? dv.getUint32(pos, true) : bytes[pos];
        pos += long ? 4 : 1;
        if (!memo.has(i)) fail(`memo entry ${i} was never stored (corrupt pickle)`);
        stack.push(memo.get(i)!);
        break;
      }
      case OP.BINPUT:
      case OP.LONG_BINPUT: {
        const long = op === OP.LONG_BINPUT;
        need(long ? 4 : 1, long ? 'LONG_BINPUT' : 'BINPUT');
        const i = long ? dv.getUint32(pos, true) : bytes[pos];
        pos += long ? 4 : 1;
        if (!memo.has(i) && memo.size >= MAX_MEMO) fail(`more than ${MAX_MEMO} memo entries`);
        memo.set(i, top('BINPUT'));
        break;
      }
      default: {
        const known = REFUSED_OPCODES[op];
        fail(
          known
            ? `opcode ${known} (0x${op.toString(16)}) is not allowed (PyTorch's weights_only loader refuses it too)`
            : `unknown opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or corrupt)`,
        );
      }
    }
  }
}

function isGlobal(v: PyValue): v is PyGlobal {
  return v !== null && typeof v === 'object' && v.type === 'global';
}
function isTuple(v: PyValue): v is PyTuple {
  return v !== null && typeof v === 'object' && v.type === 'tuple';
}
function isList(v: PyValue): v is PyList {
  return v !== null && typeof v === 'object' && v.type === 'list';
}
function isDict(v: PyValue): v is PyDict {
  return v !== null && typeof v === 'object' && v.type === 'dict';
}
export function isTensor(v: PyValue): v is TorchTensor {
  return v !== null && typeof v === 'object' && v.type === 'tensor';
}
function isStorage(v: PyValue): v is TorchStorage {
  return v !== null && typeof v === 'object' && v.type === 'storage';
}

/** Python's little-endian two's-complement long (LONG1). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function asciiOf(v: PyValue): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && v.type === 'bytes') return String.fromCharCode(...v.bytes);
  return undefined;
}

/** ('storage', StorageType, key, location, numel): the only persistent ids torch.save writes. */
function persistentLoad(
  pid: PyValue,
  fail: (rule: string) => never,
  storages: Map<string, TorchStorage>,
): TorchStorage {
  if (!isTuple(pid)) return fail(`persistent id is ${describeValue(pid)}, not a storage tuple`);
  const [kind, storageType, key, location, numel] = pid.items;
  if (asciiOf(kind) !== 'storage')
    return fail(`persistent id of kind ${describeValue(kind ?? null)}: only storages may be loaded`);
  if (pid.items.length !== 5) return fail(`storage persistent id has ${pid.items.length} fields, not 5`);
  const keyText = asciiOf(key);
  if (keyText === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(keyText))
    return fail(`storage key ${describeValue(key)} is not a member name`);
  if (!isGlobal(storageType)) return fail(`storage type ${describeValue(storageType)} is not a storage class`);
  const cls = storageType.path.replace(/^torch\.(cuda\.)?/, '');
  let dtype: NumericDType | null;
  if (cls === 'UntypedStorage' || cls === 'storage.UntypedStorage') dtype = null;
  else if (Object.hasOwn(STORAGE_DTYPES, cls)) dtype = STORAGE_DTYPES[cls];
  else return fail(`storage type ${storageType.path} is not supported (float, bool and integer storages are read)`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
    return fail(`storage ${quote(keyText)} claims ${describeValue(numel ?? null)} elements`);
  const loc = asciiOf(location) ?? '?';
  const seen = storages.get(keyText);
  if (seen) {
    if (seen.dtype !== dtype || seen.numel !== numel) fail(`storage ${quote(keyText)} is described twice, differently`);
    return seen;
  }
  const storage: TorchStorage = { type: 'storage', key: keyText, dtype, numel, location: loc };
  storages.set(keyText, storage);
  return storage;
}

function intTuple(v: PyValue | undefined, what: string, fail: (rule: string) => never): number[] {
  if (v === undefined || !isTuple(v))
    return fail(`${what} is ${v === undefined ? 'missing' : describeValue(v)}, not a tuple of integers`);
  return v.items.map((x, i) =>
    typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
      ? x
      : fail(`${what}[${i}] is ${describeValue(x)}, not a non-negative integer`),
  );
}

function tensorFrom(args: PyValue[], dtypeArg: PyValue | undefined, fail: (rule: string) => never): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (storage === undefined || !isStorage(storage))
    return fail(`a tensor's storage is ${describeValue(storage ?? null)}, not a storage`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    return fail(`storage offset ${describeValue(offset ?? null)} is not a non-negative integer`);
  const shape = intTuple(size, 'the tensor size', fail);
  const strides = intTuple(stride, 'the tensor stride', fail);
  if (strides.length !== shape.length) fail(`stride has ${strides.length} entries for a ${shape.length}-D size`);
  let dtype = storage.dtype;
  if (dtypeArg !== undefined) {
    const named =
      isGlobal(dtypeArg) && Object.hasOwn(TORCH_DTYPES, dtypeArg.path) ? TORCH_DTYPES[dtypeArg.path] : undefined;
    if (!named)
      return fail(`dtype ${describeValue(dtypeArg)} is not supported (float, bool and integer tensors are read)`);
    if (dtype !== null && dtype !== named) fail(`dtype ${(dtypeArg as PyGlobal).path} does not match its storage`);
    dtype = named;
  }
  if (dtype === null) return fail('an untyped storage without a dtype');
  return { type: 'tensor', storage, dtype, offset, shape, strides, parameter: false };
}

/** "Calls" an allowed function: builds the plain value it stands for, or refuses by name. */
function reduce(
  func: PyValue,
  argsValue: PyValue,
  fail: (rule: string) => never,
  storages: Map<string, TorchStorage>,
): PyValue {
  if (!isGlobal(func)) return fail(`REDUCE on ${describeValue(func)}: only allowed globals can be applied`);
  if (!isTuple(argsValue)) return fail(`REDUCE of ${func.path} with ${describeValue(argsValue)} as arguments`);
  const args = argsValue.items;
  switch (func.path) {
    case 'collections.OrderedDict':
      if (args.length !== 0)
        fail('OrderedDict(...) with arguments (torch.save writes OrderedDict() and then its items)');
      return { type: 'dict', ordered: true, entries: new Map() };
    case 'torch._utils._rebuild_tensor':
      return tensorFrom(args, undefined, fail);
    case 'torch._utils._rebuild_tensor_v2':
      return tensorFrom(args, undefined, fail);
    case 'torch._utils._rebuild_tensor_v3':
      return tensorFrom(args, args[6], fail);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const data = args[0];
      if (data === undefined || !isTensor(data)) return fail(`${func.path} without a tensor`);
      return { ...data, parameter: true };
    }
    case 'torch._tensor._rebuild_from_type_v2': {
      // (func, new_type, args, state): a tensor subclass wrapper around one of the rebuild functions.
      const [inner, newType, innerArgs] = args;
      if (
        !isGlobal(newType ?? null) ||
        !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes((newType as PyGlobal).path)
      ) {
        return fail(
          `_rebuild_from_type_v2 to ${describeValue(newType ?? null)}: only torch.Tensor and nn.Parameter are read`,
        );
      }
      const built = reduce(inner ?? null, innerArgs ?? null, fail, storages);
      if (!isTensor(built)) return fail('_rebuild_from_type_v2 did not rebuild a tensor');
      return built;
    }
    case 'torch.Size':
      if (args.length === 1 && isTuple(args[0])) return args[0];
      return fail('torch.Size(...) without a tuple');
    case 'builtins.set':
      if (args.length === 1 && (isList(args[0]) || isTuple(args[0])))
        return { type: 'set', items: [...(args[0] as PyList).items] };
      return fail('set(...) without a list');
    case '_codecs.encode':
      if (typeof args[0] === 'string' && (args[1] === 'latin1' || args[1] === 'latin-1')) {
        const s = args[0];
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c > 255) fail('_codecs.encode of a non-latin-1 string');
          out[i] = c;
        }
        return { type: 'bytes', bytes: out };
      }
      return fail('_codecs.encode(...) other than (str, "latin1")');
    default:
      return fail(
        `${func.path}(...) is allowed by PyTorch's weights_only loader but builds no dense tensor or plain container, so it is not read here`,
      );
  }
}
