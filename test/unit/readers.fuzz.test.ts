// Hostile input through every reader, built with structure so the parsers get past their first
// checks: JSON documents (random, mutated, cut and spliced) and text; .npy files of every version with
// generated header dicts (bogus dtypes and shapes, lying header lengths, truncated or padded data);
// safetensors files with generated headers (bad dtypes, shapes, offsets that overlap, leave gaps or
// claim 10^12 bytes, lying header lengths, mangled JSON); .npz archives with their central directory,
// local headers and deflate streams corrupted and their sizes lying.
//
// Every case either yields a result or is refused by one InputError (TensorFileError for files)
// whose message is one line and names where (a JSON path, a file and byte offset or tensor). No
// other exception may escape, and each case must finish within CASE_BOUND_MS: a hang detector, not a
// speed test (cases take a few milliseconds). A header claiming 10^12 elements must be refused before
// anything is allocated: checked by time and by the process's array-buffer and heap growth.
//
// CI runs a fixed seed and modest counts (a few seconds). Longer runs: `npm run fuzz` (scripts/fuzz.mjs),
// or FUZZ_RUNS=100000 [FUZZ_SEED=n] npx mocha --no-config -r tsx/cjs test/unit/readers.fuzz.test.ts
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { deflateSync, zipSync } from 'fflate';
import { InputError, oneLineMessage, parseAttentionJson } from '../../src/core';
import {
  type ByteSource,
  MemoryByteSource,
  type TensorFile,
  TensorFileError,
  detectAttention,
  detectMeaning,
  openTensorFile,
  readSlice,
  readStrings,
  streamHeads,
  tokensFromFile,
} from '../../src/core/tensorfiles';
import { MemorySource } from '../../src/host/memorySource';
import { tensorFileSource } from '../../src/host/openInMemory';

const SEED = Number(process.env.FUZZ_SEED ?? 7_000_007);
const LONG = process.env.FUZZ_RUNS !== undefined && Number(process.env.FUZZ_RUNS) > 0;
/** CI count, or FUZZ_RUNS for every property in a long run. */
const runs = (ci: number): number => (LONG ? Number(process.env.FUZZ_RUNS) : ci);
const CASE_BOUND_MS = Number(process.env.FUZZ_CASE_MS ?? 2000);

// ---- the harness: count, time and classify every case -----------------------------------------

interface Tally {
  cases: number;
  calls: number;
  refused: number;
  slowestMs: number;
}
// calls - refused: reader calls that returned a result (shows the cases reach past the first checks)
const tallies = new Map<string, Tally>();

/** What a refusal must look like: an InputError, one line, saying where. */
function checkRefusal(family: string, e: unknown, file: boolean): void {
  if (!(e instanceof InputError)) {
    throw new Error(
      `${family}: ${e instanceof Error ? e.constructor.name : typeof e} escaped: ${oneLineMessage(e).slice(0, 300)}`,
      { cause: e },
    );
  }
  if (file && !(e instanceof TensorFileError))
    throw new Error(`${family}: a file reader threw a plain InputError: ${e.message}`);
  if (/[\r\n\u2028\u2029]/.test(e.message))
    throw new Error(`${family}: multi-line message: ${JSON.stringify(e.message)}`);
  if (!e.where || !e.rule) throw new Error(`${family}: message names no place or no rule: ${e.message}`);
  if (e instanceof TensorFileError && !e.message.startsWith(e.file))
    throw new Error(`${family}: message does not start with the file: ${e.message}`);
}

/** One case: a sequence of reader calls, each guarded; the whole case time-bounded. */
async function runCase(
  family: string,
  file: boolean,
  body: (guard: (call: () => unknown, fileError?: boolean) => Promise<boolean>) => Promise<void>,
): Promise<void> {
  let tally = tallies.get(family);
  if (!tally) tallies.set(family, (tally = { cases: 0, calls: 0, refused: 0, slowestMs: 0 }));
  const t = tally;
  const guard = async (call: () => unknown, fileError = file): Promise<boolean> => {
    t.calls++;
    try {
      await call();
      return true;
    } catch (e) {
      checkRefusal(family, e, fileError);
      t.refused++;
      return false;
    }
  };
  const t0 = performance.now();
  await body(guard);
  const ms = performance.now() - t0;
  t.cases++;
  t.slowestMs = Math.max(t.slowestMs, ms);
  if (ms > CASE_BOUND_MS)
    throw new Error(`${family}: one case took ${ms.toFixed(0)} ms (bound ${CASE_BOUND_MS} ms): a hang or runaway work`);
}

