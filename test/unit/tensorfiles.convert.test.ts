// float16 and bfloat16 → float32, the conversion every half-precision tensor file goes through, checked
// bit for bit against numpy's astype(np.float32) over every one of the 65536 bit patterns (subnormals,
// ±0, ±inf and NaN payloads included), and as a property against the scalar reference converter.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import {
  convertFloat16,
  decodeToFloat32,
  elementReader,
  float16BitsToNumber,
  float16ToFloat32Bits,
} from '../../src/core/tensorfiles/decode';
import type { ElementType, NumericDType } from '../../src/core/tensorfiles/dtype';
import { kernelsReady } from '../../src/core/kernels';

// Debian's python3 has numpy; the first python3 on PATH may not.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** numpy's float32 bits for every 16-bit pattern read as `dtype` ('float16', or 'bfloat16' by shifting). */
function numpyBits(dtype: 'float16' | 'bfloat16'): Uint32Array {
  const script =
    dtype === 'float16'
      ? 'import numpy as np, sys; sys.stdout.buffer.write(np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32).view(np.uint32).astype("<u4").tobytes())'
      : // numpy has no bfloat16: its definition, the top half of a float32, in numpy's own arithmetic.
        'import numpy as np, sys; sys.stdout.buffer.write((np.arange(65536, dtype=np.uint32) << 16).view(np.float32).view(np.uint32).astype("<u4").tobytes())';
  const r = spawnSync(PYTHON, ['-c', script], { maxBuffer: 1 << 22 });
  assert.equal(r.status, 0, `numpy failed: ${r.stderr?.toString()}`);
  const bytes = new Uint8Array(r.stdout);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, 65536).slice();
}

const type = (dtype: NumericDType, littleEndian = true): ElementType & { dtype: NumericDType } => ({
  dtype,
  itemsize: 2,
  littleEndian,
  label: dtype,
});

/** All 65536 patterns as little- (or big-) endian bytes. */
function allPatterns(littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(65536 * 2);
  const dv = new DataView(bytes.buffer);
  for (let h = 0; h < 65536; h++) dv.setUint16(2 * h, h, littleEndian);
  return bytes;
}

const bitsOf = (values: Float32Array): Uint32Array => new Uint32Array(values.buffer, values.byteOffset, values.length);

function firstDifference(ours: Uint32Array, theirs: Uint32Array): string {
  for (let h = 0; h < theirs.length; h++)
    if (ours[h] !== theirs[h])
      return `pattern 0x${h.toString(16)}: ours 0x${ours[h].toString(16)}, numpy 0x${theirs[h].toString(16)}`;
  return '';
}

describe('tensor files: float16/bfloat16 conversion (numpy, bit for bit)', () => {
  let f16: Uint32Array, bf16: Uint32Array;
  before(() => {
    f16 = numpyBits('float16');
    bf16 = numpyBits('bfloat16');
  });

  it('float16: every bit pattern, as decodeToFloat32 reads a slice (little- and big-endian, aligned and not)', () => {
    for (const le of [true, false]) {
      const bytes = allPatterns(le);
      assert.equal(firstDifference(bitsOf(decodeToFloat32(bytes, type('f16', le))), f16), '');
      // One byte in: an unaligned view is copied first, with the same result.
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      assert.equal(firstDifference(bitsOf(decodeToFloat32(shifted.subarray(1), type('f16', le))), f16), '');
    }
  });

  it('float16: a slice whose length is no multiple of the kernel step (its scalar tail), and one over a kernel chunk', () => {
    // 3·65536 + 5 values: three kernel chunks and a tail of five, every pattern three times over.
    const count = 3 * 65536 + 5;
    const bytes = new Uint8Array(count * 2);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) dv.setUint16(2 * i, (i * 40503) & 0xffff, true);
    const got = bitsOf(decodeToFloat32(bytes, type('f16')));
    assert.ok(kernelsReady(), 'the WebAssembly converter ran (the kernels are loaded)');
    for (let i = 0; i < count; i++) {
      const h = (i * 40503) & 0xffff;
      if (got[i] !== f16[h])
        assert.fail(`value ${i} (0x${h.toString(16)}): 0x${got[i].toString(16)}, numpy 0x${f16[h].toString(16)}`);
    }
  });

  it('float16: the scalar converter and the gather reader (Fortran-ordered slices) agree with numpy', () => {
    const scalar = Uint32Array.from({ length: 65536 }, (_, h) => float16ToFloat32Bits(h));
    assert.equal(firstDifference(scalar, f16), '');
    const read = elementReader(type('f16'));
    const dv = new DataView(allPatterns(true).buffer);
    const gathered = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) gathered[h] = read(dv, 2 * h);
    // Through a JS number a NaN may lose its payload; every other value is bit-exact.
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(gathered[h])) assert.ok(((f16[h] >>> 23) & 0xff) === 0xff && (f16[h] & 0x7fffff) !== 0);
      else assert.equal(bitsOf(gathered)[h], f16[h], `pattern 0x${h.toString(16)}`);
    }
  });

  it('bfloat16: every bit pattern (little- and big-endian)', () => {
    for (const le of [true, false])
      assert.equal(firstDifference(bitsOf(decodeToFloat32(allPatterns(le), type('bf16', le))), bf16), '');
  });

  it('float16: edge values named (±0, smallest subnormal, largest subnormal, smallest normal, 65504, ±inf, NaN)', () => {
    const value = (h: number): number => {
      const out = new Uint32Array(1);
      convertFloat16(Uint16Array.of(h), out);
      return new Float32Array(out.buffer)[0];
    };
    assert.ok(Object.is(value(0x0000), 0));
    assert.ok(Object.is(value(0x8000), -0));
    assert.equal(value(0x0001), 2 ** -24);
    assert.equal(value(0x03ff), 1023 * 2 ** -24);
    assert.equal(value(0x0400), 2 ** -14);
    assert.equal(value(0x7bff), 65504);
    assert.equal(value(0xfbff), -65504);
    assert.equal(value(0x7c00), Infinity);
    assert.equal(value(0xfc00), -Infinity);
    assert.ok(Number.isNaN(value(0x7e00)));
    assert.ok(Number.isNaN(value(0xfc01)));
  });

  it('property: any run of float16 patterns converts like the scalar reference, value for value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }), (patterns) => {
        const bits = Uint16Array.from(patterns);
        const out = new Uint32Array(bits.length);
        convertFloat16(bits, out);
        const values = new Float32Array(out.buffer);
        patterns.forEach((h, i) => {
          const reference = float16BitsToNumber(h);
          if (Number.isNaN(reference)) assert.ok(Number.isNaN(values[i]));
          else assert.ok(Object.is(values[i], reference), `0x${h.toString(16)}: ${values[i]} vs ${reference}`);
        });
      }),
    );
  });

  it('float32 handed over by its reader is kept as read; bytes that are not handed over are copied', () => {
    const bytes = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const f32 = { ...type('f32'), itemsize: 4 };
    const kept = decodeToFloat32(bytes, f32, { owned: true });
    assert.equal(kept.buffer, bytes.buffer);
    const copied = decodeToFloat32(bytes, f32);
    assert.notEqual(copied.buffer, bytes.buffer);
    copied[0] = 9;
    assert.deepEqual(Array.from(kept), [1, 2, 3]);
  });
});
