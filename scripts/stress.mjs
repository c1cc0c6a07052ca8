#!/usr/bin/env node
// Hostile inputs against the built CLI (dist/cli.js), each run in its own process under a time and
// memory bound: special files (FIFOs, devices, symlinks to them), caps ± 1, decompression and header
// bombs, values that must not be shown (NaN, overflow), lost output, terminal escapes in names,
// misleading messages, and mutated files that must never reach the "please report this" path.
// Each case states what must happen: the exit code, a pattern the one stderr line must match (or
// must not), and every case must finish under --case-s seconds and --rss-mb of peak RSS.
//   npm run test:stress                 the CI set (under two minutes)
//   npm run test:stress -- --full       adds more mutated files (--mutations N, --seed S)
// Prints one line per failure and, last and alone, `N passed, M failed`.
import { spawn } from 'node:child_process';
import { setInterval, clearInterval } from 'node:timers';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflatedZeros, npy, safetensors, zip } from './hostileFiles.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(args[i + 1]);
};
const FULL = args.includes('--full');
const CASE_S = flag('case-s', 10);
const RSS_MB = flag('rss-mb', 1024);
const MUTATIONS = flag('mutations', FULL ? 400 : 40);
let seed = flag('seed', 20261202) >>> 0;
const VERBOSE = args.includes('--verbose');

if (!existsSync(CLI)) {
  console.error('error: dist/cli.js is missing (run npm run build)');
  process.exit(2);
}

// ---- the runner ------------------------------------------------------------------------------

function random() {
  // mulberry32: a fixed seed makes every CI run the same.
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Runs the CLI with a wall-clock and an RSS bound (polled from /proc); resolves with what happened. */
function run(argv, { stdout = 'pipe', cwd } = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...argv], { cwd, stdio: ['ignore', stdout, 'pipe'] });
    let err = '';
    let outBytes = 0;
    let peak = 0;
    let killed = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => (err += c));
    child.stdout?.on('data', (c) => (outBytes += c.length));
    const poll = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
        peak = Math.max(peak, hwm);
        if (hwm > RSS_MB * 1024 * 1024 && !killed) {
          killed = `over ${RSS_MB} MB`;
          child.kill('SIGKILL');
        }
      } catch {
        // the process has exited
      }
    }, 50);
    const timer = setTimeout(() => {
      killed = `over ${CASE_S} s`;
      child.kill('SIGKILL');
    }, CASE_S * 1000);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        code,
        signal,
        err,
        outBytes,
        killed,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        rssMb: peak / 1048576,
      });
    });
  });
}

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const results = [];
/** One case: argv, and what must hold: `code` (default 2, or 'any' of 0 and 2), `error` (a pattern stderr must match), `not`. */
async function check(name, argv, expect = {}) {
  const r = await run(argv, expect);
  const problems = [];
  // `code: 'any'` (mutated files): a clean success or a clean refusal, nothing else.
  const anyCode = expect.code === 'any';
  const code = anyCode ? (r.code === 0 ? 0 : 2) : (expect.code ?? 2);
  if (r.killed) problems.push(`killed: ${r.killed}`);
  else if (r.code !== code) problems.push(`exit ${r.code ?? r.signal}, expected ${anyCode ? '0 or 2' : code}`);
  if (/internal error|please report|\n\s+at /.test(r.err)) problems.push('internal error or stack trace');
  if (RAW_CONTROL.test(r.err.replace(/\n/g, ''))) problems.push('raw control character on stderr');
  if (code === 2 && !r.killed && !/^error: /m.test(r.err)) problems.push('no error line');
  if (code === 2 && r.err.split('\n').filter((l) => l.startsWith('error:')).length > 1)
    problems.push('more than one error line');
  if (expect.error && !expect.error.test(r.err)) problems.push(`stderr does not match ${expect.error}`);
  if (expect.not && expect.not.test(r.err)) problems.push(`stderr matches ${expect.not}`);
  if (r.seconds > CASE_S) problems.push(`took ${r.seconds.toFixed(1)} s`);
  if (r.rssMb > RSS_MB) problems.push(`peak RSS ${r.rssMb.toFixed(0)} MB`);
  results.push({ name, ok: problems.length === 0, seconds: r.seconds, rssMb: r.rssMb });
  if (problems.length)
    console.log(`FAIL ${name}: ${problems.join('; ')}\n     stderr: ${JSON.stringify(r.err.slice(0, 300))}`);
  else if (VERBOSE) console.log(`ok   ${name} (${r.seconds.toFixed(2)} s, ${r.rssMb.toFixed(0)} MB)`);
}

