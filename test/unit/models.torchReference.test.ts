// The tiny Hugging Face models and the float64 PyTorch reference that the real-model engine is checked against:
// the generator is deterministic, every folder has the Hugging Face layout the contract names, and the
// reference's output has the right shapes, rows of weights that sum to 1, -inf exactly where the model's mask
// says (causal, Mistral's sliding window, padding) and the grouped-query head sharing of the config.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  cellIndex,
  makeTinyModels,
  TINY_MODELS,
  tinyModelsDir,
  TORCH_PYTHON,
  torchAttention,
  type TinyModel,
  type TorchAttention,
} from '../helpers/torchReference';

interface Expect {
  architecture: string;
  dtype: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
  causal: boolean;
  window?: number;
  sharded?: boolean;
}

const EXPECT: Record<TinyModel, Expect> = {
  'gpt2-tiny': {
    architecture: 'GPT2LMHeadModel',
    dtype: 'F32',
    layers: 2,
    heads: 4,
    kvHeads: 4,
    headDim: 8,
    hidden: 32,
    causal: true,
  },
  'llama-tiny': {
    architecture: 'LlamaForCausalLM',
    dtype: 'BF16',
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    hidden: 64,
    causal: true,
  },
  'mistral-tiny': {
    architecture: 'MistralForCausalLM',
    dtype: 'F16',
    layers: 2,
    heads: 4,
    kvHeads: 1,
    headDim: 16,
    hidden: 64,
    causal: true,
    window: 4,
  },
  'qwen2-tiny': {
    architecture: 'Qwen2ForCausalLM',
    dtype: 'BF16',
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    hidden: 64,
    causal: true,
    sharded: true,
  },
  'qwen3-tiny': {
    architecture: 'Qwen3ForCausalLM',
    dtype: 'F32',
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    hidden: 48,
    causal: true,
  },
  'bert-tiny': {
    architecture: 'BertForMaskedLM',
    dtype: 'F32',
    layers: 2,
    heads: 4,
    kvHeads: 4,
    headDim: 8,
    hidden: 32,
    causal: false,
  },
  'roberta-tiny': {
    architecture: 'RobertaModel',
    dtype: 'F16',
    layers: 2,
    heads: 4,
    kvHeads: 4,
    headDim: 8,
    hidden: 32,
    causal: false,
  },
  'distilbert-tiny': {
    architecture: 'DistilBertModel',
    dtype: 'F32',
    layers: 2,
    heads: 4,
    kvHeads: 4,
    headDim: 8,
    hidden: 32,
    causal: false,
  },
};

/** sha256 of every file under dir, by relative path. */
function folderHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const model of readdirSync(dir)
    .filter((d) => !d.startsWith('.'))
    .sort()) {
    for (const f of readdirSync(join(dir, model)).sort())
      out[`${model}/${f}`] = createHash('sha256')
        .update(readFileSync(join(dir, model, f)))
        .digest('hex');
  }
  return out;
}

function safetensorsHeader(
  path: string,
): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  delete header.__metadata__;
  return header;
}

function weightFiles(dir: string): string[] {
  const index = join(dir, 'model.safetensors.index.json');
  if (!existsSync(index)) return ['model.safetensors'];
  return [
    ...new Set(Object.values(JSON.parse(readFileSync(index, 'utf8')).weight_map as Record<string, string>)),
  ].sort();
}

/** Whether query i may see key j for this model (no padding). */
function allowed(e: Expect, i: number, j: number): boolean {
  if (e.causal && j > i) return false;
  if (e.window !== undefined && j <= i - e.window) return false;
  return true;
}

