// The host side answering the panel: PanelSession + MemorySource, fed raw messages as the webview
// would send them, checked against the numpy fixtures in test/fixtures/core and test/fixtures/panel.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySource } from '../../src/host/memorySource';
import { PanelSession, type ExportFile } from '../../src/host/session';
import type { HostMessage, HeadPayload, Overview, Thumbnails, VarianceSample } from '../../src/protocol/messages';
import { validateResult } from '../../src/protocol/validate';
import { assertClose, assertMatrixClose, assertVectorClose } from '../helpers/close';

const CORE = join(__dirname, '..', 'fixtures', 'core');
interface Fixture {
  name: string;
  input: Record<string, unknown>;
  options: { scale?: unknown; mask?: unknown };
  expected: {
    heads: {
      weights: number[][];
      entropy: number[];
      maxWeight: number[];
      factor: number | null;
      scores: (number | null)[][] | null;
      output: number[][] | null;
      diagonal: { meanDiagonalWeight: number } | null;
    }[];
  };
}
const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(CORE, `${name}.json`), 'utf8'));
const TOL = 1e-5;

/** A session over a source, with a helper that sends one request and awaits its response. */
function harness(source: MemorySource, saved: ExportFile[] = []) {
  const posted: HostMessage[] = [];
  const logged: string[] = [];
  const session = new PanelSession(source, (m) => posted.push(m), {
    log: (l) => logged.push(l),
    save: async (file) => {
      saved.push(file);
      return { saved: true, location: file.name };
    },
    reportAssets: async () => ({ script: 'console.log("</script>")', style: 'body{}' }),
  });
  let id = 0;
  async function ask(method: string, params: unknown): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    const my = ++id;
    await session.handle({ kind: 'request', id: my, method, params });
    const r = posted.find((m) => m.kind === 'response' && m.id === my);
    assert.ok(r && r.kind === 'response', `no response to ${method}`);
    return r.ok ? { ok: true, result: r.result } : { ok: false, error: r.error };
  }
  async function head(params: Record<string, unknown>): Promise<HeadPayload> {
    const r = await ask('head', params);
    assert.ok(r.ok, r.error);
    const checked = validateResult('head', r.result);
    assert.ok(checked.ok, checked.ok ? '' : checked.error);
    return checked.value;
  }
  return { session, posted, logged, ask, head };
}

const fromFixture = (name: string) =>
  MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fixture(name).input), title: name });
const rows = (data: Float32Array, n: number, m: number) => ({ rows: n, cols: m, data });

