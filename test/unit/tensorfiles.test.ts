// The tensor-file readers against numpy: every fixture in test/fixtures/tensorfiles was written by
// test/fixtures/generate_tensorfiles.py, and expected.json holds numpy's own reading of each tensor.
// Every dtype converts to float32 exactly (f64 by round-to-nearest), so values are compared as
// Math.fround(expected) === actual. Layout, meaning and token facts come from how the generator
// built each file ("truth").
import * as assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttentionView,
  type ByteSource,
  MemoryByteSource,
  TensorFileError,
  axisLabels,
  detectAttention,
  detectMeaning,
  findCandidates,
  layerPosition,
  listTensors,
  openAttention,
  openTensorFile,
  readHead,
  readMatrix,
  readSlice,
  readStrings,
  streamHeads,
  tokensFromFile,
} from '../../src/core/tensorfiles';
import { float16BitsToNumber } from '../../src/core/tensorfiles/decode';
import { parsePyLiteral } from '../../src/core/tensorfiles/pyLiteral';
import { FileByteSource } from '../../src/node/fileByteSource';
import { openTensorPath, readSidecarTokens, readTokensFile, sidecarPaths } from '../../src/node/tensorPath';

const DIR = join(__dirname, '..', 'fixtures', 'tensorfiles');

type Value = number | 'NaN' | 'Infinity' | '-Infinity';
interface ExpectedTensor {
  dtype: string;
  shape: number[];
  fortran?: boolean;
  values?: Value[];
  strings?: string[];
}
interface Truth {
  meaning: string;
  layout: string;
  layers: number;
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  id?: string;
  dK?: number;
  dV?: number;
  tokens?: string[];
  fileOrder?: string[];
}
interface ExpectedFile {
  tensors: Record<string, ExpectedTensor>;
  truth?: Truth;
}
const expected: Record<string, ExpectedFile> = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

function memory(file: string): MemoryByteSource {
  return new MemoryByteSource(file, new Uint8Array(readFileSync(join(DIR, file))));
}

function toNumber(v: Value): number {
  return typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}

