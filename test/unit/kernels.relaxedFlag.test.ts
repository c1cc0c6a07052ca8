// The CLI turns on relaxed SIMD where Node keeps it behind a flag (Node 20), before any kernel
// loads, and only where the runtime does not validate it already. Each case runs in a fresh
// process: a process that has probed or compiled kernels cannot be asked again.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function run(script: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ATTENTION_KERNELS: '' },
  }).trim();
}

describe('enableRelaxedSimd (the CLI on Node 20)', function () {
  this.timeout(30_000);

  it('after it, the relaxed build is the default, and the flag is set only where it is needed', () => {
    const out = run(`
      const v8 = require('node:v8');
      const { enableRelaxedSimd, relaxedSimdSupported, defaultKernelVariant } = require('./src/core/kernels/variant.ts');
      const flags = [];
      const ok = enableRelaxedSimd((f) => { flags.push(f); v8.setFlagsFromString(f); });
      console.log(JSON.stringify({ ok, supported: relaxedSimdSupported(), variant: defaultKernelVariant(), flags }));
    `);
    const r = JSON.parse(out) as { ok: boolean; supported: boolean; variant: string; flags: string[] };
    assert.equal(r.ok, true);
    assert.equal(r.supported, true);
    assert.equal(r.variant, 'relaxed');
    const major = Number(process.versions.node.split('.')[0]);
    // Node 20 needs the flag; a runtime that validates relaxed SIMD already is left alone.
    if (major < 22) assert.deepEqual(r.flags, ['--experimental-wasm-relaxed-simd']);
    else assert.deepEqual(r.flags, []);
  });

  it('a runtime whose flag cannot be set keeps the plain build', () => {
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 22) return; // relaxed SIMD is there without a flag
    const out = run(`
      const { enableRelaxedSimd, defaultKernelVariant } = require('./src/core/kernels/variant.ts');
      const ok = enableRelaxedSimd(() => { throw new Error('no such flag'); });
      console.log(JSON.stringify({ ok, variant: defaultKernelVariant() }));
    `);
    assert.deepEqual(JSON.parse(out), { ok: false, variant: 'simd128' });
  });
});
