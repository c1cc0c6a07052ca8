// The protocol's validators: what each side accepts, and that junk is refused with a reason, never thrown.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHostMessage, parseWebviewMessage, validateResult } from '../../src/protocol/validate';

function headResult(overrides: Record<string, unknown> = {}) {
  return {
    layer: 0,
    head: 0,
    variant: 'projected',
    mask: 'none',
    n: 2,
    m: 3,
    dK: 4,
    dV: 1,
    factor: 0.5,
    dots: new Float32Array(6),
    allowed: null,
    weights: new Float32Array(6),
    entropy: new Float32Array(2),
    maxWeight: new Float32Array(2),
    effectiveTokens: new Float32Array(2),
    emptyRows: [],
    sweep: [{ factor: 1, label: 'unscaled', meanEntropy: 1, meanMaxWeight: 0.5, meanEffectiveTokens: 2 }],
    diagonal: null,
    q: new Float32Array(8),
    k: new Float32Array(12),
    v: new Float32Array(3),
    output: new Float32Array(2),
    ...overrides,
  };
}

describe('protocol: validating webview → host messages', () => {
  it('accepts the requests the panel sends', () => {
    const ok = [
      { kind: 'hello', protocol: 1 },
      { kind: 'request', id: 1, method: 'overview', params: {} },
      { kind: 'request', id: 2, method: 'overview', params: { mask: 'causal' } },
      {
        kind: 'request',
        id: 3,
        method: 'head',
        params: { layer: 0, head: 'mean', mask: 'anticausal', variant: 'raw' },
      },
      { kind: 'request', id: 4, method: 'thumbnails', params: { size: 64 } },
      { kind: 'request', id: 5, method: 'variance', params: {} },
      { kind: 'request', id: 6, method: 'export', params: { format: 'png', name: 'a.png', data: new ArrayBuffer(4) } },
      { kind: 'request', id: 7, method: 'export', params: { format: 'csv', name: 'a.csv', data: 'x,y' } },
      { kind: 'request', id: 8, method: 'export', params: { format: 'html', name: 'r.html' } },
      {
        kind: 'request',
        id: 9,
        method: 'region',
        params: { layer: 0, head: 1, mask: 'causal', row0: 2438, rows: 128, col0: 0, cols: 512 },
      },
      { kind: 'notify', event: 'focusToken', index: null },
      { kind: 'notify', event: 'focusToken', index: 3, hover: true },
      { kind: 'notify', event: 'log', level: 'warn', text: 'hi' },
      {
        kind: 'notify',
        event: 'firstDraw',
        marks: {
          scriptStart: 20,
          modulesEvaluated: 110,
          hello: 120.5,
          overviewAsked: 130,
          overview: 180,
          head: 260,
          drawn: 300,
        },
      },
    ];
    for (const m of ok) assert.ok(parseWebviewMessage(m).ok, JSON.stringify(m));
  });

  it('refuses malformed messages with a reason naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /message: expected an object/],
      [{ kind: 'shout' }, /kind/],
      [{ kind: 'request', id: -1, method: 'overview', params: {} }, /^id/],
      [{ kind: 'request', id: 1.5, method: 'overview', params: {} }, /^id/],
      [{ kind: 'request', id: 1, method: 'eval', params: {} }, /^method/],
      [{ kind: 'request', id: 1, method: 'head', params: { layer: 0, head: 0, scale: Number.NaN } }, /params.scale/],
      [{ kind: 'request', id: 1, method: 'head', params: { layer: 0, head: 0, scale: -2 } }, /params.scale/],
      [{ kind: 'request', id: 1, method: 'head', params: { layer: '0', head: 0 } }, /params.layer/],
      [{ kind: 'request', id: 1, method: 'head', params: { layer: 0, head: 0, mask: 'sideways' } }, /params.mask/],
      [{ kind: 'request', id: 1, method: 'thumbnails', params: { size: 100000 } }, /params.size/],
      [
        {
          kind: 'request',
          id: 1,
          method: 'export',
          params: { format: 'png', name: '../../etc/passwd', data: new ArrayBuffer(1) },
        },
        /params.name/,
      ],
      [{ kind: 'request', id: 1, method: 'export', params: { format: 'exe', name: 'a', data: '' } }, /params.format/],
      [
        { kind: 'request', id: 1, method: 'export', params: { format: 'png', name: 'a.png', data: 'not bytes' } },
        /params.data/,
      ],
      [
        { kind: 'request', id: 1, method: 'export', params: { format: 'html', name: 'r.html', data: '<script>' } },
        /params.data/,
      ],
      [{ kind: 'notify', event: 'focusToken', index: 'x' }, /index/],
      [{ kind: 'notify', event: 'focusToken', index: 3, hover: 'yes' }, /^hover: expected true or false/],
      [{ kind: 'notify', event: 'firstDraw', marks: null }, /^marks: expected an object/],
      [
        {
          kind: 'notify',
          event: 'firstDraw',
          marks: { scriptStart: 0, modulesEvaluated: 1, hello: 1, overviewAsked: 2, overview: 3, head: 4 },
        },
        /^marks.drawn: expected a finite number/,
      ],
      [
        {
          kind: 'notify',
          event: 'firstDraw',
          marks: { scriptStart: 0, modulesEvaluated: 1, hello: -1, overviewAsked: 2, overview: 3, head: 4, drawn: 5 },
        },
        /^marks.hello: expected a time/,
      ],
      [
        {
          kind: 'notify',
          event: 'firstDraw',
          marks: { scriptStart: 0, modulesEvaluated: 1, hello: 1, overviewAsked: 2, overview: 3, head: 4, drawn: 1e12 },
        },
        /^marks.drawn: expected a time/,
      ],
      [
        {
          kind: 'request',
          id: 1,
          method: 'region',
          params: { layer: 0, head: 'mean', row0: 0, rows: 1, col0: 0, cols: 1 },
        },
        /params.head/,
      ],
      [
        {
          kind: 'request',
          id: 1,
          method: 'region',
          params: { layer: 0, head: 0, row0: -5, rows: 1, col0: 0, cols: 1 },
        },
        /params.row0/,
      ],
      [
        { kind: 'request', id: 1, method: 'region', params: { layer: 0, head: 0, row0: 0, rows: 0, col0: 0, cols: 1 } },
        /params.rows/,
      ],
      [
        {
          kind: 'request',
          id: 1,
          method: 'region',
          params: { layer: 0, head: 0, row0: 0, rows: 1e6, col0: 0, cols: 1e6 },
        },
        /params.rows/,
      ],
      [
        {
          kind: 'request',
          id: 1,
          method: 'region',
          params: { layer: 0, head: 0, row0: 0, rows: 600, col0: 0, cols: 600 },
        },
        /params.rows: a region holds at most 262144 cells/,
      ],
    ];
    for (const [m, reason] of bad) {
      const r = parseWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m));
      assert.match((r as { error: string }).error, reason);
    }
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        parseWebviewMessage(x);
        parseHostMessage(x);
        validateResult('head', x);
        validateResult('overview', x);
        validateResult('region', x);
        return true;
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe('protocol: validating host → webview messages', () => {
  it('accepts responses and pushes', () => {
    assert.ok(parseHostMessage({ kind: 'response', id: 3, ok: true, result: {} }).ok);
    assert.ok(parseHostMessage({ kind: 'response', id: 3, ok: false, error: 'no head 9' }).ok);
    assert.ok(parseHostMessage({ kind: 'push', event: 'reset' }).ok);
    assert.ok(parseHostMessage({ kind: 'push', event: 'select', layer: 1, head: 'mean' }).ok);
    assert.equal(parseHostMessage({ kind: 'push', event: 'explode' }).ok, false);
    assert.equal(parseHostMessage({ kind: 'response', id: 3, ok: 'yes' }).ok, false);
  });

  it('checks a head payload’s typed arrays against its shape', () => {
    assert.ok(validateResult('head', headResult()).ok);
    const short = validateResult('head', headResult({ weights: new Float32Array(5) }));
    assert.equal(short.ok, false);
    assert.match((short as { error: string }).error, /head.weights: expected 6 values, found 5/);
    assert.equal(
      validateResult('head', headResult({ weights: [0, 0, 0, 0, 0, 0] })).ok,
      false,
      'JSON arrays are not accepted for matrices',
    );
    assert.equal(validateResult('head', headResult({ allowed: new Float32Array(6) })).ok, false);
    assert.equal(validateResult('head', headResult({ factor: 0 })).ok, false);
    assert.equal(validateResult('head', headResult({ emptyRows: [5] })).ok, false);
    const fromBuffer = validateResult('head', headResult({ weights: new Float32Array([1, 2, 3, 4, 5, 6]).buffer }));
    assert.ok(fromBuffer.ok && fromBuffer.value.weights instanceof Float32Array && fromBuffer.value.weights[5] === 6);
  });

  it('checks an overview’s tokens and summaries', () => {
    const overview = {
      title: 't',
      form: 'qkv',
      n: 2,
      m: 2,
      tokens: ['a', 'b'],
      keyTokens: ['a', 'b'],
      layers: 1,
      heads: 1,
      mask: 'none',
      masks: ['none'],
      rescalable: true,
      hasVectors: true,
      hasRaw: false,
      warnings: [],
      summaries: [
        {
          layer: 0,
          head: 0,
          dK: 2,
          factor: 0.7,
          meanEntropy: 0.5,
          meanMaxWeight: 0.8,
          meanEffectiveTokens: 1.6,
          diagonalShare: null,
        },
      ],
    };
    assert.ok(validateResult('overview', overview).ok);
    assert.equal(validateResult('overview', { ...overview, tokens: ['a'] }).ok, false);
    assert.equal(validateResult('overview', { ...overview, tokens: ['a', 3] }).ok, false);
    assert.equal(validateResult('overview', { ...overview, summaries: [] }).ok, false);
    // A long sequence's overview: n blocks of `cell` tokens must cover exactly `tokens`.
    assert.ok(validateResult('overview', { ...overview, pooled: { tokens: 7, cell: 4, fullResolutionTokens: 4 } }).ok);
    const uneven = validateResult('overview', { ...overview, pooled: { tokens: 9, cell: 4, fullResolutionTokens: 4 } });
    assert.match(
      (uneven as { error: string }).error,
      /overview.pooled: 9 tokens in blocks of 4 do not make 2×2 blocks/,
    );
  });

  it('checks a region’s arrays against its shape; logits may be absent (exported weights)', () => {
    const region = {
      row0: 10,
      rows: 2,
      col0: 20,
      cols: 3,
      tokens: ['a', 'b'],
      keyTokens: ['c', 'd', 'e'],
      factor: 0.25,
      dots: new Float32Array(6),
      weights: new Float32Array(6),
      allowed: null,
      entropy: new Float32Array(2),
    };
    assert.ok(validateResult('region', region).ok);
    assert.ok(validateResult('region', { ...region, dots: null, factor: null }).ok);
    assert.match(
      (validateResult('region', { ...region, weights: new Float32Array(5) }) as { error: string }).error,
      /region.weights: expected 6 values, found 5/,
    );
    assert.match(
      (validateResult('region', { ...region, keyTokens: ['c'] }) as { error: string }).error,
      /region.keyTokens/,
    );
    assert.equal(validateResult('region', { ...region, rows: 600, cols: 600, tokens: [], keyTokens: [] }).ok, false);
  });
});
