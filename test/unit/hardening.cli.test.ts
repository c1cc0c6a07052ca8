// Issue 17's failure classes against the built CLI, one describe per class: each hostile input gets
// exactly one `error:` line naming the file (or flag), the field or byte offset and the rule, exit
// code 2, nothing on stdout, no raw control characters, and it finishes inside a child-process
// timeout that kills a hang (no timed assertions). ATTENTION_CLI=/path/to/old/dist/cli.js runs the
// same tests against another build (on d1faa26, the main before the hardening, most of them fail).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { deflatedZeros, npy, safetensors, zip } from '../../scripts/hostileFiles.mjs';
import { type CliRun, runCli } from '../helpers/cli';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'i-go-home.json');

/** The one-line refusal: `error: <line>` and nothing else, exit 2, in time. */
function refused(r: CliRun, line: string | RegExp): void {
  assert.equal(r.timedOut, false, `killed at the time bound (a hang); stderr so far: ${r.stderr.slice(0, 200)}`);
  assert.doesNotMatch(r.stderr, /internal error|please report/);
  assert.equal(
    RAW_CONTROL.test(r.stderr.replace(/\n$/, '')),
    false,
    `raw control character in ${JSON.stringify(r.stderr)}`,
  );
  assert.equal(r.stderr.split('\n').length, 2, `expected one line, got ${JSON.stringify(r.stderr)}`);
  const message = r.stderr.replace(/\n$/, '');
  if (typeof line === 'string') assert.equal(message, `error: ${line}`);
  else assert.match(message, line);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
}

const softmaxRows = (n: number, m: number): Float32Array => new Float32Array(n * m).fill(1 / m);

let dir = '';
const at = (name: string): string => join(dir, name);
const put = (name: string, bytes: string | Buffer): string => (writeFileSync(at(name), bytes), at(name));
const fifo = (name: string): string => (execFileSync('mkfifo', [at(name)]), at(name));
/** JSON inputs are named by the path as given: run in the temp folder so the message says `NAME.json`. */
const inDir = { cwd: '' };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ai-hardening-'));
  inDir.cwd = dir;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const NOT_REGULAR = 'not a regular file (only regular files are read)';

describe('hardening: special files are refused before they are opened', () => {
  for (const ext of ['npy', 'safetensors', 'json']) {
    it(`a FIFO given as .${ext}`, () => {
      fifo(`pipe.${ext}`);
      refused(runCli(['compute', `pipe.${ext}`], inDir), `pipe.${ext}: is a FIFO (named pipe), ${NOT_REGULAR}`);
    });
  }
  it('a FIFO given as --tokens', () => {
    const good = put('good-tokens.npy', npy('<f4', [3, 3], softmaxRows(3, 3)));
    refused(
      runCli(['compute', good, '--tokens', fifo('tokens-pipe.json')]),
      `tokens-pipe.json: is a FIFO (named pipe), ${NOT_REGULAR}`,
    );
  });
  it('a FIFO as the sidecar NAME.tokens.json', () => {
    const file = put('sidecar.npy', npy('<f4', [3, 3], softmaxRows(3, 3)));
    fifo('sidecar.npy.tokens.json');
    refused(runCli(['compute', file]), `sidecar.npy.tokens.json: is a FIFO (named pipe), ${NOT_REGULAR}`);
  });
  it('a .json symlinked to /dev/zero (its size reads as 0, it never ends)', () => {
    symlinkSync('/dev/zero', at('zero.json'));
    refused(runCli(['compute', 'zero.json'], inDir), `zero.json: is a character device, ${NOT_REGULAR}`);
  });
  it('a token list on /dev/zero', () => {
    const good = put('good-zero.npy', npy('<f4', [3, 3], softmaxRows(3, 3)));
    refused(runCli(['compute', good, '--tokens', '/dev/zero']), `zero: is a character device, ${NOT_REGULAR}`);
  });
});

