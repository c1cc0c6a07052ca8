// The detection suite (issue 13): every file in test/fixtures/torch and test/fixtures/tensorfiles was
// written by real torch or numpy (generate_torch_exports.py under /usr/bin/python3 with
// python3-torch, generate_tensorfiles.py). For each one, what `info` decides (kind, layout, meaning,
// the notes on ambiguous shapes) and what `compute` does: its numbers match torch's (stored values to
// float32 rounding, computed ones against torch's float64 softmax / scaled_dot_product_attention /
// nn.MultiheadAttention forward), or it exits 2 with one line that names the problem. One `it` per
// case. Then the one weights-row rule shared by detection and display, the JSON documents written
// by Python's json.dump, and explicit masks (--mask FILE).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { InputError, REFERENCE_ENGINE, inspect, matrixFrom, readAttentionInput } from '../../src/core';
import { checkWeights } from '../../src/core/values';
import { blankLiterals, findNonJsonLiterals } from '../../src/core/jsonLiterals';
import {
  MemoryByteSource,
  firstNonSoftmaxRow,
  openAttention,
  readSlice,
  sumTolerance,
  axisLabels,
} from '../../src/core/tensorfiles';
import { sourcePrecision } from '../../src/core/tensorfiles/meaning';
import { TensorFileSource } from '../../src/host/tensorFileSource';
import { tensorInfo } from '../../src/cli/tensorCommands';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TORCH = join(ROOT, 'test', 'fixtures', 'torch');
const TF = join(ROOT, 'test', 'fixtures', 'tensorfiles');
type Value = number | string;
const torchExpected: {
  files: Record<string, { tensors: Record<string, { shape: number[]; values: Value[] }>; [k: string]: unknown }>;
} = JSON.parse(readFileSync(join(TORCH, 'expected.json'), 'utf8'));
const tfExpected: Record<string, { tensors: Record<string, { shape: number[]; values: Value[] }> }> = JSON.parse(
  readFileSync(join(TF, 'expected.json'), 'utf8'),
);
const suite = JSON.parse(readFileSync(join(TORCH, 'exports_expected.json'), 'utf8'));

interface HeadOut {
  layer: number;
  head: number;
  scores: (number | null)[][] | null;
  weights: number[][];
  output: number[][] | null;
}
interface ComputeOut {
  tensor: string;
  layout: string;
  meaning: string;
  tokens: string[];
  heads: HeadOut[];
  output?: number[][];
}

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function computeOk(args: string[]): { json: ComputeOut; stderr: string } {
  const r = cli(['compute', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return { json: JSON.parse(r.stdout), stderr: r.stderr };
}

/** Exit 2, nothing on stdout, exactly one `error:` line on stderr, matching `rule`. */
function refused(args: string[], rule: RegExp): string {
  const r = cli(args);
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], rule);
  return lines[0];
}

const num = (v: Value): number =>
  typeof v === 'number' ? v : v === 'NaN' ? NaN : v === '-Infinity' ? -Infinity : Infinity;

/** Matrix `index` (row-major over the leading axes) of a C-ordered tensor whose last axes are [q, k]. */
function block(values: readonly Value[], shape: readonly number[], index: number): number[][] {
  const [q, k] = shape.slice(-2);
  const at = index * q * k;
  return Array.from({ length: q }, (_, i) => values.slice(at + i * k, at + (i + 1) * k).map(num));
}

/** Rows r0… of a flat list of rows (the references store heads one after another). */
function rowsFrom(rows: number[][], first: number, count: number): number[][] {
  return rows.slice(first, first + count);
}

/** Stored weights are shown as stored: equal at float32 (an all-NaN row is shown as zeros, masked). */
function assertStored(actual: number[][], stored: number[][], what: string): void {
  assert.equal(actual.length, stored.length, `${what}: rows`);
  stored.forEach((row, i) => {
    const nanRow = row.every((x) => Number.isNaN(x));
    row.forEach((x, j) => {
      const want = nanRow ? 0 : Math.fround(x);
      assert.equal(Math.fround(actual[i][j]), want, `${what}[${i}][${j}]: ${actual[i][j]} vs ${want}`);
    });
  });
}

/** Computed values against torch's float64: float32 rounding of a float32 computation. */
function assertClose(actual: (number | null)[][], want: number[][], what: string, tol = 2e-6): void {
  assert.equal(actual.length, want.length, `${what}: rows`);
  want.forEach((row, i) =>
    row.forEach((x, j) => {
      const a = actual[i][j] ?? 0;
      assert.ok(Math.abs(a - x) <= tol * Math.max(1, Math.abs(x)), `${what}[${i}][${j}]: ${a} vs ${x}`);
    }),
  );
}

interface InfoWant {
  readonly kind: 'maps' | 'qkv';
  readonly layout: string;
  readonly meaning: 'weights' | 'scores' | 'qkv';
  readonly tensor?: string;
  readonly shape?: { layers: number; batch: number; heads: number; queries: number; keys: number };
  /** Each note must match one of these; no notes when empty. */
  readonly notes: readonly RegExp[];
  readonly evidence?: RegExp;
}

async function checkInfo(path: string, args: Record<string, string>, want: InfoWant): Promise<void> {
  const info = (await tensorInfo(path, args)) as { detected: Record<string, unknown> | null; problem?: string };
  assert.ok(info.detected, `info: ${info.problem}`);
  const d = info.detected as {
    kind: string;
    layout: string;
    meaning: string;
    tensor: string;
    notes: string[];
    meaningEvidence: string;
    layers: number;
    batch: number;
    heads: number;
    queries: number;
    keys: number;
  };
  assert.equal(d.kind, want.kind);
  assert.equal(d.layout, want.layout);
  assert.equal(d.meaning, want.meaning);
  if (want.tensor) assert.equal(d.tensor, want.tensor);
  if (want.shape)
    assert.deepEqual(
      { layers: d.layers, batch: d.batch, heads: d.heads, queries: d.queries, keys: d.keys },
      want.shape,
    );
  assert.equal(d.notes.length, want.notes.length, `notes: ${JSON.stringify(d.notes)}`);
  want.notes.forEach((re, i) => assert.match(d.notes[i], re));
  if (want.evidence) assert.match(d.meaningEvidence, want.evidence);
}