/** Every tensor-file reader on one source, then the panel's file-backed source on it. */
async function throughFileReaders(family: string, source: ByteSource): Promise<void> {
  await runCase(family, true, async (guard) => {
    let file: TensorFile | undefined;
    await guard(async () => {
      file = await openTensorFile(source);
    });
    const f = file;
    if (!f) return;
    for (const t of f.tensors.slice(0, 6)) {
      const lead = t.shape.slice(0, Math.max(0, t.shape.length - 2));
      await guard(() =>
        readSlice(
          f,
          t.name,
          lead.map(() => 0),
        ),
      );
      await guard(() =>
        readSlice(
          f,
          t.name,
          lead.map((d) => d - 1),
        ),
      );
      if (t.dtype === 'unicode') await guard(() => readStrings(f, t.name));
    }
    await guard(() => tokensFromFile(f));
    await guard(async () => {
      const view = detectAttention(f);
      await detectMeaning(f, view);
      let n = 0;
      for await (const h of streamHeads(f, view)) {
        assert.ok(h.layer >= 0 && h.head >= 0);
        if (++n >= 4) break;
      }
    });
    // The panel's source: overview (a pass over every head), one head, the heads grid. Opening is a
    // file error; what the values then give (e.g. a NaN score in layer 0 head 1) is an InputError.
    await guard(async () => {
      const panel = await tensorFileSource(source, 'fuzz', {}, async () => null);
      const overview = await panel.overview();
      const head = await panel.head(0, 0);
      for (const w of head.weights) assert.ok(Number.isFinite(w), 'weights are finite');
      if (overview.layers * overview.heads <= 16) await panel.thumbnails?.(8);
    }, false);
  });
}

/** The JSON readers: the schema with the default limits, then the panel's in-memory source. */
async function throughJsonReaders(family: string, text: string): Promise<void> {
  await runCase(family, false, async (guard) => {
    await guard(() => parseAttentionJson(text, {}));
    await guard(async () => {
      const source = MemorySource.fromSpec({ kind: 'json', json: text });
      const overview = await source.overview();
      const head = await source.head(0, 0);
      for (const w of head.weights) assert.ok(Number.isFinite(w), 'weights are finite');
      if (overview.rescalable) await MemorySource.fromSpec({ kind: 'json', json: text, scale: 0.5 }).head(0, 0);
    });
  });
}

// ---- JSON documents -----------------------------------------------------------------------------

const num = fc.oneof(
  { weight: 30, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-320, 3.4e38, 3.5e38, 1e308, -1e308, 2 ** 53) },
);
const matrixOf = (r: number, c: number) =>
  fc.array(fc.array(num, { minLength: c, maxLength: c }), { minLength: r, maxLength: r });
const labels = (n: number) =>
  fc.array(fc.oneof(fc.string(), fc.constantFrom('<script>alert(1)</script>', '\u202e', '\0', '\uD800')), {
    minLength: n,
    maxLength: n,
  });
const maskOf = (n: number, m: number) =>
  fc.oneof(
    fc.constantFrom('none', 'causal', 'anticausal'),
    fc.array(fc.array(fc.constantFrom(0, 1), { minLength: m, maxLength: m }), { minLength: n, maxLength: n }),
  );
const scaleArb = fc.oneof(
  fc.constantFrom('sqrt', 'none', 0.5, 1, 1e-30, 1e30),
  fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
);

const validDoc = fc
  .record({
    n: fc.integer({ min: 1, max: 5 }),
    m: fc.integer({ min: 1, max: 5 }),
    d: fc.integer({ min: 1, max: 4 }),
    h: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ n, m, d, h }) =>
    fc.oneof(
      fc.record(
        {
          Q: matrixOf(n, d),
          K: matrixOf(m, d),
          V: matrixOf(m, d),
          tokens: labels(n),
          key_tokens: labels(m),
          mask: maskOf(n, m),
          scale: scaleArb,
        },
        { requiredKeys: ['Q', 'K', 'V'] },
      ),
      fc.record(
        {
          scores: fc.array(matrixOf(n, m), { minLength: h, maxLength: h }),
          d_k: fc.constant(d),
          mask: maskOf(n, m),
          scale: scaleArb,
        },
        { requiredKeys: ['scores'] },
      ),
      fc.record(
        {
          X: matrixOf(n, d),
          heads: fc.array(fc.record({ W_Q: matrixOf(d, 2), W_K: matrixOf(d, 2), W_V: matrixOf(d, 1) }), {
            minLength: h,
            maxLength: h,
          }),
          W_O: matrixOf(h, d),
          tokens: labels(n),
        },
        { requiredKeys: ['X', 'heads'] },
      ),
      fc.record(
        {
          attentions: fc.array(
            fc.array(
              matrixOf(n, m).map((rows) => rows.map((r) => r.map((x) => Math.abs(x) / (1 + Math.abs(x))))),
              { minLength: h, maxLength: h },
            ),
            { minLength: 1, maxLength: 2 },
          ),
          tokens: labels(n),
        },
        { requiredKeys: ['attentions'] },
      ),
    ),
  );

const hostileValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    '',
    'sqrt',
    [],
    [[]],
    [[[]]],
    {},
    -1,
    0,
    1e39,
    '1',
    [1, [2]],
    { W_Q: [] },
    [[1, 2], [3]],
    [[Number.MAX_VALUE]],
    'causal',
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Replaces one value somewhere in the document. */
function replaceAt(doc: unknown, path: number[], value: unknown): unknown {
  if (path.length === 0 || typeof doc !== 'object' || doc === null) return value;
  const keys = Object.keys(doc);
  if (keys.length === 0) return value;
  const key = keys[path[0] % keys.length];
  const copy: Record<string, unknown> = Array.isArray(doc)
    ? ({ ...doc } as Record<string, unknown>)
    : { ...(doc as Record<string, unknown>) };
  copy[key] = replaceAt((doc as Record<string, unknown>)[key], path.slice(1), value);
  return Array.isArray(doc) ? Object.assign([], copy) : copy;
}

