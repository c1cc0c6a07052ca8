// Labels that never collide and numbers in one format (webview/ticks.ts, webview/format.ts), as
// properties over any range and width, and the stretched weight range (raster.ts rowMaxQuantile) at
// the slider's ×10 against a numpy softmax.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { formatNumber, formatTicks } from '../../webview/format';
import { legendTickLayout } from '../../webview/heatmap/legend';
import type { HeatmapModel } from '../../webview/heatmap/types';
import { rowMaxQuantile } from '../../webview/raster';
import {
  estimateWidth,
  fittedLinearTicks,
  fittedLogTicks,
  labelSpan,
  placeMarkerLabels,
  powerOfTenLabel,
  spansCollide,
  thinLabels,
} from '../../webview/ticks';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const wide = (t: string) => estimateWidth(t, 10);

/** Any finite, non-degenerate range, from 1e−6 wide to 1e6 wide, anywhere in ±1e6. */
const range = fc
  .record({
    lo: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    width: fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
  })
  .map(({ lo, width }) => ({ lo, hi: lo + width }))
  .filter(({ lo, hi }) => hi > lo);

function decimals(label: string): number {
  if (label === '0' || /e/.test(label)) return -1;
  return label.split('.')[1]?.length ?? 0;
}

function assertApart(positions: number[], texts: readonly string[], align: 'center' | 'start' | 'end', gap = 0) {
  const spans = positions.map((x, i) => labelSpan(x, wide(texts[i]), align));
  for (let i = 1; i < spans.length; i++)
    assert.ok(!spansCollide(spans[i - 1], spans[i], gap), `"${texts[i - 1]}" meets "${texts[i]}"`);
}

