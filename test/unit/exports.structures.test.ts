// The structures real exports contain, against torch: every file in test/fixtures/torch/structures
// was written by torch.save / np.savez (test/fixtures/generate_torch_structures.py, /usr/bin/python3
// with Debian's python3-torch), and expected.json holds torch's values (float64, C order).
//   - generate()'s per-step tuples, assembled into one causal map per layer: equal to the full-sequence
//     softmax the steps were sliced from, to float32 rounding (exactly: the steps are its float32 values);
//   - encoder-decoder outputs as three kinds, with decoder tokens on the queries and encoder tokens on
//     the keys of cross-attention;
//   - batch > 1: the entry shown is named, --batch changes it, the panel says so and offers the command;
//   - padding masks (HF attention_mask, nn.MultiheadAttention key_padding_mask) applied per batch entry,
//     against torch's own masked softmax and nn.MultiheadAttention's returned weights.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  MemoryByteSource,
  type TensorFile,
  detectAttention,
  labelsForView,
  openAttention,
  openTensorFile,
  readHead,
  readHeadRows,
  readSlice,
} from '../../src/core/tensorfiles';
import { withKeyPadding } from '../../src/core/tensorfiles/paddingMask';
import { tensorFileSource } from '../../src/host/openInMemory';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DIR = join(ROOT, 'test', 'fixtures', 'torch', 'structures');
type Value = number | 'NaN' | 'Infinity' | '-Infinity';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const expected: { files: Record<string, any> } = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

function bytes(file: string): MemoryByteSource {
  return new MemoryByteSource(file, new Uint8Array(readFileSync(join(DIR, file))));
}

async function open(file: string): Promise<TensorFile> {
  return openTensorFile(bytes(file));
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000, cwd: DIR });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]) {
  const r = run(...args);
  assert.equal(r.code, 0, r.stderr);
  return { json: JSON.parse(r.stdout), stderr: r.stderr };
}