/** Mostly undefined: most generated files should be well formed except for one thing. */
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const textEdit = fc.record({
  at: fc.nat(),
  remove: fc.integer({ min: 0, max: 8 }),
  insert: fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('[', ']', '{', '}', ',', '"', '\\', '-', '1e999', 'NaN', '\u2028', '\uD800', '\0'),
  ),
});
function applyEdit(text: string, e: { at: number; remove: number; insert: string }): string {
  const at = e.at % (text.length + 1);
  return text.slice(0, at) + e.insert + text.slice(at + e.remove);
}

// ---- .npy files ---------------------------------------------------------------------------------

const DESCRS = [
  '<f4',
  '>f4',
  '<f8',
  '>f8',
  '<f2',
  '|b1',
  '|u1',
  '|i1',
  '<i2',
  '<u4',
  '<i8',
  '>u8',
  '<U5',
  '>U3',
  '<U0',
  '<c8',
  '|O',
  '<M8[ns]',
  '|V8',
  '<f3',
  'f4',
  '<f16',
  '',
  'float32',
  '|S5',
  '<U99999999',
];
const ITEMSIZE: Record<string, number> = {
  '<f4': 4,
  '>f4': 4,
  '<f8': 8,
  '>f8': 8,
  '<f2': 2,
  '|b1': 1,
  '|u1': 1,
  '|i1': 1,
  '<i2': 2,
  '<u4': 4,
  '<i8': 8,
  '>u8': 8,
  '<U5': 20,
  '>U3': 12,
};
const dimText = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: 1, max: 6 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0',
      '1000000',
      '2147483648',
      '4294967296',
      '9007199254740993',
      '1000000000000',
      '-1',
      '99999999999999999999999999',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('1.5', '3L', 'True', 'None', "'3'", '()', '(2,)', '0x10', '1e3', '+2', '- 1', '２'),
  },
);
const shapeText = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(dimText, { maxLength: 5 })
      .map((ds) => (ds.length === 1 ? `(${ds[0]},)` : `(${ds.join(', ')})`)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '[2, 3]',
      '2',
      'None',
      '((2, 3),)',
      '(' + '('.repeat(40) + ')'.repeat(40) + ')',
      `(${Array(40).fill('1').join(', ')})`,
    ),
  },
);
const npyDict = fc.record({
  descr: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('<f4', '<f4', '<f8', '>f4', '<f2') },
    { weight: 6, arbitrary: fc.constantFrom(...DESCRS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  ),
  quote: fc.constantFrom("'", '"'),
  fortran: fc.constantFrom('False', 'False', 'False', 'False', 'True', 'True', '0', 'None', "'no'"),
  shape: shapeText,
  extra: rarely(fc.constantFrom("'x': 1", "'descr': '<f8'", '1: 2', "'shape': (1,)")),
  drop: rarely(fc.integer({ min: 0, max: 2 })),
  order: fc.integer({ min: 0, max: 5 }),
});
type NpyDict = typeof npyDict extends fc.Arbitrary<infer T> ? T : never;

function npyDictText(d: NpyDict): string {
  const q = d.quote;
  const parts = [
    `${q}descr${q}: ${q}${d.descr.replace(/['"\\\n]/g, '')}${q}`,
    `${q}fortran_order${q}: ${d.fortran}`,
    `${q}shape${q}: ${d.shape}`,
  ];
  if (d.drop !== undefined) parts.splice(d.drop, 1);
  if (d.extra) parts.push(d.extra);
  // A few orders of the keys (numpy writes them sorted; readers must not depend on that).
  const ordered = [...parts.slice(d.order % parts.length || 0), ...parts.slice(0, d.order % parts.length || 0)];
  return `{${ordered.join(', ')}, }`;
}

/** The data size the header's shape claims, when it can be computed and is small enough to write. */
function claimedBytes(d: NpyDict): number | null {
  const size = ITEMSIZE[d.descr];
  if (!size) return null;
  const dims = /^\((.*)\)$/
    .exec(d.shape)?.[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!dims || dims.some((s) => !/^\d+$/.test(s))) return null;
  const count = dims.reduce((a, s) => a * Number(s), 1);
  return count * size <= 1 << 16 ? count * size : null;
}

const npyFile = fc.record({
  version: fc.constantFrom(1, 1, 1, 2, 2, 3, 3, 0, 4),
  minor: fc.constantFrom(0, 0, 1),
  dict: npyDict,
  edits: fc.oneof(
    { weight: 5, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.array(textEdit, { minLength: 1, maxLength: 2 }) },
  ),
  utf8: fc.constantFrom('', '', '', '', '', '', 'é', '\u202e', '😀'),
  length: fc.constantFrom(
    'exact',
    'exact',
    'exact',
    'exact',
    'exact',
    'exact',
    'exact',
    'short',
    'long',
    'zero',
    'max',
  ),
  data: fc.constantFrom('exact', 'exact', 'exact', 'exact', 'exact', 'exact', 'short', 'long', 'none'),
  fill: fc.integer({ min: 0, max: 255 }),
});

