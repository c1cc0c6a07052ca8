// Every bad-input rule of the JSON schema, each with the exact one-line message a user sees. The
// README's "Bad input" table lists the same rules.
import * as assert from 'node:assert/strict';
import { InputError, parseAttentionJson, readAttentionInput, inspect } from '../../src/core';

const Q = [
  [1, 0],
  [0, 1],
  [1, 1],
];
const K = [
  [1, 0],
  [0, 1],
  [2, 1],
];
const V = [[1], [2], [3]];
const X = [
  [1, 2, 3],
  [4, 5, 6],
];
const W = [
  [1, 0],
  [0, 1],
  [1, 1],
];

type Case = [rule: string, doc: unknown, message: string];

export const BAD_INPUTS: Case[] = [
  ['not an object', [1, 2], '$: expected a JSON object, found an array'],
  [
    'no tensors',
    { tokens: ['a'] },
    '$: no tensors: give Q, K and V; or X with W_Q, W_K, W_V (or heads); or scores; or attentions',
  ],
  [
    'unknown field',
    { Q, K, V, weights: [] },
    '$.weights: unknown field (expected Q/K/V, X with W_Q/W_K/W_V or heads, scores, attentions, and optionally tokens, key_tokens, mask, scale)',
  ],
  ['two forms', { Q, K, V, scores: Q }, '$: give exactly one input form, found Q and scores'],
  ['stray field of another form', { scores: Q, W_O: W }, '$.W_O: does not belong with scores (a scores input)'],
  ['Q without V', { Q, K }, '$.V: missing (Q, K and V go together)'],
  ['matrix not an array', { Q: 'abc', K, V }, '$.Q: expected a matrix (an array of rows), found "abc"'],
  ['empty matrix', { Q: [], K, V }, '$.Q: empty matrix (expected at least one row)'],
  ['row not an array', { Q: [[1, 0], 5, [1, 1]], K, V }, '$.Q[1]: expected a row (an array of numbers), found 5'],
  ['empty row', { Q: [[]], K, V }, '$.Q[0]: empty row (expected at least one number)'],
  [
    'ragged rows',
    {
      Q,
      K: [
        [1, 0],
        [0, 1, 2],
        [2, 1],
      ],
      V,
    },
    '$.K[1]: ragged rows: expected 2 numbers like row 0, found 3',
  ],
  ['non-number', { Q, K, V: [[1], ['2'], [3]] }, '$.V[1][0]: expected a number, found "2"'],
  ['null entry', { Q, K, V: [[1], [null], [3]] }, '$.V[1][0]: expected a number, found null'],
  [
    'out of float32 range',
    {
      Q: [
        [1, 0],
        [0, 1],
        [1, 1e39],
      ],
      K,
      V,
    },
    '$.Q[2][1]: expected a finite number, found 1e+39 (out of float32 range)',
  ],
  ['d_k mismatch', { Q, K: [[1], [2], [3]], V }, '$.K: expected 2 columns (d_k of Q), found 1'],
  ['V rows ≠ keys', { Q, K, V: [[1], [2]] }, '$.V: expected 3 rows (one per key in K), found 2'],
  ['W rows ≠ d_model', { X, W_Q: W, W_K: W.slice(0, 2), W_V: W }, '$.W_K: expected 3 rows (d_model of X), found 2'],
  [
    'W_K cols ≠ W_Q cols',
    { X, W_Q: W, W_K: [[1], [2], [3]], W_V: W },
    '$.W_K: expected 2 columns (d_k of W_Q), found 1',
  ],
  ['X without weights', { X }, '$: X needs W_Q, W_K and W_V, or heads'],
  [
    'both single and heads',
    { X, W_Q: W, W_K: W, W_V: W, heads: [] },
    '$.heads: give either W_Q/W_K/W_V (one head) or heads (multi-head), not both',
  ],
  ['heads not an array', { X, heads: {} }, '$.heads: expected a non-empty array of heads, found an object'],
  [
    'head missing W_V',
    {
      X,
      heads: [
        { W_Q: W, W_K: W, W_V: W },
        { W_Q: W, W_K: W },
      ],
    },
    '$.heads[1].W_V: missing (a head needs W_Q, W_K and W_V)',
  ],
  [
    'head with unknown field',
    { X, heads: [{ W_Q: W, W_K: W, W_V: W, b: 1 }] },
    '$.heads[0].b: unknown field (a head has W_Q, W_K, W_V and optionally b_Q, b_K, b_V)',
  ],
  [
    'bias length ≠ d_k',
    { X, W_Q: W, W_K: W, W_V: W, b_Q: [1, 2, 3] },
    '$.b_Q: expected 2 numbers (d_k, one per query feature), found 3',
  ],
  [
    'bias not an array',
    { X, heads: [{ W_Q: W, W_K: W, W_V: W, b_V: 1 }] },
    '$.heads[0].b_V: expected a vector (an array of 2 numbers, d_v, one per value feature), found 1',
  ],
  [
    'top-level bias with heads',
    { X, heads: [{ W_Q: W, W_K: W, W_V: W }], b_K: [0, 0] },
    '$.b_K: with heads, each head gives its own biases ($.heads[i].b_Q, …)',
  ],
  [
    'b_O without W_O',
    { X, heads: [{ W_Q: W, W_K: W, W_V: W }], b_O: [0, 0] },
    '$.b_O: b_O is the bias of W_O: give W_O with it',
  ],
  [
    'b_O length ≠ W_O columns',
    {
      X,
      heads: [{ W_Q: W, W_K: W, W_V: W }],
      W_O: [
        [1, 0, 0],
        [0, 1, 0],
      ],
      b_O: [0],
    },
    '$.b_O: expected 3 numbers (d_out, the output columns of W_O), found 1',
  ],
  [
    'unknown weight_layout',
    { X, W_Q: W, W_K: W, W_V: W, weight_layout: 'oi' },
    '$.weight_layout: expected "xw" (W is [in, out]: Q = X·W) or "linear" (nn.Linear\'s [out, in]: Q = X·Wᵀ), found "oi"',
  ],
  [
    'linear W columns ≠ d_model',
    {
      X,
      W_Q: [
        [1, 0, 0],
        [0, 1, 0],
      ],
      W_K: [
        [1, 0],
        [0, 1],
      ],
      W_V: [[1, 0, 0]],
      weight_layout: 'linear',
    },
    '$.W_K: expected 3 columns (d_model of X; weight_layout "linear" gives W as nn.Linear\'s [out, in]), found 2',
  ],
  [
    'linear W_K rows ≠ W_Q rows',
    {
      X,
      W_Q: [
        [1, 0, 0],
        [0, 1, 0],
      ],
      W_K: [[1, 0, 0]],
      W_V: [[1, 0, 0]],
      weight_layout: 'linear',
    },
    '$.W_K: expected 2 rows (d_k of W_Q; weight_layout "linear" gives W as nn.Linear\'s [out, in]), found 1',
  ],
  [
    'head W_K wrong rows',
    {
      X,
      heads: [
        { W_Q: W, W_K: W, W_V: W },
        {
          W_Q: W,
          W_K: [
            [1, 0],
            [0, 1],
          ],
          W_V: W,
        },
      ],
    },
    '$.heads[1].W_K: expected 3 rows (d_model of X), found 2',
  ],
  [
    'W_O rows ≠ Σd_v',
    { X, heads: [{ W_Q: W, W_K: W, W_V: W }], W_O: [[1]] },
    "$.W_O: expected 2 rows (the sum of the heads' d_v), found 1",
  ],
  ['W_O with a single head', { X, W_Q: W, W_K: W, W_V: W, W_O: W }, '$.W_O: W_O goes with heads (multi-head)'],
  ['scores 1-D', { scores: [1, 2] }, '$.scores: expected 2-D, 3-D scores (n×m or heads×n×m), found 1-D'],
  [
    'scores heads differ',
    {
      scores: [
        [[1, 2]],
        [
          [1, 2],
          [3, 4],
        ],
      ],
    },
    '$.scores[1]: expected 1×2 like the first matrix, found 2×2',
  ],
  ['d_k not an integer', { scores: Q, d_k: 2.5 }, '$.d_k: expected a positive integer (the key dimension), found 2.5'],
  ['sqrt without d_k', { scores: Q, scale: 'sqrt' }, '$.scale: "sqrt" needs the key dimension: add $.d_k'],
  [
    'attentions 5-D',
    { attentions: [[[[[1]]]]] },
    '$.attentions: expected 2-D, 3-D, 4-D attentions (n×m, heads×n×m or layers×heads×n×m), found 5-D',
  ],
  [
    'negative weight',
    {
      attentions: [
        [0.5, 0.5],
        [1.5, -0.5],
      ],
    },
    '$.attentions…[layer 0][head 0][1][1]: expected a weight ≥ 0 (attentions are post-softmax), found -0.5',
  ],
  [
    'scale on attentions',
    { attentions: [[1]], scale: 2 },
    '$.scale: attentions are post-softmax weights and cannot be re-scaled (give scores or Q/K/V to scale)',
  ],
  [
    'mask on attentions',
    { attentions: [[1]], mask: 'causal' },
    '$.mask: attentions are post-softmax weights; a mask can no longer apply (give scores or Q/K/V)',
  ],
  [
    'unknown mask word',
    { Q, K, V, mask: 'forward' },
    '$.mask: unknown mask "forward" (expected none, causal, anticausal or an 3×3 matrix of 0/1)',
  ],
  ['mask wrong shape', { Q, K, V, mask: [[1, 1, 1]] }, '$.mask: expected a 3×3 mask (queries × keys), found 1×3'],
  [
    'mask not 0/1',
    {
      Q,
      K,
      V,
      mask: [
        [1, 1, 1],
        [1, 0.5, 1],
        [1, 1, 1],
      ],
    },
    '$.mask[1][1]: expected 0 or 1 (1 = may attend), found 0.5',
  ],
  ['negative scale', { Q, K, V, scale: -1 }, '$.scale: expected "sqrt", "none" or a positive finite number, found -1'],
  ['zero scale', { Q, K, V, scale: 0 }, '$.scale: expected "sqrt", "none" or a positive finite number, found 0'],
  [
    'unknown scale word',
    { Q, K, V, scale: 'half' },
    '$.scale: expected "sqrt", "none" or a positive finite number, found "half"',
  ],
  ['token count', { Q, K, V, tokens: ['a', 'b'] }, '$.tokens: expected 3 tokens (one per query row), found 2'],
  ['token not a string', { Q, K, V, tokens: ['a', 2, 'c'] }, '$.tokens[1]: expected a string, found 2'],
  ['key token count', { Q, K, V, key_tokens: ['a'] }, '$.key_tokens: expected 3 tokens (one per key column), found 1'],
];

