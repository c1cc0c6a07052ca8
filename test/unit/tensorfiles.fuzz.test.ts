// Property and fuzz tests for the tensor-file readers (fast-check, fixed seeds, bounded runs):
//  - random bytes, and numpy-written fixtures with bytes flipped, cut or header numbers replaced,
//    go through every reader; each call returns or throws TensorFileError, nothing else;
//  - the streaming inflater returns exactly the bytes of any read sequence;
//  - a Fortran-ordered tensor reads the same slices as the C-ordered one holding the same values.
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import {
  type ByteSource,
  MemoryByteSource,
  type TensorFile,
  TensorFileError,
  detectAttention,
  detectMeaning,
  findCandidates,
  openTensorFile,
  readSlice,
  readStrings,
  streamHeads,
  tokensFromFile,
} from '../../src/core/tensorfiles';
import { InflatingByteSource } from '../../src/core/tensorfiles/inflatingSource';

const DIR = join(__dirname, '..', 'fixtures', 'tensorfiles');
const FIXTURES = readdirSync(DIR)
  .filter((f) => /\.(npy|npz|safetensors)$/.test(f))
  .sort();
const BYTES = new Map(FIXTURES.map((f) => [f, new Uint8Array(readFileSync(join(DIR, f)))]));

/** Runs `f`; any error other than a one-line TensorFileError fails the property. */
async function guard(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof TensorFileError)) throw e;
    if (/[\r\n]/.test(e.message)) throw new Error(`multi-line message: ${e.message}`, { cause: e });
  }
}

/** Every reader on one source: open, slices, strings, tokens, candidates, views, meaning, a few streamed heads. */
async function exercise(source: ByteSource): Promise<void> {
  let file: TensorFile | undefined;
  await guard(async () => {
    file = await openTensorFile(source);
  });
  const f = file;
  if (!f) return;
  for (const t of f.tensors.slice(0, 8)) {
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
  await guard(() => detectAttention(f));
  let candidates: ReturnType<typeof findCandidates> = [];
  await guard(() => {
    candidates = findCandidates(f);
  });
  for (const c of candidates.slice(0, 4)) {
    await guard(async () => {
      const view = detectAttention(f, { tensor: c.id });
      await detectMeaning(f, view);
      let n = 0;
      for await (const h of streamHeads(f, view)) {
        assert.ok(h.layer >= 0 && h.head >= 0);
        if (++n >= 6) break;
      }
    });
  }
}

const NAMES = ['f.npy', 'f.npz', 'f.safetensors', 'f.bin'];

/** Random bytes, sometimes behind a format's magic so the parsers get past their first check. */
const randomFile = fc.tuple(
  fc.constantFrom(...NAMES),
  fc.constantFrom<number[]>(
    [],
    [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0],
    [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 3, 0],
    [0x50, 0x4b, 0x03, 0x04],
    [0x40, 0, 0, 0, 0, 0, 0, 0, 0x7b],
  ),
  fc.uint8Array({ maxLength: 400 }),
);

type Mutation =
  | { kind: 'flip'; edits: { at: number; value: number }[] }
  | { kind: 'cut'; at: number }
  | { kind: 'splice'; at: number; remove: number; insert: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    remove: fc.integer({ min: 0, max: 16 }),
    insert: fc.uint8Array({ maxLength: 16 }),
  }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  if (bytes.length === 0) return bytes;
  if (m.kind === 'cut') return bytes.slice(0, m.at % bytes.length);
  if (m.kind === 'flip') {
    const b = bytes.slice();
    for (const e of m.edits) b[e.at % b.length] = e.value;
    return b;
  }
  const at = m.at % bytes.length;
  const out = new Uint8Array(bytes.length - Math.min(m.remove, bytes.length - at) + m.insert.length);
  out.set(bytes.subarray(0, at));
  out.set(m.insert, at);
  out.set(bytes.subarray(at + m.remove), at + m.insert.length);
  return out;
}

/** Replaces the n-th run of digits in the first 400 bytes (header territory) with another number. */
function replaceNumber(bytes: Uint8Array, n: number, replacement: string): Uint8Array {
  const head = Array.from(bytes.subarray(0, 400), (b) => String.fromCharCode(b)).join('');
  const runs = [...head.matchAll(/\d+/g)];
  if (runs.length === 0) return bytes;
  const r = runs[n % runs.length];
  const start = r.index!;
  const out = new Uint8Array(bytes.length - r[0].length + replacement.length);
  out.set(bytes.subarray(0, start));
  out.set(new TextEncoder().encode(replacement), start);
  out.set(bytes.subarray(start + r[0].length), start + replacement.length);
  return out;
}

const NUMBERS = [
  '0',
  '1',
  '2',
  '3',
  '7',
  '64',
  '255',
  '65535',
  '65536',
  '2147483648',
  '4294967295',
  '4294967296',
  '1000000000000',
  '9007199254740993',
  '99999999999999999999',
  '-1',
];