function buildNpy(spec: typeof npyFile extends fc.Arbitrary<infer T> ? T : never): Uint8Array {
  let text = npyDictText(spec.dict);
  for (const e of spec.edits) text = applyEdit(text, e);
  text += spec.utf8;
  const pre = spec.version === 1 || spec.version === 0 ? 10 : 12;
  const encoded = new TextEncoder().encode(text);
  const padding = (64 - ((pre + encoded.length + 1) % 64)) % 64;
  const header = new Uint8Array(encoded.length + padding + 1).fill(0x20);
  header.set(encoded);
  header[header.length - 1] = 0x0a;
  const claimed = claimedBytes(spec.dict);
  const exact = claimed ?? 24;
  const dataLength =
    spec.data === 'exact'
      ? exact
      : spec.data === 'short'
        ? Math.max(0, exact - 1 - (spec.fill % 7))
        : spec.data === 'long'
          ? exact + 1 + (spec.fill % 9)
          : 0;
  const out = new Uint8Array(pre + header.length + dataLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, spec.version, spec.minor]);
  const dv = new DataView(out.buffer);
  const length =
    spec.length === 'exact'
      ? header.length
      : spec.length === 'short'
        ? header.length - 1 - (spec.fill % 5)
        : spec.length === 'long'
          ? header.length + 1 + spec.fill
          : spec.length === 'zero'
            ? 0
            : 0xffffffff;
  if (pre === 10) dv.setUint16(8, Math.max(0, length) & 0xffff, true);
  else dv.setUint32(8, Math.max(0, length) >>> 0, true);
  out.set(header, pre);
  // Deterministic data: a ramp of the fill byte, so floats are a mix of small numbers and NaN patterns.
  for (let i = pre + header.length; i < out.length; i++) out[i] = (spec.fill + i * 37) & 0xff;
  return out;
}

// ---- safetensors files --------------------------------------------------------------------------

