// The CLI on model tensor files: the same output contract as JSON, one entry per (layer, head)
// shown, values equal to what numpy wrote, and one-line errors for bad files.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DIR = join(ROOT, 'test', 'fixtures', 'tensorfiles');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]) {
  const r = run(...args);
  assert.equal(r.code, 0, r.stderr);
  return { json: JSON.parse(r.stdout), stderr: r.stderr };
}

/** Element [i0, i1, …] of a C-ordered flat array with the given shape. */
function slice(values: number[], shape: number[], leading: number[]): number[][] {
  const [q, k] = shape.slice(-2);
  let offset = 0;
  leading.forEach((x, a) => (offset += x * shape.slice(a + 1).reduce((p, d) => p * d, 1)));
  return Array.from({ length: q }, (_, i) => values.slice(offset + i * k, offset + (i + 1) * k));
}

function close(a: number[][], b: number[][], tol = 1e-6) {
  assert.equal(a.length, b.length);
  a.forEach((row, i) =>
    row.forEach((x, j) =>
      assert.ok(Math.abs(x - b[i][j]) <= tol * Math.max(1, Math.abs(b[i][j])), `[${i}][${j}] ${x} vs ${b[i][j]}`),
    ),
  );
}

describe('CLI on .npy / .npz / .safetensors', () => {
  it('safetensors [layers, batch, heads, q, k]: every head, tokens from __metadata__', () => {
    const e = expected['model.safetensors'].tensors.attn;
    const { json, stderr } = ok('compute', join(DIR, 'model.safetensors'));
    assert.match(stderr, /^note: model\.safetensors: read as weights: /);
    assert.equal(json.meaning, 'weights');
    assert.equal(json.layout, 'layers,batch,heads,q,k');
    assert.deepEqual(json.tokens, ['The', 'cat', 'sat', '.']);
    assert.equal(json.heads.length, 2 * 3);
    for (const h of json.heads) {
      close(h.weights, slice(e.values, e.shape, [h.layer, 0, h.head]));
      assert.equal(h.scores, null);
      assert.equal(h.sharpness.length, 1, 'weights are measured as they are');
    }
  });

  it('--layer and --head select one head; --summary leaves the matrices out', () => {
    const e = expected['model.safetensors'].tensors.attn;
    const { json } = ok('compute', join(DIR, 'model.safetensors'), '--layer', '1', '--head', '2');
    assert.equal(json.heads.length, 1);
    assert.deepEqual([json.heads[0].layer, json.heads[0].head], [1, 2]);
    close(json.heads[0].weights, slice(e.values, e.shape, [1, 0, 2]));
    const summary = ok('compute', join(DIR, 'model.safetensors'), '--head', '0', '--summary').json;
    assert.equal(summary.heads.length, 2);
    assert.ok(!('weights' in summary.heads[0]));
  });

  it('float16 .npy and Fortran order read value for value', () => {
    for (const name of ['weights4d_f16.npy', 'weights_fortran_f16.npy', 'weights_be_f2.npy']) {
      const t = Object.values(expected[name].tensors)[0] as { shape: number[]; values: number[] };
      const { json } = ok(
        'compute',
        join(DIR, name),
        '--tensor',
        Object.keys(expected[name].tensors)[0],
        '--meaning',
        'weights',
      );
      const lead = t.shape.length - 2;
      for (const h of json.heads) {
        const index = lead === 2 ? [h.layer, h.head] : lead === 1 ? [h.head] : [];
        close(h.weights, slice(t.values, t.shape, index), 1e-3);
      }
    }
  });

  it('Q/K/V sets are re-scaled like JSON input', () => {
    const t = expected['qkv.npz'].tensors;
    const { json } = ok('compute', join(DIR, 'qkv.npz'), '--head', '1', '--scale', 'none');
    const q = slice(t.q.values, t.q.shape, [1]),
      k = slice(t.k.values, t.k.shape, [1]);
    const dots = q.map((qi) => k.map((kj) => qi.reduce((s, x, d) => s + x * kj[d], 0)));
    close(json.heads[0].scores, dots, 1e-5);
    const sqrt = ok('compute', join(DIR, 'qkv.npz'), '--head', '1').json;
    assert.ok(Math.abs(sqrt.heads[0].factor - 1 / Math.sqrt(t.q.shape[2])) < 1e-7);
    assert.equal(sqrt.heads[0].sharpness[0].label, 'unscaled');
    assert.equal(sqrt.heads[0].sharpness[1].label, 'sqrt');
  });

  it('info lists tensors, the detected layout and meaning', () => {
    const { json } = ok('info', join(DIR, 'model.safetensors'));
    assert.equal(json.format, 'safetensors');
    assert.deepEqual(json.tensors[0].shape, [2, 1, 3, 4, 4]);
    assert.equal(json.detected.layout, 'layers,batch,heads,q,k');
    assert.equal(json.detected.meaning, 'weights');
    const amb = ok('info', join(DIR, 'ambiguous.npz')).json;
    assert.equal(amb.candidates.length, 2);
    assert.match(amb.problem, /pass --tensor NAME/);
  });

  it('bad files and flags: exit 2 and one error line', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ai-tf-'));
    const truncated = join(tmp, 'cut.safetensors');
    writeFileSync(truncated, readFileSync(join(DIR, 'model.safetensors')).subarray(0, 200));
    const cases: [string[], RegExp][] = [
      [['compute', truncated], /^error: cut\.safetensors: .*/],
      [['compute', join(DIR, 'object.npy')], /^error: object\.npy: .*object/i],
      [
        ['compute', join(DIR, 'ambiguous.npz')],
        /^error: ambiguous\.npz: 2 attention-like candidates, pass --tensor NAME/,
      ],
      [
        ['compute', join(DIR, 'model.safetensors'), '--head', '9'],
        /^error: --head: 9 is out of range \(the tensor has heads 0–2\)$/,
      ],
      [
        ['compute', join(DIR, 'model.safetensors'), '--layer', '7'],
        /^error: model\.safetensors: tensor "attn": has no layer 7 \(layers: 0–1\)$/,
      ],
      [
        ['compute', join(DIR, 'model.safetensors'), '--scale', '2'],
        /^error: --scale: this tensor holds post-softmax weights/,
      ],
      [
        ['compute', join(DIR, 'model.safetensors'), '--meaning', 'logits'],
        /^error: --meaning: expected weights or scores, found "logits"$/,
      ],
      [['compute', '--text', 'a b', '--tensor', 'x'], /^error: --tensor: applies to tensor files/],
      [['compute', join(tmp, 'missing.npy')], /^error: missing\.npy: /],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trimEnd(), message);
    }
    rmSync(tmp, { recursive: true, force: true });
  });
});
