// The webview's pure helpers: live re-softmax against numpy, the step-by-step numbers, exports,
// number formatting and restoring view state.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySource } from '../../src/host/memorySource';
import type { Overview } from '../../src/protocol/messages';
import { csvField, fileName, float32Text, matrixCsv, matrixJson, type ShownMatrix } from '../../webview/exportData';
import { describeFactor, displayToken, formatNumber } from '../../webview/format';
import { headAsSent, headAtFactor, keysToShow, logitVariance, queryStep } from '../../webview/live';
import { DEFAULT_STATE, sanitizeState } from '../../webview/state';
import { linearTicks, logTicks, powerOfTenLabel } from '../../webview/ticks';
import { regionWindow } from '../../webview/views/region';
import { assertClose, assertMatrixClose, assertVectorClose } from '../helpers/close';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'core', `${name}.json`), 'utf8'));
const TOL = 1e-5;

describe('webview: the scale slider re-softmaxes in the page', () => {
  it('qkv-causal at factor 1 gives numpy’s unscaled weights and entropies', async () => {
    const p = await MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fixture('qkv-causal').input) }).head(
      0,
      0,
    );
    const live = headAtFactor(p, 1);
    const e = fixture('qkv-override-none-causal').expected.heads[0];
    assertMatrixClose({ rows: 5, cols: 5, data: live.weights }, e.weights, TOL, 'weights');
    assertVectorClose(live.rows.entropy, e.entropy, TOL, 'entropy');
    assertClose(live.summary.meanEntropy, e.sweep[0].meanEntropy, TOL, 'mean entropy = the sweep at factor 1');
    assert.equal(headAtFactor(p, p.factor as number).weights, p.weights, 'the factor sent is not recomputed');
  });

  it('matches the core’s sweep at every grid factor', async () => {
    const fx = fixture('scores-2d-dk-custom-mask');
    const p = await MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fx.input) }).head(0, 0);
    for (const s of fx.expected.heads[0].sweep) {
      const live = headAtFactor(p, s.factor);
      assertClose(live.summary.meanEntropy, s.meanEntropy, TOL, `entropy at ${s.factor}`);
      assertClose(live.summary.meanMaxWeight, s.meanMaxWeight, TOL, `max weight at ${s.factor}`);
      assertClose(live.summary.meanEffectiveTokens, s.meanEffectiveTokens, TOL, `effective at ${s.factor}`);
    }
  });

  it('walks one query through: q·k, scaled, weights, and the output row', async () => {
    const fx = fixture('qkv-basic-dk-ne-dv');
    const p = await MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fx.input) }).head(0, 0);
    const e = fx.expected.heads[0];
    const step = queryStep(p, headAsSent(p), 2);
    assertVectorClose(step.scaled as number[], e.scores[2], TOL, 'scaled scores');
    assertVectorClose(
      step.dots.map((d) => (d as number) / Math.sqrt(3)),
      e.scores[2],
      TOL,
      'dots / √d_k',
    );
    assertVectorClose(step.weights, e.weights[2], TOL, 'weights');
    assertVectorClose(step.output as Float64Array, e.output[2], TOL, 'output = Σ w v');
    assertVectorClose(step.q as Float32Array, fx.input.Q[2], 1e-7, 'q');
  });

  it('marks masked keys in the walk-through', async () => {
    const p = await MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fixture('qkv-causal').input) }).head(
      0,
      0,
    );
    const step = queryStep(p, headAsSent(p), 1);
    assert.deepEqual(
      step.dots.map((d) => d === null),
      [false, false, true, true, true],
    );
    assert.deepEqual(step.weights.slice(2), [0, 0, 0]);
  });

  it('lists the strongest keys in position order', () => {
    assert.deepEqual(keysToShow([0.1, 0.5, 0.05, 0.3, 0.05], 3), [0, 1, 3]);
    assert.deepEqual(keysToShow([0.2, 0.8], 5), [0, 1]);
  });

  it('measures this head’s logit variance', async () => {
    const p = await MemorySource.fromSpec({ kind: 'json', json: '{"scores": [[1, 3], [5, 7]], "d_k": 4}' }).head(0, 0);
    assertClose(logitVariance(p) as number, 20 / 3, 1e-9, 'sample variance of 1, 3, 5, 7');
  });
});