const ST_ITEMSIZE: Record<string, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  U8: 1,
  BOOL: 1,
  I8: 1,
  U16: 2,
};
const stEntry = fc.record({
  name: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'attn',
        'attentions',
        'q',
        'k',
        'v',
        'scores',
        'layer.0.attn',
        'tokens',
        'blocks.1.attn.pattern',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  ),
  dtype: fc.oneof(
    { weight: 15, arbitrary: fc.constantFrom('F32', 'F32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL') },
    { weight: 1, arbitrary: fc.constantFrom('F8_E4M3', 'f32', '', 'C64', 'STR', 7, null) },
  ),
  shape: fc.oneof(
    { weight: 15, arbitrary: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.constantFrom<unknown>(-1, 1.5, 2 ** 31, 1e6, 2 ** 53, 1e12, '3', null, 3), {
        maxLength: 5,
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom<unknown>('2x3', null, {}, [[2]]) },
  ),
  offsets: fc.constantFrom(
    'tile',
    'tile',
    'tile',
    'tile',
    'tile',
    'tile',
    'tile',
    'tile',
    'tile',
    'tile',
    'random',
    'overlap',
    'gap',
    'huge',
    'negative',
    'float',
    'string',
    'missing',
    'triple',
    'reversed',
  ),
  r: fc.nat({ max: 1 << 16 }),
});
const stFile = fc.record({
  entries: fc.array(stEntry, { maxLength: 4 }),
  metadata: rarely(
    fc.oneof(
      fc.dictionary(fc.constantFrom('tokens', 'format', 'layout', 'meaning', 'x'), fc.string()),
      fc.constant({ tokens: '["a", "<b>", "\\ud800"]' }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  ),
  length: fc.constantFrom('exact', 'exact', 'exact', 'exact', 'exact', 'exact', 'plus', 'minus', 'zero', 'huge', 'max'),
  edits: fc.oneof(
    { weight: 5, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.array(textEdit, { minLength: 1, maxLength: 2 }) },
  ),
  data: fc.constantFrom('exact', 'exact', 'exact', 'exact', 'exact', 'short', 'long'),
  lead: fc.constantFrom('', '', '', '', '', '', ' ', '\uFEFF'),
});

function buildSafetensors(spec: typeof stFile extends fc.Arbitrary<infer T> ? T : never): Uint8Array {
  const header: Record<string, unknown> = {};
  let end = 0;
  for (const e of spec.entries) {
    const size = ST_ITEMSIZE[String(e.dtype)] ?? 4;
    const count =
      Array.isArray(e.shape) && e.shape.every((d) => typeof d === 'number')
        ? (e.shape as number[]).reduce((a, b) => a * b, 1)
        : 1;
    const bytes = count * size;
    const begin = end;
    let offsets: unknown;
    switch (e.offsets) {
      case 'tile':
        offsets = [begin, begin + bytes];
        end = begin + bytes;
        break;
      case 'random':
        offsets = [e.r % 64, (e.r % 64) + (e.r % 128)];
        break;
      case 'overlap':
        offsets = [Math.max(0, begin - 1 - (e.r % 4)), begin + bytes];
        break;
      case 'gap':
        offsets = [begin + 1 + (e.r % 8), begin + 1 + (e.r % 8) + bytes];
        break;
      case 'huge':
        offsets = [begin, begin + 4e12];
        break;
      case 'negative':
        offsets = [-4, bytes - 4];
        break;
      case 'float':
        offsets = [begin + 0.5, begin + bytes + 0.5];
        break;
      case 'string':
        offsets = [String(begin), String(begin + bytes)];
        break;
      case 'missing':
        offsets = undefined;
        break;
      case 'triple':
        offsets = [begin, begin + bytes, begin + bytes];
        break;
      case 'reversed':
        offsets = [begin + bytes, begin];
        break;
    }
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: offsets };
  }
  if (spec.metadata !== undefined) header.__metadata__ = spec.metadata;
  let text = spec.lead + JSON.stringify(header);
  for (const e of spec.edits) text = applyEdit(text, e);
  const json = new TextEncoder().encode(text);
  const dataBytes = Math.max(0, Math.min(1 << 16, Number.isSafeInteger(end) ? end : 0));
  const data = spec.data === 'exact' ? dataBytes : spec.data === 'short' ? Math.max(0, dataBytes - 3) : dataBytes + 5;
  const out = new Uint8Array(8 + json.length + data);
  const claimed = {
    exact: json.length,
    plus: json.length + 7,
    minus: Math.max(0, json.length - 3),
    zero: 0,
    huge: 2 ** 40,
    max: -1,
  }[spec.length];
  new DataView(out.buffer).setBigUint64(0, claimed < 0 ? 2n ** 64n - 1n : BigInt(claimed), true);
  out.set(json, 8);
  // Float32 data: a gentle ramp, so weight-like and score-like tensors both occur.
  const f = new Float32Array(out.buffer, 0, Math.floor(out.length / 4));
  for (let i = Math.ceil((8 + json.length) / 4); i < f.length; i++) f[i] = ((i * 7) % 13) / 13;
  return out;
}

// ---- .npz archives ------------------------------------------------------------------------------

function simpleNpy(descr: string, shape: number[], values: ArrayBufferView): Uint8Array {
  const head = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const padding = (64 - ((10 + head.length + 1) % 64)) % 64;
  const h = new TextEncoder().encode(head + ' '.repeat(padding) + '\n');
  const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(10 + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  out.set(body, 10 + h.length);
  return out;
}

/** Softmax rows, so the archive reads as attention weights (2 layers × 2 heads × 3 × 3). */
const WEIGHTS = Float32Array.from({ length: 36 }, (_, i) => [0.2, 0.3, 0.5][i % 3]);
const TOKENS = (() => {
  const out = new Uint32Array(3 * 5);
  ['I', 'go', 'home'].forEach((t, r) => Array.from(t).forEach((c, k) => (out[r * 5 + k] = c.codePointAt(0)!)));
  return out;
})();
const MEMBERS: Record<string, Uint8Array> = {
  'attentions.npy': simpleNpy('<f4', [2, 2, 3, 3], WEIGHTS),
  'tokens.npy': simpleNpy('<U5', [3], TOKENS),
  'q.npy': simpleNpy(
    '<f4',
    [3, 4],
    Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
  ),
  'notes.txt': new TextEncoder().encode('not an array'),
};

interface ZipLayout {
  bytes: Uint8Array;
  eocd: number;
  directory: number[];
  locals: number[];
  data: { start: number; size: number; deflated: boolean }[];
}

/** Builds an archive and finds its structures (no comment, so the end record is the last 22 bytes). */
function buildZip(names: string[], deflate: boolean[]): ZipLayout {
  const files: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  names.forEach((n, i) => (files[n] = [MEMBERS[n], { level: deflate[i] ? 6 : 0 }]));
  const bytes = zipSync(files);
  const dv = new DataView(bytes.buffer);
  const eocd = bytes.length - 22;
  const count = dv.getUint16(eocd + 10, true);
  const directory: number[] = [],
    locals: number[] = [],
    data: ZipLayout['data'] = [];
  let p = dv.getUint32(eocd + 16, true);
  for (let i = 0; i < count; i++) {
    directory.push(p);
    const local = dv.getUint32(p + 42, true);
    locals.push(local);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    data.push({ start, size: dv.getUint32(p + 20, true), deflated: dv.getUint16(p + 10, true) === 8 });
    p += 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return { bytes, eocd, directory, locals, data };
}

const CD_FIELDS = {
  flags: [8, 2],
  method: [10, 2],
  compressedSize: [20, 4],
  uncompressedSize: [24, 4],
  nameLength: [28, 2],
  extraLength: [30, 2],
  commentLength: [32, 2],
  localOffset: [42, 4],
} as const;
const EOCD_FIELDS = {
  entriesOnDisk: [8, 2],
  entries: [10, 2],
  directorySize: [12, 4],
  directoryOffset: [16, 4],
  commentLength: [20, 2],
} as const;
const LOCAL_FIELDS = { signature: [0, 4], nameLength: [26, 2], extraLength: [28, 2] } as const;
const fieldValue = fc.oneof(
  fc.constantFrom(0, 1, 8, 12, 46, 0xffff, 0xffffffff, 0x7fffffff, 1 << 20),
  fc.integer({ min: -3, max: 3 }).map((d) => ({ delta: d })),
);

const corruption = fc.oneof(
  fc.record({
    kind: fc.constant('directory' as const),
    entry: fc.nat(),
    field: fc.constantFrom(...(Object.keys(CD_FIELDS) as (keyof typeof CD_FIELDS)[])),
    value: fieldValue,
  }),
  fc.record({
    kind: fc.constant('end' as const),
    field: fc.constantFrom(...(Object.keys(EOCD_FIELDS) as (keyof typeof EOCD_FIELDS)[])),
    value: fieldValue,
  }),
  fc.record({
    kind: fc.constant('local' as const),
    entry: fc.nat(),
    field: fc.constantFrom(...(Object.keys(LOCAL_FIELDS) as (keyof typeof LOCAL_FIELDS)[])),
    value: fieldValue,
  }),
  fc.record({
    kind: fc.constant('deflate' as const),
    entry: fc.nat(),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('garbage' as const), entry: fc.nat(), seed: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('sizes' as const),
    entry: fc.nat(),
    compressed: fc.integer({ min: -20, max: 20 }),
    uncompressed: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(1 << 30, 0x7fffffff)),
  }),
);
type Corruption = typeof corruption extends fc.Arbitrary<infer T> ? T : never;

function setField(dv: DataView, at: number, width: number, value: number | { delta: number }): void {
  if (at + width > dv.byteLength) return;
  const old = width === 2 ? dv.getUint16(at, true) : dv.getUint32(at, true);
  const v = typeof value === 'number' ? value : old + value.delta;
  if (width === 2) dv.setUint16(at, v & 0xffff, true);
  else dv.setUint32(at, v >>> 0, true);
}

function corrupt(zip: ZipLayout, c: Corruption): Uint8Array {
  if (c.kind === 'truncate') return zip.bytes.slice(0, c.at % zip.bytes.length);
  const b = zip.bytes.slice();
  const dv = new DataView(b.buffer);
  const n = zip.directory.length;
  switch (c.kind) {
    case 'directory': {
      const [off, w] = CD_FIELDS[c.field];
      setField(dv, zip.directory[c.entry % n] + off, w, c.value);
      break;
    }
    case 'end': {
      const [off, w] = EOCD_FIELDS[c.field];
      setField(dv, zip.eocd + off, w, c.value);
      break;
    }
    case 'local': {
      const [off, w] = LOCAL_FIELDS[c.field];
      setField(dv, zip.locals[c.entry % n] + off, w, c.value);
      break;
    }
    case 'deflate': {
      const d = zip.data[c.entry % n];
      if (d.size > 0) c.bytes.forEach((x, k) => (b[d.start + ((c.at + k) % d.size)] = x));
      break;
    }
    case 'garbage': {
      const d = zip.data[c.entry % n];
      for (let k = 0; k < d.size; k++) b[d.start + k] = (c.seed * 2654435761 + k * 40503) >>> 24;
      break;
    }
    case 'sizes': {
      // The member's sizes lie in both its directory entry and its local header.
      const e = c.entry % n;
      for (const base of [zip.directory[e] + 20, zip.locals[e] + 18]) {
        setField(dv, base, 4, { delta: c.compressed });
        if (typeof c.uncompressed === 'number' && Math.abs(c.uncompressed) > 100)
          setField(dv, base + 4, 4, c.uncompressed);
        else setField(dv, base + 4, 4, { delta: c.uncompressed });
      }
      break;
    }
  }
  return b;
}

const zipSpec = fc.record({
  members: fc.subarray(Object.keys(MEMBERS), { minLength: 1 }),
  deflate: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  corruptions: fc.array(corruption, { minLength: 1, maxLength: 3 }),
});

// ---- the properties -----------------------------------------------------------------------------

describe('readers: structured fuzzing (seeded, bounded, every case timed)', function () {
  this.timeout(LONG ? 0 : 60000);

  after(() => {
    const rows = [...tallies.entries()].map(
      ([family, t]) =>
        `  ${family.padEnd(34)} ${String(t.cases).padStart(7)} cases ${String(t.calls).padStart(8)} reader calls ${String(t.refused).padStart(8)} refused ${String(t.calls - t.refused).padStart(7)} answered  slowest ${t.slowestMs.toFixed(1)} ms`,
    );
    const cases = [...tallies.values()].reduce((a, t) => a + t.cases, 0);
    const calls = [...tallies.values()].reduce((a, t) => a + t.calls, 0);
    console.log(
      `\n  fuzzed inputs (seed ${SEED}${LONG ? `, FUZZ_RUNS=${process.env.FUZZ_RUNS}` : ''}):\n${rows.join('\n')}\n  total: ${cases} inputs, ${calls} reader calls, none escaped, none over ${CASE_BOUND_MS} ms\n`,
    );
  });

  it('JSON: random JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), (v) => throughJsonReaders('json: random values', JSON.stringify(v) ?? 'null')),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  it('JSON: valid documents with odd but legal values (tiny scales, float32 extremes, hostile labels)', async () => {
    await fc.assert(
      fc.asyncProperty(validDoc, (doc) => throughJsonReaders('json: valid documents', JSON.stringify(doc))),
      { seed: SEED + 8, numRuns: runs(300) },
    );
  });

  it('JSON: valid documents with one part replaced by a hostile value', async () => {
    await fc.assert(
      fc.asyncProperty(validDoc, fc.array(fc.nat(), { maxLength: 5 }), hostileValue, (doc, path, value) =>
        throughJsonReaders('json: mutated documents', JSON.stringify(replaceAt(doc, path, value))),
      ),
      { seed: SEED + 1, numRuns: runs(1000) },
    );
  });

  it('JSON: valid documents as text, cut, spliced and mangled', async () => {
    await fc.assert(
      fc.asyncProperty(validDoc, fc.array(textEdit, { minLength: 1, maxLength: 3 }), (doc, edits) =>
        throughJsonReaders('json: edited text', edits.reduce(applyEdit, JSON.stringify(doc))),
      ),
      { seed: SEED + 2, numRuns: runs(1000) },
    );
  });

  it('JSON: pathological shapes (deep nesting, huge counts, long strings)', async () => {
    const cases = [
      '['.repeat(100000) + ']'.repeat(100000),
      `{"Q": ${'['.repeat(50000)}1${']'.repeat(50000)}, "K": [[1]], "V": [[1]]}`,
      '{"Q": [[1]], "K": [[1]], "V": [[1]], "tokens": ["' + 'x'.repeat(1_000_000) + '"]}',
      `{"scores": [${Array(5000).fill('[0]').join(',')}]}`,
      `{"scores": [[${Array(5000).fill('0').join(',')}]]}`,
      `{"Q": [${Array(5000).fill('[1]').join(',')}], "K": [[1]], "V": [[1]]}`,
      '{"Q": [[1]], "K": [[1]], "V": [[1]], "mask": "causal", "scale": 1e-320}',
      '{"attentions": [[[[1e-45]]]]}',
      '"' + '\\u0000'.repeat(100000) + '"',
      '{"Q": [[1]], "K": [[1]], "V": [[1]]}' + ' '.repeat(100000) + 'x',
      '\uFEFF{"Q": [[1]], "K": [[1]], "V": [[1]]}',
    ];
    for (const text of cases) await throughJsonReaders('json: pathological', text);
  });

  it('text: arbitrary strings (any code points, lone surrogates) through every tokenizer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('words', 'whitespace', 'characters'),
        (text, tokenizer) =>
          runCase('text: arbitrary strings', false, async (guard) => {
            await guard(async () => {
              const source = MemorySource.fromSpec({
                kind: 'text',
                text,
                settings: { tokenizer: tokenizer as 'words', dModel: 8, dK: 4, dV: 4, heads: 2 },
              });
              const o = await source.overview();
              assert.equal(o.tokens.length, o.n);
              await source.head(0, 'mean');
            });
          }),
      ),
      { seed: SEED + 3, numRuns: runs(300) },
    );
  });

  it('.npy: versions 1/2/3 (and bad ones), generated header dicts, bogus dtypes and shapes, lying lengths, truncated data', async () => {
    await fc.assert(
      fc.asyncProperty(npyFile, (spec) =>
        throughFileReaders('npy: generated headers', new MemoryByteSource('f.npy', buildNpy(spec))),
      ),
      { seed: SEED + 4, numRuns: runs(3000) },
    );
  });

  it('safetensors: generated headers (dtypes, shapes, offsets, metadata), lying header lengths, mangled JSON, huge claims', async () => {
    await fc.assert(
      fc.asyncProperty(stFile, (spec) =>
        throughFileReaders(
          'safetensors: generated headers',
          new MemoryByteSource('f.safetensors', buildSafetensors(spec)),
        ),
      ),
      { seed: SEED + 5, numRuns: runs(3000) },
    );
  });

  it('.npz: corrupt central directory, end record and local headers, bad deflate streams, lying sizes', async () => {
    await fc.assert(
      fc.asyncProperty(zipSpec, (spec) => {
        const zip = buildZip(spec.members, spec.deflate);
        const bytes = spec.corruptions.reduce<Uint8Array>((b, c) => corrupt({ ...zip, bytes: b }, c), zip.bytes);
        return throughFileReaders('npz: corrupted archives', new MemoryByteSource('f.npz', bytes));
      }),
      { seed: SEED + 6, numRuns: runs(2500) },
    );
  });

  it('.npz: members that are themselves generated .npy files', async () => {
    await fc.assert(
      fc.asyncProperty(npyFile, fc.boolean(), (spec, deflated) => {
        const archive = zipSync({
          'attn.npy': [buildNpy(spec), { level: deflated ? 6 : 0 }],
          'tokens.npy': [MEMBERS['tokens.npy'], { level: 0 }],
        });
        return throughFileReaders('npz: generated members', new MemoryByteSource('f.npz', archive));
      }),
      { seed: SEED + 7, numRuns: runs(1000) },
    );
  });
});

