// The command line on real model folders: `compute --model` prints every layer's and head's scores and
// weights, which must match the float64 PyTorch reference for every architecture; `info --model` and
// `models` describe folders and the Hugging Face cache; bad folders give one `error:` line naming the
// file and the tensor or field, exit code 2, nothing on stdout.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_MODELS, cellIndex, tinyModelsDir, torchAttention } from '../helpers/torchReference';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TEXT = 'Hello world! The heads find the subject, 😀 and 世界.';

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 << 20,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface HeadJson {
  layer: number;
  head: number;
  kvHead: number;
  factor: number;
  scores: (number | null)[][];
  weights: number[][];
  entropy: number[];
}
interface ComputeJson {
  architecture: string;
  tokens: string[];
  ids: number[];
  offsets: ([number, number] | null)[];
  special: boolean[];
  layers: number;
  headsPerLayer: number;
  heads: HeadJson[];
  mask: string;
}

describe('CLI: compute --model, info --model, models', function () {
  this.timeout(300_000);
  let work: string;
  before(() => {
    tinyModelsDir();
    work = mkdtempSync(join(tmpdir(), 'models-cli-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const name of TINY_MODELS) {
    it(`${name}: compute --model matches the PyTorch reference on every layer and head`, () => {
      const dir = join(tinyModelsDir(), name);
      const r = run(['compute', '--model', dir, '--text', TEXT]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as ComputeJson;
      const n = out.ids.length;
      assert.equal(out.tokens.length, n);
      assert.equal(out.heads.length, out.layers * out.headsPerLayer);
      // Offsets point into the text (specials added around it have none).
      out.offsets.forEach((o, i) => {
        if (o === null) assert.ok(out.special[i], `token ${i} ${out.tokens[i]} has no offsets but is not special`);
        else assert.ok(o[0] >= 0 && o[1] <= TEXT.length && o[0] < o[1]);
      });
      const bert = /Bert|Roberta/.test(out.architecture) && !/DistilBert/.test(out.architecture);
      const ref = torchAttention(dir, { ids: out.ids, tokenTypeIds: bert ? out.ids.map(() => 0) : undefined });
      let worst = 0;
      for (const h of out.heads) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const s = ref.scores[cellIndex(ref, h.layer, h.head, i, j)],
              w = ref.weights[cellIndex(ref, h.layer, h.head, i, j)];
            if (s === -Infinity)
              assert.equal(h.scores[i][j], null, `${name} L${h.layer}H${h.head} [${i}][${j}] is masked`);
            else worst = Math.max(worst, Math.abs(h.scores[i][j]! - s) / Math.max(1, Math.abs(s)));
            worst = Math.max(worst, Math.abs(h.weights[i][j] - w));
          }
        }
        assert.equal(h.kvHead, ref.kvHeadOf[h.head]);
      }
      assert.ok(worst <= 1e-4, `${name}: largest difference ${worst}`);
    });
  }

  it('--layers and --heads pick entries, --summary leaves the matrices out', () => {
    const r = run([
      'compute',
      '--model',
      join(tinyModelsDir(), 'llama-tiny'),
      '--text',
      'the fox',
      '--layers',
      '1',
      '--heads',
      '0,2-3',
      '--summary',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as ComputeJson;
    assert.deepEqual(
      out.heads.map((h) => [h.layer, h.head, h.kvHead]),
      [
        [1, 0, 0],
        [1, 2, 1],
        [1, 3, 1],
      ],
    );
    assert.ok(out.heads.every((h) => !Object.hasOwn(h, 'scores') && h.entropy.length === out.ids.length));
    assert.equal(out.mask, 'causal');
  });

  it('--text-file reads UTF-8 text; sliding-window models say which keys each layer allows', () => {
    const file = join(work, 'text.txt');
    writeFileSync(file, 'one two three four five six seven\r\n');
    const r = run(['compute', '--model', join(tinyModelsDir(), 'mistral-tiny'), '--text-file', file]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as ComputeJson & { heads: (HeadJson & { window: number })[] };
    assert.equal(out.mask, 'custom');
    const h = out.heads[0];
    assert.equal(h.window, 4);
    // Query i sees keys i-3 … i only.
    for (let i = 0; i < out.ids.length; i++)
      for (let j = 0; j < out.ids.length; j++)
        assert.equal(h.scores[i][j] === null, !(j <= i && j > i - 4), `[${i}][${j}]`);
  });

  it('a text past the dense cap goes the long-sequence way (pooled heads), said on stderr with the reason', () => {
    const dir = join(tinyModelsDir(), 'llama-tiny');
    // 4 heads: 7200² × 4 cells pass MAX_DENSE_CELLS (12 · 4096²), even with the token threshold raised.
    const r = run([
      'compute',
      '--model',
      dir,
      '--text',
      Array(7200).fill('a').join(' '),
      '--full-resolution-tokens',
      '20000',
      '--summary',
      '--layers',
      '0',
      '--heads',
      '0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^warning: \d+ tokens: 4 heads × \d+² cells pass the 201326592 cells a layer may hold whole, so each head is a max-pooled overview of blocks of \d+ × \d+ tokens/,
    );
    const out = JSON.parse(r.stdout) as { ids: number[]; pooled: { tokens: number; cell: number }; heads: unknown[] };
    assert.equal(out.pooled.tokens, out.ids.length);
    assert.ok(out.ids.length > 7200);
    assert.equal(out.heads.length, 1);
  });

  it('info --model: architecture, sizes, dtype, tokenizer', () => {
    const r = run(['info', '--model', join(tinyModelsDir(), 'qwen2-tiny')]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.architecture, 'Qwen2ForCausalLM');
    assert.equal(info.supported, true);
    assert.deepEqual(info.weights.files, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    assert.deepEqual(Object.keys(info.weights.dtypes), ['BF16']);
    assert.equal(info.tokenizer.kind, 'byte-level BPE');
    assert.equal(info.kvHeads, 2);
    // One layer: input/post norms 2·64, q/k/v 64·64 + 2·(32·64) with biases 64 + 2·32, o 64·64, MLP 3·(64·128).
    assert.equal(
      info.memory.weightsPerLayerF32Bytes,
      4 * (2 * 64 + 64 * 64 + 2 * 32 * 64 + 64 + 2 * 32 + 64 * 64 + 3 * 64 * 128),
    );
    // GPT-2 checkpoints name layers "h.0." with no prefix: ln_1, c_attn, c_proj, ln_2, c_fc, c_proj (d 32, inner 128).
    const gpt2 = JSON.parse(run(['info', '--model', join(tinyModelsDir(), 'gpt2-tiny')]).stdout);
    assert.equal(
      gpt2.memory.weightsPerLayerF32Bytes,
      4 * (64 + 32 * 96 + 96 + 32 * 32 + 32 + 64 + 32 * 128 + 128 + 128 * 32 + 32),
    );
  });

  it('models lists the Hugging Face cache ($HF_HUB_CACHE) with architecture, size and support', () => {
    const hub = join(work, 'hub');
    const snap = join(hub, 'models--openai-community--gpt2', 'snapshots', 'abc');
    mkdirSync(snap, { recursive: true });
    mkdirSync(join(hub, 'models--openai-community--gpt2', 'refs'));
    writeFileSync(join(hub, 'models--openai-community--gpt2', 'refs', 'main'), 'abc');
    cpSync(join(tinyModelsDir(), 'gpt2-tiny'), snap, { recursive: true });
    const t5 = join(hub, 'models--google--t5-small', 'snapshots', 'r1');
    mkdirSync(t5, { recursive: true });
    writeFileSync(join(t5, 'config.json'), '{"architectures": ["T5ForConditionalGeneration"], "model_type": "t5"}');
    mkdirSync(join(hub, 'datasets--x--y'));
    const envs: Record<string, string>[] = [{ HF_HUB_CACHE: hub }, { HF_HOME: work, HF_HUB_CACHE: '' }];
    for (const env of envs) {
      const r = run(['models'], env);
      assert.equal(r.code, 0, r.stderr);
      const list = JSON.parse(r.stdout);
      assert.equal(list.cache, hub);
      assert.deepEqual(
        list.models.map((m: { id: string; supported: boolean }) => [m.id, m.supported]),
        [
          ['google/t5-small', false],
          ['openai-community/gpt2', true],
        ],
      );
      const gpt2 = list.models[1];
      assert.equal(gpt2.architecture, 'GPT2LMHeadModel');
      assert.equal(
        gpt2.bytes,
        statSync(join(snap, 'model.safetensors')).size -
          8 -
          new DataView(readFileSync(join(snap, 'model.safetensors')).buffer).getUint32(0, true),
      );
      assert.match(list.models[0].reason, /T5ForConditionalGeneration.*not supported; supported: GPT2LMHeadModel/);
    }
  });

  describe('bad model folders: one line naming the file and the tensor or field', () => {
    const broken = (name: string, source: string, edit: (dir: string) => void) => {
      const dir = join(work, name);
      cpSync(join(tinyModelsDir(), source), dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const fails = (dir: string, pattern: RegExp) => {
      const r = run(['compute', '--model', dir, '--text', 'the fox']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], pattern);
      assert.doesNotMatch(r.stderr, /\bat .*\(.*:\d+:\d+\)/, 'no stack trace');
    };
    const patchBytes = (file: string, from: string, to: string) => {
      assert.equal(from.length, to.length);
      const bytes = readFileSync(file);
      const i = bytes.indexOf(Buffer.from(from));
      assert.ok(i >= 0, `${from} in ${file}`);
      bytes.write(to, i);
      writeFileSync(file, bytes);
    };

    it('a truncated shard', () => {
      const dir = broken('truncated', 'qwen2-tiny', (d) => {
        const f = join(d, 'model-00002-of-00002.safetensors');
        truncateSync(f, statSync(f).size - 100);
      });
      fails(dir, /^error: .*model-00002-of-00002\.safetensors: byte \d+: file has \d+ bytes but .*\(truncated\?\)$/);
    });
    it('a missing tensor (the index no longer lists it)', () => {
      const dir = broken('missing-tensor', 'qwen2-tiny', (d) => {
        const f = join(d, 'model.safetensors.index.json');
        const index = JSON.parse(readFileSync(f, 'utf8'));
        delete index.weight_map['model.layers.1.self_attn.k_proj.bias'];
        writeFileSync(f, JSON.stringify(index));
      });
      fails(
        dir,
        /^error: .*model\.safetensors\.index\.json: tensor "model\.layers\.1\.self_attn\.k_proj\.bias": is missing \(Qwen2ForCausalLM needs it\)$/,
      );
    });
    it('a missing tensor in a single file (renamed in the header)', () => {
      const dir = broken('renamed', 'gpt2-tiny', (d) =>
        patchBytes(join(d, 'model.safetensors'), '"ln_f.weight"', '"ln_f.wEight"'),
      );
      fails(dir, /^error: .*model\.safetensors: tensor "ln_f\.weight": is missing \(GPT2LMHeadModel needs it\)$/);
    });
    it('config.json whose shapes disagree with the weights', () => {
      const dir = broken('shapes', 'llama-tiny', (d) => {
        const f = join(d, 'config.json');
        writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), intermediate_size: 130 }));
      });
      fails(
        dir,
        /^error: .*model\.safetensors: tensor "model\.layers\.0\.mlp\.gate_proj\.weight": has shape \[128, 64\] but config\.json implies \[130, 64\]$/,
      );
    });
    it("a model too large for the kernels' memory (a sparse file: refused before any weight is read)", () => {
      const inner = 10_000_000; // [10M, 64] weights: 2.38 GiB each as float32
      const dir = broken('too-large', 'llama-tiny', (d) => {
        const config = join(d, 'config.json');
        writeFileSync(
          config,
          JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), intermediate_size: inner }),
        );
        const file = join(d, 'model.safetensors');
        const bytes = readFileSync(file);
        const length = Number(bytes.readBigUInt64LE(0));
        const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        let at = 0;
        for (const [name, entry] of Object.entries(header)) {
          if (name === '__metadata__') {
            out[name] = entry;
            continue;
          }
          const { dtype, shape } = entry as { dtype: string; shape: number[] };
          const resized = /mlp\.(gate|up)_proj\.weight$/.test(name)
            ? [inner, shape[1]]
            : /mlp\.down_proj\.weight$/.test(name)
              ? [shape[0], inner]
              : shape;
          const size = resized.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);
          out[name] = { dtype, shape: resized, data_offsets: [at, at + size] };
          at += size;
        }
        const text = JSON.stringify(out);
        const padded = text + ' '.repeat((8 - (text.length % 8)) % 8);
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(BigInt(padded.length));
        writeFileSync(file, Buffer.concat([prefix, Buffer.from(padded)]));
        truncateSync(file, 8 + padded.length + at); // ~7.7 GB of holes: no disk used, nothing to read
      });
      fails(
        dir,
        /^error: .*config\.json: tensor "model\.layers\.0\.mlp\.(gate|up|down)_proj\.weight": this LlamaForCausalLM is too large to run here: its weight \[(10000000, 64|64, 10000000)\] is 2\.38 GiB as float32, and a product with it needs about [0-9.]+ GiB of the kernels' WebAssembly memory, which holds at most 4\.00 GiB \(0\.50 GiB of it kept for the rest\): choose a model with smaller layers$/,
      );
    });
    it('an unknown dtype', () => {
      const dir = broken('dtype', 'gpt2-tiny', (d) => patchBytes(join(d, 'model.safetensors'), '"F32"', '"Z32"'));
      fails(dir, /^error: .*model\.safetensors: tensor "[^"]+": unknown dtype "Z32"$/);
    });
    it('an integer dtype where weights belong', () => {
      const dir = broken('int-dtype', 'gpt2-tiny', (d) =>
        patchBytes(
          join(d, 'model.safetensors'),
          '"h.0.attn.c_attn.bias":{"dtype":"F32"',
          '"h.0.attn.c_attn.bias":{"dtype":"I32"',
        ),
      );
      const r = run(['compute', '--model', dir, '--text', 'the fox']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr.trim(),
        /^error: .*model\.safetensors: tensor "h\.0\.attn\.c_attn\.bias": dtype I32 is not supported for weights \(F32, F16 or BF16\)$/,
      );
    });
    it('a tokenizer.json that is not one', () => {
      const dir = broken('tokenizer', 'bert-tiny', (d) =>
        writeFileSync(join(d, 'tokenizer.json'), '{"hello": "world"}'),
      );
      fails(
        dir,
        /^error: .*tokenizer\.json: field "model": is not a Hugging Face tokenizer\.json: it needs a "model" object with a "vocab"$/,
      );
    });
    it('an unsupported architecture, listing the supported ones', () => {
      const dir = broken('arch', 'bert-tiny', (d) => {
        const f = join(d, 'config.json');
        writeFileSync(
          f,
          JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), architectures: ['T5ForConditionalGeneration'] }),
        );
      });
      fails(
        dir,
        /^error: .*config\.json: field "architectures": \["T5ForConditionalGeneration"\] is not supported; supported: GPT2LMHeadModel, .*DistilBertForMaskedLM$/,
      );
    });
    it('missing config.json, missing weights, a folder that is not one', () => {
      fails(
        broken('no-config', 'gpt2-tiny', (d) => rmSync(join(d, 'config.json'))),
        /^error: .*config\.json: is missing: a Hugging Face model folder needs config\.json/,
      );
      fails(
        broken('no-weights', 'gpt2-tiny', (d) => rmSync(join(d, 'model.safetensors'))),
        /^error: .*model\.safetensors: is missing \(expected model\.safetensors or model\.safetensors\.index\.json with its shards\)$/,
      );
      fails(join(work, 'does-not-exist'), /^error: .*does-not-exist: cannot open the model folder \(ENOENT\)$/);
    });
  });
});
