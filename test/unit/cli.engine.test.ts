// `compute --engine wasm|js`: the built CLI with the WebAssembly kernels (the default) and with the
// plain TypeScript reference must print the same numbers to float32 rounding, and numpy's on fixtures.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClose } from '../helpers/close';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'core');
const TMP = mkdtempSync(join(tmpdir(), 'ai-cli-engine-'));

function compute(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [CLI, 'compute', ...args], {
    encoding: 'utf8',
    timeout: 30000,
    maxBuffer: 1 << 28,
  });
  assert.equal(r.status, 0, `exit code; stderr: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Every number in a and b, walked in step; keys and non-numbers must match exactly. */
function assertSameNumbers(a: unknown, b: unknown, tol: number, path: string): void {
  if (typeof a === 'number' && typeof b === 'number') return assertClose(a, b, tol, path);
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: length`);
    a.forEach((x, i) => assertSameNumbers(x, b[i], tol, `${path}[${i}]`));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${path}: keys`);
    for (const key of Object.keys(a))
      assertSameNumbers(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        tol,
        `${path}.${key}`,
      );
    return;
  }
  assert.deepEqual(a, b, path);
}

describe('CLI compute --engine', () => {
  after(() => rmSync(TMP, { recursive: true, force: true }));
  for (const name of ['projected-multi-wo-causal', 'qkv-cross-fully-masked-row', 'scores-2d-dk-custom-mask']) {
    it(`wasm and js agree on ${name}, and wasm matches numpy`, () => {
      const fixture = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
      const file = join(TMP, `${name}.json`);
      writeFileSync(file, JSON.stringify(fixture.input));
      const wasm = compute(file, '--engine', 'wasm');
      const js = compute(file, '--engine', 'js');
      assertSameNumbers(wasm, js, 2e-5, name);
      const heads = wasm.heads as { weights: number[][] }[];
      fixture.expected.heads.forEach((e: { weights: number[][] }, h: number) => {
        e.weights.forEach((row, i) =>
          row.forEach((x, j) => assertClose(heads[h].weights[i][j], x, 2e-5, `${name} head ${h} weights[${i}][${j}]`)),
        );
      });
    });
  }

  it('wasm is the default and agrees with js on a 300-token text with 4 heads and a causal mask', () => {
    const text = Array.from({ length: 300 }, (_, i) => `w${(i * 7919) % 97}`).join(' ');
    const byDefault = compute('--text', text, '--heads', '4', '--mask', 'causal', '--summary');
    const js = compute('--text', text, '--heads', '4', '--mask', 'causal', '--summary', '--engine', 'js');
    assertSameNumbers(byDefault, js, 1e-4, 'text');
  });

  it('rejects an unknown engine with one error line', () => {
    const r = spawnSync(process.execPath, [CLI, 'compute', '--text', 'a b', '--engine', 'gpu'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim(), 'error: --engine: expected wasm or js, found "gpu"');
  });
});
