// The documented caps (src/core/limits.ts): each breach is one InputError line that names the cap and
// the setting (or CLI flag) that raises it, is raised before the large thing is built, and each cap
// can be raised and lowered through the optional limits parameter the callers pass.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_LIMITS,
  InputError,
  LIMIT_SETTINGS,
  inspectText,
  parseAttentionJson,
  readAttentionInput,
  resolveLimits,
  textInput,
  utf8Length,
} from '../../src/core';
import { MemoryByteSource, TensorFileError, openTensorFile } from '../../src/core/tensorfiles';
import { MemorySource } from '../../src/host/memorySource';
import { openInMemory } from '../../src/host/openInMemory';
import { PanelSession } from '../../src/host/session';
import type { HostMessage } from '../../src/protocol/messages';

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

/** Asserts `run` throws one InputError line matching `pattern`. */
function refuses(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    assert.ok(!/[\r\n]/.test(e.message), 'one line');
    assert.match(e.message, pattern);
    return true;
  });
}

async function refusesAsync(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    assert.ok(!/[\r\n]/.test(e.message), 'one line');
    assert.match(e.message, pattern);
    return true;
  });
}

function npy(headerText: string, dataBytes: number): Uint8Array {
  const pad = (64 - ((10 + headerText.length + 1) % 64)) % 64;
  const h = new TextEncoder().encode(headerText + ' '.repeat(pad) + '\n');
  const out = new Uint8Array(10 + h.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  return out;
}

function safetensors(header: object, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('limits: the caps and their defaults', () => {
  it('has the documented defaults and settings', () => {
    assert.deepEqual(
      {
        maxTokens: DEFAULT_LIMITS.maxTokens,
        maxFileBytesInMemory: DEFAULT_LIMITS.maxFileBytesInMemory,
        maxHeaderBytes: DEFAULT_LIMITS.maxHeaderBytes,
        maxHeadsShown: DEFAULT_LIMITS.maxHeadsShown,
        maxJsonBytes: DEFAULT_LIMITS.maxJsonBytes,
      },
      {
        maxTokens: 4096,
        maxFileBytesInMemory: 512 * 1024 * 1024,
        maxHeaderBytes: 100_000_000,
        maxHeadsShown: 64,
        maxJsonBytes: 512 * 1024 * 1024,
      },
    );
    assert.equal(LIMIT_SETTINGS.maxTokens, 'attentionInspector.limits.maxTokens');
    assert.equal(DEFAULT_LIMITS.raisedBy.maxHeaderBytes, 'setting attentionInspector.limits.maxHeaderBytes');
  });

  it('fills in defaults; broken values never switch a cap off; JSON follows the in-memory cap', () => {
    const r = resolveLimits({
      maxTokens: 10,
      maxHeadsShown: Number.NaN,
      maxHeaderBytes: -1,
      maxFileBytesInMemory: 2048,
    });
    assert.equal(r.maxTokens, 10);
    assert.equal(r.maxHeadsShown, 64);
    assert.equal(r.maxHeaderBytes, 100_000_000);
    assert.equal(r.maxJsonBytes, 2048);
    assert.equal(resolveLimits({ maxJsonBytes: 5, maxFileBytesInMemory: 2048 }).maxJsonBytes, 5);
    assert.equal(resolveLimits(undefined), DEFAULT_LIMITS);
    // The extension's settings object (extra fields and all) is accepted as it is.
    const settings = {
      maxTokens: 7,
      maxFileBytesInMemory: 4096,
      maxHeaderBytes: 2048,
      maxHeadsShown: 3,
      workspaceGlob: '**',
    };
    assert.equal(resolveLimits(settings).maxHeadsShown, 3);
  });

  it('measures UTF-8 length without encoding', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a\uD800b', '\uDC00', 'x😀y€é'])
      assert.equal(utf8Length(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  });
});

describe('limits: tokens (attentionInspector.limits.maxTokens)', () => {
  it('refuses 5012 tokens with the default cap of 4096, naming the setting', () => {
    refuses(
      () => inspectText(words(5012)),
      /^text: 5012 tokens exceed the limit of 4096 \(setting attentionInspector\.limits\.maxTokens\)$/,
    );
  });

  it('is raised and lowered through the limits (and the old number argument still works)', () => {
    assert.equal(
      textInput(words(5012), { heads: 1, dModel: 4, dK: 2, dV: 2 }, { maxTokens: 6000 }).offsets.length,
      5012,
    );
    refuses(() => textInput('a b c', {}, { maxTokens: 2 }), /3 tokens exceed the limit of 2 \(setting/);
    refuses(() => textInput('a b c', {}, 2), /3 tokens exceed the limit of 2/);
    refuses(
      () => textInput('a b c', {}, { maxTokens: 2, raisedBy: { maxTokens: 'flag --max-tokens' } }),
      /limit of 2 \(flag --max-tokens\)$/,
    );
  });

  it('stops tokenizing past the cap: a 2-million-token selection is refused fast', () => {
    const huge = 'ab '.repeat(2_000_000);
    const t0 = performance.now();
    refuses(() => textInput(huge), /2000000 tokens exceed the limit of 4096/);
    // A hang detector, not a speed test: embedding 2 M tokens would take minutes and gigabytes.
    assert.ok(performance.now() - t0 < 5000);
  });

  it('caps the queries and keys of a JSON input when limits are given', () => {
    const doc = { Q: [[1], [2], [3], [4], [5]], K: [[1], [2]], V: [[1], [2]] };
    refuses(
      () => readAttentionInput(doc, { maxTokens: 4 }),
      /^\$\.Q: 5 query rows exceed the limit of 4 tokens \(setting attentionInspector\.limits\.maxTokens\)$/,
    );
    refuses(
      () =>
        readAttentionInput(
          { ...doc, K: [[1], [2], [3], [4], [5], [6]], V: [[1], [2], [3], [4], [5], [6]] },
          { maxTokens: 5 },
        ),
      /^\$\.K: 6 keys exceed the limit of 5 tokens/,
    );
    refuses(
      () => parseAttentionJson(JSON.stringify({ scores: [[1, 2, 3]] }), { maxTokens: 2 }),
      /^\$\.scores: 3 keys exceed the limit of 2 tokens/,
    );
    assert.equal(readAttentionInput(doc).form, 'qkv', 'without limits only the schema applies');
    assert.equal(readAttentionInput(doc, { maxTokens: 5 }).form, 'qkv');
  });
});

describe('limits: JSON bytes (maxJsonBytes, from attentionInspector.limits.maxFileBytesInMemory)', () => {
  it('refuses JSON text over the cap before parsing it', () => {
    const json = JSON.stringify({ Q: [[1]], K: [[1]], V: [[1]], tokens: ['€€€€€'] });
    const bytes = new TextEncoder().encode(json).length;
    refuses(
      () => parseAttentionJson(json, { maxJsonBytes: bytes - 1 }),
      new RegExp(
        `^\\$: ${bytes} bytes of JSON exceed the limit of ${bytes - 1} bytes read into memory \\(setting attentionInspector\\.limits\\.maxFileBytesInMemory\\)$`,
      ),
    );
    assert.equal(parseAttentionJson(json, { maxJsonBytes: bytes }).form, 'qkv');
    // Not even a syntax check happens first: the size alone refuses it.
    refuses(
      () => parseAttentionJson('['.repeat(2000), { maxJsonBytes: 1000 }),
      /2000 bytes of JSON exceed the limit of 1000/,
    );
  });

  it('applies in the host: MemorySource takes limits from the caller or from the spec', () => {
    const json = JSON.stringify({ Q: [[1], [2], [3]], K: [[1], [2], [3]], V: [[1], [2], [3]] });
    refuses(
      () => MemorySource.fromSpec({ kind: 'json', json }, undefined, { maxTokens: 2 }),
      /\$\.Q: 3 query rows exceed the limit of 2 tokens/,
    );
    refuses(
      () => MemorySource.fromSpec({ kind: 'json', json, limits: { maxJsonBytes: 10 } }),
      /bytes of JSON exceed the limit of 10/,
    );
    refuses(
      () => MemorySource.fromSpec({ kind: 'text', text: 'a b c', limits: { maxTokens: 2 } }),
      /3 tokens exceed the limit of 2/,
    );
    // The spec's own maxTokens (the CLI's --max-tokens) wins over the limits.
    assert.ok(MemorySource.fromSpec({ kind: 'text', text: 'a b c', maxTokens: 3 }, undefined, { maxTokens: 2 }));
  });
});

describe('limits: headers (attentionInspector.limits.maxHeaderBytes)', () => {
  it('refuses a safetensors header over the cap before reading it', async () => {
    const bytes = safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    await refusesAsync(
      () => openTensorFile(new MemoryByteSource('m.safetensors', bytes), { maxHeaderBytes: length - 1 }),
      new RegExp(
        `^m\\.safetensors: byte 8: ${length} header bytes exceed the limit of ${length - 1} bytes \\(setting attentionInspector\\.limits\\.maxHeaderBytes\\)$`,
      ),
    );
    assert.equal(
      (await openTensorFile(new MemoryByteSource('m.safetensors', bytes), { maxHeaderBytes: length })).tensors.length,
      1,
    );
  });

  it('a claimed 2^64 - 1 byte header is refused by the default cap, without reading', async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    let reads = 0;
    const source = new MemoryByteSource('big.safetensors', bytes);
    const counting = {
      name: source.name,
      size: source.size,
      read: (o: number, l: number) => {
        reads += l;
        return source.read(o, l);
      },
    };
    await refusesAsync(
      () => openTensorFile(counting),
      /18446744073709551615 header bytes exceed the limit of 100000000 bytes \(setting attentionInspector\.limits\.maxHeaderBytes\)/,
    );
    assert.ok(reads <= 9 + 8, `read ${reads} bytes: only the signature and the length field`);
  });

  it('caps .npy headers at the setting when it is lower, else at the fixed 64 KiB', async () => {
    const bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    await refusesAsync(
      () => openTensorFile(new MemoryByteSource('a.npy', bytes), { maxHeaderBytes: 32 }),
      /^a\.npy: byte 8: 118 header bytes exceed the limit of 32 bytes \(setting attentionInspector\.limits\.maxHeaderBytes\)$/,
    );
    assert.equal((await openTensorFile(new MemoryByteSource('a.npy', bytes))).tensors.length, 1);
    const v2 = new Uint8Array(12 + 70000);
    v2.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(v2.buffer).setUint32(8, 70000, true);
    await refusesAsync(
      () => openTensorFile(new MemoryByteSource('b.npy', v2)),
      /^b\.npy: byte 8: header length 70000 exceeds the 65536-byte cap for \.npy headers/,
    );
  });

  it('applies inside .npz members too', async () => {
    const { zipSync } = await import('fflate');
    const member = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    const archive = zipSync({ 'x.npy': [member, { level: 0 }] });
    await refusesAsync(
      () => openTensorFile(new MemoryByteSource('a.npz', archive), { maxHeaderBytes: 50 }),
      /a\.npz\[x\.npy\]: byte 8: 118 header bytes exceed the limit of 50 bytes/,
    );
  });
});

describe('limits: bytes read into memory (attentionInspector.limits.maxFileBytesInMemory)', () => {
  it('openInMemory refuses tensor-file bytes over the cap, naming the file and the setting', async () => {
    const bytes = safetensors({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, 16);
    await refusesAsync(
      () =>
        openInMemory({ kind: 'bytes', name: 'w.safetensors', bytes, title: 'w' }, undefined, {
          maxFileBytesInMemory: 64,
        }),
      new RegExp(
        `^w\\.safetensors: ${bytes.length} bytes exceed the limit of 64 bytes read into memory \\(setting attentionInspector\\.limits\\.maxFileBytesInMemory\\)$`,
      ),
    );
    await refusesAsync(
      () =>
        openInMemory({ kind: 'bytes', name: 'w.safetensors', bytes, title: 'w', limits: { maxFileBytesInMemory: 64 } }),
      /exceed the limit of 64 bytes/,
    );
  });

  it('the CLI refuses a JSON file over 512 MiB from its size alone (a sparse file)', function () {
    const dir = mkdtempSync(join(tmpdir(), 'ai-limits-'));
    const path = join(dir, 'huge.json');
    try {
      const fd = openSync(path, 'w');
      ftruncateSync(fd, 512 * 1024 * 1024 + 1);
      closeSync(fd);
      const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli.js'), 'compute', path], {
        encoding: 'utf8',
        timeout: 20000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(
        r.stderr,
        /^error: .*huge\.json: 536870913 bytes of JSON exceed the limit of 536870912 bytes read into memory \(save large tensors as \.npy or \.safetensors\)\n$/,
      );
      writeFileSync(path, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CLI names its own flag for the token cap', () => {
    const r = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'dist', 'cli.js'), 'compute', '--text', 'a b c', '--max-tokens', '2'],
      { encoding: 'utf8', timeout: 20000 },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /text: 3 tokens exceed the limit of 2 \(flag --max-tokens\)/);
  });
});

describe('limits: heads shown at once (attentionInspector.limits.maxHeadsShown)', () => {
  async function thumbnails(limits?: { maxHeadsShown: number }) {
    const posted: HostMessage[] = [];
    const session = new PanelSession(
      MemorySource.fromSpec({ kind: 'text', text: 'I go home', settings: { heads: 4 } }),
      (m) => posted.push(m),
      { log: () => undefined, limits },
    );
    await session.handle({ kind: 'request', id: 1, method: 'thumbnails', params: { size: 16 } });
    const r = posted[0];
    assert.ok(r.kind === 'response');
    return r;
  }

  it('refuses the heads grid over the cap with one line naming the setting', async () => {
    const r = await thumbnails({ maxHeadsShown: 3 });
    assert.ok(!r.ok);
    assert.equal(
      r.error,
      'heads grid: 4 heads exceed the limit of 3 shown at once (setting attentionInspector.limits.maxHeadsShown)',
    );
  });

  it('sends the grid at or under the cap (default 64)', async () => {
    assert.ok((await thumbnails({ maxHeadsShown: 4 })).ok);
    assert.ok((await thumbnails()).ok);
  });
});

describe('limits: tensor file errors stay TensorFileErrors', () => {
  it('a header cap breach is a TensorFileError naming the file and byte offset', async () => {
    const bytes = safetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    await assert.rejects(
      openTensorFile(new MemoryByteSource('t.safetensors', bytes), { maxHeaderBytes: 4 }),
      (e: unknown) => e instanceof TensorFileError && e.offset === 8 && e.file === 't.safetensors',
    );
  });
});
