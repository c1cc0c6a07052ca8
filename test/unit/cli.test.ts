// The CLI as others script against it: run the built dist/cli.js as a child process and check the
// output contract, the overrides, and the error contract (exit 2, one `error:` line, empty stdout).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertMatrixClose } from '../helpers/close';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'core');

const TMP = mkdtempSync(join(tmpdir(), 'ai-cli-'));

/** Writes a fixture's input document to its own file, as a user would have it. */
function inputFile(name: string): string {
  const path = join(TMP, `${name}.json`);
  writeFileSync(path, JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')).input));
  return path;
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]) {
  const r = run(...args);
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
  return { json: JSON.parse(r.stdout), stderr: r.stderr };
}

function fails(args: string[], message: string | RegExp) {
  const r = run(...args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.ok(lines[0].startsWith('error: '));
  if (typeof message === 'string') assert.equal(lines[0], `error: ${message}`);
  else assert.match(lines[0], message);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
}

describe('CLI: attention-inspector compute', () => {
  after(() => rmSync(TMP, { recursive: true, force: true }));
  it('FILE.json: output contract and values match numpy', () => {
    const fx = JSON.parse(readFileSync(join(FIXTURES, 'qkv-causal.json'), 'utf8'));
    const { json } = ok('compute', inputFile('qkv-causal'));
    assert.deepEqual(json.tokens, ['0', '1', '2', '3', '4']);
    assert.equal(json.heads.length, 1);
    const h = json.heads[0],
      e = fx.expected.heads[0];
    for (const key of ['scores', 'weights', 'output', 'entropy', 'sharpness']) assert.ok(key in h, key);
    const m = (rows: (number | null)[][]) => ({
      rows: rows.length,
      cols: rows[0].length,
      data: rows.flat().map((x) => (x === null ? NaN : x)),
    });
    // masked cells are null in the JSON
    assert.deepEqual(
      h.scores.map((r: unknown[]) => r.map((x) => x === null)),
      e.scores.map((r: unknown[]) => r.map((x) => x === null)),
    );
    assertMatrixClose(m(h.weights), e.weights, 1e-5, 'weights');
    assertMatrixClose(m(h.output), e.output, 1e-5, 'output');
    assert.deepEqual(
      h.sharpness.slice(0, 3).map((p: { factor: number }) => p.factor),
      [1, Number((1 / Math.sqrt(8)).toPrecision(8)), 0.125],
    );
    e.sweep.forEach((p: { meanEntropy: number }, i: number) =>
      assert.ok(Math.abs(h.sharpness[i].meanEntropy - p.meanEntropy) < 1e-5),
    );
  });

  it("flags override the file's own scale and mask", () => {
    const fx = JSON.parse(readFileSync(join(FIXTURES, 'qkv-override-none-causal.json'), 'utf8'));
    const { json } = ok('compute', inputFile('qkv-override-none-causal'), '--scale', 'none', '--mask', 'causal');
    assert.equal(json.mask, 'causal');
    assert.equal(json.scale, 'none');
    assertMatrixClose(
      { rows: 5, cols: 5, data: json.heads[0].weights.flat() },
      fx.expected.heads[0].weights,
      1e-5,
      'weights',
    );
    const numeric = ok('compute', inputFile('qkv-override-none-causal'), '--scale', '2').json;
    assert.equal(numeric.heads[0].factor, 2);
  });

  it('--summary leaves out scores, weights and output', () => {
    const { json } = ok('compute', '--text', 'I go home', '--summary');
    for (const h of json.heads) {
      assert.ok(!('scores' in h) && !('weights' in h) && !('output' in h));
      assert.equal(h.entropy.length, 3);
    }
  });

  it('--text: settings are honoured', () => {
    const { json } = ok(
      'compute',
      '--text',
      'Thinking Machines think',
      '--heads',
      '2',
      '--d-k',
      '8',
      '--d-v',
      '4',
      '--d-model',
      '32',
      '--seed',
      '5',
    );
    assert.deepEqual(json.tokens, ['Thinking', 'Machines', 'think']);
    assert.deepEqual(json.offsets, [
      [0, 8],
      [9, 17],
      [18, 23],
    ]);
    assert.equal(json.heads.length, 2);
    assert.equal(json.heads[0].dK, 8);
    assert.equal(json.heads[0].output[0].length, 4);
    assert.equal(json.output[0].length, 32);
    const raw = ok('compute', '--text', 'Thinking Machines think', '--raw', '--d-model', '32').json;
    assert.equal(raw.heads.length, 1);
    assert.equal(raw.heads[0].dK, 32);
    const same = ok(
      'compute',
      '--text',
      'Thinking Machines think',
      '--heads',
      '2',
      '--d-k',
      '8',
      '--d-v',
      '4',
      '--d-model',
      '32',
      '--seed',
      '5',
    ).json;
    assert.deepEqual(same, json, 'deterministic for a seed');
    const noPos = ok('compute', '--text', 'a a', '--raw', '--no-positional', '--d-model', '16').json;
    assert.deepEqual(noPos.heads[0].weights[0], [0.5, 0.5], 'identical tokens without positions attend equally');
  });

  it('warnings go to stderr and keep exit code 0', () => {
    const { json, stderr } = ok('compute', inputFile('qkv-cross-fully-masked-row'));
    assert.match(
      stderr,
      /^warning: query 1 \("b"\) may attend to no key under the mask: its weights and output are all zero$/m,
    );
    assert.deepEqual(json.heads[0].weights[1], [0, 0, 0, 0, 0]);
    assert.equal(json.heads[0].entropy[1], 0);
  });

  it('errors: exit 2, one line, nothing on stdout', () => {
    const dir = TMP;
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"Q": [[1, 2]], "K": [[1, 2], [3]], "V": [[1], [2]]}');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"Q": [[1, 2]],');
    fails(['compute', bad], `${bad}: $.K[1]: ragged rows: expected 2 numbers like row 0, found 1`);
    fails(['compute', broken], `${broken}: $ (byte 15): invalid JSON: expected a quoted key, found end of input`);
    fails(['compute', join(dir, 'missing.json')], `${join(dir, 'missing.json')}: no such file`);
    fails(
      ['compute', '--text', 'a b', '--scale', 'sharp'],
      '--scale: expected sqrt, none or a positive number, found "sharp"',
    );
    fails(
      ['compute', '--text', 'a b', '--mask', 'forward'],
      '--mask: expected none, causal, anticausal or a mask file (.npy, .npz[:NAME], .safetensors[:NAME], .pt[:NAME]), found "forward"',
    );
    fails(['compute', '--text', 'a b', '--heads', '0'], '--heads: expected a positive integer, found "0"');
    fails(['compute', '--text', 'a b', '--bogus'], /^error: --bogus: unknown option/);
    fails(['compute', '--text', '   '], 'text: no tokens found (the text is empty or only white space)');
    fails(['compute', bad, '--text', 'x'], `${bad}: give either FILE or --text, not both`);
    fails(['compute', bad, '--seed', '3'], '--seed: applies to --text input only');
    fails(['compute'], 'compute: needs a FILE or --text "…"');
    fails(['frobnicate'], 'frobnicate: unknown command (expected compute, info or report; see --help)');
    fails(
      ['compute', inputFile('attentions-4d'), '--scale', '2'],
      '--scale: the input is post-softmax attentions, which cannot be re-scaled (give scores or Q/K/V)',
    );
  });

  it('--help and --version', () => {
    const help = run('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /attention-inspector compute FILE\.json/);
    assert.match(run('--version').stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