describe('webview: exports', () => {
  const shown: ShownMatrix = {
    title: 't',
    layer: 0,
    head: 1,
    mask: 'causal',
    factor: 0.5,
    tokens: ['=SUM(A1)', 'a,b'],
    keyTokens: ['say "hi"', 'x'],
    n: 2,
    m: 2,
    scores: Float32Array.from([0.1, 9, 0.25, -1]),
    weights: Float32Array.from([1, 0, 0.3, 0.7]),
    allowed: Uint8Array.from([1, 0, 1, 1]),
  };

  it('writes CSV with quoting, formula-safe tokens and empty masked scores', () => {
    assert.equal(matrixCsv(shown, 'weights'), 'query \\ key,"say ""hi""",x\r\n\'=SUM(A1),1,0\r\n"a,b",0.3,0.7\r\n');
    assert.equal(matrixCsv(shown, 'scores'), 'query \\ key,"say ""hi""",x\r\n\'=SUM(A1),0.1,\r\n"a,b",0.25,-1\r\n');
    assert.equal(csvField('-1'), "'-1");
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  });

  it('writes JSON with null where masked', () => {
    const o = JSON.parse(matrixJson(shown));
    assert.deepEqual(o.scores, [
      [0.1, null],
      [0.25, -1],
    ]);
    assert.deepEqual(o.weights, [
      [1, 0],
      [0.3, 0.7],
    ]);
    assert.equal(o.head, 1);
  });

  it('prints float32 values with the fewest digits', () => {
    assert.equal(float32Text(Math.fround(0.1)), '0.1');
    assert.equal(float32Text(Math.fround(1 / 3)), '0.33333334');
    assert.equal(float32Text(0), '0');
    assert.equal(fileName(['attention', '', 'H1', 'scores & weights'], 'png'), 'attention-H1-scores-weights.png');
  });
});

describe('webview: formatting and state', () => {
  it('formats numbers for reading', () => {
    assert.equal(formatNumber(0.33333), '0.333');
    assert.equal(formatNumber(-2.5), '−2.5');
    assert.equal(formatNumber(0.00012), '1.20e−4');
    assert.equal(formatNumber(123456), '1.23e5');
    assert.equal(formatNumber(1234), '1234');
    assert.equal(describeFactor(0.25, 16), '0.25 = 1/√d_k');
    assert.equal(describeFactor(1 / 16, 16), '0.0625 = 1/d_k');
    assert.equal(describeFactor(1, 16), '1 (unscaled)');
    assert.equal(displayToken('  hi\n'), '··hi↵');
    assert.equal(displayToken(''), '∅');
    assert.equal(displayToken('abcdefghij', 5), 'abcd…');
  });

  it('ticks axes at round values', () => {
    assert.deepEqual(logTicks(0.001, 10), [0.001, 0.01, 0.1, 1, 10]);
    assert.deepEqual(linearTicks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
    assert.equal(powerOfTenLabel(0.001), '10⁻³');
    assert.equal(powerOfTenLabel(100), '100');
  });

  it('restores only state that fits the input', () => {
    const overview = {
      n: 3,
      m: 3,
      layers: 1,
      heads: 2,
      masks: ['none', 'causal', 'anticausal'],
      rescalable: true,
    } as unknown as Overview;
    const s = sanitizeState(
      {
        tab: 'scaling',
        head: 'mean',
        layer: 4,
        mask: 'causal',
        factor: 0.25,
        lockedRow: 7,
        sequential: 'jet',
        zoom: 3,
        cursor: { row: 2, col: 1 },
      },
      overview,
    );
    assert.equal(s.tab, 'scaling');
    assert.equal(s.head, 'mean');
    assert.equal(s.layer, 0);
    assert.equal(s.mask, 'causal');
    assert.equal(s.factor, 0.25);
    assert.equal(s.lockedRow, null);
    assert.equal(s.sequential, 'viridis');
    assert.deepEqual(s.cursor, { row: 2, col: 1 });
    assert.deepEqual(sanitizeState('garbage', overview), DEFAULT_STATE);
    assert.equal(sanitizeState({ factor: 0.5 }, { ...overview, rescalable: false }).factor, null);
  });
});

describe('webview: the region a click on a long sequence’s block asks for', () => {
  it('centres 128 tokens on the block and stays inside the sequence', () => {
    assert.deepEqual(regionWindow(500, 5, 5000), { start: 2438, count: 128 });
    assert.deepEqual(regionWindow(0, 16, 16384), { start: 0, count: 128 }, 'the first block: from token 0');
    assert.deepEqual(
      regionWindow(1023, 16, 16384),
      { start: 16256, count: 128 },
      'the last block: up to the last token',
    );
    assert.deepEqual(regionWindow(3, 1, 50), { start: 0, count: 50 }, 'a sequence shorter than a region: all of it');
  });
});
