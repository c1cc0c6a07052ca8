// The one RPC helper (src/protocol/rpc.ts) over a real MessageChannel, as the webview client, the
// worker source and the attention pool use it: ids, replies, errors, timeouts, AbortSignal
// cancellation, transferables, responses nobody asked for and malformed messages.
import * as assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { InputError } from '../../src/core';
import { CancelledError } from '../../src/protocol/cancelled';
import {
  type Handlers,
  type Post,
  RpcCaller,
  type RpcCallerOptions,
  isRequest,
  serveRequest,
  withTransfer,
} from '../../src/protocol/rpc';

type Api = {
  echo: { params: { value: unknown }; result: unknown };
  sum: { params: { data: Float32Array }; result: number };
  slow: { params: { ms: number; tag: string }; result: string };
  fail: { params: { input: boolean }; result: never };
  buffer: { params: { length: number }; result: ArrayBuffer };
  never: { params: Record<string, never>; result: never };
};

const HANDLERS: Handlers<Api> = {
  echo: ({ value }) => value,
  sum: ({ data }) => data.reduce((a, b) => a + b, 0),
  slow: ({ ms, tag }) => new Promise((resolve) => setTimeout(() => resolve(tag), ms)),
  fail: ({ input }) => {
    throw input ? new InputError('$.Q', 'expected a matrix') : new Error('index out of range\n  at line 2');
  },
  buffer: ({ length }) => {
    const b = new Uint8Array(length).fill(7).buffer;
    served.push(b);
    return withTransfer(b, [b]);
  },
  never: () => new Promise<never>(() => {}),
};
/** Buffers the `buffer` handler answered with (to see that they were moved, not copied). */
let served: ArrayBuffer[] = [];

interface Link {
  readonly caller: RpcCaller<Api>;
  /** Every message the serving end received, in order. */
  readonly received: unknown[];
  /** Messages the caller's side got that were not responses to its calls. */
  readonly unclaimed: unknown[];
  readonly ports: readonly MessagePort[];
}

const links: Link[] = [];

/** A caller on one port, `serveRequest` over HANDLERS on the other: the same wiring as the worker source and its worker. */
function link(options: RpcCallerOptions<Api> = {}, serve = true): Link {
  const { port1, port2 } = new MessageChannel();
  const post: Post = (message, transfer) => port1.postMessage(message, transfer as never);
  const caller = new RpcCaller<Api>(post, options);
  const received: unknown[] = [];
  const unclaimed: unknown[] = [];
  port1.on('message', (m) => {
    if (!caller.receive(m)) unclaimed.push(m);
  });
  port2.on('message', (m) => {
    received.push(m);
    if (serve && isRequest(m))
      void serveRequest(HANDLERS, m, (reply, transfer) => port2.postMessage(reply, transfer as never));
  });
  const l = { caller, received, unclaimed, ports: [port1, port2] };
  links.push(l);
  return l;
}

/** Lets pending port messages arrive. */
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  for (const l of links.splice(0)) for (const p of l.ports) p.close();
  served = [];
});