// ---- the cases ---------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'ai-stress-'));
const at = (name) => join(dir, name);
const put = (name, bytes) => {
  writeFileSync(at(name), bytes);
  return at(name);
};
const f32 = (values) => new Float32Array(values);
const softmaxRows = (n, m) => f32(Array.from({ length: n * m }, () => 1 / m));

async function main() {
  const fifo = (name) => {
    execFileSync('mkfifo', [at(name)]);
    return at(name);
  };
  const good = put('good.npy', npy('<f4', [2, 3, 3], softmaxRows(6, 3)));

  // Special files: a FIFO blocks open(); a device reports size 0 and never ends.
  for (const ext of ['npy', 'npz', 'safetensors']) {
    await check(`FIFO as .${ext} (compute)`, ['compute', fifo(`pipe.${ext}`)], { error: /not a regular file/ });
    await check(`FIFO as .${ext} (info)`, ['info', at(`pipe.${ext}`)], { error: /not a regular file/ });
  }
  await check('FIFO as .json (compute)', ['compute', fifo('pipe.json')], { error: /not a regular file/ });
  await check('FIFO as .json (report)', ['report', at('pipe.json'), '-o', at('out.html')], {
    error: /not a regular file/,
  });
  await check('FIFO as --tokens', ['compute', good, '--tokens', fifo('tokens-pipe.json')], {
    error: /not a regular file/,
  });
  put('sidecar.npy', npy('<f4', [3, 3], softmaxRows(3, 3)));
  fifo('sidecar.npy.tokens.json');
  await check('FIFO as the sidecar NAME.tokens.json', ['compute', at('sidecar.npy')], { error: /not a regular file/ });
  symlinkSync('/dev/zero', at('zero.json'));
  symlinkSync('/dev/zero', at('zero.npy'));
  symlinkSync('/dev/zero', at('zero.tokens.json'));
  await check('.json symlinked to /dev/zero (compute)', ['compute', at('zero.json')], { error: /character device/ });
  await check('.json symlinked to /dev/zero (report)', ['report', at('zero.json'), '-o', at('out.html')], {
    error: /character device/,
  });
  await check('.npy symlinked to /dev/zero', ['info', at('zero.npy')], { error: /character device/ });
  await check('--tokens /dev/zero', ['compute', good, '--tokens', '/dev/zero'], { error: /character device/ });
  await check('--tokens a directory', ['compute', good, '--tokens', dir], { error: /directory/ });
  await check('.json that is a directory', ['compute', `${dir}/`.replace(/\/$/, '.json')], { error: /no such file/ });

  // Caps: every path checks the whole cost up front, and the limit itself is accepted.
  const qkv = (n) =>
    JSON.stringify({
      Q: Array.from({ length: n }, () => [1]),
      K: Array.from({ length: n }, () => [1]),
      V: Array.from({ length: n }, () => [1]),
    });
  put('n20000.json', qkv(20000));
  put('n4096.json', qkv(4096));
  put('n4097.json', qkv(4097));
  await check('compute JSON with n = 20000 (token cap)', ['compute', at('n20000.json')], {
    error: /20000 query rows exceed the limit of 4096 .*--max-tokens/,
  });
  await check('compute JSON with n = 4097 (cap + 1)', ['compute', at('n4097.json'), '--summary'], {
    error: /4097 query rows exceed the limit of 4096/,
  });
  await check('compute JSON with n = 4096 (at the cap, 1 head)', ['compute', at('n4096.json'), '--summary'], {
    code: 0,
  });
  await check('report JSON with n = 20000', ['report', at('n20000.json'), '-o', at('out.html')], {
    error: /exceed the limit of 4096/,
  });
  await check('--max-tokens 70000', ['compute', '--text', 'a b', '--max-tokens', '70000'], {
    error: /--max-tokens: 70000 exceeds the maximum of 65536/,
  });
  await check('--max-tokens 65537 (maximum + 1)', ['compute', '--text', 'a b', '--max-tokens', '65537'], {
    error: /maximum of 65536/,
  });
  await check('--max-tokens 65536 (the maximum)', ['compute', '--text', 'a b', '--max-tokens', '65536', '--summary'], {
    code: 0,
  });
  const words = (n) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
  await check(
    '--text of 20000 tokens with --max-tokens 20000',
    ['compute', '--text', words(20000), '--max-tokens', '20000', '--summary'],
    { error: /attention cells exceed the limit/ },
  );
  await check(
    '--text of 101 tokens, --max-tokens 100 (cap + 1)',
    ['compute', '--text', words(101), '--max-tokens', '100', '--summary'],
    { error: /101 tokens exceed the limit of 100/ },
  );
  await check(
    '--text of 100 tokens, --max-tokens 100 (at the cap)',
    ['compute', '--text', words(100), '--max-tokens', '100', '--summary'],
    { code: 0 },
  );
  await check('--d-model 1000000000', ['compute', '--text', 'a b', '--d-model', '1000000000'], {
    error: /--d-model: 1000000000 exceeds the maximum of 4096/,
  });
  await check('--d-model 4097 (maximum + 1)', ['compute', '--text', 'a b', '--d-model', '4097'], {
    error: /maximum of 4096/,
  });
  await check('--d-model 4096 (the maximum)', ['compute', '--text', 'a b', '--d-model', '4096', '--summary'], {
    code: 0,
  });
  await check('--heads 1000000', ['compute', '--text', 'a b', '--heads', '1000000'], {
    error: /--heads: 1000000 exceeds the maximum of 64/,
  });
  await check('--heads 64 (the maximum)', ['compute', '--text', 'a b', '--heads', '64', '--summary'], { code: 0 });
  await check('--d-k 1025', ['compute', '--text', 'a b', '--d-k', '1025'], { error: /maximum of 1024/ });
  const manyHeads = JSON.stringify({
    X: Array.from({ length: 2048 }, () => [1]),
    heads: Array.from({ length: 64 }, () => ({ W_Q: [[1]], W_K: [[1]], W_V: [[1]] })),
  });
  put('heads-bomb.json', manyHeads);
  await check('JSON: 2048 tokens × 64 tiny heads (dense cost)', ['compute', at('heads-bomb.json'), '--summary'], {
    error: /attention cells exceed the limit/,
  });

  // Slow bombs: entries, tensors, inflation.
  const member = npy('<f4', [2, 2], softmaxRows(2, 2));
  put('entries.npz', zip([{ name: 'a.npy', bytes: member }], { repeatFirst: 100000 }));
  await check('.npz with 100 000 entries pointing at one member (info)', ['info', at('entries.npz')], {
    error: /members exceed the limit|overlaps/,
  });
  put('overlap.npz', zip([{ name: 'a.npy', bytes: member }], { repeatFirst: 50 }));
  await check('.npz with 50 entries pointing at one member', ['compute', at('overlap.npz')], {
    error: /overlaps member/,
  });
  const bombShape = [128, 4096, 4096];
  const bombHeader = npy('<f4', bombShape, new Float32Array(0));
  const bombSize = bombHeader.length + 128 * 4096 * 4096 * 4;
  const bombData = deflatedZeros(bombHeader, bombSize - bombHeader.length);
  put(
    'inflate.npz',
    zip([{ name: 'attn.npy', bytes: null, compressed: bombData, size: bombSize, crc: 0, deflate: true }]),
  );
  // info lists the member from its header (inflating a few bytes) and names the limit as the problem.
  await check(
    `.npz of ${(bombData.length / 1e6).toFixed(1)} MB inflating to ${(bombSize / 2 ** 30).toFixed(2)} GiB (info)`,
    ['info', at('inflate.npz')],
    { code: 0 },
  );
  await check('the same .npz (compute)', ['compute', at('inflate.npz'), '--summary'], { error: /inflation limit/ });
  const tiny = Array.from(
    { length: 1_000_000 },
    (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`,
  ).join(',');
  put('tensors.safetensors', safetensors([], null, { headerText: `{${tiny}}` }));
  await check('safetensors header with 10^6 tiny tensors', ['info', at('tensors.safetensors')], {
    error: /over the limit of 65536 tensors/,
  });

  // Internal errors: none may reach "please report this".
  put('long-string.json', `{"Q": "${'ab\\u0041'.repeat(1_000_000)}" x`);
  await check('8 MB JSON string with escapes, then a syntax error', ['compute', at('long-string.json')], {
    error: /invalid JSON: expected ',' or '}'/,
  });
  put('deep.json', '['.repeat(200000));
  await check('JSON nested 200 000 deep', ['compute', at('deep.json')], { error: /invalid JSON/ });

  // Values that are wrong must be refused or flagged, never shown with exit 0.
  const heads = softmaxRows(4 * 20, 20);
  heads[2 * 400 + 7 * 20 + 3] = NaN; // head 2 (not sampled), row 7 (not sampled)
  put('nan-weights.npy', npy('<f4', [4, 20, 20], heads));
  await check(
    'NaN in a weights head and row detection did not sample',
    ['compute', at('nan-weights.npy'), '--summary'],
    { error: /layer 0 head 2: at query 7, key 3 the weight is NaN/ },
  );
  const negative = softmaxRows(4 * 20, 20);
  negative[2 * 400 + 5 * 20 + 1] = -0.5;
  negative[2 * 400 + 5 * 20 + 2] += 0.5;
  put('negative-weights.npy', npy('<f4', [4, 20, 20], negative));
  await check('negative weight where detection did not sample', ['compute', at('negative-weights.npy'), '--summary'], {
    error: /head 2: at query 5, key 1 the weight is -0\.5/,
  });
  const masked = softmaxRows(3, 3);
  masked.fill(NaN, 3, 6);
  put('empty-row-attn.npy', npy('<f4', [1, 3, 3], masked));
  await check(
    'an all-NaN weights row is a masked row (noted)',
    ['compute', at('empty-row-attn.npy'), '--meaning', 'weights', '--summary'],
    { code: 0, error: /fully masked query rows.*layer 0 head 0: 1 \(1\)/ },
  );
  const q = f32([1, 0, NaN, 1, 0, 1]);
  const kv = f32([1, 0, 0, 1, 1, 1]);
  put(
    'nan-q.safetensors',
    safetensors([
      ['q', 'F32', [3, 2], q],
      ['k', 'F32', [3, 2], kv],
      ['v', 'F32', [3, 2], kv],
    ]),
  );
  await check('NaN in a Q row', ['compute', at('nan-q.safetensors'), '--summary'], {
    error: /Q row 1, column 0 is NaN/,
  });
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
  await check('"scale": 3e38 overflows the scores', ['compute', at('scale.json')], { error: /overflows float32/ });
  await check('--scale 1e300', ['compute', at('scale.json'), '--scale', '1e300'], { error: /scale/ });
  const hfMask = f32([0.5, -3.4028234663852886e38, 0.25, 1]);
  put('hf-min-scores.npy', npy('<f4', [1, 2, 2], hfMask));
  await check(
    'finfo(float32).min in scores is a masked cell',
    ['compute', at('hf-min-scores.npy'), '--meaning', 'scores'],
    { code: 0 },
  );
  put('inf-scores.npy', npy('<f4', [1, 2, 2], f32([0.5, Infinity, 0.25, 1])));
  await check('+∞ in scores is refused by position', ['compute', at('inf-scores.npy'), '--meaning', 'scores'], {
    error: /at query 0, key 1 the score is \+Infinity/,
  });

  // Output lost: a write error is an error.
  const example = join(ROOT, 'examples', 'i-go-home.json');
  const { openSync, closeSync } = await import('node:fs');
  const full = openSync('/dev/full', 'w');
  await check('compute > /dev/full', ['compute', example], { stdout: full, error: /cannot write the output.*ENOSPC/ });
  await check('compute tensor file > /dev/full', ['compute', join(ROOT, 'examples', 'gpt-style-attention.npy')], {
    stdout: full,
    error: /cannot write the output.*ENOSPC/,
  });
  closeSync(full);
  await check('report -o /dev/full', ['report', example, '-o', '/dev/full'], { error: /cannot write \(ENOSPC\)/ });

  // Terminal escapes: every user-controlled string in a message is escaped.
  const nasty = 'x\u001b]0;pwned\u0007\u001b[2J\u001b[31m\u000b\u000c\u0085y';
  put('key.json', `{${JSON.stringify(nasty)}: 1}`);
  await check('JSON key with ESC, BEL, \\v, \\f, U+0085', ['compute', at('key.json')], { error: /\\u001b/ });
  put(
    'meta.safetensors',
    safetensors(
      [['m', 'F32', [2, 2], softmaxRows(2, 2)]],
      { [nasty]: 7 },
      {
        headerText: JSON.stringify({
          __metadata__: { [nasty]: 7 },
          m: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        }),
      },
    ),
  );
  await check('safetensors metadata key with ESC', ['info', at('meta.safetensors')], { error: /\\u001b/ });
  put('name.safetensors', safetensors([[nasty, 'F32', [2, 2], softmaxRows(2, 2)]]));
  await check('tensor name with ESC (--tensor)', ['compute', at('name.safetensors'), '--tensor', 'missing'], {
    error: /\\u001b|\\u0007/,
  });
  const nastyFile = put(`f\u001b[2Jile\u0007.json`, '{');
  await check('file name with ESC and BEL', ['compute', nastyFile], { error: /\\u001b\[2J/ });

  // Messages that name the rule.
  put('huge-shape.npy', npy('<f4', [], new Float32Array(0), { rawShape: `(${2n ** 62n},)` }));
  await check('.npy shape of 2^62', ['info', at('huge-shape.npy')], {
    error: /4611686018427387904 elements.*over the 68719476736-element limit/,
    not: /not a non-negative integer/,
  });
  await check('token list that is not a list', ['compute', good, '--tokens', put('bad-tokens.json', '{"a": 1}')], {
    error: /not a JSON list of strings/,
  });
  await check('token list that is missing', ['compute', good, '--tokens', at('none.json')], {
    error: /cannot read token list: no such file \(ENOENT\)/,
  });

  // Mutated files: only one-line errors (or success), never an internal error.
  const seeds = [
    ['m.npy', npy('<f4', [2, 3, 3], softmaxRows(6, 3))],
    ['m.safetensors', safetensors([['attn', 'F32', [2, 3, 3], softmaxRows(6, 3)]], { tokens: '["a","b","c"]' })],
    [
      'm.npz',
      zip([
        { name: 'attn.npy', bytes: npy('<f4', [2, 3, 3], softmaxRows(6, 3)), deflate: true },
        { name: 'q.npy', bytes: npy('<f4', [3, 2], q) },
      ]),
    ],
    ['m.json', Buffer.from(readFileSync(example))],
  ];
  for (let i = 0; i < MUTATIONS; i++) {
    const [name, bytes] = seeds[i % seeds.length];
    const copy = Buffer.from(bytes);
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const p = Math.floor(random() * copy.length);
      const kind = random();
      if (kind < 0.5) copy[p] = Math.floor(random() * 256);
      else if (kind < 0.75) copy[p] = [0x00, 0xff, 0x7f, 0x80, 0x1b, 0x22, 0x7b][Math.floor(random() * 7)];
      else
        copy.writeUInt32LE([0, 0xffffffff, 0x7fffffff, 65536][Math.floor(random() * 4)], Math.min(p, copy.length - 4));
    }
    const cut = random() < 0.1 ? Math.floor(random() * copy.length) : copy.length;
    const file = put(`mut${i}-${name}`, copy.subarray(0, cut));
    const command = name.endsWith('.json') || random() < 0.5 ? 'compute' : 'info';
    await check(
      `mutation ${i} of ${name} (${command})`,
      [command, file, ...(command === 'compute' ? ['--summary'] : [])],
      { code: 'any' },
    );
  }
}

const started = Date.now();
try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const failed = results.filter((r) => !r.ok).length;
const worstTime = results.reduce((a, r) => (r.seconds > a.seconds ? r : a), results[0]);
const worstRss = results.reduce((a, r) => (r.rssMb > a.rssMb ? r : a), results[0]);
console.log(
  `${results.length} cases in ${((Date.now() - started) / 1000).toFixed(0)} s; worst time ${worstTime.seconds.toFixed(2)} s (${worstTime.name}); worst peak RSS ${worstRss.rssMb.toFixed(0)} MB (${worstRss.name})`,
);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