describe('hardening: every path checks its whole cost up front', () => {
  const qkv = (n: number): string =>
    JSON.stringify({
      Q: Array.from({ length: n }, () => [1]),
      K: Array.from({ length: n }, () => [1]),
      V: Array.from({ length: n }, () => [1]),
    });
  it('compute on a JSON document with n = 20000 queries', () => {
    put('n20000.json', qkv(20000));
    refused(
      runCli(['compute', 'n20000.json', '--summary'], inDir),
      'n20000.json: $.Q: 20000 query rows exceed the limit of 4096 tokens (flag --max-tokens)',
    );
  });
  it('--max-tokens 70000 (past the documented maximum of 65536)', () => {
    refused(
      runCli(['compute', '--text', 'a b', '--max-tokens', '70000']),
      '--max-tokens: 70000 exceeds the maximum of 65536 (the documented maximum of the token cap)',
    );
  });
  it('--text of 20000 tokens with --max-tokens 20000', () => {
    const words = Array.from({ length: 20000 }, (_, i) => `w${i}`).join(' ');
    refused(
      runCli(['compute', '--text', words, '--max-tokens', '20000', '--summary']),
      'text: 20000 queries × 20000 keys × 4 heads = 1600000000 attention cells exceed the limit of 201326592 cells computed at once (a fixed cap, about 3 GiB: give fewer tokens or heads)',
    );
  });
  it('--d-model 1000000000', () => {
    refused(
      runCli(['compute', '--text', 'a b', '--d-model', '1000000000']),
      "--d-model: 1000000000 exceeds the maximum of 4096 (the text model's cap, as in the extension's settings)",
    );
  });
  it('--heads 1000000', () => {
    refused(
      runCli(['compute', '--text', 'a b', '--heads', '1000000']),
      "--heads: 1000000 exceeds the maximum of 64 (the text model's cap, as in the extension's settings)",
    );
  });
});

describe('hardening: slow bombs are bounded in time', () => {
  const member = npy('<f4', [2, 2], softmaxRows(2, 2));
  it('an .npz whose central directory has 100 000 entries pointing at one member', () => {
    const file = put('entries.npz', zip([{ name: 'a.npy', bytes: member }], { repeatFirst: 100_000 }));
    refused(
      runCli(['info', file]),
      /^error: entries\.npz: byte \d+: 100001 archive members exceed the limit of 65536 members \(a fixed cap\)$/,
    );
  });
  it('an .npz with a few entries pointing at one member', () => {
    const file = put('overlap.npz', zip([{ name: 'a.npy', bytes: member }], { repeatFirst: 3 }));
    refused(
      runCli(['compute', file]),
      /^error: overlap\.npz: byte \d+: member "copy\d\.npy" at byte 0 overlaps member "(a|copy\d)\.npy" \(bytes 0–\d+\): members may not share data$/,
    );
  });
  describe('an 8 MB .npz inflating to 8 GiB', () => {
    let file = '';
    before(() => {
      const header = npy('<f4', [128, 4096, 4096], new Float32Array(0));
      const size = header.length + 128 * 4096 * 4096 * 4;
      file = put(
        'inflate.npz',
        zip([
          {
            name: 'attn.npy',
            bytes: null,
            compressed: deflatedZeros(header, size - header.length),
            size,
            crc: 0,
            deflate: true,
          },
        ]),
      );
    });
    const limit =
      /deflated member "attn\.npy" declares 8589934720 bytes from \d+ \(\d+:1\), over the 200:1 inflation limit \(a fixed cap against zip bombs; save with np\.savez, uncompressed, to read it\)/;
    it('info lists the member from its header and names the limit, without inflating it', () => {
      const r = runCli(['info', file]);
      assert.equal(r.timedOut, false);
      assert.equal(r.code, 0, r.stderr);
      const info = JSON.parse(r.stdout);
      assert.deepEqual(
        info.tensors.map((t: { name: string; shape: number[]; dtype: string; compressed: boolean }) => [
          t.name,
          t.shape,
          t.dtype,
          t.compressed,
        ]),
        [['attn', [128, 4096, 4096], '<f4', true]],
      );
      assert.match(info.problem, limit);
    });
    it('compute refuses it', () => {
      refused(runCli(['compute', file, '--summary']), new RegExp(`^error: inflate\\.npz: byte \\d+: ${limit.source}$`));
    });
  });
  it('a safetensors header with 10^6 tensors', () => {
    const tiny = Array.from(
      { length: 1_000_000 },
      (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`,
    ).join(',');
    const file = put('tensors.safetensors', safetensors([], null, { headerText: `{${tiny}}` }));
    refused(
      runCli(['info', file]),
      'tensors.safetensors: byte 8: header holds 1000000 objects (tensor entries), over the limit of 65536 tensors in one file (a fixed cap)',
    );
  });
});

describe('hardening: no input reaches the internal-error path', () => {
  it('an 8 MB JSON string with escapes, then a syntax error', () => {
    put('long-string.json', `{"Q": "${'ab\\u0041'.repeat(1_000_000)}" x`);
    refused(
      runCli(['compute', 'long-string.json'], inDir),
      `long-string.json: $ (byte 8000009): invalid JSON: expected ',' or '}', found "x"`,
    );
  });
  it('a text just past the token maximum (the typed-array length case)', () => {
    refused(
      runCli([
        'compute',
        '--text',
        'a'.repeat(66000),
        '--tokenizer',
        'characters',
        '--max-tokens',
        '70000',
        '--summary',
      ]),
      '--max-tokens: 70000 exceeds the maximum of 65536 (the documented maximum of the token cap)',
    );
  });
  it('mutated files: a result or one error line, never "please report this" (fast-check)', function () {
    this.timeout(60_000);
    const seeds: [string, Buffer][] = [
      ['m.npy', npy('<f4', [2, 3, 3], softmaxRows(6, 3))],
      ['m.safetensors', safetensors([['attn', 'F32', [2, 3, 3], softmaxRows(6, 3)]], { tokens: '["a","b","c"]' })],
      ['m.npz', zip([{ name: 'attn.npy', bytes: npy('<f4', [2, 3, 3], softmaxRows(6, 3)), deflate: true }])],
      [
        'm.json',
        Buffer.from(
          JSON.stringify({
            Q: [
              [1, 0],
              [0, 1],
            ],
            K: [
              [1, 0],
              [0, 1],
            ],
            V: [[1], [2]],
            tokens: ['a', 'b'],
          }),
        ),
      ],
    ];
    const edit = fc.record({
      at: fc.nat(),
      byte: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x1b, 0x22, 0x7b, 0x5b, 0x30, 0x2d),
    });
    let n = 0;
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (which, edits, info) => {
          const [name, bytes] = seeds[which];
          const copy = Buffer.from(bytes);
          for (const e of edits) copy[e.at % copy.length] = e.byte;
          const file = put(`mut${n++}-${name}`, copy);
          const r = runCli(info && !name.endsWith('.json') ? ['info', file] : ['compute', file, '--summary']);
          assert.equal(r.timedOut, false);
          assert.doesNotMatch(r.stderr, /internal error|please report|\n\s+at /);
          assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}`);
          if (r.code === 2) assert.match(r.stderr, /^error: [^\n]+\n$/);
        },
      ),
      { numRuns: 24, seed: 17 },
    );
  });
});