describe('protocol: the RPC helper over a MessageChannel', () => {
  it('numbers requests 1, 2, 3… and sends method and params as the wire format says', async () => {
    const { caller, received } = link();
    await Promise.all([
      caller.call('echo', { value: 'a' }),
      caller.call('echo', { value: 'b' }),
      caller.call('sum', { data: new Float32Array([1, 2]) }),
    ]);
    assert.deepEqual(
      received.map((m) => (m as { id: number }).id),
      [1, 2, 3],
    );
    assert.deepEqual(received[0], { kind: 'request', id: 1, method: 'echo', params: { value: 'a' } });
  });

  it('matches replies to their calls by id, whatever order they come back in', async () => {
    const { caller } = link();
    const order: string[] = [];
    const calls = [60, 5, 30].map((ms, i) => caller.call('slow', { ms, tag: `t${i}` }).then((r) => (order.push(r), r)));
    assert.deepEqual(await Promise.all(calls), ['t0', 't1', 't2']);
    assert.deepEqual(order, ['t1', 't2', 't0']);
    assert.equal(caller.pendingCount, 0);
  });

  it('delivers results, typed arrays included, as structured clones', async () => {
    const { caller } = link();
    assert.equal(await caller.call('sum', { data: new Float32Array([0.5, 1.5, 2]) }), 4);
    const value = { nested: [1, 'two', null], typed: new Float32Array([1, 2, 3]) };
    const back = (await caller.call('echo', { value })) as typeof value;
    assert.deepEqual(back.nested, value.nested);
    assert.ok(back.typed instanceof Float32Array);
    assert.deepEqual(Array.from(back.typed), [1, 2, 3]);
  });

  it('turns an input error into an InputError with the peer’s one line', async () => {
    const { caller } = link();
    await assert.rejects(
      caller.call('fail', { input: true }),
      (e: unknown) => e instanceof InputError && e.message === '$.Q: expected a matrix',
    );
  });

  it('turns a bug into a plain Error on one line, and an unknown method into an input error', async () => {
    const { caller } = link();
    await assert.rejects(
      caller.call('fail', { input: false }),
      (e: unknown) => e instanceof Error && !(e instanceof InputError) && e.message === 'index out of range at line 2',
    );
    const untyped = caller as unknown as RpcCaller<{ nope: { params: object; result: unknown } }>;
    await assert.rejects(
      untyped.call('nope', {}),
      (e: unknown) => e instanceof InputError && e.message === 'method: unknown method "nope"',
    );
  });

  it('lets the owner choose the error a failure becomes', async () => {
    const { caller } = link({ toError: (method, error, input) => new RangeError(`${method}|${error}|${input}`) });
    await assert.rejects(caller.call('fail', { input: true }), {
      name: 'RangeError',
      message: 'fail|$.Q: expected a matrix|true',
    });
  });

  it('gives up after the timeout, says who did not answer, and ignores the late reply', async () => {
    const { caller, unclaimed } = link({ timeoutMs: 40, peer: 'the host' });
    await assert.rejects(caller.call('slow', { ms: 120, tag: 'late' }), {
      message: 'slow: no answer from the host after 0.04 s',
    });
    assert.equal(caller.pendingCount, 0);
    await tick(150);
    assert.equal(unclaimed.length, 1, 'the late response is not taken for another call');
    assert.deepEqual(unclaimed[0], { kind: 'response', id: 1, ok: true, result: 'late' });
  });

  it('does not time out a call that is answered in time', async () => {
    const { caller } = link({ timeoutMs: 500 });
    assert.equal(await caller.call('slow', { ms: 10, tag: 'ok' }), 'ok');
  });

  it('rejects with CancelledError when the signal aborts, tells onCancel the id, and drops the late reply', async () => {
    const cancelled: number[] = [];
    const { caller, unclaimed } = link({ onCancel: (id) => cancelled.push(id) });
    await caller.call('echo', { value: 1 });
    const ac = new AbortController();
    const call = caller.call('slow', { ms: 60, tag: 'x' }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await assert.rejects(
      call,
      (e: unknown) => e instanceof CancelledError && e.message === 'cancelled: the computation was cancelled',
    );
    assert.deepEqual(cancelled, [2]);
    assert.equal(caller.pendingCount, 0);
    await tick(100);
    assert.equal(unclaimed.length, 1);
  });

  it('carries the abort reason, and does not post at all for a signal aborted already', async () => {
    const { caller, received } = link();
    const ac = new AbortController();
    ac.abort(new Error('the panel was closed'));
    await assert.rejects(
      caller.call('echo', { value: 1 }, { signal: ac.signal }),
      (e: unknown) => e instanceof CancelledError && e.message === 'cancelled: the panel was closed',
    );
    await tick();
    assert.deepEqual(received, []);
  });

  it('moves transferables with a request instead of copying them', async () => {
    const { caller } = link();
    const data = new Float32Array([1, 2, 3, 4]);
    const sum = caller.call('sum', { data }, { transfer: [data.buffer] });
    assert.equal(data.byteLength, 0, 'the sender’s buffer is detached: it was moved');
    assert.equal(await sum, 10);
  });

  it('moves a result marked withTransfer to the caller', async () => {
    const { caller } = link();
    const got = await caller.call('buffer', { length: 16 });
    assert.ok(got instanceof ArrayBuffer);
    assert.deepEqual(Array.from(new Uint8Array(got)), new Array(16).fill(7));
    assert.equal(served.length, 1);
    assert.equal(served[0].byteLength, 0, 'the handler’s buffer is detached: it was moved');
  });

  it('leaves responses to unknown ids to the owner and settles nothing with them', async () => {
    const { caller } = link({}, false);
    const pending = caller.call('echo', { value: 1 });
    assert.equal(caller.receive({ kind: 'response', id: 99, ok: true, result: 'stray' }), false);
    assert.equal(caller.pendingCount, 1);
    assert.equal(caller.receive({ kind: 'response', id: 1, ok: true, result: 'mine' }), true);
    assert.equal(await pending, 'mine');
    assert.equal(
      caller.receive({ kind: 'response', id: 1, ok: true, result: 'again' }),
      false,
      'a second reply to the same id is not taken',
    );
  });

  it('does not take malformed messages for responses', async () => {
    const { caller } = link({}, false);
    const pending = caller.call('echo', { value: 1 });
    for (const m of [
      null,
      undefined,
      1,
      'response',
      [],
      {},
      { kind: 'response' },
      { kind: 'response', id: '1', ok: true },
      { kind: 'response', id: 1 },
      { kind: 'response', id: 1, ok: 'yes' },
      { kind: 'push', id: 1, ok: true },
    ]) {
      assert.equal(caller.receive(m), false, JSON.stringify(m));
    }
    assert.equal(caller.pendingCount, 1);
    caller.rejectAll(new Error('closed'));
    await assert.rejects(pending, { message: 'closed' });
  });

  it('tells requests from other messages on the serving side', () => {
    assert.ok(isRequest({ kind: 'request', id: 1, method: 'echo', params: {} }));
    for (const m of [
      null,
      {},
      { kind: 'request' },
      { kind: 'request', id: '1', method: 'echo' },
      { kind: 'request', id: 1, method: 2 },
      { kind: 'notify', id: 1, method: 'x' },
    ]) {
      assert.equal(isRequest(m), false, JSON.stringify(m));
    }
  });

  it('refuses a result that fails validation and tells onInvalid', async () => {
    const invalid: string[] = [];
    const { caller } = link({
      peer: 'the host',
      validate: (method, result) =>
        typeof result === 'number'
          ? { ok: true, value: result as never }
          : { ok: false, error: `${method}: expected a number` },
      onInvalid: (method, error) => invalid.push(`${method} ${error}`),
    });
    assert.equal(await caller.call('sum', { data: new Float32Array([2]) }), 2);
    await assert.rejects(caller.call('echo', { value: 'text' }), {
      message: 'the host sent a malformed echo result (echo: expected a number)',
    });
    assert.deepEqual(invalid, ['echo echo: expected a number']);
  });

  it('rejects every pending call at once when the peer goes away', async () => {
    const { caller } = link();
    const calls = [caller.call('never', {}), caller.call('never', {})];
    await tick();
    assert.equal(caller.pendingCount, 2);
    caller.rejectAll(new Error('the worker stopped'));
    for (const c of calls) await assert.rejects(c, { message: 'the worker stopped' });
    assert.equal(caller.pendingCount, 0);
  });

  it('rejects a call whose message cannot be posted, and forgets it', async () => {
    const { caller } = link();
    await assert.rejects(caller.call('echo', { value: () => 1 }), { name: 'DataCloneError' });
    assert.equal(caller.pendingCount, 0);
  });
});