describe('readers: a header that claims 10^12 elements is refused before allocating', () => {
  const claims: [string, () => Uint8Array][] = [
    ['.npy (1000000, 1000000) f4', () => simpleNpy('<f4', [1_000_000, 1_000_000], new Float32Array(16))],
    [
      '.npy (1000000, 1000000) f8, v2 header',
      () => {
        const b = simpleNpy('<f8', [1_000_000, 1_000_000], new Float64Array(4));
        return b;
      },
    ],
    [
      '.npy just under the element cap (2^35 f4 = 128 GiB claimed)',
      () => simpleNpy('<f4', [2 ** 35], new Float32Array(4)),
    ],
    [
      'safetensors [1000000, 1000000] F32 with offsets [0, 4e12]',
      () =>
        buildSafetensors({
          entries: [{ name: 'attn', dtype: 'F32', shape: [1_000_000, 1_000_000], offsets: 'huge', r: 0 }],
          metadata: undefined,
          length: 'exact',
          edits: [],
          data: 'exact',
          lead: '',
        }),
    ],
    [
      'safetensors [2^17, 2^17] F32 whose offsets agree (64 GiB claimed, 16 bytes present)',
      () => {
        const header = JSON.stringify({
          attn: { dtype: 'F32', shape: [2 ** 17, 2 ** 17], data_offsets: [0, 2 ** 36] },
        });
        const json = new TextEncoder().encode(header);
        const out = new Uint8Array(8 + json.length + 16);
        new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
        out.set(json, 8);
        return out;
      },
    ],
    [
      '.npz member claiming (1000000, 1000000), deflated',
      () => zipSync({ 'attn.npy': [simpleNpy('<f4', [1_000_000, 1_000_000], new Float32Array(16)), { level: 6 }] }),
    ],
    [
      '.npz member whose directory claims 2 GiB uncompressed',
      () => {
        const zip = buildZip(['attentions.npy'], [true]);
        return corrupt(zip, { kind: 'sizes', entry: 0, compressed: 0, uncompressed: 0x7fffffff });
      },
    ],
  ];

  for (const [label, make] of claims) {
    it(label, async () => {
      const bytes = make();
      const name = label.startsWith('safetensors')
        ? 'claim.safetensors'
        : label.startsWith('.npz')
          ? 'claim.npz'
          : 'claim.npy';
      const before = process.memoryUsage();
      const t0 = performance.now();
      let file: TensorFile | undefined;
      try {
        file = await openTensorFile(new MemoryByteSource(name, bytes));
        // If the header passed (sizes agree with a lying directory), the first slice must be refused.
        for (const t of file.tensors) await readSlice(file, t.name, []);
        assert.fail(`${label}: opened and read`);
      } catch (e) {
        checkRefusal(label, e, true);
        assert.match(
          (e as Error).message,
          /elements|needs|truncated|ends|over the|exceed|declares/,
          (e as Error).message,
        );
      }
      const ms = performance.now() - t0;
      const after = process.memoryUsage();
      assert.ok(ms < CASE_BOUND_MS, `${label}: took ${ms.toFixed(0)} ms`);
      const grewBuffers = after.arrayBuffers - before.arrayBuffers;
      const grewHeap = after.heapUsed - before.heapUsed;
      assert.ok(
        grewBuffers < 32 * 1024 * 1024,
        `${label}: array buffers grew by ${(grewBuffers / 2 ** 20).toFixed(1)} MiB`,
      );
      assert.ok(grewHeap < 64 * 1024 * 1024, `${label}: heap grew by ${(grewHeap / 2 ** 20).toFixed(1)} MiB`);
    });
  }
});

