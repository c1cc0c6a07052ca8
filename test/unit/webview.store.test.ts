// The panel's store and its data module: a listener runs only when a value it watches changed (so a
// part re-renders for its own inputs), and the head cache asks the host once per head and mask.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { PanelData, type Requester } from '../../webview/data';
import { Store, sliceChanged } from '../../webview/store';

describe('webview store', () => {
  it('notifies a watcher exactly when its slice changes, with the merged state', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            a: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
            b: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
          }),
        ),
        (patches) => {
          const store = new Store({ a: 0, b: 0 });
          const seen: number[] = [];
          store.watch(
            (s) => [s.a] as const,
            ([a]) => seen.push(a),
          );
          let a = 0;
          const expected: number[] = [];
          for (const raw of patches) {
            const patch = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as {
              a?: number;
              b?: number;
            };
            store.set(patch);
            if (patch.a !== undefined && patch.a !== a) expected.push(patch.a);
            if (patch.a !== undefined) a = patch.a;
            assert.equal(store.state.a, a);
          }
          assert.deepEqual(seen, expected);
        },
      ),
    );
  });

  it('does not notify a patch that changes nothing', () => {
    const store = new Store({ a: 1, b: 'x' });
    let calls = 0;
    store.subscribe(() => calls++);
    store.set({ a: 1 });
    store.set({ b: 'x', a: 1 });
    assert.equal(calls, 0);
    store.set({ b: 'y' });
    assert.equal(calls, 1);
    assert.equal(sliceChanged([1, 'y'], [1, 'y']), false);
    assert.equal(sliceChanged([1], [1, 2]), true);
  });
});

describe('webview data module', () => {
  it('asks the host once per head and mask, keeps four heads, and retries a failed thumbnail request', async () => {
    const asked: string[] = [];
    let failThumbs = true;
    const host: Requester = {
      request: (async (method: string, params: Record<string, unknown>) => {
        asked.push(`${method}:${JSON.stringify(params)}`);
        if (method === 'thumbnails' && failThumbs) throw new Error('busy');
        return { method, params };
      }) as Requester['request'],
    };
    const data = new PanelData(host);
    for (const head of [0, 1, 0, 1]) await data.head({ layer: 0, head, mask: null }, 'none');
    assert.equal(asked.length, 2);
    for (const head of [2, 3, 4, 0]) await data.head({ layer: 0, head, mask: null }, 'none');
    assert.equal(asked.length, 6, 'head 0 fell out of the 4-head cache and is asked again');
    await data.head({ layer: 0, head: 0, mask: 'causal' }, 'none');
    assert.equal(asked.length, 7, 'another mask is another head');
    const overview = { layers: 1, heads: 4, mask: 'none' } as Parameters<PanelData['thumbnails']>[0];
    await assert.rejects(data.thumbnails(overview, null));
    failThumbs = false;
    await data.thumbnails(overview, null);
    await data.thumbnails(overview, null);
    assert.equal(
      asked.filter((x) => x.startsWith('thumbnails')).length,
      2,
      'asked again after the failure, then cached',
    );
    assert.ok(asked.at(-1)?.includes('"size":64'));
  });
});