/** Exit 2 with one line naming the file. */
function refused(file: string, ...args: string[]): string {
  const r = run(...args);
  assert.equal(r.code, 2, r.stdout);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^error: ${file.replace('.', '\\.')}`));
  return lines[0];
}

/** The (q × k) block at leading index `at` of a C-ordered flat array with `shape`. */
function block(values: readonly Value[], shape: readonly number[], at: readonly number[]): number[] {
  const [q, k] = shape.slice(-2);
  let offset = 0;
  at.forEach((x, a) => (offset += x * shape.slice(a + 1).reduce((p, d) => p * d, 1)));
  return values.slice(offset, offset + q * k).map((v) => (typeof v === 'number' ? v : Number(v)));
}

/** float32 values equal to torch's float32 values (stored as float64 in the JSON) exactly; the CLI prints the shortest decimal of each float32. */
function exact(actual: ArrayLike<number>, want: readonly number[], what: string): void {
  assert.equal(actual.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(Math.fround(actual[i]), Math.fround(want[i])))
      assert.fail(`${what}[${i}]: expected ${Math.fround(want[i])}, got ${actual[i]}`);
}

function close(actual: ArrayLike<number>, want: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(actual[i] - want[i]) <= tol))
      assert.fail(`${what}[${i}]: expected ${want[i]}, got ${actual[i]} (tolerance ${tol})`);
}

describe('exports: the structures real torch exports contain', () => {
  describe('generate(): steps as one growing causal map', () => {
    it('generate.pt (a dict with sequences, per-step scores and attentions): detected by its names, every layer × batch × head equal to the full causal softmax', async () => {
      const e = expected.files['generate.pt'];
      const file = await open('generate.pt');
      const view = detectAttention(file);
      assert.equal(view.id, 'attentions.{steps}.{}');
      assert.deepEqual(
        [view.layers, view.batch, view.heads, view.queries, view.keys, view.layout],
        [e.layers, e.batch, e.heads, e.tokens, e.tokens, 'batch,heads,q,k'],
      );
      assert.deepEqual(view.generated, { steps: e.steps, prompt: e.prompt, cross: false });
      assert.ok(
        view.notes.includes(
          `generate() output "attentions": ${e.steps} steps, prompt ${e.prompt} tokens, assembled as one causal map of ${e.tokens} tokens`,
        ),
        view.notes.join(' | '),
      );
      const shape = [e.layers, e.batch, e.heads, e.tokens, e.tokens];
      for (let layer = 0; layer < e.layers; layer++) {
        for (let b = 0; b < e.batch; b++) {
          for (let head = 0; head < e.heads; head++) {
            const got = await readHead(file, view, { layer, head, batch: b });
            assert.ok(got.kind === 'map');
            exact(got.matrix.data, block(e.assembled, shape, [layer, b, head]) as number[], `L${layer} b${b} H${head}`);
          }
        }
      }
    });

    it('each step reads back as its own row: the prompt block, then row P+s−1 from step s (and the future is 0)', async () => {
      const e = expected.files['generate.pt'];
      const file = await open('generate.pt');
      const view = detectAttention(file);
      for (let s = 0; s < e.steps; s++) {
        const step = await readSlice(file, `attentions.${s}.1`, [1, 2]); // layer 1, batch 1, head 2
        assert.deepEqual(step.shape, e.stepShapes[s].slice(-2));
        const r0 = s === 0 ? 0 : e.prompt + s - 1;
        const rows = await readHeadRows(file, view, { layer: 1, head: 2, batch: 1 }, r0, r0 + step.shape[0]);
        for (let i = 0; i < step.shape[0]; i++) {
          const k = step.shape[1];
          exact(
            rows.data.subarray(i * e.tokens, i * e.tokens + k),
            [...step.data.subarray(i * k, (i + 1) * k)],
            `step ${s} row ${i}`,
          );
          assert.ok(
            rows.data.subarray(i * e.tokens + k, (i + 1) * e.tokens).every((x) => x === 0),
            `step ${s}: keys not seen yet are 0`,
          );
        }
      }
    });

    it('any byte range of an assembled map reads the same bytes as the whole map (property)', async () => {
      const file = await open('generate.pt');
      const name = detectAttention(file).layerTensors[1].map!;
      const stored = file.stored(name);
      const whole = await stored.source.read(0, stored.source.size);
      const elements = stored.source.size / 4;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: elements - 1 }),
          fc.integer({ min: 0, max: elements }),
          async (a, n) => {
            const count = Math.min(n, elements - a);
            const part = await stored.source.read(a * 4, count * 4);
            assert.deepEqual([...part], [...whole.subarray(a * 4, (a + count) * 4)]);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('the per-step output_scores logits are not taken for attention; info says what was assembled', () => {
      const { json } = ok('info', 'generate.pt');
      assert.deepEqual(json.candidates.length, 1, json.candidates.join(' | '));
      assert.equal(json.detected.tensor, 'attentions.{steps}.{}');
      assert.deepEqual(json.detected.generated, { steps: 4, prompt: 4, cross: false });
      assert.ok(
        json.detected.notes.some(
          (n: string) =>
            n === 'generate() output "attentions": 4 steps, prompt 4 tokens, assembled as one causal map of 7 tokens',
        ),
      );
    });

    it('compute generate.pt --batch 1: every head equals torch, stderr names the assembly and the batch entry', () => {
      const e = expected.files['generate.pt'];
      const { json, stderr } = ok('compute', 'generate.pt', '--batch', '1');
      assert.equal(json.meaning, 'weights');
      assert.equal(json.heads.length, e.layers * e.heads);
      for (const h of json.heads)
        close(
          h.weights.flat(),
          block(e.assembled, [e.layers, e.batch, e.heads, e.tokens, e.tokens], [h.layer, 1, h.head]) as number[],
          1e-7,
          `L${h.layer}H${h.head}`,
        );
      assert.match(
        stderr,
        /note: generate\.pt: generate\(\) output "attentions": 4 steps, prompt 4 tokens, assembled as one causal map of 7 tokens/,
      );
      assert.match(stderr, /note: generate\.pt: batch entry 1 of 2 shown; --batch changes it/);
    });

    it('torch.save(out.attentions), a bare nested tuple, is recognised by its shapes alone', async () => {
      const e = expected.files['generate_attentions_tuple.pt'];
      const file = await open('generate_attentions_tuple.pt');
      const view = detectAttention(file);
      assert.equal(view.id, '{steps}.{}');
      assert.deepEqual([view.layers, view.heads, view.queries], [e.layers, e.heads, e.tokens]);
      assert.match(
        view.notes[0],
        /nested tuple of steps, recognised by its shapes\): 4 steps, prompt 3 tokens, assembled as one causal map of 6 tokens/,
      );
      for (let layer = 0; layer < e.layers; layer++) {
        for (let head = 0; head < e.heads; head++) {
          const got = await readHead(file, view, { layer, head });
          assert.ok(got.kind === 'map');
          exact(
            got.matrix.data,
            block(e.assembled, [e.layers, 1, e.heads, e.tokens, e.tokens], [layer, 0, head]) as number[],
            `L${layer}H${head}`,
          );
        }
      }
    });

    it('a step that does not fit (one dropped) is refused in one line naming the step', () => {
      const line = refused('generate_missing_step.pt', 'compute', 'generate_missing_step.pt');
      assert.match(
        line,
        /tensor "attentions\.2\.0": generate\(\) output "attentions": step 2 layer 0 is float32 \[1, 2, 1, 6\], expected float32 \[1, 2, 1, 5\] \(every step after the prompt is one query row over one key more than the step before\)/,
      );
    });

    it('tokens decoded from sequences (one more than the maps: the last was never fed back) label the map without it', async () => {
      const file = await open('generate.pt');
      const view = detectAttention(file);
      const tokens = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'LAST'];
      const labels = await labelsForView(file, view, { tokens, source: 'test' });
      assert.deepEqual(labels.labels.keys, tokens.slice(0, 7));
      assert.deepEqual(labels.labels.queries, tokens.slice(0, 7));
      assert.match(labels.note!, /the last of 8 tokens \("LAST"\) was generated but never fed back/);
    });
  });

  describe('encoder-decoder outputs', () => {
    it('encoder_decoder.pt: decoder by default; info lists all three kinds with their shapes', () => {
      const { json } = ok('info', 'encoder_decoder.pt');
      assert.equal(json.detected.part, 'decoder');
      assert.deepEqual(
        json.detected.parts.map((p: { kind: string; shape: number[] }) => [p.kind, p.shape]),
        [
          ['decoder', [1, 2, 3, 3]],
          ['cross', [1, 2, 3, 5]],
          ['encoder', [1, 2, 5, 5]],
        ],
      );
      assert.ok(
        json.detected.notes.some((n: string) =>
          /^encoder-decoder output: .*showing decoder \(--kind encoder\|decoder\|cross chooses another\)$/.test(n),
        ),
      );
    });

    for (const kind of ['encoder', 'decoder', 'cross'] as const) {
      it(`--kind ${kind}: every head equals torch's, with the right tokens on each axis`, () => {
        const e = expected.files['encoder_decoder.pt'];
        const shape = [e.layers, ...e[`${kind}Shape`]];
        const { json } = ok('compute', 'encoder_decoder.pt', '--kind', kind);
        assert.equal(json.heads.length, e.layers * 2);
        for (const h of json.heads)
          exact(h.weights.flat(), block(e[kind], shape, [h.layer, 0, h.head]), `${kind} L${h.layer}H${h.head}`);
        const queries = kind === 'encoder' ? e.encoderTokens : e.decoderTokens;
        const keys = kind === 'decoder' ? e.decoderTokens : e.encoderTokens;
        assert.deepEqual([json.tokens, json.keyTokens], [queries, keys]);
      });
    }

    it('generate() of an encoder-decoder: decoder and cross steps assembled (decoder prompt 1, cross over the 5 encoder keys)', async () => {
      const e = expected.files['generate_encoder_decoder.pt'];
      const file = await open('generate_encoder_decoder.pt');
      for (const kind of ['decoder', 'cross', 'encoder'] as const) {
        const view = detectAttention(file, { kind });
        const keys = kind === 'decoder' ? 3 : 5;
        const queries = kind === 'encoder' ? 5 : 3;
        assert.deepEqual([view.queries, view.keys, view.part], [queries, keys, kind]);
        if (kind === 'cross')
          assert.match(
            view.notes[0],
            /3 steps of one query row over 5 encoder keys, assembled as one 3 × 5 cross-attention map/,
          );
        if (kind === 'decoder')
          assert.match(view.notes[0], /3 steps, prompt 1 token, assembled as one causal map of 3 tokens/);
        for (let layer = 0; layer < 2; layer++) {
          for (let head = 0; head < 2; head++) {
            const got = await readHead(file, view, { layer, head });
            assert.ok(got.kind === 'map');
            exact(
              got.matrix.data,
              block(e[kind], [2, 1, 2, queries, keys], [layer, 0, head]),
              `${kind} L${layer}H${head}`,
            );
          }
        }
      }
    });

    it('a padded encoder batch: attention_mask applies to encoder and cross-attention keys (checked ~0 in every query row of cross), not to the decoder', () => {
      const e = expected.files['encoder_decoder_padded.pt'];
      const shapes = { encoder: [2, 2, 2, 5, 5], decoder: [2, 2, 2, 3, 3], cross: [2, 2, 2, 3, 5] };
      for (const kind of ['encoder', 'decoder', 'cross'] as const) {
        const { json, stderr } = ok('compute', 'encoder_decoder_padded.pt', '--kind', kind, '--batch', '1');
        for (const h of json.heads)
          exact(h.weights.flat(), block(e[kind], shapes[kind], [h.layer, 1, h.head]), `${kind} L${h.layer}H${h.head}`);
        if (kind === 'decoder') {
          assert.doesNotMatch(stderr, /pads key 4/);
          assert.match(
            stderr,
            /"attention_mask" pads the encoder's tokens \(encoder self-attention and cross-attention\): it does not apply to the decoder's self-attention/,
          );
        } else {
          assert.match(
            stderr,
            new RegExp(
              `"attention_mask": batch entry 1 pads key 4: the weights give it ~0 in every row checked \\(${kind === 'cross' ? '9 rows of 3 heads\\)' : '15 rows of 3 heads; the rows of queries that are padding'}`,
            ),
          );
        }
      }
    });

    it('--kind on a file with no encoder-decoder attentions, or a kind it lacks, or a bad word: exit 2, one line', () => {
      assert.match(
        refused('batch3.pt', 'compute', 'batch3.pt', '--kind', 'cross'),
        /--kind cross applies to encoder-decoder outputs/,
      );
      assert.match(
        refused('--kind', 'compute', 'encoder_decoder.pt', '--kind', 'self'),
        /expected encoder, decoder, cross/,
      );
      assert.match(
        refused(
          'encoder_decoder.pt',
          'compute',
          'encoder_decoder.pt',
          '--kind',
          'cross',
          '--tensor',
          'cross_attentions.{}',
        ),
        /--kind and --tensor both choose/,
      );
    });
  });

  describe('batch > 1', () => {
    it('info reports the batch size and the entry shown; --batch changes it; out of range is exit 2', () => {
      const { json } = ok('info', 'batch3.pt', '--batch', '2');
      assert.deepEqual([json.detected.batch, json.detected.batchEntry], [3, 2]);
      assert.ok(json.detected.notes.includes('batch entry 2 of 3 shown; --batch changes it'));
      assert.ok(ok('info', 'batch3.pt').json.detected.notes.includes('batch entry 0 of 3 shown; --batch changes it'));
      assert.match(
        refused('batch3.pt', 'compute', 'batch3.pt', '--batch', '3'),
        /batch entry 3 is out of range: the batch axis has entries 0–2/,
      );
    });

    it('compute --batch B shows entry B of every layer and head', () => {
      const e = expected.files['batch3.pt'];
      for (const b of [0, 2]) {
        const { json } = ok('compute', 'batch3.pt', '--batch', String(b));
        for (const h of json.heads)
          exact(h.weights.flat(), block(e.maps, [2, 3, 2, 4, 4], [h.layer, b, h.head]), `b${b} L${h.layer}H${h.head}`);
      }
    });

    it('the panel source says which entry is shown and names the command; OpenedInfo-style batchChoice', async () => {
      const e = expected.files['batch3.pt'];
      const source = await tensorFileSource(bytes('batch3.pt'), 'batch3.pt', { batch: 1 }, async () => null);
      assert.deepEqual(source.batchChoice, { entries: 3, shown: 1 });
      const ov = await source.overview();
      assert.ok(
        ov.warnings.some(
          (w) =>
            w === 'Batch entry 1 of 3 is shown (0–2); run “Attention Inspector: Choose Batch Entry…” to show another.',
        ),
        ov.warnings.join(' | '),
      );
      const head = await source.head(1, 0);
      exact(head.weights, block(e.maps, [2, 3, 2, 4, 4], [1, 1, 0]), 'panel L1H0 b1');
    });
  });

  describe('padding masks beside scores, weights and Q/K/V', () => {
    it("HF attention_mask beside scores: applied per entry, equal to torch's masked softmax; the mask's batch makes the 4-D axes [batch, heads, q, k]", () => {
      const e = expected.files['padded_scores.pt'];
      for (const b of [0, 1]) {
        const { json, stderr } = ok('compute', 'padded_scores.pt', '--batch', String(b));
        assert.equal(json.layout, 'batch,heads,q,k');
        for (const h of json.heads) {
          close(h.weights.flat(), block(e.weights, [2, 2, 5, 5], [b, h.head]), 1e-6, `b${b} H${h.head}`);
          for (const row of h.weights)
            for (const j of e.maskedKeys[b]) assert.equal(row[j], 0, `b${b}: padded key ${j}`);
        }
        if (b === 1)
          assert.match(
            stderr,
            /note: padded_scores\.pt: "attention_mask": batch entry 1 pads keys 3, 4: masked for every query before the softmax/,
          );
        else assert.match(stderr, /"attention_mask": batch entry 0 has no padding/);
      }
    });

    it('with --mask causal the padding is applied on top of the causal mask', () => {
      const { json } = ok('compute', 'padded_scores.pt', '--batch', '1', '--mask', 'causal', '--head', '0');
      const w = json.heads[0].weights as number[][];
      w.forEach((row, i) =>
        row.forEach((x, j) => {
          if (j > i || j >= 3) assert.equal(x, 0, `[${i}][${j}]`);
        }),
      );
      assert.ok(Math.abs(w[4].reduce((a, x) => a + x, 0) - 1) < 1e-6);
    });

    it('weights beside attention_mask: the padded columns are checked to be ~0 and it is said; values as stored', () => {
      const e = expected.files['padded_weights.pt'];
      const { json, stderr } = ok('compute', 'padded_weights.pt', '--batch', '1');
      for (const h of json.heads)
        exact(h.weights.flat(), block(e.maps, [2, 2, 2, 5, 5], [h.layer, 1, h.head]), `L${h.layer}H${h.head}`);
      assert.match(
        stderr,
        /"attention_mask": batch entry 1 pads keys 3, 4: the weights give them ~0 in every row checked \(15 rows of 3 heads; the rows of queries that are padding themselves mean nothing and are not checked\), as the mask says \(and in every row of the heads shown\)/,
      );
      const info = ok('info', 'padded_weights.pt', '--batch', '1').json;
      assert.deepEqual([info.detected.padding.tensor, info.detected.padding.paddedKeys], ['attention_mask', [3, 4]]);
    });

    it('weights beside a mask that does not belong to them: shown as stored, and the mismatch said in stderr, info and the panel', async () => {
      const { stderr } = ok('compute', 'padded_weights_mismatch.pt', '--summary');
      assert.match(
        stderr,
        /"attention_mask" pads key 1 of batch entry 0, but layer 0 head 0 query \d gives it weight 0\.\d+: this mask does not match these weights \(another batch order, or the other polarity\?\); the weights are shown as stored/,
      );
      const source = await tensorFileSource(bytes('padded_weights_mismatch.pt'), 'm', {}, async () => null);
      const ov = await source.overview();
      assert.ok(
        ov.warnings.some((w) => /^Padding: "attention_mask" pads key 1 of batch entry 0, but/.test(w)),
        ov.warnings.join(' | '),
      );
    });

    it("a left-padded generate() with the prompt's attention_mask: the assembled map equals torch's steps, the padded prompt key is ~0 for every real query", () => {
      const e = expected.files['generate_left_padded.pt'];
      const { json, stderr } = ok('compute', 'generate_left_padded.pt', '--batch', '1');
      assert.equal(json.meaning, 'weights');
      for (const h of json.heads) {
        exact(
          h.weights.flat(),
          block(e.assembled, [2, 2, 2, e.tokens, e.tokens], [h.layer, 1, h.head]),
          `L${h.layer}H${h.head}`,
        );
        (h.weights as number[][])
          .slice(1)
          .forEach((row, i) => assert.ok(row[0] === 0, `query ${i + 1} gives padded key 0 no weight`));
      }
      assert.match(
        stderr,
        /"attention_mask": batch entry 1 pads key 0 \(the mask covers the prompt; generated tokens are never padding\): the weights give it ~0 in every row checked \(18 rows of 3 heads; the rows of queries that are padding themselves mean nothing and are not checked\), as the mask says/,
      );
    });

    it('nn.MultiheadAttention key_padding_mask (True = ignore) beside its Q/K/V: equal to the weights nn.MultiheadAttention returned', async () => {
      const e = expected.files['mha_key_padding.npz'];
      for (const b of [0, 1]) {
        const { json, stderr } = ok('compute', 'mha_key_padding.npz', '--batch', String(b));
        assert.equal(json.layout, 'batch,heads,q,d');
        for (const h of json.heads)
          close(h.weights.flat(), block(e.weights, [2, 2, 4, 4], [b, h.head]), 1e-6, `b${b} H${h.head}`);
        if (b === 1) assert.match(stderr, /"key_padding_mask": batch entry 1 pads keys 2, 3: masked for every query/);
      }
      // The panel applies it the same way.
      const source = await tensorFileSource(bytes('mha_key_padding.npz'), 'mha', { batch: 1 }, async () => null);
      const head = await source.head(0, 1);
      close(head.weights, block(e.weights, [2, 2, 4, 4], [1, 1]), 1e-6, 'panel b1 H1');
      const opened = await openAttention(bytes('mha_key_padding.npz'), { batch: 1 });
      assert.deepEqual(opened.padding?.masked, [2, 3]);
    });

    it('withKeyPadding removes the padded keys from every row of any base mask (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: 1, max: 7 }),
          fc.constantFrom('none', 'causal', 'anticausal', undefined),
          fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
          (n, m, word, pads) => {
            const allowed = Uint8Array.from(pads.slice(0, m), (p) => (p ? 0 : 1));
            const mask = withKeyPadding(word as 'none' | 'causal' | 'anticausal' | undefined, allowed, n, m);
            for (let i = 0; i < n; i++) {
              for (let j = 0; j < m; j++) {
                const base = word === 'causal' ? j <= i : word === 'anticausal' ? j >= i : true;
                assert.equal(mask.data[i * m + j], base && allowed[j] === 1 ? 1 : 0);
              }
            }
          },
        ),
      );
    });
  });
});