async function infoProblem(path: string, rule: RegExp): Promise<void> {
  try {
    const info = (await tensorInfo(path, {})) as { detected: unknown; problem?: string };
    assert.equal(info.detected, null);
    assert.match(info.problem ?? '', rule);
  } catch (e) {
    // Files that cannot be opened at all: info fails the same way compute does.
    assert.ok(e instanceof InputError, String(e));
    assert.match(e.message, rule);
  }
}

const AMBIGUOUS_4D =
  /4-D \[[\d, ]+\] is ambiguous: read as \[layers, heads, q, [kd]\] .*pass --layout batch,heads,q,[kd] if the first axis is the batch/;
const AMBIGUOUS_3D =
  /3-D \[[\d, ]+\] is ambiguous: read as \[heads, q, [kd]\] .*pass --layout batch,q,[kd] if the first axis is the batch/;
const MODEL_WEIGHTS =
  /holds model weights, not attention: .*never drawn as maps; open the model folder to run it on text/;
const NO_ATTENTION = /no attention-like tensor/;

const t = (file: string) => join(TORCH, file);
const f = (file: string) => join(TF, file);
const torchTensor = (file: string, name: string) => torchExpected.files[file].tensors[name];

describe('detection suite: torch.save and numpy exports written by torch (test/fixtures/torch)', () => {
  it('single.pt: [2, 3, 5, 5] weights read as [layers, heads, q, k] with the ambiguity noted; every head as stored', async () => {
    await checkInfo(
      t('single.pt'),
      {},
      {
        kind: 'maps',
        layout: 'layers,heads,q,k',
        meaning: 'weights',
        shape: { layers: 2, batch: 1, heads: 3, queries: 5, keys: 5 },
        notes: [AMBIGUOUS_4D],
      },
    );
    const { json, stderr } = computeOk([t('single.pt')]);
    assert.match(stderr, /note: single\.pt: 4-D \[2, 3, 5, 5\] is ambiguous/);
    const e = torchTensor('single.pt', 'single');
    assert.equal(json.heads.length, 6);
    for (const h of json.heads)
      assertStored(h.weights, block(e.values, e.shape, h.layer * 3 + h.head), `L${h.layer}H${h.head}`);
  });

  it('single.pt --layout batch,heads,q,k --batch 1: the other reading of the same shape, batch entry 1', async () => {
    await checkInfo(
      t('single.pt'),
      { layout: 'batch,heads,q,k' },
      {
        kind: 'maps',
        layout: 'batch,heads,q,k',
        meaning: 'weights',
        shape: { layers: 1, batch: 2, heads: 3, queries: 5, keys: 5 },
        notes: [/batch entry 0 of 2 shown; --batch changes it/],
      },
    );
    const { json } = computeOk([t('single.pt'), '--layout', 'batch,heads,q,k', '--batch', '1']);
    const e = torchTensor('single.pt', 'single');
    assert.equal(json.heads.length, 3);
    for (const h of json.heads) assertStored(h.weights, block(e.values, e.shape, 3 + h.head), `B1H${h.head}`);
  });

  it('attentions_tuple.pt: torch.save(out.attentions), a tuple of [batch, heads, q, k] per layer, causal weights as stored', async () => {
    await checkInfo(
      t('attentions_tuple.pt'),
      {},
      {
        kind: 'maps',
        layout: 'batch,heads,q,k',
        meaning: 'weights',
        shape: { layers: 3, batch: 1, heads: 2, queries: 4, keys: 4 },
        notes: [],
      },
    );
    const { json } = computeOk([t('attentions_tuple.pt')]);
    assert.equal(json.heads.length, 6);
    for (const h of json.heads) {
      const e = torchTensor('attentions_tuple.pt', String(h.layer));
      assertStored(h.weights, block(e.values, e.shape, h.head), `L${h.layer}H${h.head}`);
    }
  });

  it('attentions_tokens.pth: torch.save({"attentions": …, "tokens": […]}): the tokens label the axes, weights as stored', async () => {
    await checkInfo(
      t('attentions_tokens.pth'),
      {},
      { kind: 'maps', layout: 'batch,heads,q,k', meaning: 'weights', tensor: 'attentions.{}', notes: [] },
    );
    const { json } = computeOk([t('attentions_tokens.pth')]);
    assert.deepEqual(json.tokens, torchExpected.files['attentions_tokens.pth'].tokens);
    for (const h of json.heads) {
      const e = torchTensor('attentions_tokens.pth', `attentions.${h.layer}`);
      assertStored(h.weights, block(e.values, e.shape, h.head), `L${h.layer}H${h.head}`);
    }
  });

  it('ordered.bin: an OrderedDict with three candidates is refused until --tensor names one', async () => {
    await infoProblem(t('ordered.bin'), /3 attention-like candidates, pass --tensor NAME/);
    refused(
      ['compute', t('ordered.bin')],
      /^error: ordered\.bin: 3 attention-like candidates, pass --tensor NAME with one of: scores: \[2, 3, 3\]/,
    );
  });

  it('ordered.bin --tensor scores: randn values are scores (negative entries), shown unscaled as stored', async () => {
    await checkInfo(
      t('ordered.bin'),
      { tensor: 'scores' },
      {
        kind: 'maps',
        layout: 'heads,q,k',
        meaning: 'scores',
        notes: [AMBIGUOUS_3D],
        evidence: /< 0 .*not softmax output, so read as scores/,
      },
    );
    const { json } = computeOk([t('ordered.bin'), '--tensor', 'scores']);
    const e = torchTensor('ordered.bin', 'scores');
    for (const h of json.heads)
      assertStored(h.scores as number[][], block(e.values, e.shape, h.head), `H${h.head} scores`);
  });

  it('dtypes.pt: [3, 4] tensors of every dtype are not attention: refused, naming each tensor', async () => {
    await infoProblem(t('dtypes.pt'), NO_ATTENTION);
    refused(
      ['compute', t('dtypes.pt')],
      /^error: dtypes\.pt: no attention-like tensor .*f32 \[3, 4\] float32; f16 \[3, 4\] float16; bf16 \[3, 4\] bfloat16/,
    );
  });

  it('views.pt: of the strided views only x[1:, ::2] is square: read as [q, k] scores, values gathered as torch has them', async () => {
    await checkInfo(
      t('views.pt'),
      {},
      { kind: 'maps', layout: 'q,k', meaning: 'scores', tensor: 'stepped', notes: [] },
    );
    const { json } = computeOk([t('views.pt')]);
    const e = torchTensor('views.pt', 'stepped');
    assertStored(json.heads[0].scores as number[][], block(e.values, e.shape, 0), 'stepped');
  });

  it('parameter.pt: torch.save(linear.weight), an nn.Parameter, is refused as model weights', async () => {
    await infoProblem(t('parameter.pt'), MODEL_WEIGHTS);
    refused(
      ['compute', t('parameter.pt')],
      /^error: parameter\.pt: holds model weights, not attention: "parameter" \[4, 4\] is a parameter .*open the model folder/,
    );
  });

  it('legacy.pt: the pre-1.6 (non-zip) format is refused, saying how to re-save', async () => {
    await infoProblem(t('legacy.pt'), /legacy torch\.save format/);
    refused(
      ['compute', t('legacy.pt')],
      /^error: legacy\.pt: byte 0: legacy torch\.save format .*re-save with torch\.save in PyTorch ≥ 1\.6, or as \.safetensors$/,
    );
  });

  it('module.pt: a pickled nn.Linear is refused by the global it names', async () => {
    refused(
      ['compute', t('module.pt')],
      /refused global "torch\.nn\.modules\.linear\.Linear": not in PyTorch's weights_only allow-list.*save model\.state_dict\(\) or the tensors instead/,
    );
  });

  it('builtin.pt: a dict holding print is refused by name', async () => {
    refused(['compute', t('builtin.pt')], /refused global "builtins\.print"/);
  });

  it('os_system.pt: an object reducing to os.system is refused, and nothing is run', async () => {
    const line = refused(
      ['compute', t('os_system.pt')],
      /refused global "(posix|os)\.system": module (posix|os) is never loaded/,
    );
    assert.ok(!line.includes('never run'));
  });

  it('mha_state_dict.pt: nn.MultiheadAttention.state_dict() is model weights (in_proj_weight, out_proj.weight)', async () => {
    await infoProblem(t('mha_state_dict.pt'), MODEL_WEIGHTS);
    refused(
      ['compute', t('mha_state_dict.pt')],
      /^error: mha_state_dict\.pt: holds model weights, not attention: "in_proj_weight" \[24, 8\], "in_proj_bias" \[24\], "out_proj\.weight" \[8, 8\].*open the model folder/,
    );
  });

  it('llama_attn_weights.bin: square q_proj/k_proj/v_proj/o_proj weights are model weights, not maps', async () => {
    await infoProblem(t('llama_attn_weights.bin'), MODEL_WEIGHTS);
    refused(
      ['compute', t('llama_attn_weights.bin')],
      /holds model weights, not attention: "model\.layers\.0\.self_attn\.q_proj\.weight" \[8, 8\].* and 5 more are parameters/,
    );
  });

  it('gpt2_attn_weights.pt: GPT-2 c_attn/c_proj (names with "attn") are model weights', async () => {
    await infoProblem(t('gpt2_attn_weights.pt'), MODEL_WEIGHTS);
    refused(['compute', t('gpt2_attn_weights.pt')], /"h\.0\.attn\.c_attn\.weight" \[8, 24\].*open the model folder/);
  });

  it('tl_weights.npz: TransformerLens W_Q/W_K/W_V [heads, d_model, d_head] are model weights, not Q/K/V', async () => {
    await infoProblem(t('tl_weights.npz'), MODEL_WEIGHTS);
    refused(
      ['compute', t('tl_weights.npz')],
      /"W_Q" \[2, 8, 4\], "W_K" \[2, 8, 4\], "blocks\.0\.attn\.W_V" \[2, 8, 4\] are parameters/,
    );
  });

  it('wq_square.npz: a square W_Q [8, 8] is a model weight, never a heatmap', async () => {
    await infoProblem(t('wq_square.npz'), MODEL_WEIGHTS);
    refused(['compute', t('wq_square.npz')], /"W_Q" \[8, 8\] is a parameter/);
  });

  it('bf16_weights_as_float.pt: bfloat16 softmax saved through .float() is read as weights held to bfloat16 rounding', async () => {
    await checkInfo(
      t('bf16_weights_as_float.pt'),
      {},
      {
        kind: 'maps',
        layout: 'layers,heads,q,k',
        meaning: 'weights',
        notes: [],
        evidence: /exactly a bfloat16, so the rows were computed in bfloat16/,
      },
    );
    const { json, stderr } = computeOk([t('bf16_weights_as_float.pt'), '--summary']);
    assert.equal(json.meaning, 'weights');
    assert.match(stderr, /sum to 1 ± 0\.03/);
    // Torch's own row sums miss float32's tolerance: read at float32 these would have been scores.
    assert.ok((torchExpected.files['bf16_weights_as_float.pt'].maxRowSumError as number) > sumTolerance('f32'));
  });

  it('mha_nan_rows.pt: nn.MultiheadAttention weights with a fully masked query: NaN rows shown as masked rows', async () => {
    await checkInfo(
      t('mha_nan_rows.pt'),
      {},
      {
        kind: 'maps',
        layout: 'layers,heads,q,k',
        meaning: 'weights',
        notes: [AMBIGUOUS_4D],
        evidence: /all NaN, as nn\.MultiheadAttention gives for a query with no allowed key/,
      },
    );
    const { json, stderr } = computeOk([t('mha_nan_rows.pt')]);
    const nanRows = torchExpected.files['mha_nan_rows.pt'].nanRows as number[];
    assert.match(stderr, new RegExp(`fully masked query rows .*layer 0 head 0: 1 \\(${nanRows[0]}\\)`));
    const e = torchTensor('mha_nan_rows.pt', 'attn_weights');
    for (const h of json.heads)
      assertStored(h.weights, block(e.values, e.shape, h.layer * 2 + h.head), `L${h.layer}H${h.head}`);
  });

  it('mha_nan_rows.pt --layout batch,heads,q,k --batch 1: the batch read as a batch', async () => {
    await checkInfo(
      t('mha_nan_rows.pt'),
      { layout: 'batch,heads,q,k' },
      {
        kind: 'maps',
        layout: 'batch,heads,q,k',
        meaning: 'weights',
        shape: { layers: 1, batch: 2, heads: 2, queries: 5, keys: 5 },
        notes: [/batch entry 0 of 2 shown; --batch changes it/],
      },
    );
    const { json } = computeOk([t('mha_nan_rows.pt'), '--layout', 'batch,heads,q,k', '--batch', '1']);
    const e = torchTensor('mha_nan_rows.pt', 'attn_weights');
    for (const h of json.heads) assertStored(h.weights, block(e.values, e.shape, 2 + h.head), `B1H${h.head}`);
  });

  it('scores_finfo_min.pt: HF additive finfo.min masks are masked cells; softmax matches torch', async () => {
    await checkInfo(
      t('scores_finfo_min.pt'),
      {},
      { kind: 'maps', layout: 'layers,heads,q,k', meaning: 'scores', notes: [] },
    );
    const { json } = computeOk([t('scores_finfo_min.pt')]);
    const w = torchExpected.files['scores_finfo_min.pt'].weights as number[];
    for (const h of json.heads) {
      assertClose(h.weights, block(w, [2, 4, 4], h.head), `H${h.head}`);
      assert.equal(h.scores?.[0][1], null, 'a finfo.min cell is masked');
    }
  });

  it('tl_hooks.npz: TransformerLens hook_q/k/v [batch, pos, head, d_head] are Q/K/V; scores and weights match torch', async () => {
    await checkInfo(t('tl_hooks.npz'), {}, { kind: 'qkv', layout: 'batch,heads,q,d', meaning: 'qkv', notes: [] });
    const { json } = computeOk([t('tl_hooks.npz')]);
    const e = torchExpected.files['tl_hooks.npz'] as unknown as { scores: number[]; weights: number[] };
    for (const h of json.heads) {
      assertClose(h.scores as number[][], block(e.scores, [2, 5, 5], h.head), `H${h.head} scores`);
      assertClose(h.weights, block(e.weights, [2, 5, 5], h.head), `H${h.head} weights`);
    }
  });

  it('head_averaged_batch.npy: [3, 4, 4] weights read as [heads, q, k], the batch reading named in the note', async () => {
    await checkInfo(
      t('head_averaged_batch.npy'),
      {},
      {
        kind: 'maps',
        layout: 'heads,q,k',
        meaning: 'weights',
        notes: [
          /3-D \[3, 4, 4\] is ambiguous: read as \[heads, q, k\] \(3 heads\); pass --layout batch,q,k .*nn\.MultiheadAttention returns by default/,
        ],
      },
    );
    const { json, stderr } = computeOk([t('head_averaged_batch.npy')]);
    assert.match(stderr, /pass --layout batch,q,k/);
    assert.equal(json.heads.length, 3);
  });

  it("head_averaged_batch.npy --layout batch,q,k --batch 2: nn.MultiheadAttention's head-averaged [batch, q, k]", async () => {
    await checkInfo(
      t('head_averaged_batch.npy'),
      { layout: 'batch,q,k' },
      {
        kind: 'maps',
        layout: 'batch,q,k',
        meaning: 'weights',
        shape: { layers: 1, batch: 3, heads: 1, queries: 4, keys: 4 },
        notes: [/batch entry 0 of 3 shown; --batch changes it/],
      },
    );
    const { json } = computeOk([t('head_averaged_batch.npy'), '--layout', 'batch,q,k', '--batch', '2']);
    assert.equal(json.heads.length, 1);
    const stored = (
      await readSlice(
        (await openAttention(new MemoryByteSource('h.npy', new Uint8Array(readFileSync(t('head_averaged_batch.npy'))))))
          .file,
        'h',
        [2],
      )
    ).data;
    assertStored(
      json.heads[0].weights,
      Array.from({ length: 4 }, (_, i) => Array.from(stored.subarray(i * 4, i * 4 + 4))),
      'B2',
    );
  });
});

