// A panel's source while its input opens (src/host/pendingSource.ts), and the command-to-first-
// heatmap time line (src/host/loadTimeline.ts).
import { strict as assert } from 'node:assert';
import { InputError } from '../../src/core';
import { MemorySource } from '../../src/host/memorySource';
import { PendingSource } from '../../src/host/pendingSource';
import { describeLoadTimeline, loadTimeline } from '../../src/host/loadTimeline';
import type { OpenedInfo } from '../../src/host/openRequest';

/** A MemorySource with the PanelSource extras, counting cancel and dispose calls. */
function openedText(text: string) {
  const source = MemorySource.fromSpec({ kind: 'text', text, settings: { heads: 2 } });
  const calls = { cancel: 0, dispose: 0 };
  const info: OpenedInfo = { offsets: [[0, 1]], spec: { kind: 'text', text } };
  return {
    calls,
    source: Object.assign(source, {
      info,
      cancel: () => (calls.cancel++, true),
      dispose: () => void calls.dispose++,
    }),
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

describe('PendingSource (a panel created while its input opens)', () => {
  it('holds requests until the open ends, then answers them from the opened source', async () => {
    const open = deferred<ReturnType<typeof openedText>['source']>();
    const pending = new PendingSource(open.promise, () => false);
    assert.deepEqual(pending.info, { offsets: null, spec: null }, 'nothing is known before the open');
    const overview = pending.overview();
    const head = pending.head(0, 1);
    const { source } = openedText('I go home');
    open.resolve(source);
    const [o, h] = [await overview, await head];
    assert.deepEqual(o.tokens, ['I', 'go', 'home']);
    const direct = await source.head(0, 1);
    assert.deepEqual(Array.from(h.weights), Array.from(direct.weights));
    assert.deepEqual(pending.info.offsets, [[0, 1]]);
    assert.equal(pending.spec?.kind, 'text', "the opened source's spec (the HTML report rebuilds from it)");
  });

  it("a failed open fails every request with the open's own error", async () => {
    const pending = new PendingSource(Promise.reject(new InputError('x.npy', 'not a .npy file')), () => false);
    await assert.rejects(pending.overview(), /x\.npy: not a \.npy file/);
    await assert.rejects(pending.head(0, 0), /x\.npy: not a \.npy file/);
  });

  it('closing the panel during the open cancels it; a source that opens anyway is disposed', async () => {
    const open = deferred<ReturnType<typeof openedText>['source']>();
    let cancelled = 0;
    const pending = new PendingSource(open.promise, () => (cancelled++, true));
    const asked = pending.overview();
    pending.dispose();
    assert.equal(cancelled, 1, 'the open in flight is cancelled');
    const { source, calls } = openedText('a b');
    open.resolve(source);
    await assert.rejects(asked, /the panel was closed/);
    assert.equal(calls.dispose, 1, 'what the open produced is disposed');
    pending.dispose();
    assert.equal(cancelled, 1, 'dispose twice is dispose once');
  });

  it('after the open, cancel and dispose go to the opened source', async () => {
    const { source, calls } = openedText('a b');
    const pending = new PendingSource(Promise.resolve(source), () => assert.fail('the open has ended'));
    await pending.overview();
    assert.equal(pending.cancel(), true);
    pending.dispose();
    assert.deepEqual(calls, { cancel: 1, dispose: 1 });
  });
});

describe('loadTimeline (command → first heatmap)', () => {
  it("puts the page's clock on the host's by the hello message", () => {
    // Host clock: command at 1000, panel at 1060, overview computed at 1150, hello heard at 1400.
    // Page clock: hello sent at 300 (so page time + 1100 = host time: the page navigated at host
    // 1100, 100 ms after the command), our script began at 150 and its modules had run by 280.
    const t = loadTimeline(
      { start: 1000, panel: 1060, overviewComputed: 1150, hello: 1400 },
      {
        scriptStart: 150,
        modulesEvaluated: 280,
        hello: 300,
        overviewAsked: 310,
        overview: 330,
        head: 360,
        drawn: 395.4,
      },
    );
    assert.deepEqual(t, {
      panel: 60,
      pageNavigated: 100,
      scriptStarted: 250,
      modulesEvaluated: 380,
      pageReady: 400,
      overviewComputed: 150,
      overviewReceived: 430,
      firstHeadReceived: 460,
      drawn: 495,
    });
    assert.equal(
      describeLoadTimeline(t, 280),
      'first heatmap 495 ms after the command, 280 tokens: panel open 60 ms, page navigated 100, ' +
        'script started 250, modules evaluated 380, hello 400, overview received 430 (computed by 150), first head received 460, drawn 495',
    );
  });

  it('an overview not yet computed on the host is left out; no step is before the command', () => {
    const t = loadTimeline(
      { start: 1000, panel: 990, overviewComputed: null, hello: 1200 },
      { scriptStart: 10, modulesEvaluated: 40, hello: 50, overviewAsked: 60, overview: 70, head: 80, drawn: 90 },
    );
    assert.equal(t.panel, 0);
    assert.equal(t.overviewComputed, null);
    assert.ok(!describeLoadTimeline(t, 3).includes('computed by'));
  });
});