describe('readers: the deflate stream is checked while it is read', () => {
  it('a member whose deflate stream is replaced by a stored copy with a lying method is refused in one line', async () => {
    const raw = MEMBERS['attentions.npy'];
    const packed = deflateSync(raw);
    // Cut the stream in half: the inflater runs out before the declared size.
    const zip = buildZip(['attentions.npy'], [true]);
    const b = zip.bytes.slice();
    const d = zip.data[0];
    b.set(packed.subarray(0, Math.min(d.size, packed.length >> 1)), d.start);
    b.fill(0, d.start + (packed.length >> 1), d.start + d.size);
    await throughFileReaders('npz: half a deflate stream', new MemoryByteSource('half.npz', b));
  });
});

describe('readers: regressions the fuzzer found', () => {
  it('a U+2028 in bad JSON is quoted escaped: the message stays one line', () => {
    assert.throws(
      () => parseAttentionJson('\u2028{}', {}),
      (e: unknown) =>
        e instanceof InputError && e.message === '$ (byte 0): invalid JSON: expected a value, found "\\u2028"',
    );
    // Any InputError joins its parts into one line, whatever they quote.
    assert.equal(new InputError('$.tokens[0]', 'bad\u2029token\nhere').message, '$.tokens[0]: bad token here');
  });

  it('q·k overflowing float32 (entries near 3.4e38) is refused instead of giving NaN weights', () => {
    const doc = JSON.stringify({
      Q: [
        [0, 3.4e38],
        [1, 0],
      ],
      K: [
        [0, 1.5],
        [1, 0],
      ],
      V: [[1], [2]],
    });
    assert.throws(
      () => MemorySource.fromSpec({ kind: 'json', json: doc }),
      /^InputError: \$\.Q: at query 0, key 0 the score is Infinity \(q·k overflows float32, \|q·k\| > 3\.4e38, or is not a number\), so softmax is undefined: scale the input down$/,
    );
  });

  it('-Infinity scores (masked logits in exported files) are still fine', async () => {
    const scores = new Float32Array([0, -Infinity, -Infinity, 1, 2, -Infinity, 0.5, 0.5, 0.5]);
    const file = simpleNpy('<f4', [3, 3], scores);
    const panel = await tensorFileSource(new MemoryByteSource('scores.npy', file), 'scores', {}, async () => null);
    const head = await panel.head(0, 0);
    assert.deepEqual(Array.from(head.weights.subarray(0, 3)), [1, 0, 0]);
    for (const w of head.weights) assert.ok(Number.isFinite(w));
  });

  it('NaN scores in a file are refused naming the layer, head and cell', async () => {
    const file = simpleNpy('<f4', [2, 2], new Float32Array([0, Number.NaN, 1, 1]));
    const panel = await tensorFileSource(
      new MemoryByteSource('nan.npy', file),
      'nan',
      { meaning: 'scores' },
      async () => null,
    );
    await assert.rejects(
      panel.head(0, 0),
      (e: unknown) =>
        e instanceof InputError && e.message.startsWith('layer 0 head 0: at query 0, key 1 the score is NaN'),
    );
  });
});