/** Reference weights of a tensorfiles scores/qkv fixture, computed by torch (exports_expected.json). */
const tfRef = (file: string) => suite.tensorfiles[file];

describe('detection suite: numpy and safetensors fixtures (test/fixtures/tensorfiles)', () => {
  it('ambiguous.npz: two candidates (attn, scores) are refused until --tensor names one', async () => {
    await infoProblem(f('ambiguous.npz'), /2 attention-like candidates, pass --tensor NAME/);
    refused(
      ['compute', f('ambiguous.npz')],
      /2 attention-like candidates, pass --tensor NAME with one of: attn: \[2, 4, 4\] <f4; scores: \[2, 4, 4\] <f4$/,
    );
  });

  it('ambiguous.npz --tensor attn: weights as stored', async () => {
    await checkInfo(
      f('ambiguous.npz'),
      { tensor: 'attn' },
      { kind: 'maps', layout: 'heads,q,k', meaning: 'weights', notes: [AMBIGUOUS_3D] },
    );
    const { json } = computeOk([f('ambiguous.npz'), '--tensor', 'attn']);
    const e = tfExpected['ambiguous.npz'].tensors.attn;
    for (const h of json.heads) assertStored(h.weights, block(e.values, e.shape, h.head), `H${h.head}`);
  });

  // These two fixtures store an attention_mask [1, 4] that pads key 3 while the weights attend to it:
  // the mask is named and said not to match, and the weights are shown as stored.
  const STORED_MASK = [
    /padding mask "attention_mask" \[1, 4\] \(Hugging Face convention: 1 = attend, 0 = padding\) stored beside the maps/,
    /"attention_mask" pads key 3 of batch entry 0, but .* this mask does not match these weights .*the weights are shown as stored/,
  ];
  const storedWeights: [
    file: string,
    layout: string,
    notes: RegExp[],
    index: (h: HeadOut) => [tensor: string, block: number],
  ][] = [
    ['bf16.safetensors', 'batch,heads,q,k', STORED_MASK, (h) => [`attentions.${h.layer}`, h.head]],
    ['blocks.npz', 'heads,q,k', [AMBIGUOUS_3D], (h) => [`blocks.${h.layer}.attn.hook_pattern`, h.head]],
    ['blocks.safetensors', 'heads,q,k', [AMBIGUOUS_3D], (h) => [`blocks.${h.layer}.attn.hook_pattern`, h.head]],
    ['fortran_compressed.npz', 'layers,heads,q,k', [AMBIGUOUS_4D], (h) => ['attn', h.layer * 3 + h.head]],
    ['model.safetensors', 'layers,batch,heads,q,k', [], (h) => ['attn', h.layer * 3 + h.head]],
    ['not_npy.npz', 'heads,q,k', [AMBIGUOUS_3D], (h) => ['attn', h.head]],
    ['per_layer_arr.npz', 'heads,q,k', [AMBIGUOUS_3D], (h) => [`arr_${h.layer}`, h.head]],
    ['per_layer_compressed.npz', 'batch,heads,q,k', STORED_MASK, (h) => [`attentions.${h.layer}`, h.head]],
    ['weights4d_f16.npy', 'layers,heads,q,k', [AMBIGUOUS_4D], (h) => ['weights4d_f16', h.layer * 2 + h.head]],
    ['weights5d_f32.npy', 'layers,batch,heads,q,k', [], (h) => ['weights5d_f32', h.layer * 3 + h.head]],
    ['weights_be_f2.npy', 'heads,q,k', [AMBIGUOUS_3D], (h) => ['weights_be_f2', h.head]],
  ];
  for (const [file, layout, notes, index] of storedWeights) {
    const noted =
      notes.length === 0
        ? ''
        : notes === STORED_MASK
          ? ' (the stored mask named as not matching them)'
          : ' (ambiguity noted)';
    it(`${file}: weights read as [${layout}]${noted}, every head as stored`, async () => {
      await checkInfo(f(file), {}, { kind: 'maps', layout, meaning: 'weights', notes });
      const { json } = computeOk([f(file)]);
      assert.ok(json.heads.length > 0);
      for (const h of json.heads) {
        const [name, at] = index(h);
        const e = tfExpected[file].tensors[name];
        assertStored(h.weights, block(e.values, e.shape, at), `${file} L${h.layer}H${h.head}`);
      }
    });
  }

  it('weights_fortran_f16.npy: [3, 4, 5] is not square and its name is not attention-like: refused, then read with --tensor', async () => {
    await infoProblem(f('weights_fortran_f16.npy'), NO_ATTENTION);
    refused(
      ['compute', f('weights_fortran_f16.npy')],
      /no attention-like tensor .*weights_fortran_f16 \[3, 4, 5\] <f2/,
    );
    const { json } = computeOk([f('weights_fortran_f16.npy'), '--tensor', 'weights_fortran_f16']);
    const e = tfExpected['weights_fortran_f16.npy'].tensors.weights_fortran_f16;
    for (const h of json.heads) assertStored(h.weights, block(e.values, e.shape, h.head), `H${h.head}`);
  });

  const scoreFiles: [file: string, layout: string, notes: RegExp[], rows: number][] = [
    ['f16_scores.safetensors', 'heads,q,k', [AMBIGUOUS_3D], 4],
    ['scores_be_f4.npy', 'heads,q,k', [AMBIGUOUS_3D], 4],
    ['scores_be_f8.npy', 'q,k', [], 4],
    ['scores_f64_fortran.npy', 'layers,heads,q,k', [AMBIGUOUS_4D], 4],
    ['v2_f32.npy', 'q,k', [], 3],
    ['v3_f32.npy', 'q,k', [], 3],
  ];
  for (const [file, layout, notes, rows] of scoreFiles) {
    it(`${file}: scores read as [${layout}]; softmax of every head matches torch's float64 softmax`, async () => {
      await checkInfo(
        f(file),
        {},
        { kind: 'maps', layout, meaning: 'scores', notes, evidence: /not softmax output, so read as scores/ },
      );
      const { json } = computeOk([f(file)]);
      const heads = Math.max(...json.heads.map((h) => h.head)) + 1;
      for (const h of json.heads)
        assertClose(
          h.weights,
          rowsFrom(tfRef(file), (h.layer * heads + h.head) * rows, rows),
          `${file} L${h.layer}H${h.head}`,
        );
    });
  }

  const qkvFiles: [file: string, layout: string, notes: RegExp[], shape: { q: number; k: number }][] = [
    ['qkv.npz', 'heads,q,d', [AMBIGUOUS_3D], { q: 4, k: 5 }],
    ['qkv.safetensors', 'layers,heads,q,d', [AMBIGUOUS_4D], { q: 4, k: 4 }],
    ['qkv_layers.npz', 'heads,q,d', [AMBIGUOUS_3D], { q: 4, k: 4 }],
  ];
  for (const [file, layout, notes, shape] of qkvFiles) {
    it(`${file}: Q/K/V read as [${layout}]; weights and outputs match torch's scaled_dot_product_attention`, async () => {
      await checkInfo(f(file), {}, { kind: 'qkv', layout, meaning: 'qkv', notes });
      const { json } = computeOk([f(file), '--layer', '0']);
      const ref = tfRef(file);
      for (const h of json.heads) {
        assertClose(h.weights, rowsFrom(ref.weights, h.head * shape.q, shape.q), `${file} H${h.head} weights`);
        assertClose(
          h.output as number[][],
          rowsFrom(ref.output, h.head * shape.q, shape.q),
          `${file} H${h.head} output`,
        );
      }
    });
  }

  const refusedFiles: [file: string, rule: RegExp][] = [
    ...[
      'mask_b1',
      'mask_be_i2',
      'mask_be_i8',
      'mask_be_u2',
      'mask_be_u4',
      'mask_be_u8',
      'mask_i1',
      'mask_le_i2',
      'mask_le_i4',
      'mask_le_i8',
      'mask_u1',
    ].map((m): [string, RegExp] => [`${m}.npy`, NO_ATTENTION]),
    ['masks.safetensors', NO_ATTENTION],
    ['object.npy', /object arrays \(descr "\|O"\) store a pickle, which is never loaded/],
  ];
  for (const [file, rule] of refusedFiles) {
    it(`${file}: not attention: refused in one line`, async () => {
      await infoProblem(f(file), rule);
      refused(['compute', f(file)], rule);
    });
  }
});