function checkInvariants(r: TorchAttention, e: Expect, n: number, keyMask?: number[]): void {
  assert.equal(r.architecture, e.architecture);
  assert.deepEqual(
    [r.layers, r.heads, r.kvHeads, r.n, r.headDim, r.hiddenSize],
    [e.layers, e.heads, e.kvHeads, n, e.headDim, e.hidden],
  );
  assert.equal(r.scores.length, e.layers * e.heads * n * n);
  assert.equal(r.weights.length, e.layers * e.heads * n * n);
  assert.equal(r.qPre.length, e.layers * e.heads * n * e.headDim);
  assert.equal(r.qRot.length, e.layers * e.heads * n * e.headDim);
  assert.equal(r.kPre.length, e.layers * e.kvHeads * n * e.headDim);
  assert.equal(r.kRot.length, e.layers * e.kvHeads * n * e.headDim);
  assert.equal(r.hidden.length, n * e.hidden);
  assert.deepEqual(
    r.kvHeadOf,
    Array.from({ length: e.heads }, (_, h) => Math.floor(h / (e.heads / e.kvHeads))),
  );
  for (let l = 0; l < r.layers; l++) {
    for (let h = 0; h < r.heads; h++) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) {
          const k = cellIndex(r, l, h, i, j);
          const open = allowed(e, i, j) && (!keyMask || keyMask[j] === 1);
          const where = `layer ${l} head ${h} [${i}][${j}]`;
          if (open) {
            assert.ok(Number.isFinite(r.scores[k]), `${where}: score ${r.scores[k]} should be finite`);
            assert.ok(r.weights[k] > 0, `${where}: weight ${r.weights[k]} should be > 0`);
          } else {
            assert.equal(r.scores[k], -Infinity, `${where}: should be masked`);
            assert.equal(r.weights[k], 0, `${where}: masked weight`);
          }
          sum += r.weights[k];
        }
        assert.ok(Math.abs(sum - 1) < 1e-12, `layer ${l} head ${h} row ${i}: weights sum to ${sum}`);
      }
    }
  }
  for (const v of [...r.qRot, ...r.kRot, ...r.hidden]) assert.ok(Number.isFinite(v));
}

/** Attention far from uniform: the finite scores spread over several units. */
function scoreSpread(r: TorchAttention): number {
  const finite = [...r.scores].filter(Number.isFinite);
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  return Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length);
}

function idsFor(model: TinyModel, n: number): number[] {
  const config = JSON.parse(readFileSync(join(tinyModelsDir(), model, 'config.json'), 'utf8'));
  const top = Math.min(config.vocab_size ?? config.n_vocab, 400);
  return Array.from({ length: n }, (_, i) => 5 + ((i * 37 + 11) % (top - 5)));
}