describe('hardening: wrong values are refused by position, never shown with exit 0', () => {
  it('NaN in a weights head and row that meaning detection does not sample', () => {
    const heads = softmaxRows(4 * 20, 20);
    heads[2 * 400 + 7 * 20 + 3] = NaN;
    refused(
      runCli(['compute', put('nan-weights.npy', npy('<f4', [4, 20, 20], heads)), '--summary']),
      'layer 0 head 2: at query 7, key 3 the weight is NaN: post-softmax weights must be finite and ≥ 0 (pass --meaning scores if these are logits) (nan-weights.npy: tensor "nan-weights")',
    );
  });
  it('a negative weight in an unsampled head and row', () => {
    const heads = softmaxRows(4 * 20, 20);
    heads[2 * 400 + 5 * 20 + 1] = -0.5;
    heads[2 * 400 + 5 * 20 + 2] += 0.5;
    refused(
      runCli(['compute', put('negative-weights.npy', npy('<f4', [4, 20, 20], heads)), '--summary']),
      'layer 0 head 2: at query 5, key 1 the weight is -0.5: post-softmax weights must be finite and ≥ 0 (pass --meaning scores if these are logits) (negative-weights.npy: tensor "negative-weights")',
    );
  });
  it('NaN in a Q row (it used to look like a masked row)', () => {
    const kv = new Float32Array([1, 0, 0, 1, 1, 1]);
    const file = put(
      'nan-q.safetensors',
      safetensors([
        ['q', 'F32', [3, 2], new Float32Array([1, 0, NaN, 1, 0, 1])],
        ['k', 'F32', [3, 2], kv],
        ['v', 'F32', [3, 2], kv],
      ]),
    );
    refused(
      runCli(['compute', file, '--summary']),
      'layer 0 head 0: Q row 1, column 0 is NaN: inputs must be finite numbers (nan-q.safetensors: tensor "{q,k,v}")',
    );
  });
  it('"scale": 3e38 overflows the scores (they used to read as masked)', () => {
    put(
      'scale.json',
      JSON.stringify({
        Q: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        K: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        V: [[1], [2], [3]],
        scale: 3e38,
      }),
    );
    refused(
      runCli(['compute', 'scale.json'], inDir),
      'scale.json: $.Q: at query 0, key 1 the scaled score 2 × 3e+38 overflows float32 (|score| > 3.4e38): use a smaller scale',
    );
  });
});