describe('one weights-row rule for detection (firstNonSoftmaxRow) and display (checkWeights)', () => {
  const agree = (rows: number[][], tol: number): { detection: boolean; display: boolean } => {
    const m = matrixFrom(rows.length, rows[0].length, Float32Array.from(rows.flat()));
    const detection =
      firstNonSoftmaxRow(
        m,
        rows.map((_, i) => i),
        tol,
      ) === null;
    let display = true;
    try {
      checkWeights(m, tol, 'head');
    } catch (e) {
      assert.ok(e instanceof InputError);
      display = false;
    }
    return { detection, display };
  };

  it('a near-zero-sum row is neither softmax nor masked, for both; an exactly-zero row is masked for both', () => {
    assert.deepEqual(
      agree(
        [
          [0.5, 0.5],
          [1e-4, 0],
        ],
        1e-3,
      ),
      { detection: false, display: false },
    );
    assert.deepEqual(
      agree(
        [
          [0.5, 0.5],
          [2e-3, 1e-3],
        ],
        3e-2,
      ),
      { detection: false, display: false },
    );
    assert.deepEqual(
      agree(
        [
          [0.5, 0.5],
          [0, 0],
        ],
        1e-3,
      ),
      { detection: true, display: true },
    );
    const m = matrixFrom(2, 2, Float32Array.from([0.5, 0.5, 0, 0]));
    assert.deepEqual(checkWeights(m, 1e-3, 'head').maskedRows, [1]);
  });

  it('property: detection accepts a head exactly when the display does (fast-check)', () => {
    const cell = fc.oneof(
      fc.constant(0),
      fc.constant(NaN),
      fc.constant(-1e-4),
      fc.float({ min: 0, max: 1, noNaN: true }),
      fc.constant(1e-5),
    );
    const rowArb = (m: number) =>
      fc.oneof(
        fc.array(cell, { minLength: m, maxLength: m }),
        fc
          .array(fc.float({ min: Math.fround(0.01), max: 1, noNaN: true }), { minLength: m, maxLength: m })
          .map((r) => r.map((x) => x / r.reduce((a, b) => a + b, 0))),
        fc.constant(Array(m).fill(NaN)),
        fc.constant(Array(m).fill(0)),
      );
    const headArb = fc.integer({ min: 1, max: 5 }).chain((m) => fc.array(rowArb(m), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(headArb, fc.constantFrom(1e-6, 1e-3, 1e-2, 3e-2), (rows, tol) => {
        const { detection, display } = agree(rows, tol);
        assert.equal(detection, display, JSON.stringify(rows));
      }),
      { seed: 1313, numRuns: 500 },
    );
  });

  it('bfloat16 rows saved as float32 (torch): bfloat16 is detected and both paths hold them to its rounding', async () => {
    const opened = await openAttention(
      new MemoryByteSource('bf16_weights_as_float.pt', new Uint8Array(readFileSync(t('bf16_weights_as_float.pt')))),
    );
    assert.equal(opened.meaning.precision, 'bf16');
    assert.equal(opened.meaning.tolerance, sumTolerance('bf16'));
    let refusedAtF32 = 0;
    for (let h = 0; h < opened.view.heads; h++) {
      const data = (await readSlice(opened.file, 'attentions.0', [0, h])).data;
      const m = matrixFrom(64, 64, data);
      assert.equal(
        firstNonSoftmaxRow(
          m,
          Array.from({ length: 64 }, (_, i) => i),
          sumTolerance('bf16'),
        ),
        null,
      );
      checkWeights(m, sumTolerance('bf16'), `head ${h}`);
      if (
        firstNonSoftmaxRow(
          m,
          Array.from({ length: 64 }, (_, i) => i),
          sumTolerance('f32'),
        ) !== null
      )
        refusedAtF32++;
    }
    assert.ok(refusedAtF32 > 0, 'at float32 tolerance some head would not be weights');
  });

  it('float16 rows saved as float32 (numpy float16 values): float16 is detected from the values', () => {
    const e = tfExpected['weights4d_f16.npy'].tensors.weights4d_f16;
    const values = Float32Array.from(e.values.map(num));
    assert.equal(sourcePrecision(values, 'f32'), 'f16');
    assert.equal(sourcePrecision(Float32Array.from([0.1, 0.9]), 'f32'), 'f32');
  });

  it('NaN rows (nn.MultiheadAttention, torch): masked for detection and display alike', () => {
    const e = torchTensor('mha_nan_rows.pt', 'attn_weights');
    const rows = block(e.values, e.shape, 0);
    const m = matrixFrom(5, 5, Float32Array.from(rows.flat()));
    assert.equal(firstNonSoftmaxRow(m, [0, 1, 2, 3, 4], 1e-3), null);
    assert.deepEqual(checkWeights(m, 1e-3, 'head').maskedRows, torchExpected.files['mha_nan_rows.pt'].nanRows);
    // A NaN in a row that is not all NaN is refused by both.
    assert.deepEqual(
      agree(
        [
          [NaN, 1],
          [0.5, 0.5],
        ],
        1e-3,
      ),
      { detection: false, display: false },
    );
  });

  it('the panel holds file weights to the detected precision, as the CLI does (bf16_weights_as_float.pt opens)', async () => {
    const opened = await openAttention(
      new MemoryByteSource('bf16_weights_as_float.pt', new Uint8Array(readFileSync(t('bf16_weights_as_float.pt')))),
    );
    const source = new TensorFileSource(opened, axisLabels('bf16_weights_as_float.pt', opened.view, null), {
      title: 'bf16',
    });
    for (let h = 0; h < opened.view.heads; h++) {
      const payload = await source.head(0, h);
      assert.ok(payload, `head ${h}`);
    }
  });
});

const j = (file: string) => join(TORCH, 'json', file);
const mk = (file: string) => join(TORCH, 'masks', file);

describe("JSON written by Python's json.dump from torch values", () => {
  it('mha_linear_bias.json: nn.MultiheadAttention(bias=True) head by head in nn.Linear layout with b_Q/b_K/b_V, W_O and b_O: weights and output match the module', () => {
    const { json } = computeOk([j('mha_linear_bias.json')]);
    const ref = suite['mha_linear_bias.json'];
    json.heads.forEach((h) => assertClose(h.weights, ref.weights[h.head], `H${h.head} weights`));
    assertClose(json.output as number[][], ref.output, 'output', 1e-5);
  });

  for (const file of ['linear_head_bias.json', 'conv1d_head_bias.json']) {
    it(`${file}: one causal head from nn.Linear(bias=True) (${file.startsWith('linear') ? '"weight_layout": "linear", [out, in]' : 'Conv1D [in, out], the default'}): q, k, v, weights and output match scaled_dot_product_attention`, () => {
      const r = cli(['compute', j(file)]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as ComputeOut;
      const ref = suite['linear_head_bias.json'];
      assertClose(out.heads[0].weights, ref.weights, 'weights');
      assertClose(out.heads[0].output as number[][], ref.output, 'output', 1e-5);
      assert.deepEqual(out.tokens, ['a', 'cat', 'sat', '.']);
    });
  }

  it('property: a head with biases equals Q/K/V computed as X·W + b in float64, in either weight layout (fast-check)', () => {
    const dims = fc.record({
      n: fc.integer({ min: 1, max: 5 }),
      d: fc.integer({ min: 1, max: 5 }),
      dk: fc.integer({ min: 1, max: 4 }),
      dv: fc.integer({ min: 1, max: 4 }),
    });
    const value = fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround);
    const mat = (r: number, c: number) =>
      fc.array(fc.array(value, { minLength: c, maxLength: c }), { minLength: r, maxLength: r });
    const arb = dims.chain(({ n, d, dk, dv }) =>
      fc.record({
        X: mat(n, d),
        W_Q: mat(d, dk),
        W_K: mat(d, dk),
        W_V: mat(d, dv),
        b_Q: fc.array(value, { minLength: dk, maxLength: dk }),
        b_K: fc.array(value, { minLength: dk, maxLength: dk }),
        b_V: fc.array(value, { minLength: dv, maxLength: dv }),
      }),
    );
    const affine = (x: number[][], w: number[][], b: number[]) =>
      x.map((row) => b.map((bj, j) => row.reduce((s, xi, i) => s + xi * w[i][j], bj)));
    const tr = (w: number[][]) => w[0].map((_, j) => w.map((row) => row[j]));
    fc.assert(
      fc.property(arb, fc.boolean(), (doc, linear) => {
        const given = linear
          ? { ...doc, W_Q: tr(doc.W_Q), W_K: tr(doc.W_K), W_V: tr(doc.W_V), weight_layout: 'linear' }
          : doc;
        const head = inspect(readAttentionInput(given), { engine: REFERENCE_ENGINE }).heads[0];
        const want = inspect(
          readAttentionInput({
            Q: affine(doc.X, doc.W_Q, doc.b_Q),
            K: affine(doc.X, doc.W_K, doc.b_K),
            V: affine(doc.X, doc.W_V, doc.b_V),
          }),
          { engine: REFERENCE_ENGINE },
        ).heads[0];
        for (const [a, b] of [
          [head.q!, want.q!],
          [head.k!, want.k!],
          [head.v!, want.v!],
          [head.weights, want.weights],
          [head.output!, want.output!],
        ]) {
          a.data.forEach((x, i) =>
            assert.ok(Math.abs(x - b.data[i]) <= 1e-5 * Math.max(1, Math.abs(b.data[i])), `${x} vs ${b.data[i]}`),
          );
        }
      }),
      { seed: 1313, numRuns: 200 },
    );
  });

  it('scores_neg_inf.json: -Infinity from masked_fill(-inf) is a masked cell; softmax matches torch', () => {
    const text = readFileSync(j('scores_neg_inf.json'), 'utf8');
    assert.ok(text.includes('-Infinity'), 'json.dump wrote -Infinity');
    const { json } = computeOk([j('scores_neg_inf.json')]);
    json.heads.forEach((h) => {
      assertClose(h.weights, suite['scores_neg_inf.json'].weights[h.head], `H${h.head}`);
      assert.equal(h.scores?.[0][1], null);
    });
  });

  it("mha_nan_weights.json: NaN (nn.MultiheadAttention's fully masked query) is refused by path and byte offset", () => {
    const text = readFileSync(j('mha_nan_weights.json'));
    const byte = text.indexOf('NaN');
    const before = JSON.parse(
      text
        .subarray(0, byte)
        .toString('utf8')
        .replace(/,\s*$/, ']]]}')
        .replace(/\[\s*$/, '[]]]}'),
    ) as { attentions: number[][][] };
    const head = before.attentions.length - 1,
      row = before.attentions[head].length - 1,
      col = before.attentions[head][row].length;
    refused(
      ['compute', j('mha_nan_weights.json')],
      new RegExp(
        `mha_nan_weights\\.json: \\$\\.attentions\\[${head}\\]\\[${row}\\]\\[${col}\\] \\(byte ${byte}\\): expected a finite number, found NaN: NaN is not JSON`,
      ),
    );
  });

  it('property: every bare NaN/Infinity/-Infinity is found at its JSON path, outside strings, and blanking keeps every offset (fast-check)', () => {
    type Cell = number | 'NaN' | 'Infinity' | '-Infinity' | string[];
    const cell: fc.Arbitrary<Cell> = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom<Cell>('NaN', 'Infinity', '-Infinity'),
      fc.constant<Cell>(['NaN', '-Infinity']),
    );
    const docArb = fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(docArb, (rows) => {
        // Written the way Python's json.dump writes them: the literals bare, strings quoted.
        const text = `{"tokens": ["NaN"], "scores": [${rows.map((r) => `[${r.map((c) => (typeof c === 'number' ? JSON.stringify(c) : Array.isArray(c) ? JSON.stringify(c) : c)).join(', ')}]`).join(', ')}]}`;
        const want = rows.flatMap((r, i) =>
          r.flatMap((c, j) => (typeof c === 'string' ? [{ literal: c, path: `$.scores[${i}][${j}]` }] : [])),
        );
        const found = findNonJsonLiterals(text);
        assert.deepEqual(
          found.map((l) => ({ literal: l.literal, path: l.path })),
          want,
        );
        for (const l of found) assert.ok(text.startsWith(l.literal, l.index));
        const blanked = blankLiterals(text, found);
        assert.equal(blanked.length, text.length);
        JSON.parse(blanked);
      }),
      { seed: 1313, numRuns: 300 },
    );
  });

  it('q_infinity.json: Infinity in Q is refused by path and byte offset', () => {
    const text = readFileSync(j('q_infinity.json'));
    refused(
      ['compute', j('q_infinity.json')],
      new RegExp(
        `\\$\\.Q\\[1\\]\\[0\\] \\(byte ${text.indexOf('Infinity')}\\): expected a finite number, found Infinity`,
      ),
    );
  });
});