describe('tiny Hugging Face models and the PyTorch reference', function () {
  this.timeout(120_000);
  let dir = '';

  before(function () {
    const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`${TORCH_PYTHON} has no torch/numpy (npm run setup:python): ${r.stderr || r.error?.message}`);
    dir = tinyModelsDir();
  });

  it('the generator writes the same bytes every run', () => {
    const again = mkdtempSync(join(tmpdir(), 'tiny-models-'));
    try {
      makeTinyModels(again);
      const first = folderHashes(dir);
      assert.deepEqual(folderHashes(again), first);
      assert.equal(Object.keys(first).length, 8 * 4 + 2, 'files: 8 models × 4, qwen2-tiny has 2 shards + index');
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  for (const model of TINY_MODELS) {
    const e = EXPECT[model];
    it(`${model}: Hugging Face layout, ${e.architecture}, ${e.dtype} weights`, () => {
      const d = join(dir, model);
      const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      assert.deepEqual(config.architectures, [e.architecture]);
      assert.equal(config.torch_dtype, { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[e.dtype]);
      const tok = JSON.parse(readFileSync(join(d, 'tokenizer.json'), 'utf8'));
      assert.equal(tok.version, '1.0');
      assert.ok(['BPE', 'WordPiece'].includes(tok.model.type));
      const ids = [
        ...Object.values(tok.model.vocab as Record<string, number>),
        ...tok.added_tokens.map((t: { id: number }) => t.id),
      ];
      assert.ok(Math.max(...ids) < config.vocab_size, 'tokenizer ids < vocab_size');
      assert.ok(existsSync(join(d, 'tokenizer_config.json')));
      const files = weightFiles(d);
      assert.deepEqual(
        files,
        e.sharded ? ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'] : ['model.safetensors'],
      );
      let total = 0;
      for (const f of files) {
        for (const [name, t] of Object.entries(safetensorsHeader(join(d, f)))) {
          total += t.data_offsets[1] - t.data_offsets[0];
          // GPT-2's causal buffer h.N.attn.bias stays F32, as in the hub's checkpoint.
          assert.equal(t.dtype, name.endsWith('.attn.bias') ? 'F32' : e.dtype, `${f}: ${name}`);
        }
      }
      if (e.sharded)
        assert.equal(
          JSON.parse(readFileSync(join(d, 'model.safetensors.index.json'), 'utf8')).metadata.total_size,
          total,
        );
    });

    it(`${model}: reference shapes, masks, rows summing to 1, key/value heads`, () => {
      const n = 9;
      const r = torchAttention(join(dir, model), { ids: idsFor(model, n) });
      checkInvariants(r, e, n);
      assert.ok(scoreSpread(r) > 1.5, `scores spread ${scoreSpread(r)}: attention should be far from uniform`);
    });
  }

  it('llama-tiny: RoPE leaves position 0 alone and rotates the rest; q·k is preserved per position pair', () => {
    const r = torchAttention(join(dir, 'llama-tiny'), { ids: idsFor('llama-tiny', 6) });
    const d = r.headDim;
    for (let c = 0; c < d; c++) assert.ok(Math.abs(r.qRot[c] - r.qPre[c]) < 1e-12, 'position 0 is not rotated');
    let moved = 0;
    for (let c = 0; c < d; c++) moved += Math.abs(r.qRot[5 * d + c] - r.qPre[5 * d + c]);
    assert.ok(moved > 1e-3, 'position 5 is rotated');
    // Rotation keeps the norm of each (c, c + d/2) pair.
    for (let p = 0; p < 6; p++) {
      for (let c = 0; c < d / 2; c++) {
        const a = r.qPre[p * d + c] ** 2 + r.qPre[p * d + c + d / 2] ** 2;
        const b = r.qRot[p * d + c] ** 2 + r.qRot[p * d + c + d / 2] ** 2;
        assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, a), `position ${p} pair ${c}`);
      }
    }
  });

  it('bert-tiny and gpt2-tiny: padded keys are -inf, token types change the result', () => {
    const ids = idsFor('bert-tiny', 7);
    const mask = [1, 1, 1, 1, 1, 0, 0];
    checkInvariants(torchAttention(join(dir, 'bert-tiny'), { ids, attentionMask: mask }), EXPECT['bert-tiny'], 7, mask);
    const a = torchAttention(join(dir, 'bert-tiny'), { ids, tokenTypeIds: [0, 0, 0, 1, 1, 1, 1] });
    const b = torchAttention(join(dir, 'bert-tiny'), { ids });
    assert.notEqual(a.scores[cellIndex(a, 0, 0, 4, 4)], b.scores[cellIndex(b, 0, 0, 4, 4)]);
    const g = idsFor('gpt2-tiny', 6);
    const gmask = [1, 1, 1, 0, 1, 1];
    checkInvariants(
      torchAttention(join(dir, 'gpt2-tiny'), { ids: g, attentionMask: gmask }),
      EXPECT['gpt2-tiny'],
      6,
      gmask,
    );
  });

  it('left padding in a causal model: a row with no allowed key is all 0, not NaN', () => {
    const r = torchAttention(join(dir, 'qwen2-tiny'), { ids: idsFor('qwen2-tiny', 5), attentionMask: [0, 1, 1, 1, 1] });
    for (let j = 0; j < 5; j++) {
      assert.equal(r.weights[cellIndex(r, 0, 0, 0, j)], 0);
      assert.equal(r.scores[cellIndex(r, 0, 0, 0, j)], -Infinity);
    }
    for (let i = 1; i < 5; i++) assert.equal(r.weights[cellIndex(r, 1, 3, i, 0)], 0);
  });

  it("the reference mirrors torch's own modules (check_reference.py: MultiheadAttention, GELU, LayerNorm, RoPE as complex rotation, llama3 scaling per frequency)", () => {
    const r = spawnSync(TORCH_PYTHON, [join(__dirname, '..', 'models', 'check_reference.py'), dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /all checks passed/);
  });

  it('an unsupported architecture fails with one line naming it and the supported ones', () => {
    const bad = mkdtempSync(join(tmpdir(), 'bad-model-'));
    try {
      writeFileSync(
        join(bad, 'config.json'),
        JSON.stringify({ architectures: ['T5ForConditionalGeneration'], model_type: 't5' }),
      );
      assert.throws(
        () => torchAttention(bad, { ids: [1, 2] }),
        /T5ForConditionalGeneration is not supported \(supported: .*LlamaForCausalLM/,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