describe('hardening: lost output is an error', () => {
  it('compute > /dev/full', () => {
    const full = openSync('/dev/full', 'w');
    try {
      refused(runCli(['compute', EXAMPLE], { stdoutFd: full }), 'cannot write the output to stdout (ENOSPC)');
    } finally {
      closeSync(full);
    }
  });
  it('report -o on a full device', () => {
    refused(runCli(['report', EXAMPLE, '-o', '/dev/full']), '/dev/full: cannot write (ENOSPC)');
  });
});

describe('hardening: control characters in names are escaped, never printed raw', () => {
  const nasty = 'x\u001b]0;pwned\u0007\u001b[2J\u000b\u000c\u0085y';
  const shown = 'x\\u001b]0;pwned\\u0007\\u001b[2J\\u000b\\u000c\\u0085y';
  it('a JSON key with ESC, BEL, \\v, \\f and U+0085', () => {
    put('key.json', `{${JSON.stringify(nasty)}: 1}`);
    refused(
      runCli(['compute', 'key.json'], inDir),
      `key.json: $.${shown}: unknown field (expected Q/K/V, X with W_Q/W_K/W_V or heads, scores, attentions, and optionally tokens, key_tokens, mask, scale)`,
    );
  });
  it('a safetensors metadata key', () => {
    const header = JSON.stringify({
      __metadata__: { [nasty]: 7 },
      m: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    });
    refused(
      runCli(['info', put('meta.safetensors', safetensors([], null, { headerText: header }))]),
      `meta.safetensors: byte 8: __metadata__.${shown} is not a string`,
    );
  });
  it('a tensor name', () => {
    const file = put('name.safetensors', safetensors([[nasty, 'F32', [2, 2], softmaxRows(2, 2)]]));
    refused(
      runCli(['compute', file, '--tensor', 'missing']),
      `name.safetensors: tensor "missing": not found; candidates: ${shown}: [2, 2] F32`,
    );
  });
  it('a file name', () => {
    put(`f${nasty}.json`, '{');
    refused(
      runCli(['compute', `f${nasty}.json`], inDir),
      `f${shown}.json: $ (byte 1): invalid JSON: expected a quoted key, found end of input`,
    );
  });
});

describe('hardening: messages name the rule that was broken', () => {
  it('an .npy shape of 2^62 is over the element cap (it was "not a non-negative integer")', () => {
    const file = put('huge-shape.npy', npy('<f4', [], new Float32Array(0), { rawShape: `(${2n ** 62n},)` }));
    refused(
      runCli(['info', file]),
      "huge-shape.npy: byte 10: 'shape' has 4611686018427387904 elements along axis 0, over the 68719476736-element limit of one tensor (a fixed cap)",
    );
  });
  const good = (): string => put('tokens-target.npy', npy('<f4', [3, 3], softmaxRows(3, 3)));
  it('a token list that is missing', () => {
    refused(
      runCli(['compute', good(), '--tokens', at('none.tokens.json')]),
      'none.tokens.json: cannot read token list: no such file (ENOENT)',
    );
  });
  it('a token list that is not a list of strings', () => {
    refused(
      runCli(['compute', good(), '--tokens', put('bad.tokens.json', '{"a": 1}')]),
      'bad.tokens.json: token list is not a JSON list of strings',
    );
  });
  it('a token list of the wrong length', () => {
    refused(
      runCli(['compute', good(), '--tokens', put('short.tokens.json', '["a", "b"]')]),
      'tokens-target.npy: tensor "tokens-target": 2 tokens but the maps have 3 queries × 3 keys',
    );
  });
});
