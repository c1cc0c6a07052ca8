// Hostile torch.save files through the .pt reader, like the other readers' fuzz tests
// (readers.fuzz.test.ts): real torch.save archives (test/fixtures/torch) with their data.pkl mutated
// (bytes flipped, opcodes spliced in, cut short, memo indices and lengths lying) and re-zipped, whole
// archives corrupted, and generated pickles from the allowed opcodes. Every case either reads or is
// refused by one TensorFileError whose message is one line starting with the file; nothing else may
// escape, and each case finishes within CASE_BOUND_MS (a hang detector, not a speed test). No
// global is ever called: the unpickler has no code path that could.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { strFromU8, unzipSync, zipSync } from 'fflate';
import { InputError } from '../../src/core';
import {
  MemoryByteSource,
  TensorFileError,
  detectAttention,
  detectMeaning,
  openTensorFile,
  readSlice,
  streamHeads,
} from '../../src/core/tensorfiles';

const DIR = join(__dirname, '..', 'fixtures', 'torch');
const SEED = Number(process.env.FUZZ_SEED ?? 13_013);
const LONG = process.env.FUZZ_RUNS !== undefined && Number(process.env.FUZZ_RUNS) > 0;
const runs = (ci: number): number => (LONG ? Number(process.env.FUZZ_RUNS) : ci);
const CASE_BOUND_MS = Number(process.env.FUZZ_CASE_MS ?? 2000);

const FIXTURES = ['single.pt', 'attentions_tokens.pth', 'ordered.bin', 'dtypes.pt', 'views.pt', 'mha_state_dict.pt'];
const archives = FIXTURES.map((f) => ({ name: f, files: unzipSync(new Uint8Array(readFileSync(join(DIR, f)))) }));

function checkRefusal(e: unknown, name: string): void {
  if (!(e instanceof InputError))
    throw new Error(`${name}: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} escaped`, {
      cause: e,
    });
  assert.ok(e instanceof TensorFileError, `${name}: a plain InputError: ${e.message}`);
  assert.ok(!/[\r\n\u2028\u2029]/.test(e.message), `multi-line: ${e.message}`);
  assert.ok(e.message.startsWith(e.file), `does not start with the file: ${e.message}`);
}

let opened = 0;
let refused = 0;

async function throughReader(name: string, bytes: Uint8Array): Promise<void> {
  const t0 = performance.now();
  const guard = async (call: () => Promise<unknown>): Promise<boolean> => {
    try {
      await call();
      return true;
    } catch (e) {
      checkRefusal(e, name);
      return false;
    }
  };
  let file: Awaited<ReturnType<typeof openTensorFile>> | undefined;
  if (await guard(async () => (file = await openTensorFile(new MemoryByteSource(name, bytes))))) opened++;
  else refused++;
  const f = file;
  if (f) {
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
          lead.map((d) => Math.max(0, d - 1)),
        ),
      );
    }
    await guard(async () => {
      const view = detectAttention(f);
      await detectMeaning(f, view);
      let n = 0;
      for await (const h of streamHeads(f, view)) if (h.layer < 0 || ++n >= 4) break;
    });
  }
  const ms = performance.now() - t0;
  if (ms > CASE_BOUND_MS) throw new Error(`${name}: one case took ${ms.toFixed(0)} ms (bound ${CASE_BOUND_MS} ms)`);
}

/** The archive again with data.pkl replaced (stored, as torch.save writes). */
function rezip(files: Record<string, Uint8Array>, pkl: Uint8Array): Uint8Array {
  const out: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [k, v] of Object.entries(files)) out[k] = [k.endsWith('/data.pkl') ? pkl : v, { level: 0 }];
  return zipSync(out);
}

function pklOf(files: Record<string, Uint8Array>): Uint8Array {
  return Object.entries(files).find(([k]) => k.endsWith('/data.pkl'))![1];
}