describe('tensor files: fuzzing (seeded, bounded)', () => {
  it('random bytes: every reader returns or throws TensorFileError', async function () {
    this.timeout(60000);
    await fc.assert(
      fc.asyncProperty(randomFile, async ([name, magic, body]) => {
        const bytes = new Uint8Array(magic.length + body.length);
        bytes.set(magic);
        bytes.set(body, magic.length);
        await exercise(new MemoryByteSource(name, bytes));
      }),
      { seed: 1337, numRuns: 400 },
    );
  });

  it('mutated fixtures (flipped, cut, spliced bytes): every reader returns or throws TensorFileError', async function () {
    this.timeout(120000);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURES),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (file, mutations) => {
          const bytes = mutations.reduce<Uint8Array>((b, m) => mutate(b, m), BYTES.get(file)!);
          await exercise(new MemoryByteSource(file, bytes));
        },
      ),
      { seed: 4242, numRuns: 600 },
    );
  });

  it('header numbers replaced (shapes, lengths, offsets, 10^12 claims): every reader returns or throws TensorFileError', async function () {
    this.timeout(120000);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURES.filter((f) => !f.endsWith('.npz'))),
        fc.nat(),
        fc.constantFrom(...NUMBERS),
        async (file, n, replacement) => {
          await exercise(new MemoryByteSource(file, replaceNumber(BYTES.get(file)!, n, replacement)));
        },
      ),
      { seed: 777, numRuns: 500 },
    );
  });

  it('zip structure fields replaced (sizes, offsets, counts): every reader returns or throws TensorFileError', async function () {
    this.timeout(120000);
    const npz = FIXTURES.filter((f) => f.endsWith('.npz'));
    const field = fc.record({
      at: fc.nat(),
      width: fc.constantFrom(2, 4),
      value: fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff, 46, 1000),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...npz),
        fc.array(field, { minLength: 1, maxLength: 3 }),
        async (file, fields) => {
          const b = BYTES.get(file)!.slice();
          const dv = new DataView(b.buffer);
          // Aim at the end record and the central directory, where the structural numbers live.
          for (const f of fields) {
            const tail = Math.min(b.length, 200);
            const at = b.length - tail + (f.at % (tail - f.width));
            if (f.width === 2) dv.setUint16(at, f.value & 0xffff, true);
            else dv.setUint32(at, f.value >>> 0, true);
          }
          await exercise(new MemoryByteSource(file, b));
        },
      ),
      { seed: 99, numRuns: 400 },
    );
  });
});

describe('tensor files: properties', () => {
  it('the streaming inflater returns exactly the requested bytes for any read sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 70000 })), {
          minLength: 1,
          maxLength: 12,
        }),
        async (size, period, reads) => {
          // Compressible but not constant: a repeating ramp with a slow drift.
          const data = new Uint8Array(size).map((_, i) => (i % period) + Math.floor(i / 4096));
          const packed = deflateSync(data);
          const source = new InflatingByteSource('m', new MemoryByteSource('z', packed), 0, packed.length, size);
          for (const [where, length] of reads) {
            const offset = Math.floor(where * (size - 1));
            const n = Math.min(length, size - offset);
            assert.deepEqual(await source.read(offset, n), data.subarray(offset, offset + n));
          }
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });

  it('Fortran and C order: the same values give the same slices', async () => {
    const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.integer({ min: 0, max: 1e6 }), async (shape, seed) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed + i) * 100));
        // Element at multi-index m sits at C position Σ m_a·Π_{b>a} shape_b and F position Σ m_a·Π_{b<a} shape_b.
        const fortran = new Float32Array(count);
        for (let c = 0; c < count; c++) {
          let rest = c,
            fpos = 0;
          const m: number[] = [];
          for (let a = shape.length - 1; a >= 0; a--) {
            m[a] = rest % shape[a];
            rest = Math.floor(rest / shape[a]);
          }
          let stride = 1;
          for (let a = 0; a < shape.length; a++) {
            fpos += m[a] * stride;
            stride *= shape[a];
          }
          fortran[fpos] = values[c];
        }
        const make = (data: Float32Array, order: string): Promise<TensorFile> => {
          const h = `{'descr': '<f4', 'fortran_order': ${order}, 'shape': (${shape.join(', ')},), }`;
          const text = h + ' '.repeat(118 - h.length - 1) + '\n';
          const bytes = new Uint8Array(128 + data.byteLength);
          bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0]);
          bytes.set(new TextEncoder().encode(text), 10);
          bytes.set(new Uint8Array(data.buffer), 128);
          return openTensorFile(new MemoryByteSource('t.npy', bytes));
        };
        const c = await make(values, 'False');
        const f = await make(fortran, 'True');
        for (let depth = 0; depth <= shape.length; depth++) {
          const index = shape.slice(0, depth).map((d, i) => (seed + i) % d);
          const a = await readSlice(c, 't', index);
          const b = await readSlice(f, 't', index);
          assert.deepEqual(b.shape, a.shape);
          assert.deepEqual(b.data, a.data);
        }
      }),
      { seed: 11, numRuns: 150 },
    );
  });
});
