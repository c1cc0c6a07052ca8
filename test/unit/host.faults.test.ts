// Faults the host must survive without VS Code: a tensor file truncated, rewritten or deleted while a
// panel has it open; a webview that goes away mid-transfer (post throws); a webview that sends junk.
// The user gets one clear line; nothing throws out of the session; the next request still works.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InputError } from '../../src/core';
import { MemorySource } from '../../src/host/memorySource';
import { tensorFileSource } from '../../src/host/openInMemory';
import { PanelSession } from '../../src/host/session';
import type { HostMessage } from '../../src/protocol/messages';
import { METHODS } from '../../src/protocol/messages';
import { parseWebviewMessage } from '../../src/protocol/validate';
import { FileByteSource } from '../../src/node/fileByteSource';

const FIXTURES = join(__dirname, '..', 'fixtures', 'tensorfiles');

/** A copy of a fixture in a temp folder, opened as the panel would open it (positional reads). */
async function openCopy(fixture: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ai-faults-'));
  const path = join(dir, fixture);
  copyFileSync(join(FIXTURES, fixture), path);
  const bytes = await FileByteSource.open(path);
  const source = await tensorFileSource(bytes, fixture, {}, async () => null);
  return {
    dir,
    path,
    bytes,
    source,
    cleanup: async () => {
      await bytes.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function oneLineRefusal(run: () => Promise<unknown>, file: string): Promise<string> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    assert.ok(!/[\r\n]/.test(e.message), 'one line');
    assert.ok(e.message.includes(file), `names the file: ${e.message}`);
    return e.message;
  }
  assert.fail('expected a refusal');
}

describe('host faults: the tensor file changes under an open panel', () => {
  it('truncated after opening: the next head read is one InputError line naming the file', async () => {
    const f = await openCopy('model.safetensors');
    try {
      const before = await f.source.head(0, 0);
      assert.ok(before.weights.length > 0);
      truncateSync(f.path, 200);
      const message = await oneLineRefusal(() => f.source.head(1, 2), 'model.safetensors');
      assert.match(message, /file ended early|truncated/);
      // The source is not broken for good: what is still in the file can be read again.
      await oneLineRefusal(() => f.source.head(1, 1), 'model.safetensors');
    } finally {
      await f.cleanup();
    }
  });

  it('truncated to nothing, or rewritten with other bytes: a clear line, never a crash', async () => {
    for (const fixture of ['model.safetensors', 'qkv.npz', 'scores_be_f4.npy']) {
      const f = await openCopy(fixture);
      try {
        truncateSync(f.path, 0);
        await oneLineRefusal(() => f.source.head(0, 0), fixture);
        writeFileSync(f.path, Buffer.alloc(f.bytes.size, 0xff));
        // Same size, garbage bytes: values may be nonsense, but the answer is a payload or one line.
        try {
          const p = await f.source.head(0, 0);
          assert.ok(p.weights.length > 0);
        } catch (e) {
          assert.ok(e instanceof InputError && !/[\r\n]/.test(e.message), String(e));
        }
      } finally {
        await f.cleanup();
      }
    }
  });

  it('deleted after opening: the open handle keeps answering (POSIX keeps the inode)', async () => {
    const f = await openCopy('model.safetensors');
    try {
      unlinkSync(f.path);
      const p = await f.source.head(1, 2);
      assert.equal(p.n, 4);
      assert.ok((await f.source.overview()).summaries.length === 6);
    } finally {
      await f.cleanup();
    }
  });

  it('a file that cannot be opened any more gives one line naming it', async () => {
    await oneLineRefusal(() => FileByteSource.open(join(tmpdir(), 'no-such-dir-ai', 'gone.npy')), 'gone.npy');
  });
});

describe('host faults: the webview goes away mid-transfer', () => {
  const source = () => MemorySource.fromSpec({ kind: 'text', text: 'I go home' });

  it('post() throwing (webview disposed) never throws out of handle(); it is logged', async () => {
    const logged: string[] = [];
    let calls = 0;
    const session = new PanelSession(
      source(),
      () => {
        calls++;
        throw new Error('Webview is disposed');
      },
      { log: (l) => logged.push(l) },
    );
    await session.handle({ kind: 'request', id: 1, method: 'head', params: { layer: 0, head: 0 } });
    await session.handle({ kind: 'request', id: 2, method: 'head', params: { layer: 9, head: 0 } }); // the error answer throws too
    await session.handle({ kind: 'request', id: 3, method: 'overview', params: {} });
    assert.doesNotThrow(() => session.setSource(source()));
    assert.doesNotThrow(() => session.select(0, 0));
    assert.ok(calls >= 3);
    assert.ok(
      logged.some((l) => /Webview is disposed/.test(l)),
      logged.join('\n'),
    );
    for (const l of logged) assert.ok(!/[\r\n]/.test(l), 'log lines are one line');
  });

  it('a post() that rejects asynchronously is caught too', async () => {
    const logged: string[] = [];
    const session = new PanelSession(source(), () => Promise.reject(new Error('channel closed')), {
      log: (l) => logged.push(l),
    });
    await session.handle({ kind: 'request', id: 1, method: 'overview', params: {} });
    await new Promise((r) => setTimeout(r, 10));
    assert.ok(
      logged.some((l) => /channel closed/.test(l)),
      logged.join('\n'),
    );
  });

  it('after dispose, requests are dropped without posting', async () => {
    const posted: HostMessage[] = [];
    const session = new PanelSession(source(), (m) => posted.push(m), { log: () => undefined });
    const pending = session.handle({ kind: 'request', id: 1, method: 'thumbnails', params: { size: 32 } });
    session.dispose();
    await pending;
    await session.handle({ kind: 'request', id: 2, method: 'overview', params: {} });
    assert.equal(posted.length, 0);
  });
});

describe('host faults: junk from the webview (fast-check)', () => {
  /** Message-shaped objects: right kinds and methods with random fields, so validation goes deep. */
  const shaped = fc.record(
    {
      kind: fc.oneof(
        fc.constantFrom('request', 'notify', 'hello', 'response', 'push', '__proto__', 'constructor'),
        fc.string(),
      ),
      id: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string(), fc.constant(null)),
      method: fc.oneof(fc.constantFrom(...METHODS, 'eval', 'toString', 'hasOwnProperty'), fc.string()),
      event: fc.constantFrom('focusToken', 'log', 'x'),
      level: fc.constantFrom('warn', 'error', 'info'),
      text: fc.oneof(fc.string(), fc.constant('x'.repeat(100000))),
      index: fc.oneof(fc.nat(), fc.constant(null), fc.double(), fc.string()),
      protocol: fc.oneof(fc.nat(2), fc.anything()),
      params: fc.oneof(
        fc.record(
          {
            layer: fc.oneof(fc.nat(3), fc.anything()),
            head: fc.oneof(fc.nat(3), fc.constant('mean'), fc.anything()),
            mask: fc.oneof(fc.constantFrom('none', 'causal', 'custom'), fc.anything()),
            scale: fc.oneof(fc.double(), fc.anything()),
            variant: fc.constantFrom('raw', 'projected', 'x'),
            size: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        fc.record(
          {
            format: fc.constantFrom('png', 'svg', 'csv', 'json', 'html', 'exe'),
            name: fc.oneof(fc.constantFrom('a.csv', '../x', 'con', '.hidden', 'a\0b'), fc.string()),
            data: fc.oneof(fc.string(), fc.constant(new ArrayBuffer(4)), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
    },
    { requiredKeys: ['kind'] },
  );

  /** Mostly valid requests with hostile values where the protocol allows them (huge scales, odd sizes). */
  const validRequests = fc.record({
    kind: fc.constant('request'),
    id: fc.nat(),
    method: fc.constantFrom('overview', 'head', 'thumbnails', 'variance'),
    params: fc.record(
      {
        layer: fc.nat(2),
        head: fc.oneof(fc.nat(2), fc.constant('mean')),
        mask: fc.constantFrom('none', 'causal', 'anticausal', 'custom'),
        scale: fc.oneof(
          fc.constantFrom(1e-300, 1e300, Number.MIN_VALUE, Number.MAX_VALUE),
          fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        ),
        variant: fc.constantFrom('raw', 'projected'),
        size: fc.integer({ min: 1, max: 512 }),
      },
      { requiredKeys: ['layer', 'head', 'size'] },
    ),
  });

  it('the validator never throws: every message is accepted or refused with a reason', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(shaped, fc.anything()), (m) => {
        const r = parseWebviewMessage(m);
        if (!r.ok) {
          refused++;
          assert.ok(typeof r.error === 'string' && r.error.length > 0 && r.error.length < 5000);
        }
      }),
      { seed: 808, numRuns: 3000 },
    );
    assert.ok(refused > 1000, `most junk is refused (${refused})`);
  });

  it('the session answers valid requests once, logs the rest, and never throws', async () => {
    let logs = 0,
      answers = 0,
      requests = 0;
    // One source for every case (its answers are pure; the variance experiment is computed once).
    const shared = MemorySource.fromSpec({ kind: 'text', text: 'I go home', settings: { heads: 2 } });
    await fc.assert(
      fc.asyncProperty(fc.oneof(shaped, validRequests), async (m) => {
        const posted: HostMessage[] = [];
        const logged: string[] = [];
        const session = new PanelSession(shared, (x) => posted.push(x), {
          log: (l) => logged.push(l),
          save: async () => ({ saved: false }),
          reportAssets: async () => ({ script: '', style: '' }),
        });
        await session.handle(m);
        const valid = parseWebviewMessage(m);
        if (!valid.ok) {
          assert.equal(posted.length, 0, 'nothing answered');
          assert.equal(logged.length, 1, 'logged once');
          assert.match(logged[0], /^ignored a malformed message from the panel \(/);
          logs++;
        } else if (valid.value.kind === 'request') {
          requests++;
          assert.equal(
            posted.filter((p) => p.kind === 'response' && p.id === (valid.value as { id: number }).id).length,
            1,
            'exactly one response',
          );
          answers++;
        }
        for (const l of logged) assert.ok(!/[\r\n]/.test(l) && l.length < 10000, 'log lines are one bounded line');
      }),
      { seed: 909, numRuns: 1500 },
    );
    assert.ok(logs > 100 && requests > 20, `logged ${logs}, answered ${answers} of ${requests} valid requests`);
  });
});