/** Opcodes, allowed and refused, and GLOBAL lines worth splicing in. */
const SPLICES: Uint8Array[] = [
  ...[
    0x28, 0x2e, 0x4e, 0x52, 0x62, 0x61, 0x65, 0x73, 0x75, 0x74, 0x85, 0x86, 0x87, 0x81, 0x93, 0x94, 0x95, 0x30, 0x32,
    0x51, 0x68, 0x71, 0x5d, 0x7d, 0x29,
  ].map((b) => new Uint8Array([b])),
  new TextEncoder().encode('cos\nsystem\n'),
  new TextEncoder().encode('cbuiltins\neval\n'),
  new TextEncoder().encode('ctorch._utils\n_rebuild_tensor_v2\n'),
  new TextEncoder().encode('ctorch\nFloatStorage\n'),
  new TextEncoder().encode('ccollections\nOrderedDict\n'),
  new Uint8Array([0x58, 0xff, 0xff, 0xff, 0x7f]), // BINUNICODE claiming 2 GB
  new Uint8Array([0x6a, 0xff, 0xff, 0xff, 0xff]), // LONG_BINGET of a huge index
  new Uint8Array([0x8a, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x80]), // LONG1 past 2^53
  new Uint8Array([0x4a, 0xff, 0xff, 0xff, 0xff]), // BININT -1 (a negative size or offset)
];

const mutation = fc.record({
  archive: fc.nat({ max: archives.length - 1 }),
  edits: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), what: fc.nat({ max: SPLICES.length - 1 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

function mutate(
  pkl: Uint8Array,
  edits: readonly { kind: string; at: number; value?: number; what?: number; length?: number }[],
): Uint8Array {
  let b = pkl.slice();
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.kind === 'flip') b[at] = e.value!;
    else if (e.kind === 'splice') b = new Uint8Array([...b.subarray(0, at), ...SPLICES[e.what!], ...b.subarray(at)]);
    else if (e.kind === 'cut') b = b.slice(0, at);
    else b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + e.length!)]);
  }
  return b;
}

describe('torch.save reader under hostile input (fuzz)', function () {
  this.timeout(120_000);
  after(() => {
    // Shows the cases reach past the first checks.
    console.log(`      torch fuzz: ${opened} opened, ${refused} refused`);
  });

  it('mutated data.pkl in real torch.save archives: a result or one line', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async ({ archive, edits }) => {
        const a = archives[archive];
        await throughReader(a.name, rezip(a.files, mutate(pklOf(a.files), edits)));
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  it('corrupted archives (directory, local headers, storages cut or resized): a result or one line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: archives.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat()),
        async (i, flips, cut) => {
          const a = archives[i];
          const bytes = new Uint8Array(readFileSync(join(DIR, a.name)));
          for (const [at, v] of flips) bytes[at % bytes.length] = v;
          await throughReader(a.name, cut === null ? bytes : bytes.slice(0, cut % bytes.length));
        },
      ),
      { seed: SEED + 1, numRuns: runs(200) },
    );
  });

  it('storages shorter than their tensors, and sizes/strides/offsets that reach past them, are refused before any read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: archives.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 64 }),
        async (i, which, keep) => {
          const a = archives[i];
          const storages = Object.keys(a.files).filter((k) => /\/data\/\d+$/.test(k));
          const victim = storages[which % storages.length];
          const files = { ...a.files, [victim]: a.files[victim].slice(0, keep) };
          await throughReader(a.name, rezip(files, pklOf(a.files)));
        },
      ),
      { seed: SEED + 2, numRuns: runs(100) },
    );
  });

  it('pickles built from the allowed opcodes alone (random programs): a result or one line, never a call', async () => {
    const op = fc.oneof(
      fc.constantFrom(...SPLICES),
      fc.constantFrom(
        new Uint8Array([0x4b, 3]),
        new Uint8Array([0x58, 1, 0, 0, 0, 0x61]),
        new Uint8Array([0x71, 0]),
        new Uint8Array([0x68, 0]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const pkl = new Uint8Array([0x80, 0x02, ...ops.flatMap((o) => [...o]), 0x2e]);
        await throughReader(
          'gen.pt',
          rezip({ 'gen/data.pkl': pkl, 'gen/version': new TextEncoder().encode('3\n') }, pkl),
        );
      }),
      { seed: SEED + 3, numRuns: runs(300) },
    );
  });

  it('the fixtures themselves are valid zips with one data.pkl (the fuzz starts from real files)', () => {
    for (const a of archives)
      assert.equal(Object.keys(a.files).filter((k) => k.endsWith('/data.pkl')).length, 1, a.name);
    assert.match(strFromU8(Object.entries(archives[0].files).find(([k]) => k.endsWith('/version'))![1]), /^\d/);
  });
});
