// The torch.save reader against torch itself: every file in test/fixtures/torch was written by
// torch.save (test/fixtures/generate_torch_exports.py, /usr/bin/python3 with Debian's python3-torch),
// and expected.json holds torch's own reading of each tensor (float64, C order). float16, bfloat16,
// float32, bool and integer values convert to float32 exactly, float64 by rounding, so values are
// compared as Math.fround(expected) === actual. Refusals are one line naming the file and the rule.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MemoryByteSource,
  TensorFileError,
  listTensors,
  openTensorFile,
  readSlice,
  tokensFromFile,
} from '../../src/core/tensorfiles';
import { ALLOWED_GLOBALS, unpickle } from '../../src/core/tensorfiles/torch/pickle';

const DIR = join(__dirname, '..', 'fixtures', 'torch');
type Value = number | 'NaN' | 'Infinity' | '-Infinity';
interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: Value[];
}
interface ExpectedFile {
  tensors: Record<string, ExpectedTensor>;
  tokens?: string[];
}
const expected: { files: Record<string, ExpectedFile> } = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

function memory(file: string): MemoryByteSource {
  return new MemoryByteSource(file, new Uint8Array(readFileSync(join(DIR, file))));
}

const DTYPES: Record<string, string> = {
  float32: 'f32',
  float16: 'f16',
  bfloat16: 'bf16',
  float64: 'f64',
  bool: 'bool',
  int64: 'i64',
};

function assertValues(actual: Float32Array, values: readonly Value[], what: string): void {
  assert.equal(actual.length, values.length, `${what}: length`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const want = typeof v === 'number' ? Math.fround(v) : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
    if (!Object.is(actual[i], want) && !(Number.isNaN(want) && Number.isNaN(actual[i]))) {
      assert.fail(`${what}[${i}]: expected ${want}, got ${actual[i]}`);
    }
  }
}

async function refusal(file: string): Promise<TensorFileError> {
  try {
    await openTensorFile(memory(file));
  } catch (e) {
    assert.ok(e instanceof TensorFileError, `${file}: ${String(e)}`);
    assert.ok(!/[\r\n]/.test(e.message), 'one line');
    assert.ok(e.message.startsWith(file), `names the file: ${e.message}`);
    return e;
  }
  return assert.fail(`${file} opened`);
}

describe('torch.save files (.pt/.pth/.bin) against torch', () => {
  for (const file of [
    'single.pt',
    'attentions_tuple.pt',
    'attentions_tokens.pth',
    'ordered.bin',
    'dtypes.pt',
    'views.pt',
    'parameter.pt',
  ]) {
    it(`${file}: every tensor's dtype, shape and values match torch`, async () => {
      const f = await openTensorFile(memory(file));
      assert.equal(f.format, 'torch');
      const want = expected.files[file].tensors;
      assert.deepEqual(
        listTensors(f)
          .map((t) => t.name)
          .filter((n) => n !== 'input_ids')
          .sort(),
        Object.keys(want).sort(),
      );
      for (const [name, t] of Object.entries(want)) {
        const info = f.tensor(name);
        assert.equal(info.dtype, DTYPES[t.dtype], `${name} dtype`);
        assert.deepEqual(info.shape, t.shape, `${name} shape`);
        const slice = await readSlice(f, name);
        assertValues(slice.data, t.values, `${file} ${name}`);
        // Leading-index slices read the same values as the whole (one head at a time).
        if (t.shape.length >= 2 && t.shape[0] > 1) {
          const per = t.values.length / t.shape[0];
          const last = await readSlice(f, name, [t.shape[0] - 1]);
          assertValues(last.data, t.values.slice((t.shape[0] - 1) * per), `${file} ${name}[-1]`);
        }
      }
    });
  }

  it('views.pt: transposes are read as Fortran order, stepped/expanded/permuted views are gathered, offsets and shared storages respected', async () => {
    const f = await openTensorFile(memory('views.pt'));
    assert.equal(f.tensor('transposed').fortranOrder, true);
    assert.equal(f.tensor('tail').fortranOrder, false);
    assert.equal(f.tensor('tail').byteOffset, 2 * 6 * 4, 'x[2:] starts 12 floats into the shared storage');
  });

  it('parameter.pt: an nn.Parameter is marked as one', async () => {
    const f = await openTensorFile(memory('parameter.pt'));
    assert.equal(f.tensor('parameter').parameter, true);
  });

  it('attentions_tokens.pth: the pickled tokens list labels the axes', async () => {
    const f = await openTensorFile(memory('attentions_tokens.pth'));
    const tokens = await tokensFromFile(f);
    assert.deepEqual(tokens?.tokens, expected.files['attentions_tokens.pth'].tokens);
    assert.equal(tokens?.source, 'the pickled "tokens" list');
  });

  it('the legacy (non-zip) format is refused in one line that says so', async () => {
    const e = await refusal('legacy.pt');
    assert.match(e.message, /legacy torch\.save format/);
  });

  it('a pickled nn.Module is refused by the global it names, and nothing is run', async () => {
    assert.match(
      (await refusal('module.pt')).message,
      /refused global "torch\.nn\.modules\.linear\.Linear": not in PyTorch's weights_only allow-list/,
    );
    assert.match((await refusal('builtin.pt')).message, /refused global "builtins\.print"/);
    assert.match(
      (await refusal('os_system.pt')).message,
      /refused global "(posix|os)\.system": module (posix|os) is never loaded/,
    );
  });

  it('the allow-list mirrors PyTorch: rebuild functions, storages, OrderedDict yes; os, sys, eval no', () => {
    for (const g of [
      'torch._utils._rebuild_tensor_v2',
      'torch.FloatStorage',
      'torch.BFloat16Storage',
      'collections.OrderedDict',
      'torch.nn.parameter.Parameter',
    ])
      assert.ok(ALLOWED_GLOBALS.has(g), g);
    for (const g of [
      'os.system',
      'posix.system',
      'builtins.eval',
      'builtins.exec',
      'subprocess.Popen',
      'builtins.getattr',
    ])
      assert.ok(!ALLOWED_GLOBALS.has(g), g);
  });

  it('opcodes outside the weights_only set are refused by name and offset', () => {
    // PROTO 2, STACK_GLOBAL: the protocol-4 way to name a callable.
    assert.throws(
      () => unpickle('x.pt[data.pkl]', new Uint8Array([0x80, 0x02, 0x93, 0x2e])),
      /x\.pt\[data\.pkl\]: byte 2: opcode STACK_GLOBAL \(0x93\) is not allowed/,
    );
    assert.throws(() => unpickle('x.pt[data.pkl]', new Uint8Array([0x80, 0x02, 0x4e])), /before its STOP opcode/);
    assert.throws(
      () => unpickle('x.pt[data.pkl]', new Uint8Array([0x80, 0x02, 0x68, 0x05, 0x2e])),
      /memo entry 5 was never stored/,
    );
  });
});
