// Issue 17 on the VS Code side: Workspace Tensor Files lists regular files only (by stat, over real
// FIFOs, devices, symlinks and folders), the panel refuses what the caps refuse (the same limits
// module and wording as the CLI), and every notification escapes what the user controls.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeControl, oneLineMessage, InputError } from '../../src/core/errors';
import { DEFAULT_LIMITS, limitError, resolveLimits } from '../../src/core/limits';
import { openSource } from '../../src/node/openSource';
import { FILE_TYPE, inMemoryRefusal, isRegularFileType, keepRegularFiles } from '../../src/vscode/fileChecks';
import { npy } from '../../scripts/hostileFiles.mjs';

/**
 * The type VS Code's disk file system provider reports (DiskFileSystemProvider.stat): lstat, follow
 * a symlink with stat, File or Directory or else Unknown, plus SymbolicLink for a link. Stat only.
 */
async function vscodeStatType(path: string): Promise<number> {
  const link = lstatSync(path).isSymbolicLink();
  const target = statSync(path);
  const type = target.isFile() ? FILE_TYPE.File : target.isDirectory() ? FILE_TYPE.Directory : FILE_TYPE.Unknown;
  return type | (link ? FILE_TYPE.SymbolicLink : 0);
}

describe('hardening (VS Code): Workspace Tensor Files lists regular files only', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-trees-'));
    writeFileSync(join(dir, 'real.npy'), npy('<f4', [2, 2], new Float32Array(4).fill(0.5)));
    symlinkSync(join(dir, 'real.npy'), join(dir, 'link-to-real.npy'));
    execFileSync('mkfifo', [join(dir, 'pipe.npy')]);
    symlinkSync('/dev/zero', join(dir, 'zero.safetensors'));
    mkdirSync(join(dir, 'folder.npz'));
    symlinkSync(join(dir, 'gone.npy'), join(dir, 'dangling.npy'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps regular files and links to them; drops a FIFO, a link to /dev/zero, a folder and a dangling link, without opening any', async () => {
    // A FIFO that were opened would block this test until mocha's timeout.
    const names = readdirSync(dir).sort();
    const kept = await keepRegularFiles(names, (n) => vscodeStatType(join(dir, n)));
    assert.deepEqual(kept, ['link-to-real.npy', 'real.npy']);
  });
  it('reads VS Code FileType bits: File, File|SymbolicLink; not Unknown, Directory, SymbolicLink alone', () => {
    assert.deepEqual([0, 1, 2, 64, 65, 66].map(isRegularFileType), [false, true, false, false, true, false]);
  });
});

describe('hardening (VS Code): the panel refuses what the caps refuse', () => {
  it('a file read into memory past maxFileBytesInMemory gets the limits module line, naming the setting', () => {
    const refusal = inMemoryRefusal('remote.npz', 600 * 1024 * 1024, {});
    assert.ok(refusal instanceof InputError);
    assert.equal(
      refusal.message,
      'remote.npz: 629145600 bytes exceed the limit of 536870912 bytes read into memory (setting attentionInspector.limits.maxFileBytesInMemory)',
    );
    assert.equal(
      refusal.message,
      limitError('remote.npz', '629145600 bytes', 'maxFileBytesInMemory', DEFAULT_LIMITS, 'bytes read into memory')
        .message,
    );
    assert.equal(inMemoryRefusal('remote.npz', 512 * 1024 * 1024, {}), null);
    assert.equal(
      inMemoryRefusal('remote.npz', 2048, { maxFileBytesInMemory: 1024 })?.message,
      'remote.npz: 2048 bytes exceed the limit of 1024 bytes read into memory (setting attentionInspector.limits.maxFileBytesInMemory)',
    );
  });
  it('a JSON input of 4097 queries is refused at the token cap, naming the setting', async () => {
    const rows = Array.from({ length: 4097 }, () => [1]);
    await assert.rejects(
      openSource({ kind: 'json', json: JSON.stringify({ Q: rows, K: rows, V: rows }), title: 't', limits: {} }),
      (e: unknown) =>
        e instanceof InputError &&
        e.message ===
          '$.Q: 4097 query rows exceed the limit of 4096 tokens (setting attentionInspector.limits.maxTokens)',
    );
  });
  it('a setting past the documented maximum is held to it', () => {
    assert.equal(resolveLimits({ maxTokens: 1e9 }).maxTokens, 65536);
  });
  it('a FIFO opened as a local tensor file is refused by the worker before it blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-panel-'));
    try {
      execFileSync('mkfifo', [join(dir, 'attn.npy')]);
      await assert.rejects(
        openSource({ kind: 'file', path: join(dir, 'attn.npy'), title: 'attn.npy', limits: {} }),
        /attn\.npy: is a FIFO \(named pipe\), not a regular file/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The arguments of a call whose opening parenthesis is at `open`, split at top-level commas. */
function callArguments(source: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0,
    start = open + 1,
    quote = '';
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) {
        // A trailing comma (Prettier's "all") leaves nothing after it: not an argument.
        const last = source.slice(start, i).trim();
        if (last !== '' || args.length === 0) args.push(last);
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(source.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error('unbalanced call');
}

describe('hardening (VS Code): notifications escape control characters', () => {
  const nasty = 'x\u001b]0;t\u0007\u001b[2J\u000b\u000c\u0085y';
  it('escapeControl and oneLineMessage show ESC, BEL, \\v, \\f and U+0085 as \\u escapes', () => {
    assert.equal(escapeControl(nasty), 'x\\u001b]0;t\\u0007\\u001b[2J\\u000b\\u000c\\u0085y');
    assert.equal(
      oneLineMessage(new InputError(`f${nasty}.npy`, 'not a regular file')),
      'fx\\u001b]0;t\\u0007\\u001b[2J\\u000b\\u000c\\u0085y.npy: not a regular file',
    );
  });
  it('every show*Message in src/vscode and src/web passes user text only through escapeControl or oneLineMessage', () => {
    // Values the extension itself owns (lists of its own words) need no escaping.
    const own = new Set(["INPUT_EXTENSIONS.join(', ')", "EXAMPLES.map((e) => e.id).join(', ')"]);
    const root = join(__dirname, '..', '..', 'src');
    let calls = 0;
    for (const folder of ['vscode', 'web']) {
      for (const file of readdirSync(join(root, folder)).filter((f) => f.endsWith('.ts'))) {
        const source = readFileSync(join(root, folder, file), 'utf8');
        for (const m of source.matchAll(/window\.show(?:Error|Warning|Information)Message\(/g)) {
          calls++;
          const [first] = callArguments(source, m.index + m[0].length - 1);
          const l10n = /^vscode\.l10n\.t\(/.exec(first);
          const shown = l10n ? callArguments(first, l10n[0].length - 1).slice(1) : [first];
          for (const arg of shown) {
            const safe = /^(escapeControl|oneLineMessage)\(/.test(arg) || /^'[^']*'$/.test(arg) || own.has(arg);
            assert.ok(safe, `${folder}/${file}: notification argument ${arg} is not escaped`);
          }
        }
      }
    }
    assert.ok(calls >= 10, `found only ${calls} notifications: the scan is broken`);
  });
});
