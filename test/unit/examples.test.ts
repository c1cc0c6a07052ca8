// The bundled examples open with the built CLI and say what examples/README.md says they say. The
// expected figures come from numpy reading the same files (python3 below), not from our readers.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const EXAMPLES = join(ROOT, 'examples');
const INPUTS = /\.(json|npy|npz|safetensors)$/;

interface Sharpness {
  factor: number;
  label: string;
  meanEntropy: number;
  meanMaxWeight: number;
}
interface Head {
  layer: number;
  head: number;
  weights?: (number | null)[][];
  sharpness: Sharpness[];
}

function cli(...args: string[]): { tokens: string[]; meaning?: string; tokenSource?: string; heads: Head[] } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Runs a numpy program that prints one JSON value; null when python3 or numpy is missing. */
function numpy(program: string): unknown {
  const r = spawnSync('python3', ['-c', program], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout);
}

// Per head: [mean entropy, mean largest weight] of weights w (rows of zeros count as entropy 0).
const SHARPNESS_PY = `
import json, struct, numpy as np
def sharp(w):
    w = np.asarray(w, dtype=np.float64)
    logs = np.log(np.where(w > 0, w, 1.0))
    return [float((-(w * logs).sum(-1)).mean()), float(w.max(-1).mean())]
def safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    dt = {'F32': '<f4', 'F16': '<f2'}
    return {k: np.frombuffer(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape'])
            for k, v in header.items() if k != '__metadata__'}
`;

describe('examples', () => {
  before(function () {
    if (!existsSync(CLI)) this.skip();
  });

  it('every example input opens with compute --summary', () => {
    const files = readdirSync(EXAMPLES).filter((f) => INPUTS.test(f) && !f.endsWith('.tokens.json'));
    assert.ok(files.length >= 9, `found ${files.join(', ')}`);
    for (const f of files) {
      const out = cli('compute', join('examples', f), '--summary');
      assert.ok(out.heads.length >= 1, f);
      for (const h of out.heads)
        for (const s of h.sharpness) assert.ok(Number.isFinite(s.meanEntropy), `${f} L${h.layer}H${h.head}`);
    }
  });

  it('the model-shaped weights read the same from .npy, .safetensors and the .npz scores, as numpy computes them', function () {
    const expected = numpy(`${SHARPNESS_PY}
a = np.load('examples/gpt-style-attention.npy')
print(json.dumps([[sharp(a[l, 0, h]) for h in range(a.shape[2])] for l in range(a.shape[0])]))`) as number[][][] | null;
    if (expected === null) this.skip();
    const tokens = [
      '<|endoftext|>',
      'When',
      ' Mary',
      ' and',
      ' John',
      ' went',
      ' to',
      ' the',
      ' store',
      ',',
      ' John',
      ' gave',
      ' a',
      ' drink',
      ' to',
      ' Mary',
      '.',
      ' When',
      ' Mary',
      ' and',
      ' John',
      ' went',
      ' to',
      ' the',
    ];
    for (const [file, meaning, source] of [
      ['gpt-style-attention.npy', 'weights', 'examples/gpt-style-attention.npy.tokens.json'],
      ['gpt-style-attention.safetensors', 'weights', '__metadata__.tokens'],
      ['transformerlens-scores.npz', 'scores', 'tensor "tokens"'],
    ]) {
      const out = cli('compute', join('examples', file), '--summary');
      assert.equal(out.meaning, meaning, file);
      assert.equal(out.tokenSource, source, file);
      assert.deepEqual(out.tokens, tokens, file);
      assert.equal(out.heads.length, 16, file);
      for (const h of out.heads) {
        const [entropy, maxWeight] = expected![h.layer][h.head];
        const asRun = h.sharpness.find((s) => s.factor === 1)!;
        assert.ok(
          Math.abs(asRun.meanEntropy - entropy) < 1e-5,
          `${file} L${h.layer}H${h.head} entropy ${asRun.meanEntropy} vs ${entropy}`,
        );
        assert.ok(
          Math.abs(asRun.meanMaxWeight - maxWeight) < 1e-5,
          `${file} L${h.layer}H${h.head} max ${asRun.meanMaxWeight} vs ${maxWeight}`,
        );
      }
    }
  });

  it('qkv-heads: the first-token head sharpens unscaled and flattens at 1/d_k (README figures), as numpy computes them', function () {
    const expected = numpy(`${SHARPNESS_PY}
t = safetensors('examples/qkv-heads.safetensors')
q = t['blocks.0.attn.q'][1].astype(np.float64); k = t['blocks.0.attn.k'][1].astype(np.float64)
def weights(f):
    s = q @ k.T * f
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
print(json.dumps([sharp(weights(f)) for f in (1.0, 0.25, 1.0 / 16)]))`) as number[][] | null;
    if (expected === null) this.skip();
    const out = cli('compute', 'examples/qkv-heads.safetensors', '--layer', '0', '--head', '1', '--summary');
    const [unscaled, sqrt, linear] = out.heads[0].sharpness;
    assert.deepEqual([unscaled.label, sqrt.label, linear.label], ['unscaled', 'sqrt', 'linear']);
    [unscaled, sqrt, linear].forEach((s, i) => {
      assert.ok(
        Math.abs(s.meanMaxWeight - expected![i][1]) < 1e-4,
        `${s.label}: ${s.meanMaxWeight} vs ${expected![i][1]}`,
      );
      assert.ok(Math.abs(s.meanEntropy - expected![i][0]) < 1e-4, `${s.label}: ${s.meanEntropy} vs ${expected![i][0]}`);
    });
    // the figures examples/README.md and the walkthrough quote
    assert.deepEqual(
      [unscaled, sqrt, linear].map((s) => s.meanMaxWeight.toFixed(2)),
      ['1.00', '0.94', '0.18'],
    );
  });

  it('causal-mask: the upper triangle is masked and the first token attends only to itself', () => {
    const out = cli('compute', 'examples/causal-mask.json');
    const w = out.heads[0].weights!;
    w.forEach((row, i) =>
      row.forEach((x, j) => {
        if (j > i) assert.equal(x, 0, `(${i}, ${j}) is masked`);
      }),
    );
    assert.equal(w[0][0], 1);
  });
});
