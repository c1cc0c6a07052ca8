// The worker-backed source against the in-memory one it wraps, plus cancel, crash and leak checks.
import { strict as assert } from 'node:assert';
import { writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { type WorkerBundle, bundleInspectionWorker } from '../helpers/workerBundle';
import { MemorySource } from '../../src/host/memorySource';
import { CancelledError, WorkerSource } from '../../src/node/workerSource';
import { endSpare, hasSpare } from '../../src/node/spareWorker';
import { InputError } from '../../src/core';

const FIXTURES = join(__dirname, '..', 'fixtures', 'tensorfiles');

describe('WorkerSource (inspection worker thread)', function () {
  this.timeout(20_000);
  let bundle: WorkerBundle | undefined;
  let dir = '';
  let workerPath = '';

  before(() => {
    bundle = bundleInspectionWorker('ai-worker-');
    ({ dir, workerPath } = bundle);
  });
  after(() => {
    endSpare();
    bundle?.remove();
  });
  afterEach(() => assert.equal(WorkerSource.liveWorkers, 0, 'every worker is terminated after its test'));

  it('keeps one spare worker after a use, and the next source takes it', async () => {
    endSpare();
    const spec = { kind: 'text' as const, text: 'a b c', settings: { heads: 2 } };
    const first = await WorkerSource.open(spec, { workerPath });
    first.dispose();
    const waitForSpare = async () => {
      for (let i = 0; i < 100 && !hasSpare(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitForSpare();
    assert.ok(hasSpare(), 'a spare is started after a worker is taken');
    const second = await WorkerSource.open({ ...spec, text: 'x y z w' }, { workerPath });
    try {
      assert.ok(!hasSpare(), 'the open took the spare');
      assert.deepEqual((await second.overview()).tokens, ['x', 'y', 'z', 'w']);
      assert.equal(WorkerSource.liveWorkers, 1, 'the spare is not counted as a live worker until taken');
    } finally {
      second.dispose();
    }
    await waitForSpare();
    assert.ok(hasSpare(), 'and another spare follows');
    endSpare();
    assert.ok(!hasSpare());
  });

  it('answers overview and head as the in-memory source does (to float32 rounding), with token offsets', async () => {
    const spec = { kind: 'text' as const, text: 'I go  home', settings: { heads: 2 }, scale: 0.5 };
    const remote = await WorkerSource.open(spec, { workerPath });
    try {
      const local = MemorySource.fromSpec(spec);
      const [a, b] = [await remote.overview(), await local.overview()];
      assert.deepEqual(a.tokens, ['I', 'go', 'home']);
      // The worker computes with the WebAssembly kernels, the local source with the TypeScript
      // reference: the same numbers to float32 rounding.
      assert.equal(a.summaries.length, b.summaries.length);
      a.summaries.forEach((s, i) => {
        assert.ok(Math.abs(s.meanEntropy - b.summaries[i].meanEntropy) < 1e-5);
        assert.ok(Math.abs(s.meanMaxWeight - b.summaries[i].meanMaxWeight) < 1e-5);
      });
      assert.deepEqual(remote.info.offsets, [
        [0, 1],
        [2, 4],
        [6, 10],
      ]);
      const [h1, h2] = [await remote.head(0, 1), await local.head(0, 1)];
      assert.ok(h1.weights instanceof Float32Array);
      h1.weights.forEach((w, i) => assert.ok(Math.abs(w - h2.weights[i]) < 1e-6, `weight ${i}`));
      assert.equal(remote.spec?.kind, 'text');
    } finally {
      remote.dispose();
    }
  });

  it('reports bad input as one InputError line and opens nothing', async () => {
    await assert.rejects(
      WorkerSource.open({ kind: 'json', json: '{"form": "qkv", "Q": [[1]]' }, { workerPath }),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match((e as Error).message, /^[^\n]+$/);
        return true;
      },
    );
  });

  it('opens a tensor file from disk and from bytes alike', async () => {
    const file = join(FIXTURES, 'model.safetensors');
    const fromDisk = await WorkerSource.open({ kind: 'file', path: file, title: 'model' }, { workerPath });
    const { readFileSync } = await import('node:fs');
    const fromBytes = await WorkerSource.open(
      { kind: 'bytes', name: 'model.safetensors', bytes: new Uint8Array(readFileSync(file)), title: 'model' },
      { workerPath },
    );
    try {
      const [a, b] = [await fromDisk.overview(), await fromBytes.overview()];
      assert.deepEqual(a.summaries, b.summaries);
      assert.ok(a.layers * a.heads > 1);
      assert.equal(fromDisk.spec, undefined);
    } finally {
      fromDisk.dispose();
      fromBytes.dispose();
    }
  });

  it('cancel rejects the running request with CancelledError, and the next request restarts the worker', async () => {
    // 3000 tokens with 8 heads of d_k 64: long enough to still be running when cancelled.
    const text = Array.from({ length: 3000 }, (_, i) => `w${i % 97}`).join(' ');
    let slowSeen = false;
    const source = await WorkerSource.open({ kind: 'text', text: 'warm up' }, { workerPath });
    source.dispose();
    const big = WorkerSource.open(
      { kind: 'text', text, settings: { heads: 8, dK: 64, dV: 64, dModel: 256 } },
      {
        workerPath,
        slowAfterMs: 50,
        onSlow: (_label, cancel) => {
          slowSeen = true;
          cancel();
        },
      },
    );
    await assert.rejects(big, (e: unknown) => e instanceof CancelledError);
    assert.ok(slowSeen);
  });

  it('survives a crashed worker: the user is told, and the next request re-opens the input', async () => {
    const crashes: string[] = [];
    const source = await WorkerSource.open(
      { kind: 'text', text: 'one two three' },
      { workerPath, onCrash: (m) => crashes.push(m) },
    );
    try {
      // Simulate a crash from outside: terminate the thread without telling the source.
      const worker = (source as unknown as { worker: { terminate(): Promise<number> } }).worker;
      await worker.terminate();
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(crashes.length, 1);
      const overview = await source.overview();
      assert.deepEqual(overview.tokens, ['one', 'two', 'three']);
    } finally {
      source.dispose();
    }
  });

  it('a file deleted after opening keeps answering from the open handle or gives one clear line', async () => {
    const copy = join(dir, 'gone.npy');
    copyFileSync(join(FIXTURES, 'weights5d_f32.npy'), copy);
    const source = await WorkerSource.open({ kind: 'file', path: copy, title: 'gone' }, { workerPath });
    try {
      writeFileSync(copy, new Uint8Array(16)); // truncated in place
      await source.head(0, 0).then(
        (h) => assert.ok(h.weights.length > 0),
        (e: unknown) => {
          assert.ok(e instanceof InputError);
          assert.match((e as Error).message, /gone\.npy/);
        },
      );
    } finally {
      source.dispose();
    }
  });
});