describe('host: PanelSession answering from an in-memory inspection', () => {
  it('sends the overview: tokens, shape, masks, per-head summaries', async () => {
    const fx = fixture('qkv-basic-dk-ne-dv');
    const { ask } = harness(fromFixture('qkv-basic-dk-ne-dv'));
    const r = await ask('overview', {});
    const o = validateResult('overview', r.result);
    assert.ok(o.ok);
    const ov: Overview = o.value;
    assert.deepEqual(ov.tokens, ['I', 'go', 'home', '.']);
    assert.deepEqual([ov.n, ov.m, ov.layers, ov.heads], [4, 4, 1, 1]);
    assert.deepEqual(ov.masks, ['none', 'causal', 'anticausal']);
    assert.equal(ov.mask, 'none');
    assert.ok(ov.rescalable && ov.hasVectors && !ov.hasRaw);
    const e = fx.expected.heads[0];
    assertClose(
      ov.summaries[0].meanEntropy,
      e.entropy.reduce((a, b) => a + b, 0) / e.entropy.length,
      TOL,
      'mean entropy',
    );
    assertClose(
      ov.summaries[0].meanMaxWeight,
      e.maxWeight.reduce((a, b) => a + b, 0) / e.maxWeight.length,
      TOL,
      'mean max weight',
    );
  });

  for (const name of [
    'qkv-basic-dk-ne-dv',
    'qkv-causal',
    'projected-multi-wo-causal',
    'scores-2d-dk-custom-mask',
    'attentions-4d',
  ]) {
    it(`sends every head of ${name} with numpy's weights, scores and outputs`, async () => {
      const fx = fixture(name);
      const { ask, head } = harness(fromFixture(name));
      const ov = validateResult('overview', (await ask('overview', {})).result);
      assert.ok(ov.ok);
      for (let index = 0; index < fx.expected.heads.length; index++) {
        const e = fx.expected.heads[index];
        const layer = Math.floor(index / ov.value.heads),
          h = index % ov.value.heads;
        const p = await head({ layer, head: h });
        const at = `${name} L${layer} H${h}`;
        assertMatrixClose(rows(p.weights, p.n, p.m), e.weights, TOL, `${at} weights`);
        assertVectorClose(p.entropy, e.entropy, TOL, `${at} entropy`);
        if (e.scores && p.dots && p.factor !== null) {
          const scaled = p.dots.map((x) => x * (p.factor as number));
          assertMatrixClose(rows(scaled, p.n, p.m), e.scores, TOL, `${at} scores`, p.allowed);
        } else assert.equal(p.dots, null);
        if (e.output)
          assertMatrixClose(rows(p.output as Float32Array, p.n, p.dV as number), e.output, TOL, `${at} output`);
        for (const a of [p.weights, p.dots, p.entropy, p.q, p.v, p.allowed])
          if (a) assert.equal(a.byteLength, a.buffer.byteLength, 'arrays own their buffers exactly');
      }
    });
  }

  it('switches the mask: the causal input asked anti-causally gives numpy’s anti-causal weights', async () => {
    const { head } = harness(fromFixture('qkv-causal'));
    const p = await head({ layer: 0, head: 0, mask: 'anticausal' });
    assert.equal(p.mask, 'anticausal');
    assertMatrixClose(rows(p.weights, p.n, p.m), fixture('qkv-anticausal').expected.heads[0].weights, TOL, 'weights');
    assert.equal(p.allowed![0 * 5 + 4], 1);
    assert.equal(p.allowed![4 * 5 + 0], 0);
  });

  it('re-scales: factor 1 on the causal input gives the unscaled fixture', async () => {
    const { head } = harness(
      MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fixture('qkv-causal').input), scale: 1 }),
    );
    const p = await head({ layer: 0, head: 0 });
    assert.equal(p.factor, 1);
    const e = fixture('qkv-override-none-causal').expected.heads[0];
    assertMatrixClose(rows(p.weights, p.n, p.m), e.weights, TOL, 'weights');
    assertVectorClose(p.entropy, e.entropy, TOL, 'entropy');
    assertMatrixClose(rows(p.output as Float32Array, p.n, p.dV as number), e.output as number[][], TOL, 'output');
  });

  it('re-masks and re-scales together: scale 0.3 input at causal, 1/√8 gives qkv-causal', async () => {
    const { head } = harness(
      MemorySource.fromSpec({
        kind: 'json',
        json: JSON.stringify(fixture('qkv-scale-number').input),
        scale: 1 / Math.sqrt(8),
      }),
    );
    const p = await head({ layer: 0, head: 0, mask: 'causal' });
    assertMatrixClose(rows(p.weights, p.n, p.m), fixture('qkv-causal').expected.heads[0].weights, TOL, 'weights');
  });

  it('sends the raw variant (Q = K = V = X) matching numpy', async () => {
    const raw = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'panel', 'raw.json'), 'utf8'));
    const { ask, head } = harness(fromFixture('projected-single'));
    const ov = validateResult('overview', (await ask('overview', {})).result);
    assert.ok(ov.ok && ov.value.hasRaw);
    const p = await head({ layer: 0, head: 0, variant: 'raw' });
    assertClose(p.factor as number, raw.factor, 1e-9, 'factor');
    assertMatrixClose(rows(p.weights, p.n, p.m), raw.none, TOL, 'raw weights');
    const c = await head({ layer: 0, head: 0, variant: 'raw', mask: 'causal' });
    assertMatrixClose(rows(c.weights, c.n, c.m), raw.causal, TOL, 'raw causal weights');
    assert.ok(p.diagonal && p.diagonal.meanDiagonalWeight > 0.3);
  });

  it('averages the heads of a layer', async () => {
    const fx = fixture('attentions-4d');
    const { head } = harness(fromFixture('attentions-4d'));
    const p = await head({ layer: 1, head: 'mean' });
    const [a, b] = [fx.expected.heads[2].weights, fx.expected.heads[3].weights];
    assertMatrixClose(
      rows(p.weights, p.n, p.m),
      a.map((r, i) => r.map((x, j) => (x + b[i][j]) / 2)),
      TOL,
      'mean weights',
    );
    assert.equal(p.dots, null);
  });

  it('sends thumbnails: every head, then the layer mean, pooled to the size asked', async () => {
    const fx = fixture('attentions-4d');
    const { ask } = harness(fromFixture('attentions-4d'));
    const r = await ask('thumbnails', { size: 64 });
    const t = validateResult('thumbnails', r.result);
    assert.ok(t.ok);
    const th: Thumbnails = t.value;
    assert.deepEqual(th.items, [
      { layer: 0, head: 0 },
      { layer: 0, head: 1 },
      { layer: 0, head: 'mean' },
      { layer: 1, head: 0 },
      { layer: 1, head: 1 },
      { layer: 1, head: 'mean' },
    ]);
    assertVectorClose(th.data.subarray(27, 36), fx.expected.heads[2].weights.flat(), TOL, 'L1 H0');
    const small = validateResult('thumbnails', (await ask('thumbnails', { size: 2 })).result);
    assert.ok(small.ok);
    assert.deepEqual([small.value.rows, small.value.cols], [2, 2]);
    const w = fx.expected.heads[0].weights;
    assertClose(small.value.data[0], Math.max(w[0][0], w[0][1], w[1][0], w[1][1]), TOL, 'pooled max');
  });

  it('runs the variance experiment: Var(q·k) ≈ d_k, Var(q·k/√d_k) ≈ 1', async () => {
    const { ask } = harness(fromFixture('qkv-causal'));
    const v = validateResult('variance', (await ask('variance', {})).result);
    assert.ok(v.ok);
    const points: VarianceSample[] = v.value;
    assert.deepEqual(
      points.map((p) => p.dK),
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    );
    for (const p of points) {
      assert.ok(Math.abs(p.varDot / p.dK - 1) < 0.15, `Var(q·k) at d_k ${p.dK}: ${p.varDot}`);
      assert.ok(Math.abs(p.varScaled - 1) < 0.15, `scaled at d_k ${p.dK}: ${p.varScaled}`);
    }
  });

  it('answers impossible requests with a one-line error, not a crash', async () => {
    const { ask } = harness(fromFixture('attentions-4d'));
    assert.match((await ask('head', { layer: 0, head: 7 })).error ?? '', /^head: no head 7 in layer 0/);
    assert.match((await ask('head', { layer: 0, head: 0, mask: 'causal' })).error ?? '', /cannot be re-masked/);
    assert.match((await ask('head', { layer: 0, head: 0, variant: 'raw' })).error ?? '', /^variant: raw/);
  });

  it('ignores and logs malformed messages without answering', async () => {
    const { session, posted, logged } = harness(fromFixture('qkv-causal'));
    await session.handle({ kind: 'request', id: 1, method: 'head', params: { layer: 'x', head: 0 } });
    await session.handle('not even an object');
    await session.handle({ kind: 'request', id: 2, method: '__proto__', params: {} });
    assert.equal(posted.length, 0);
    assert.equal(logged.length, 3);
    assert.match(logged[0], /malformed.*params.layer/);
  });

  it('saves exports through the host, and builds the standalone report itself', async () => {
    const saved: ExportFile[] = [];
    const { ask } = harness(MemorySource.fromSpec({ kind: 'text', text: 'I go home' }), saved);
    assert.ok((await ask('export', { format: 'csv', name: 'w.csv', data: 'a,b\r\n' })).ok);
    assert.ok(
      (await ask('export', { format: 'png', name: 'v.png', data: new Uint8Array([137, 80, 78, 71]).buffer })).ok,
    );
    const r = await ask('export', { format: 'html', name: 'report.html' });
    assert.ok(r.ok);
    assert.deepEqual(
      saved.map((f) => f.format),
      ['csv', 'png', 'html'],
    );
    assert.ok(saved[1].data instanceof Uint8Array && saved[1].data[1] === 80);
    const html = saved[2].data as string;
    assert.match(html, /"kind":"text","text":"I go home"/);
    assert.ok(!html.includes('console.log("</script>")'), 'a </script> inside the bundle is escaped');
  });

  it('pushes a reset when the source changes', () => {
    const { session, posted } = harness(fromFixture('qkv-causal'));
    session.setSource(fromFixture('qkv-anticausal'));
    session.select(0, 0);
    assert.deepEqual(posted, [
      { kind: 'push', event: 'reset' },
      { kind: 'push', event: 'select', layer: 0, head: 0 },
    ]);
  });

  it('rejects bad inputs where they are opened, naming the field', () => {
    assert.throws(
      () => MemorySource.fromSpec({ kind: 'json', json: '{"Q": [[1]], "K": [[1, 2]], "V": [[1]]}' }),
      /\$\.K: expected 1 columns/,
    );
    assert.throws(
      () =>
        MemorySource.fromSpec({ kind: 'json', json: JSON.stringify(fixture('attentions-4d').input), scale: 'sqrt' }),
      /cannot be re-scaled/,
    );
    assert.throws(() => MemorySource.fromSpec({ kind: 'text', text: '   ' }), /no tokens/);
    assert.throws(() => MemorySource.fromSpec({ kind: 'nope' }), /report data.kind/);
  });
});