describe('webview: tick labels never collide', () => {
  it('linear axes: any range, any length from 20 to 1200 px', () => {
    fc.assert(
      fc.property(range, fc.integer({ min: 20, max: 1200 }), ({ lo, hi }, length) => {
        const ticks = fittedLinearTicks(lo, hi, length, formatTicks, wide);
        assert.ok(ticks.length >= 1);
        const texts = formatTicks(ticks);
        assertApart(
          ticks.map((v) => ((v - lo) / (hi - lo)) * length),
          texts,
          'center',
          6,
        );
        for (const t of texts) assert.match(t, /^(0|−?\d+(\.\d+)?(e−?\d+)?)$/, `a plain number: ${t}`);
      }),
      { numRuns: 500 },
    );
  });

  it('log axes: any decades, any length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -12, max: 6 }),
        fc.double({ min: 0.3, max: 14, noNaN: true }),
        fc.integer({ min: 20, max: 1200 }),
        (e, decades, length) => {
          const lo = 10 ** e,
            hi = lo * 10 ** decades;
          const labels = (vs: readonly number[]) => vs.map(powerOfTenLabel);
          const ticks = fittedLogTicks(lo, hi, length, labels, wide);
          const at = (v: number) => ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * length;
          assertApart(ticks.map(at), labels(ticks), 'center', 6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('thinLabels keeps the first, keeps order, and leaves no two kept labels touching', () => {
    const spans = fc
      .array(
        fc.record({ x: fc.double({ min: 0, max: 500, noNaN: true }), w: fc.double({ min: 1, max: 80, noNaN: true }) }),
        {
          maxLength: 30,
        },
      )
      .map((a) => a.sort((p, q) => p.x - q.x).map((p) => labelSpan(p.x, p.w, 'center')));
    fc.assert(
      fc.property(spans, fc.integer({ min: 0, max: 10 }), (s, gap) => {
        const kept = thinLabels(s, gap);
        if (s.length) assert.equal(kept[0], 0);
        for (let i = 1; i < kept.length; i++) {
          assert.ok(kept[i] > kept[i - 1]);
          assert.ok(!spansCollide(s[kept[i - 1]], s[kept[i]], gap));
        }
      }),
    );
  });

  it('marker labels ("1", "1/√d_k", "1/d_k", the slider) never share pixels in a row', () => {
    const marker = fc.record({
      x: fc.double({ min: 40, max: 400, noNaN: true }),
      label: fc.constantFrom('1', '1/√d_k', '1/d_k', 'slider 0.125'),
    });
    fc.assert(
      fc.property(fc.array(marker, { minLength: 1, maxLength: 6 }), (markers) => {
        const placed = placeMarkerLabels(
          markers.map((m) => ({ x: m.x, width: wide(m.label) })),
          400,
        );
        for (let a = 0; a < placed.length; a++)
          for (let b = a + 1; b < placed.length; b++)
            if (placed[a].row === placed[b].row) assert.ok(!spansCollide(placed[a].span, placed[b].span, 4));
        for (const p of placed) assert.ok(p.span.end <= 400 + 1e-9 || p.align === 'end');
      }),
    );
  });

  it('legend ticks: finite, apart and in one format for any range (±∞ among them dropped)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-4, max: 10, noNaN: true }),
        fc.integer({ min: 40, max: 800 }),
        (a, factor, width) => {
          const model = {
            scale: { kind: 'diverging', absMax: a },
            legendTicks: [-Infinity, -a, -a / 2, 0, a / 2, a, Infinity],
            tickLabels: (vs: readonly number[]) =>
              formatTicks(
                vs.map((v) => v * factor),
                2,
              ),
          } as unknown as HeatmapModel;
          const ticks = legendTickLayout(model, width, wide);
          assert.ok(ticks.length >= 1);
          for (const t of ticks) assert.ok(!/∞/.test(t.text), t.text);
          const spans = ticks.map((t) => labelSpan(t.x, wide(t.text), t.align));
          for (let i = 1; i < spans.length; i++) assert.ok(!spansCollide(spans[i - 1], spans[i], 0));
          const d = new Set(ticks.map((t) => decimals(t.text)).filter((x) => x >= 0));
          assert.ok(d.size <= 1, `one number of decimals: ${ticks.map((t) => t.text).join(' ')}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('webview: one number format', () => {
  it('formatNumber never writes a bare leading point (".01"), and reads back within its digits', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 4 }), (x, sig) => {
        const s = formatNumber(x, sig);
        assert.ok(!/^−?\./.test(s), s);
        const back = Number(s.replace(/−/g, '-'));
        assert.ok(Math.abs(back - x) <= Math.abs(x) * 10 ** (1 - sig) + 1e-300, `${x} → ${s}`);
      }),
    );
    assert.equal(formatNumber(0.01, 2), '0.01');
    assert.equal(formatNumber(0.042), '0.042');
  });

  it('formatTicks: the same decimals on one axis, zero as "0", each label within its digits', () => {
    fc.assert(
      fc.property(range, fc.integer({ min: 2, max: 8 }), ({ lo, hi }, target) => {
        const ticks = fittedLinearTicks(lo, hi, 10_000, formatTicks, wide, target);
        const texts = formatTicks(ticks);
        const d = new Set(texts.map(decimals).filter((x) => x >= 0));
        assert.ok(d.size <= 1, `one number of decimals: ${texts.join(' ')}`);
        const spread = Math.max(...ticks.map(Math.abs));
        texts.forEach((t, i) => {
          assert.ok(!/^−?\./.test(t), t);
          const back = Number(t.replace(/−/g, '-'));
          assert.ok(Math.abs(back - ticks[i]) <= 0.01 * spread + 1e-12, `${ticks[i]} → ${t}`);
        });
      }),
      { numRuns: 500 },
    );
    assert.deepEqual(formatTicks([0, 0.05, 0.1, 0.15]), ['0', '0.05', '0.10', '0.15']);
    assert.deepEqual(formatTicks([-3.4712, -1.7356, 0, 1.7356, 3.4712], 2), ['−3.5', '−1.7', '0', '1.7', '3.5']);
    assert.deepEqual(formatTicks([0, 0.021, 0.042]), ['0', '0.021', '0.042']);
  });
});

describe('webview: the stretched weight range', () => {
  /** numpy: softmax rows of scaled Gaussian scores under a causal mask, and the median row maximum. */
  function numpyWeights(n: number, factor: number) {
    const script = `
import numpy as np, sys, json
rng = np.random.default_rng(10)
s = rng.normal(size=(${n}, ${n})) * ${factor}
s[np.triu(np.ones((${n}, ${n}), dtype=bool), 1)] = -np.inf
w = np.exp(s - s.max(axis=1, keepdims=True)); w /= w.sum(axis=1, keepdims=True)
sys.stdout.write(json.dumps(dict(median=float(np.sort(w.max(axis=1))[(${n} - 1) // 2]), q995=float(np.quantile(w[np.isfinite(s)], 0.995)))) + '\\n')
sys.stdout.buffer.write(w.astype('<f4').tobytes())
`;
    const r = spawnSync(PYTHON, ['-c', script], { maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, `numpy failed: ${r.stderr?.toString()}`);
    const out = r.stdout as Buffer;
    const nl = out.indexOf(10);
    const figures = JSON.parse(out.subarray(0, nl).toString('utf8')) as { median: number; q995: number };
    const bytes = out.subarray(nl + 1);
    const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * n * 4));
    const allowed = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) allowed[i * n + j] = 1;
    return { weights, allowed, figures };
  }

  it('at ×10 (nearly one-hot rows) the range stays near the cells, not 0–3.5e−4', function () {
    if (!existsSync(PYTHON)) this.skip();
    const n = 128;
    const { weights, allowed, figures } = numpyWeights(n, 10);
    const hi = rowMaxQuantile(weights, n, n, allowed);
    assert.ok(Math.abs(hi - figures.median) < 1e-6, `${hi} vs numpy's median row maximum ${figures.median}`);
    assert.ok(hi > 0.5, `the top colour is near the typical row's strongest key: ${hi}`);
    // And at ×1 the rows spread out: the range shrinks with them, above the bulk of the cells.
    const flat = numpyWeights(n, 1);
    const hiFlat = rowMaxQuantile(flat.weights, n, n, flat.allowed);
    assert.ok(Math.abs(hiFlat - flat.figures.median) < 1e-6);
    assert.ok(hiFlat < 0.5 && hiFlat > 0.02, `${hiFlat}`);
  });

  it('property: in (0, 1], at least every row’s smallest maximum, at most the largest; masked and −∞ ignored', () => {
    const matrix = fc
      .record({ n: fc.integer({ min: 1, max: 12 }), m: fc.integer({ min: 1, max: 12 }) })
      .chain(({ n, m }) =>
        fc.record({
          n: fc.constant(n),
          m: fc.constant(m),
          w: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n * m, maxLength: n * m }),
          mask: fc.array(fc.boolean(), { minLength: n * m, maxLength: n * m }),
        }),
      );
    fc.assert(
      fc.property(matrix, ({ n, m, w, mask }) => {
        const data = Float32Array.from(w);
        const allowed = Uint8Array.from(mask, (b) => (b ? 1 : 0));
        // A masked cell holding a large value or −∞ must not count.
        allowed.forEach((a, k) => {
          if (!a) data[k] = k % 2 ? 5 : -Infinity;
        });
        const maxima: number[] = [];
        for (let i = 0; i < n; i++) {
          let best = -Infinity;
          for (let j = 0; j < m; j++) if (allowed[i * m + j]) best = Math.max(best, data[i * m + j]);
          if (best > -Infinity) maxima.push(best);
        }
        const hi = rowMaxQuantile(data, n, m, allowed);
        if (maxima.length === 0) return assert.equal(hi, 0);
        assert.ok(hi >= Math.min(...maxima) && hi <= Math.max(...maxima) && hi <= 1);
      }),
    );
  });
});