describe('--mask FILE: explicit masks saved from PyTorch', () => {
  const ref = suite.masks;
  const headsMatch = (json: ComputeOut, want: number[][][]) =>
    json.heads.forEach((h) => assertClose(h.weights, want[h.head], `H${h.head}`));

  it('mha_bool_qk.npy: bool [q, k], True = masked out (nn.MultiheadAttention, assumed and said): matches torch', () => {
    const { json, stderr } = computeOk([mk('scores.npy'), '--mask', mk('mha_bool_qk.npy')]);
    headsMatch(json, ref.causal);
    assert.match(
      stderr,
      /note: mask from mha_bool_qk\.npy: tensor "mha_bool_qk" \[5, 5\] \|b1 read as \[q, k\], True = masked out \(nn\.MultiheadAttention's .*pass --mask-polarity attend/,
    );
  });

  it('sdpa_bool_qk.npy --mask-polarity attend: True = may attend (scaled_dot_product_attention): the same causal weights', () => {
    const { json, stderr } = computeOk([
      mk('scores.npy'),
      '--mask',
      mk('sdpa_bool_qk.npy'),
      '--mask-polarity',
      'attend',
    ]);
    headsMatch(json, ref.causal);
    assert.match(stderr, /True = may attend \(as --mask-polarity attend says/);
  });

  it('sdpa_bool_qk.npy without --mask-polarity: read the nn.MultiheadAttention way, and stderr says so and how to flip it', () => {
    const { json, stderr } = computeOk([mk('scores.npy'), '--mask', mk('sdpa_bool_qk.npy')]);
    assert.match(
      stderr,
      /True = masked out .*pass --mask-polarity attend if True means may attend, as in scaled_dot_product_attention/,
    );
    assert.equal(json.heads[0].weights[0][0], 0, 'the diagonal is masked under that reading');
  });

  it('key_padding.npy: key_padding_mask [k], True = padding: padded keys get no weight, matches torch', () => {
    const { json, stderr } = computeOk([mk('scores.npy'), '--mask', mk('key_padding.npy')]);
    headsMatch(json, ref.padding);
    assert.match(stderr, /read as key padding \[k\]/);
  });

  it('hf_attention_mask.npy: an int64 attention_mask [batch, k] (1 = attend) per batch entry (--batch 1): matches torch', () => {
    const { json, stderr } = computeOk([
      mk('scores.npy'),
      '--layout',
      'batch,q,k',
      '--batch',
      '1',
      '--mask',
      mk('hf_attention_mask.npy'),
    ]);
    assertClose(json.heads[0].weights, ref.hf_batch1[1], 'B1');
    assert.match(
      stderr,
      /read as key padding \[batch, k\], batch entry 1, 1 = may attend \(Hugging Face attention_mask/,
    );
  });

  it("hf_additive.npy: HF's additive finfo.min mask [batch, k] (float: 0 attend, finfo.min masked): the same weights", () => {
    const { json, stderr } = computeOk([
      mk('scores.npy'),
      '--layout',
      'batch,q,k',
      '--batch',
      '1',
      '--mask',
      mk('hf_additive.npy'),
    ]);
    assertClose(json.heads[0].weights, ref.hf_batch1[1], 'B1');
    assert.match(stderr, /additive: 0 = may attend/);
  });

  it('masks.npz:causal: a named .npz member, with --mask-polarity attend', () => {
    const { json } = computeOk([mk('scores.npy'), '--mask', `${mk('masks.npz')}:causal`, '--mask-polarity', 'attend']);
    headsMatch(json, ref.causal);
  });

  it('masks.npz without a name: attention_mask is picked by name, and its batch of 2 does not fit a tensor without one: one line', () => {
    refused(
      ['compute', mk('scores.npy'), '--mask', mk('masks.npz')],
      /--mask masks\.npz: tensor "attention_mask": shape \[2, 5\] does not fit 5 queries × 5 keys: .*its first axis \(2\) is not the tensor's batch \(1\)$/,
    );
  });

  it('wrong_shape.npy: a [4, 4] mask for 5 tokens is refused in one line naming both shapes', () => {
    refused(
      ['compute', mk('scores.npy'), '--mask', mk('wrong_shape.npy')],
      /--mask wrong_shape\.npy: tensor "wrong_shape": shape \[4, 4\] does not fit 5 queries × 5 keys/,
    );
  });

  it('qkv.npz with sdpa_bool_qk.npy --mask-polarity attend: weights and output match scaled_dot_product_attention(attn_mask)', () => {
    const { json } = computeOk([mk('qkv.npz'), '--mask', mk('sdpa_bool_qk.npy'), '--mask-polarity', 'attend']);
    json.heads.forEach((h) => {
      assertClose(h.weights, ref.qkv_causal.weights[h.head], `H${h.head} weights`);
      assertClose(h.output as number[][], ref.qkv_causal.output[h.head], `H${h.head} output`, 1e-5);
    });
  });

  it('a mask on exported weights is refused: softmax has already happened', () => {
    refused(
      ['compute', t('single.pt'), '--mask', mk('mha_bool_qk.npy')],
      /--mask: this tensor holds post-softmax weights; a mask can no longer apply/,
    );
  });

  it('a JSON input takes a mask file too; a key padding mask of the wrong length is one line', () => {
    refused(
      ['compute', j('linear_head_bias.json'), '--mask', mk('key_padding.npy')],
      /--mask key_padding\.npy: tensor "key_padding": shape \[5\] does not fit 4 queries × 4 keys/,
    );
  });

  it('--mask-polarity without a mask file, and an unknown polarity, are one line each', () => {
    refused(['compute', mk('scores.npy'), '--mask-polarity', 'attend'], /--mask-polarity: goes with --mask FILE/);
    refused(
      ['compute', mk('scores.npy'), '--mask', mk('key_padding.npy'), '--mask-polarity', 'true'],
      /--mask-polarity: expected masked .* or attend/,
    );
  });
});

describe('--help and -h on every subcommand', () => {
  for (const args of [
    ['compute', '--help'],
    ['compute', '-h'],
    ['info', '-h'],
    ['report', '-h'],
    ['models', '--help'],
    ['models', '-h'],
    ['help', 'compute'],
  ]) {
    it(args.join(' '), () => {
      const r = cli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: attention-inspector /);
      if (args.includes('compute'))
        for (const flag of [
          '--batch B',
          '--layout AXES',
          '--meaning weights|scores',
          '--mask FILE[:NAME]',
          '--mask-polarity masked|attend',
        ])
          assert.ok(r.stdout.includes(flag), flag);
    });
  }
});