/** Exact float32 equality with numpy's values (NaN equal to NaN). */
function assertValues(actual: Float32Array, values: readonly Value[], what: string): void {
  assert.equal(actual.length, values.length, `${what}: length`);
  for (let i = 0; i < values.length; i++) {
    const want = Math.fround(toNumber(values[i]));
    if (!Object.is(actual[i], want) && !(Number.isNaN(want) && Number.isNaN(actual[i]))) {
      assert.fail(`${what}[${i}] = ${actual[i]}, numpy has ${want}`);
    }
  }
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Every leading index of the given length, in C order. */
function leadingIndices(shape: readonly number[], depth: number): number[][] {
  let out: number[][] = [[]];
  for (let a = 0; a < depth; a++)
    out = out.flatMap((prefix) => Array.from({ length: shape[a] }, (_, i) => [...prefix, i]));
  return out;
}

/** The expected values of tensor[index…] (expected.json is flattened in C order). */
function expectedSlice(t: ExpectedTensor, index: readonly number[]): Value[] {
  const size = product(t.shape.slice(index.length));
  const start = index.reduce((acc, x, a) => acc + x * product(t.shape.slice(a + 1)), 0);
  return t.values!.slice(start, start + size);
}

/** Counts what a source hands out, to show how little of a file a view reads. */
class CountingSource implements ByteSource {
  bytes = 0;
  reads: [number, number][] = [];
  constructor(private readonly inner: ByteSource) {}
  get size(): number {
    return this.inner.size;
  }
  get name(): string {
    return this.inner.name;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    this.bytes += length;
    this.reads.push([offset, length]);
    return this.inner.read(offset, length);
  }
}

const sources: [string, (file: string) => Promise<ByteSource & { close?: () => Promise<void> }>][] = [
  ['memory', async (file) => memory(file)],
  ['file handle', (file) => FileByteSource.open(join(DIR, file))],
];

for (const [label, open] of sources) {
  describe(`tensor files match numpy, value for value (${label} source)`, () => {
    it('covers every format, dtype, byte order and memory order', () => {
      const files = Object.keys(expected);
      for (const ext of ['.npy', '.npz', '.safetensors'])
        assert.ok(
          files.some((f) => f.endsWith(ext)),
          ext,
        );
      const dtypes = new Set(Object.values(expected).flatMap((f) => Object.values(f.tensors).map((t) => t.dtype)));
      for (const d of [
        'f16',
        'bf16',
        'f32',
        'f64',
        'bool',
        'i8',
        'u8',
        'i16',
        'u16',
        'i32',
        'u32',
        'i64',
        'u64',
        'unicode',
      ])
        assert.ok(dtypes.has(d), d);
      assert.ok(Object.values(expected).some((f) => Object.values(f.tensors).some((t) => t.fortran)));
    });

    for (const [file, fx] of Object.entries(expected)) {
      it(`${file}: listing and every leading slice`, async () => {
        const source = await open(file);
        try {
          const tf = await openTensorFile(source);
          assert.deepEqual(
            listTensors(tf)
              .map((t) => t.name)
              .sort(),
            Object.keys(fx.tensors).sort(),
          );
          for (const [name, want] of Object.entries(fx.tensors)) {
            const info = tf.tensor(name);
            assert.equal(info.dtype, want.dtype, `${name} dtype`);
            assert.deepEqual(info.shape, want.shape, `${name} shape`);
            if (want.strings) {
              assert.deepEqual(await readStrings(tf, name), want.strings);
              continue;
            }
            assert.equal(info.fortranOrder, want.fortran ?? false, `${name} order`);
            assert.equal(info.byteLength, product(want.shape) * info.itemsize);
            const whole = await readSlice(tf, name);
            assert.deepEqual(whole.shape, want.shape);
            assertValues(whole.data, want.values!, `${file}:${name}`);
            for (let depth = 1; depth < want.shape.length; depth++) {
              for (const index of leadingIndices(want.shape, depth)) {
                const slice = await readSlice(tf, name, index);
                assert.deepEqual(slice.shape, want.shape.slice(depth));
                assertValues(slice.data, expectedSlice(want, index), `${file}:${name}[${index.join(',')}]`);
              }
            }
          }
        } finally {
          await source.close?.();
        }
      });
    }
  });
}

describe('tensor files: headers and byte ranges', () => {
  it('safetensors offsets are 8 + header length + data_offsets begin', async () => {
    const bytes = readFileSync(join(DIR, 'masks.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    const tf = await openTensorFile(memory('masks.safetensors'));
    for (const t of listTensors(tf)) {
      assert.equal(t.byteOffset, 8 + n + header[t.name].data_offsets[0], t.name);
      assert.equal(t.dtypeLabel, header[t.name].dtype);
    }
    // File order: sorted by offset.
    const offsets = listTensors(tf).map((t) => t.byteOffset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
    );
  });

  it('a .npy tensor is named after the file and its data ends the file', async () => {
    for (const file of ['v2_f32.npy', 'v3_f32.npy', 'weights5d_f32.npy']) {
      const src = memory(file);
      const tf = await openTensorFile(src);
      const [t] = listTensors(tf);
      assert.equal(t.name, file.replace('.npy', ''));
      assert.equal(t.byteOffset + t.byteLength, src.size);
      assert.equal(t.byteOffset % 16, 0); // numpy aligns the data
    }
  });

  it('.npz members report stored vs deflated', async () => {
    const stored = await openTensorFile(memory('per_layer_arr.npz'));
    assert.ok(listTensors(stored).every((t) => !t.compressed && t.member === `${t.name}.npy`));
    const deflated = await openTensorFile(memory('per_layer_compressed.npz'));
    assert.ok(listTensors(deflated).every((t) => t.compressed));
  });

  it('zip64 archives (what np.savez writes past 4 GB or 65535 members) are read through their zip64 records', async () => {
    const members: [string, Uint8Array][] = [
      ['a.npy', readFileSync(join(DIR, 'v2_f32.npy'))],
      ['b.npy', readFileSync(join(DIR, 'weights_be_f2.npy'))],
    ];
    const tf = await openTensorFile(new MemoryByteSource('big.npz', zip64Stored(members)));
    assertValues((await readSlice(tf, 'a')).data, expected['v2_f32.npy'].tensors.v2_f32.values!, 'a');
    assertValues(
      (await readSlice(tf, 'b', [1])).data,
      expectedSlice(expected['weights_be_f2.npy'].tensors.weights_be_f2, [1]),
      'b[1]',
    );
  });

  it('a slice of a C-ordered tensor is one positional read of exactly its bytes', async () => {
    const src = new CountingSource(memory('weights5d_f32.npy'));
    const tf = await openTensorFile(src);
    const before = src.reads.length;
    const t = tf.tensor('weights5d_f32');
    await readSlice(tf, t, [1, 0, 2]);
    assert.deepEqual(src.reads.slice(before), [[t.byteOffset + ((1 * 1 + 0) * 3 + 2) * 16 * 4, 16 * 4]]);
  });

  it('float16 decoding matches IEEE binary16 at the edges', () => {
    assert.equal(float16BitsToNumber(0x3c00), 1);
    assert.equal(float16BitsToNumber(0xc000), -2);
    assert.equal(float16BitsToNumber(0x7bff), 65504);
    assert.equal(float16BitsToNumber(0x0001), 2 ** -24);
    assert.equal(float16BitsToNumber(0x7c00), Infinity);
    assert.equal(float16BitsToNumber(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16BitsToNumber(0x7e00)));
    assert.ok(Object.is(float16BitsToNumber(0x8000), -0));
  });

  it('parses the Python literals numpy headers use, without eval', () => {
    const v = parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4,), }");
    assert.deepEqual(v, {
      kind: 'dict',
      entries: [
        ['descr', '<f4'],
        ['fortran_order', false],
        ['shape', { kind: 'tuple', items: [3, 4] }],
      ],
    });
    assert.deepEqual(parsePyLiteral('(5,)'), { kind: 'tuple', items: [5] });
    assert.deepEqual(parsePyLiteral('()'), { kind: 'tuple', items: [] });
    assert.equal(parsePyLiteral('(7)'), 7);
    assert.equal(parsePyLiteral("u'\\x41\\u00e9'"), 'Aé');
    assert.throws(() => parsePyLiteral("__import__('os')"));
    assert.throws(() => parsePyLiteral('('.repeat(100)));
  });
});

/**
 * A stored zip in its zip64 form: every size and offset in the local and central headers is
 * 0xFFFFFFFF with the real value in a zip64 extra field, and the end record points to a zip64 end
 * record through its locator (APPNOTE 4.3.14–4.3.15, 4.5.3). CRCs are left 0: the readers do not
 * check them (Python's zipfile lists this archive's members, sizes and offsets the same way).
 */
function zip64Stored(members: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const block = (n: number, fill: (dv: DataView) => void): Uint8Array => {
    const b = new Uint8Array(n);
    fill(new DataView(b.buffer));
    return b;
  };
  for (const [name, data] of members) {
    const nameBytes = new TextEncoder().encode(name);
    const local = block(30 + nameBytes.length + 20, (dv) => {
      dv.setUint32(0, 0x04034b50, true);
      dv.setUint16(4, 45, true);
      dv.setUint32(18, 0xffffffff, true);
      dv.setUint32(22, 0xffffffff, true);
      dv.setUint16(26, nameBytes.length, true);
      dv.setUint16(28, 20, true);
      const e = 30 + nameBytes.length;
      dv.setUint16(e, 1, true);
      dv.setUint16(e + 2, 16, true);
      dv.setBigUint64(e + 4, BigInt(data.length), true);
      dv.setBigUint64(e + 12, BigInt(data.length), true);
    });
    local.set(nameBytes, 30);
    central.push(
      block(46 + nameBytes.length + 28, (dv) => {
        dv.setUint32(0, 0x02014b50, true);
        dv.setUint16(4, 45, true);
        dv.setUint16(6, 45, true);
        dv.setUint32(20, 0xffffffff, true);
        dv.setUint32(24, 0xffffffff, true);
        dv.setUint16(28, nameBytes.length, true);
        dv.setUint16(30, 28, true);
        dv.setUint32(42, 0xffffffff, true);
        const e = 46 + nameBytes.length;
        dv.setUint16(e, 1, true);
        dv.setUint16(e + 2, 24, true);
        dv.setBigUint64(e + 4, BigInt(data.length), true); // uncompressed
        dv.setBigUint64(e + 12, BigInt(data.length), true); // compressed
        dv.setBigUint64(e + 20, BigInt(offset), true); // local header offset
      }),
    );
    central[central.length - 1].set(nameBytes, 46);
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd64At = cdOffset + cdSize;
  const tail = block(56 + 20 + 22, (dv) => {
    dv.setUint32(0, 0x06064b50, true);
    dv.setBigUint64(4, 44n, true);
    dv.setUint16(12, 45, true);
    dv.setUint16(14, 45, true);
    dv.setBigUint64(24, BigInt(members.length), true);
    dv.setBigUint64(32, BigInt(members.length), true);
    dv.setBigUint64(40, BigInt(cdSize), true);
    dv.setBigUint64(48, BigInt(cdOffset), true);
    dv.setUint32(56, 0x07064b50, true);
    dv.setBigUint64(64, BigInt(eocd64At), true);
    dv.setUint32(72, 1, true);
    dv.setUint32(76, 0x06054b50, true);
    dv.setUint16(84, 0xffff, true);
    dv.setUint16(86, 0xffff, true);
    dv.setUint32(88, 0xffffffff, true);
    dv.setUint32(92, 0xffffffff, true);
  });
  const all = [...parts, ...central, tail];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let p = 0;
  for (const part of all) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** What detectAttention reports, compared with how the generator built the file. */
function checkTruth(view: AttentionView, truth: Truth): void {
  assert.equal(view.layout, truth.layout);
  assert.equal(view.kind, truth.meaning === 'qkv' ? 'qkv' : 'maps');
  for (const key of ['layers', 'batch', 'heads', 'queries', 'keys', 'dK', 'dV'] as const) {
    if (truth[key] !== undefined) assert.equal(view[key], truth[key], key);
  }
  if (truth.id !== undefined) assert.equal(view.id, truth.id);
  assert.ok(view.reason.length > 0 && !view.reason.includes('\n'));
}

describe('tensor files: attention layout, meaning and tokens', () => {
  for (const [file, fx] of Object.entries(expected)) {
    const truth = fx.truth;
    if (!truth) continue;
    it(`${file}: chosen automatically as ${truth.layout} ${truth.meaning}`, async () => {
      const opened = await openAttention(memory(file));
      checkTruth(opened.view, truth);
      assert.equal(opened.meaning.meaning, truth.meaning, opened.meaning.evidence);
      assert.equal(opened.meaning.overridden, false);
      assert.deepEqual(opened.tokens?.tokens ?? null, truth.tokens ?? null);
    });
  }

  it('per-layer tensors are ordered by number, not as text (arr_10 after arr_9)', async () => {
    const tf = await openTensorFile(memory('per_layer_arr.npz'));
    const view = detectAttention(tf);
    assert.deepEqual(view.layerIds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(layerPosition(tf, view, 10), 10);
    assert.throws(() => layerPosition(tf, view, 11), /has no layer 11 \(layers: 0–10\)/);
    assert.deepEqual(
      view.layerTensors.map((l) => l.map),
      view.layerIds.map((i) => `arr_${i}`),
    );
    const head = await readHead(tf, view, { layer: 10, head: 1 });
    assert.equal(head.kind, 'map');
    if (head.kind === 'map')
      assertValues(head.matrix.data, expectedSlice(expected['per_layer_arr.npz'].tensors.arr_10, [1]), 'arr_10[1]');
  });

  it('reads heads by (layer, batch, head) through the layout', async () => {
    const tf = await openTensorFile(memory('weights5d_f32.npy'));
    const view = detectAttention(tf);
    const want = expected['weights5d_f32.npy'].tensors.weights5d_f32;
    for (let layer = 0; layer < 2; layer++) {
      for (let head = 0; head < 3; head++) {
        const h = await readHead(tf, view, { layer, head, batch: 0 });
        assert.ok(h.kind === 'map' && h.matrix.rows === 4 && h.matrix.cols === 4);
        if (h.kind === 'map') assertValues(h.matrix.data, expectedSlice(want, [layer, 0, head]), `L${layer}H${head}`);
      }
    }
    await assert.rejects(
      readHead(tf, view, { layer: 2, head: 0 }),
      (e: unknown) => e instanceof TensorFileError && /layer 2 is out of range \(0–1\)/.test(e.message),
    );
    await assert.rejects(readHead(tf, view, { layer: 0, head: 0, batch: 1 }), TensorFileError);
  });

  it('q/k/v heads come back as Q (n×d_k), K (m×d_k), V (m×d_v)', async () => {
    const tf = await openTensorFile(memory('qkv.npz'));
    const view = detectAttention(tf);
    const h = await readHead(tf, view, { layer: 0, head: 1 });
    assert.equal(h.kind, 'qkv');
    if (h.kind !== 'qkv') return;
    const t = expected['qkv.npz'].tensors;
    assert.deepEqual([h.q.rows, h.q.cols, h.k.rows, h.k.cols, h.v?.rows, h.v?.cols], [4, 3, 5, 3, 5, 6]);
    assertValues(h.q.data, expectedSlice(t.q, [1]), 'q');
    assertValues(h.k.data, expectedSlice(t.k, [1]), 'k');
    assertValues(h.v!.data, expectedSlice(t.v, [1]), 'v');
  });

  it('per-layer q/k/v sets group by the layer number', async () => {
    const tf = await openTensorFile(memory('qkv_layers.npz'));
    const view = detectAttention(tf);
    assert.deepEqual(view.layerTensors[2], { q: 'layers.2.query', k: 'layers.2.key', v: 'layers.2.value' });
    const h = await readHead(tf, view, { layer: 2, head: 0 });
    if (h.kind !== 'qkv') return assert.fail('expected qkv');
    assertValues(
      h.v!.data,
      expectedSlice(expected['qkv_layers.npz'].tensors['layers.2.value'], [0]),
      'layers.2.value[0]',
    );
  });

  it('several candidates: an error that lists them and asks for --tensor; --tensor then chooses', async () => {
    const tf = await openTensorFile(memory('ambiguous.npz'));
    assert.deepEqual(
      findCandidates(tf)
        .map((c) => c.id)
        .sort(),
      ['attn', 'scores'],
    );
    assert.throws(
      () => detectAttention(tf),
      (e: unknown) =>
        e instanceof TensorFileError &&
        /2 attention-like candidates/.test(e.message) &&
        /--tensor/.test(e.message) &&
        /attn/.test(e.message) &&
        /scores/.test(e.message),
    );
    const view = detectAttention(tf, { tensor: 'scores' });
    assert.equal((await detectMeaning(tf, view)).meaning, 'scores');
    assert.equal((await detectMeaning(tf, detectAttention(tf, { tensor: 'attn' }))).meaning, 'weights');
    assert.throws(() => detectAttention(tf, { tensor: 'nope' }), /not found; candidates/);
  });

  it('no float attention-like tensor: an error listing what the file holds; any tensor can still be named', async () => {
    const tf = await openTensorFile(memory('masks.safetensors'));
    assert.throws(
      () => detectAttention(tf),
      (e: unknown) =>
        e instanceof TensorFileError && /no attention-like tensor/.test(e.message) && /u64/.test(e.message),
    );
    const view = detectAttention(tf, { tensor: 'i32' });
    assert.equal(view.layout, 'q,k');
    const h = await readHead(tf, view, { layer: 0, head: 0 });
    if (h.kind === 'map') assertValues(h.matrix.data, expected['masks.safetensors'].tensors.i32.values!, 'i32');
  });

  it('masks next to the maps are not candidates (attention_mask, int tensors, tokens)', async () => {
    const tf = await openTensorFile(memory('per_layer_compressed.npz'));
    assert.deepEqual(
      findCandidates(tf).map((c) => c.id),
      ['attentions.{}'],
    );
  });

  it('the layout override changes how axes are read, and is validated', async () => {
    const tf = await openTensorFile(memory('weights4d_f16.npy'));
    const byDefault = detectAttention(tf);
    assert.match(byDefault.reason, /4-D default/);
    assert.match(byDefault.reason, /--layout batch,heads,q,k/);
    const asBatch = detectAttention(tf, { layout: 'batch, heads, q, k' });
    assert.deepEqual([asBatch.layers, asBatch.batch, asBatch.heads], [1, 2, 2]);
    const h = await readHead(tf, asBatch, { layer: 0, head: 1, batch: 1 });
    if (h.kind === 'map')
      assertValues(h.matrix.data, expectedSlice(expected['weights4d_f16.npy'].tensors.weights4d_f16, [1, 1]), 'b1h1');
    const bad: [string, RegExp][] = [
      ['layers,heads,q', /names 3 axes but the tensor has 4/],
      ['layers,heads,k,q', /must end with q,k/],
      ['heads,heads,q,k', /names an axis twice/],
      ['layers,tokens,q,k', /unknown axis "tokens"/],
    ];
    for (const [layout, message] of bad)
      assert.throws(
        () => detectAttention(tf, { layout }),
        (e: unknown) => e instanceof TensorFileError && message.test(e.message),
      );
    const grouped = await openTensorFile(memory('per_layer_arr.npz'));
    assert.throws(() => detectAttention(grouped, { layout: 'layers,q,k' }), /layer number is in the tensor names/);
  });

  it('meaning can be overridden, and evidence names the row that decided', async () => {
    const tf = await openTensorFile(memory('f16_scores.safetensors'));
    const view = detectAttention(tf);
    const detected = await detectMeaning(tf, view);
    assert.equal(detected.meaning, 'scores');
    assert.match(detected.evidence, /row \d+ has -Infinity|row \d+ has -?[\d.]+ < 0|sums to/);
    const forced = await detectMeaning(tf, view, 'weights');
    assert.deepEqual([forced.meaning, forced.overridden], ['weights', true]);
    await assert.rejects(detectMeaning(tf, view, 'qkv'), TensorFileError);
    const qkv = await openTensorFile(memory('qkv.npz'));
    await assert.rejects(detectMeaning(qkv, detectAttention(qkv), 'weights'), TensorFileError);
  });

  it('tokens label the axes; queries fewer than keys take the last tokens', async () => {
    const tf = await openTensorFile(memory('model.safetensors'));
    const view = detectAttention(tf);
    const tokens = await tokensFromFile(tf);
    assert.equal(tokens?.source, '__metadata__.tokens');
    assert.deepEqual(axisLabels(tf.name, view, tokens!.tokens), {
      queries: ['The', 'cat', 'sat', '.'],
      keys: ['The', 'cat', 'sat', '.'],
    });
    assert.deepEqual(axisLabels(tf.name, view, null).keys, ['0', '1', '2', '3']);
    assert.deepEqual(axisLabels(tf.name, { ...view, queries: 1 }, tokens!.tokens).queries, ['.']);
    assert.throws(() => axisLabels(tf.name, view, ['a', 'b']), /2 tokens but the maps have 4 queries × 4 keys/);
    const npz = await openTensorFile(memory('per_layer_compressed.npz'));
    assert.deepEqual((await tokensFromFile(npz))?.tokens, ['I', 'go', 'home', 'ñ🙂']);
    assert.equal(await tokensFromFile(await openTensorFile(memory('qkv.npz'))), null);
  });
});

describe('tensor files: streaming every head in file order', () => {
  it('blocks.safetensors: heads arrive in byte order (blocks.10 before blocks.2), values exact', async () => {
    const tf = await openTensorFile(memory('blocks.safetensors'));
    const view = detectAttention(tf);
    const truth = expected['blocks.safetensors'].truth!;
    const seen: string[] = [];
    for await (const h of streamHeads(tf, view)) {
      const name = view.layerTensors[h.layer].map!;
      assert.equal(h.layerId, Number(name.split('.')[1]));
      if (seen[seen.length - 1] !== name) seen.push(name);
      if (h.data.kind === 'map')
        assertValues(
          h.data.matrix.data,
          expectedSlice(expected['blocks.safetensors'].tensors[name], [h.head]),
          `${name}[${h.head}]`,
        );
    }
    assert.deepEqual(seen, truth.fileOrder);
  });

  it('a stacked tensor streams layer by layer, head by head, for the chosen batch', async () => {
    const tf = await openTensorFile(memory('model.safetensors'));
    const view = detectAttention(tf);
    const order: string[] = [];
    for await (const h of streamHeads(tf, view, { batch: 0 })) order.push(`${h.layer}.${h.head}`);
    assert.deepEqual(order, ['0.0', '0.1', '0.2', '1.0', '1.1', '1.2']);
  });

  it('a deflated member is inflated once, front to back, for a full pass', async () => {
    for (const file of ['per_layer_compressed.npz', 'fortran_compressed.npz', 'qkv_layers.npz']) {
      const src = new CountingSource(memory(file));
      const tf = await openTensorFile(src);
      const view = detectAttention(tf);
      const afterOpen = src.bytes;
      let heads = 0;
      for await (const h of streamHeads(tf, view)) {
        heads++;
        assert.ok(h.data.kind === 'map' || h.data.kind === 'qkv');
      }
      assert.equal(heads, view.layers * view.heads);
      // Each member's compressed bytes are read at most once more after the headers.
      const compressedTotal = src.size;
      assert.ok(
        src.bytes - afterOpen <= compressedTotal,
        `${file}: read ${src.bytes - afterOpen} bytes for a ${compressedTotal}-byte archive`,
      );
    }
  });

  it('a Fortran-ordered tensor streams the same values as numpy', async () => {
    const tf = await openTensorFile(memory('scores_f64_fortran.npy'));
    const view = detectAttention(tf);
    const want = expected['scores_f64_fortran.npy'].tensors.scores_f64_fortran;
    let n = 0;
    for await (const h of streamHeads(tf, view)) {
      n++;
      if (h.data.kind === 'map')
        assertValues(h.data.matrix.data, expectedSlice(want, [h.layer, h.head]), `L${h.layer}H${h.head}`);
    }
    assert.equal(n, 6);
  });
});

/** A safetensors file of `dataBytes` zero bytes after a real header, without the bytes existing. */
class VirtualSafetensors implements ByteSource {
  readonly size: number;
  readonly name = 'huge.safetensors';
  private readonly head: Uint8Array;
  reads: [number, number][] = [];
  constructor(header: object, dataBytes: number) {
    const json = new TextEncoder().encode(JSON.stringify(header));
    this.head = new Uint8Array(8 + json.length);
    new DataView(this.head.buffer).setBigUint64(0, BigInt(json.length), true);
    this.head.set(json, 8);
    this.size = this.head.length + dataBytes;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads.push([offset, length]);
    const out = new Uint8Array(length);
    if (offset < this.head.length) out.set(this.head.subarray(offset, Math.min(this.head.length, offset + length)));
    // Data bytes: each float16 element at element index e holds bits (e mod 1024) — a ramp to check placement.
    const dataStart = this.head.length;
    for (let i = Math.max(0, dataStart - offset); i + 1 < length; i += 2) {
      const e = (offset + i - dataStart) / 2;
      out[i] = e % 256;
      out[i + 1] = (e % 1024) >> 8;
    }
    return out;
  }
}

describe('tensor files: multi-gigabyte files', () => {
  it('a 6.4 GB safetensors opens from its header and reads one head with one 8 MiB read', async () => {
    const shape = [24, 1, 32, 2048, 2048];
    const bytes = shape.reduce((a, b) => a * b, 2);
    const src = new VirtualSafetensors({ attn: { dtype: 'F16', shape, data_offsets: [0, bytes] } }, bytes);
    const tf = await openTensorFile(src);
    const openedWith = src.reads.reduce((a, [, n]) => a + n, 0);
    assert.ok(openedWith < 200, `opened with ${openedWith} bytes`);
    const view = detectAttention(tf);
    assert.deepEqual([view.layers, view.batch, view.heads, view.queries, view.keys], [24, 1, 32, 2048, 2048]);
    src.reads = [];
    const h = await readHead(tf, view, { layer: 23, head: 31 });
    assert.equal(src.reads.length, 1);
    assert.equal(src.reads[0][1], 2048 * 2048 * 2);
    if (h.kind !== 'map') return assert.fail('map expected');
    // Element index of [23, 0, 31, i, j]; its bits are (index mod 1024), a float16 subnormal or small normal.
    const base = (23 * 32 + 31) * 2048 * 2048;
    for (const [i, j] of [
      [0, 0],
      [5, 7],
      [2047, 2047],
    ]) {
      const e = base + i * 2048 + j;
      assert.equal(h.matrix.data[i * 2048 + j], Math.fround(float16BitsToNumber(e % 1024)));
    }
  });

  it('a 5.4 GB sparse .npy on disk: the file handle reads the header and one head only', async function () {
    this.timeout(60000);
    const path = join(tmpdir(), `attention-inspector-sparse-${process.pid}.npy`);
    const shape = [20, 16, 2048, 2048];
    const headerText = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
    const padded = headerText + ' '.repeat(128 - 10 - headerText.length - 1) + '\n';
    const header = new Uint8Array(128);
    header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(header.buffer).setUint16(8, padded.length, true);
    header.set(new TextEncoder().encode(padded), 10);
    const total = 128 + shape.reduce((a, b) => a * b, 4);
    const head = new Float32Array(2048 * 2048).map((_, i) => i / 7);
    const headOffset = 128 + (13 * 16 + 7) * 2048 * 2048 * 4;
    const fh = await fsp.open(path, 'w');
    try {
      await fh.write(header, 0, header.length, 0);
      await fh.truncate(total);
      await fh.write(new Uint8Array(head.buffer), 0, head.byteLength, headOffset);
    } finally {
      await fh.close();
    }
    try {
      const opened = await openTensorPath(path);
      try {
        assert.equal(opened.source.size, total);
        const view = detectAttention(opened.file);
        assert.equal(view.layout, 'layers,heads,q,k');
        const h = await readHead(opened.file, view, { layer: 13, head: 7 });
        if (h.kind !== 'map') return assert.fail('map expected');
        assert.deepEqual(h.matrix.data.subarray(0, 3), head.subarray(0, 3));
        assert.equal(h.matrix.data[2048 * 2048 - 1], head[2048 * 2048 - 1]);
        assert.equal(opened.source.bytesRead, 9 + 12 + 118 + 2048 * 2048 * 4); // signature, preamble, header, one head
      } finally {
        await opened.close();
      }
    } finally {
      await fsp.rm(path, { force: true });
    }
  });
});

describe('tensor files: node helpers', () => {
  it('sidecar tokens: NAME.ext.tokens.json, then NAME.tokens.json; a list or {"tokens": [...]}', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'ai-tokens-'));
    try {
      const file = join(dir, 'attn.npz');
      assert.deepEqual(sidecarPaths(file), [`${file}.tokens.json`, join(dir, 'attn.tokens.json')]);
      assert.equal(await readSidecarTokens(file), null);
      await fsp.writeFile(join(dir, 'attn.tokens.json'), JSON.stringify({ tokens: ['a', 'b'] }));
      assert.deepEqual((await readSidecarTokens(file))?.tokens, ['a', 'b']);
      await fsp.writeFile(`${file}.tokens.json`, JSON.stringify(['x']));
      assert.deepEqual((await readSidecarTokens(file))?.tokens, ['x']);
      await fsp.writeFile(`${file}.tokens.json`, '[1, 2]');
      await assert.rejects(
        readSidecarTokens(file),
        (e: unknown) => e instanceof TensorFileError && /token list\[0\] is not a string/.test(e.message),
      );
      assert.deepEqual((await readTokensFile(join(dir, 'attn.tokens.json'))).tokens, ['a', 'b']);
      await assert.rejects(
        readTokensFile(join(dir, 'none.json')),
        /none\.json: cannot read token list: no such file \(ENOENT\)/,
      );
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing file or a directory is a TensorFileError', async () => {
    await assert.rejects(
      FileByteSource.open(join(DIR, 'missing.npy')),
      (e: unknown) =>
        e instanceof TensorFileError && /missing\.npy: cannot open: no such file \(ENOENT\)/.test(e.message),
    );
    await assert.rejects(FileByteSource.open(DIR), TensorFileError);
  });

  it('readMatrix refuses a slice that is not 2-D', async () => {
    const tf = await openTensorFile(memory('weights5d_f32.npy'));
    await assert.rejects(readMatrix(tf, 'weights5d_f32', [0]), /not a matrix/);
  });
});
