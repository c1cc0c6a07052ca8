// The panel's file-backed source: heads read lazily from a tensor file, values equal to what numpy
// wrote, summaries equal to entropies computed here from those values, and clear refusals.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryByteSource, openAttention, axisLabels } from '../../src/core/tensorfiles';
import { TensorFileSource } from '../../src/host/tensorFileSource';

const DIR = join(__dirname, '..', 'fixtures', 'tensorfiles');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

async function open(name: string, options: ConstructorParameters<typeof TensorFileSource>[2] = { title: name }) {
  const opened = await openAttention(new MemoryByteSource(name, new Uint8Array(readFileSync(join(DIR, name)))));
  return new TensorFileSource(opened, axisLabels(name, opened.view, opened.tokens?.tokens ?? null), options);
}

function entropy(row: number[]): number {
  return -row.filter((p) => p > 0).reduce((s, p) => s + p * Math.log(p), 0);
}

describe('TensorFileSource (panel data from .npy/.npz/.safetensors)', () => {
  it("overview: shapes, tokens and every head's mean entropy", async () => {
    const src = await open('model.safetensors');
    const ov = await src.overview();
    const e = expected['model.safetensors'].tensors.attn; // [2, 1, 3, 4, 4]
    assert.deepEqual([ov.layers, ov.heads, ov.n, ov.m, ov.form, ov.rescalable], [2, 3, 4, 4, 'weights', false]);
    assert.deepEqual(ov.tokens, ['The', 'cat', 'sat', '.']);
    assert.deepEqual(ov.masks, []);
    for (const s of ov.summaries) {
      const base = (s.layer * 3 + s.head) * 16;
      const rows = [0, 1, 2, 3].map((i) => e.values.slice(base + i * 4, base + i * 4 + 4));
      const mean = rows.reduce((acc: number, r: number[]) => acc + entropy(r), 0) / 4;
      assert.ok(Math.abs(s.meanEntropy - mean) < 1e-5, `L${s.layer}H${s.head}: ${s.meanEntropy} vs ${mean}`);
    }
  });

  it('head: weights as stored; mean of heads; thumbnails for every head plus each layer mean', async () => {
    const src = await open('model.safetensors');
    const e = expected['model.safetensors'].tensors.attn;
    const p = await src.head(1, 2);
    const base = (1 * 3 + 2) * 16;
    p.weights.forEach((w, k) => assert.ok(Math.abs(w - e.values[base + k]) < 1e-6));
    assert.equal(p.weights.byteLength, p.weights.buffer.byteLength, 'owns its buffer');
    const mean = await src.head(0, 'mean');
    for (let k = 0; k < 16; k++) {
      const m = (e.values[k] + e.values[16 + k] + e.values[32 + k]) / 3;
      assert.ok(Math.abs(mean.weights[k] - m) < 1e-6);
    }
    const t = await src.thumbnails(64);
    assert.equal(t.items.length, 2 * (3 + 1));
    assert.equal(t.data.length, t.items.length * 16);
  });

  it('Q/K/V files re-scale and re-mask like JSON input', async () => {
    const src = await open('qkv.npz', { title: 'qkv.npz', scale: 1 });
    const ov = await src.overview();
    assert.equal(ov.hasVectors, true);
    assert.deepEqual(ov.masks, ['none', 'causal', 'anticausal']);
    const causal = await src.head(0, 1, { mask: 'causal' });
    assert.equal(causal.factor, 1);
    for (let i = 0; i < causal.n; i++) {
      const row = Array.from(causal.weights.subarray(i * causal.m, (i + 1) * causal.m));
      row.forEach((w, j) => {
        if (j > i) assert.equal(w, 0);
      });
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    assert.ok(causal.q && causal.k && causal.v);
  });

  it('refuses what a file cannot do, in one line', async () => {
    const src = await open('model.safetensors');
    await assert.rejects(
      open('model.safetensors', { title: 'model.safetensors', scale: 2 }),
      /exported attention weights cannot be re-scaled/,
    );
    await assert.rejects(src.head(0, 0, { mask: 'causal' }), /cannot be re-masked/);
    await assert.rejects(src.head(0, 0, { variant: 'raw' }), /no raw/);
    await assert.rejects(src.head(0, 7), /head 7 is out of range/);
  });
});
