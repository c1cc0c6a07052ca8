// Text input: offsets the editor can use, deterministic embeddings, the paper's positional encoding,
// and the variance experiment behind 1/√d_k.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  tokenize,
  tokenEmbedding,
  embedTokens,
  sinusoidalPositions,
  inspectText,
  varianceExperiment,
  DEFAULT_TEXT_SETTINGS,
  seededProjections,
} from '../../src/core';
import { assertMatrixClose } from '../helpers/close';

describe('tokenizer', () => {
  it('keeps character offsets that slice back to the token', () => {
    const text = "Thinking  Machines, don't stop.\n  x = 3.14; émigré 日本";
    const tokens = tokenize(text);
    assert.deepEqual(
      tokens.map((t) => t.text),
      ['Thinking', 'Machines', ',', "don't", 'stop', '.', 'x', '=', '3.14', ';', 'émigré', '日本'],
    );
    for (const t of tokens) assert.equal(text.slice(t.start, t.end), t.text);
  });
  it('offsets are UTF-16 (astral characters count 2)', () => {
    const text = '😀 ok';
    const [emoji, ok] = tokenize(text);
    assert.deepEqual([emoji.start, emoji.end, ok.start, ok.end], [0, 2, 3, 5]);
  });
  it('whitespace and characters tokenizers', () => {
    assert.deepEqual(
      tokenize('a,b  c', 'whitespace').map((t) => t.text),
      ['a,b', 'c'],
    );
    assert.deepEqual(
      tokenize('ab c', 'characters').map((t) => [t.text, t.start]),
      [
        ['a', 0],
        ['b', 1],
        ['c', 3],
      ],
    );
  });
});

describe('embeddings and positions', () => {
  it('the same token text always gives the same vector; different texts differ', () => {
    const a = tokenEmbedding('home', 64, 7),
      b = tokenEmbedding('home', 64, 7),
      c = tokenEmbedding('Home', 64, 7);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(a, tokenEmbedding('home', 64, 8));
  });
  it('repeated tokens get the same embedding row (without positions)', () => {
    const x = embedTokens(tokenize('the cat the'), { dModel: 16, seed: 1, positional: false });
    assert.deepEqual(x.data.subarray(0, 16), x.data.subarray(32, 48));
  });
  it('sinusoidal positions match the formula computed with numpy', () => {
    const fx = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'positional-6x8.json'), 'utf8'));
    assertMatrixClose(sinusoidalPositions(fx.n, fx.d), fx.pe, 1e-6, 'PE');
  });
  it('projections are seeded and have the configured shapes', () => {
    const p = seededProjections({ ...DEFAULT_TEXT_SETTINGS, heads: 2, dK: 8, dV: 5 });
    assert.equal(p.heads.length, 2);
    assert.deepEqual(
      [p.heads[0].W_Q.rows, p.heads[0].W_Q.cols, p.heads[1].W_V.cols, p.W_O.rows, p.W_O.cols],
      [64, 8, 5, 10, 64],
    );
    assert.deepEqual(p, seededProjections({ ...DEFAULT_TEXT_SETTINGS, heads: 2, dK: 8, dV: 5 }));
  });
});

describe('text inspection', () => {
  it('defaults: 4 heads, d_k 16, scale 1/4, tokens and offsets', () => {
    const r = inspectText('I go home');
    assert.deepEqual(r.tokens, ['I', 'go', 'home']);
    assert.deepEqual(r.offsets, [
      [0, 1],
      [2, 4],
      [5, 9],
    ]);
    assert.equal(r.heads.length, 4);
    assert.equal(r.heads[0].dK, 16);
    assert.equal(r.heads[0].factor, 0.25);
    assert.equal(r.output!.cols, 64);
  });
  it('raw mode (Q = K = V = X) is dominated by the diagonal; projections are much less so', () => {
    const text = 'the quick brown fox jumps over the lazy dog and runs far away from home';
    const raw = inspectText(text, { raw: true });
    const projected = inspectText(text);
    assert.equal(raw.heads.length, 1);
    assert.ok(
      raw.heads[0].diagonal!.argmaxOnDiagonal > 0.9,
      `raw argmax on diagonal ${raw.heads[0].diagonal!.argmaxOnDiagonal}`,
    );
    assert.ok(raw.heads[0].diagonal!.meanDiagonalWeight > 0.8);
    const meanProjected =
      projected.heads.reduce((s, h) => s + h.diagonal!.meanDiagonalWeight, 0) / projected.heads.length;
    assert.ok(meanProjected < 0.4, `projected diagonal ${meanProjected}`);
    // With Q = K = V = X the output rows are close to copies of X.
    const out = raw.heads[0].output!,
      x = raw.heads[0].v!;
    let diff = 0,
      norm = 0;
    for (let k = 0; k < out.data.length; k++) {
      diff += (out.data[k] - x.data[k]) ** 2;
      norm += x.data[k] ** 2;
    }
    assert.ok(Math.sqrt(diff / norm) < 0.2);
  });
  it('rejects empty text with a clear message', () => {
    assert.throws(() => inspectText('   \n '), /^Error|text: no tokens found/);
    assert.throws(() => inspectText('a b c', {}, {}, 2), /3 tokens exceed the limit of 2/);
  });
});

describe('variance experiment (why 1/√d_k)', () => {
  it('Var(q·k) ≈ d_k and Var(q·k/√d_k) ≈ 1 for d_k = 1…1024', () => {
    const points = varianceExperiment(undefined, 4000, 3);
    assert.deepEqual(
      points.map((p) => p.dK),
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    );
    for (const p of points) {
      // 4000 samples: the sample variance's relative standard error is at most √(8/4000) ≈ 4.5% (d_k = 1, kurtosis 9).
      assert.ok(Math.abs(p.varScaled - 1) < 0.2, `d_k ${p.dK}: scaled variance ${p.varScaled}`);
      assert.ok(Math.abs(p.varDot / p.dK - 1) < 0.2);
      assert.equal(p.theoryDot, p.dK);
      assert.equal(p.theoryScaled, 1);
    }
    assert.deepEqual(varianceExperiment([4], 100, 9), varianceExperiment([4], 100, 9));
  });
});