describe('JSON schema: every bad-input rule has a one-line error naming the path', () => {
  for (const [rule, doc, message] of BAD_INPUTS) {
    it(rule, () => {
      assert.throws(
        () => readAttentionInput(doc),
        (e: unknown) => {
          assert.ok(e instanceof InputError, `expected InputError, got ${e}`);
          assert.equal(e.message, message);
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
    });
  }

  it('a literal 1e400 (parsed as Infinity) is rejected', () => {
    assert.throws(() => parseAttentionJson('{"Q": [[1e400]], "K": [[1]], "V": [[1]]}'), {
      message: '$.Q[0][0]: expected a finite number, found Infinity (out of float32 range)',
    });
  });
  it('Python json.dump literals: -Infinity in scores is a masked cell; any other NaN/Infinity is named by path and byte offset', () => {
    const masked = parseAttentionJson('{"scores": [[0, -Infinity], [1, 2]]}');
    assert.equal(masked.form === 'scores' && masked.scores[0].data[1], -Infinity);
    assert.throws(() => parseAttentionJson('{"Q": [[1, NaN]], "K": [[1, 2]], "V": [[1]]}'), {
      message:
        '$.Q[0][1] (byte 11): expected a finite number, found NaN: NaN is not JSON (Python\'s json.dump writes it for float("nan")); a fully masked query\'s weights can be written as zeros',
    });
    assert.throws(() => parseAttentionJson('{"attentions": [[1, 0], [-Infinity, 1]]}'), {
      message:
        '$.attentions[1][0] (byte 25): expected a finite number, found -Infinity: -Infinity is read only in scores, as a masked cell',
    });
    assert.throws(() => parseAttentionJson('{"tokens": ["é"], "scores": [[Infinity]]}'), {
      message:
        '$.scores[0][0] (byte 31): expected a finite number, found Infinity: Infinity is not JSON (Python\'s json.dump writes it for float("inf")); only -Infinity in scores is read, as a masked cell',
    });
    // Strings that spell the literals are strings; a syntax error after a literal keeps its true offset.
    assert.equal(
      parseAttentionJson('{"tokens": ["NaN", "-Infinity"], "scores": [[1, 2], [3, -Infinity]]}').tokens?.[0],
      'NaN',
    );
    assert.throws(() => parseAttentionJson('{"scores": [[-Infinity, ]]}'), {
      message: '$ (byte 24): invalid JSON: expected a value, found "]"',
    });
  });
  it('JSON syntax errors name the byte offset', () => {
    assert.throws(
      () => parseAttentionJson('{"Q": [[1, ]]}'),
      (e: unknown) =>
        e instanceof InputError && /^\$ \(byte 11\): invalid JSON: expected a value, found "]"$/.test(e.message),
    );
    assert.throws(
      () => parseAttentionJson('{"é": [[1,}'),
      (e: unknown) => e instanceof InputError && /^\$ \(byte 11\): invalid JSON/.test(e.message),
    );
  });
  it('overrides that do not fit the input are named by their source', () => {
    assert.throws(() => inspect(readAttentionInput({ attentions: [[1]] }), { scale: 2, scaleSource: '--scale' }), {
      message: '--scale: the input is post-softmax attentions, which cannot be re-scaled (give scores or Q/K/V)',
    });
    assert.throws(() => inspect(readAttentionInput({ scores: [[1]] }), { scale: 'sqrt', scaleSource: '--scale' }), {
      message: '--scale: scale sqrt needs the key dimension, and these scores have no $.d_k',
    });
  });
});
