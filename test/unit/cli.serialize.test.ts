// The CLI's short float32 output (src/cli/serialize.ts): the arithmetic fast path must give exactly
// what the string round trip it replaced gave, for any float32.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { shortFloat32 } from '../../src/cli/serialize';

/** The implementation before the fast path: the fewest of 6…9 significant digits that read back. */
function viaStrings(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return Number(v.toPrecision(9));
}

describe('CLI JSON floats (shortFloat32)', () => {
  it('equals the toPrecision round trip for every float32 (property over random bit patterns)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const v = new Float32Array(new Uint32Array([bits]).buffer)[0];
        assert.ok(Object.is(shortFloat32(v), viaStrings(v)), `bits 0x${bits.toString(16)}: ${v}`);
      }),
      { numRuns: 50_000 },
    );
  });

  it('equals it for weights, entropies and powers of ten (and their float32 neighbours)', () => {
    const values: number[] = [0.1, 0.5, 1 / 3, 2 / 3, 1e-7, 1e-30, 1e-45, 3.4e38, 6.9314718, 9.9999999, 1024];
    for (let e = -45; e <= 38; e++) values.push(Number(`1e${e}`), Number(`9.5e${e}`), Number(`5e${e}`));
    const u = new Uint32Array(1),
      f = new Float32Array(u.buffer);
    for (const x of values) {
      f[0] = x;
      for (const d of [-2, -1, 0, 1, 2]) {
        const w = new Uint32Array([u[0] + d]);
        const v = new Float32Array(w.buffer)[0];
        for (const s of [v, -v]) assert.ok(Object.is(shortFloat32(s), viaStrings(s)), `${s}`);
      }
    }
  });
});
