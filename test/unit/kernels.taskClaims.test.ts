// The pool's task claiming (src/node/parallel/taskClaims.ts) on one thread: every task of every phase
// runs exactly once and no task of a phase runs before the previous phase is done. The two-worker
// case (claims racing, the barrier waiting) runs in test/unit/kernels.parallel.test.ts through the
// pool, whose multi-phase calls give the one-thread results only if the barrier holds.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { claimCounters, runClaimedPhases, runClaimedPhasesAsync } from '../../src/node/parallel/taskClaims';

describe('task claims and phase barriers', () => {
  it('one executor runs every task once, phase after phase (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { maxLength: 6 }), (sizes) => {
        const phases = sizes.map((size, p) => Array.from({ length: size }, (_, i) => ({ p, i })));
        const ran: { p: number; i: number }[] = [];
        runClaimedPhases(claimCounters(phases.length), phases, (task) => ran.push(task));
        assert.deepEqual(ran, phases.flat());
      }),
    );
  });

  it('the calling thread alone (async) runs every task once, phase after phase, and stops when told (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 12 }), { maxLength: 5 }),
        fc.nat({ max: 40 }),
        async (sizes, stopAfter) => {
          const phases = sizes.map((size, p) => Array.from({ length: size }, (_, i) => ({ p, i })));
          const ran: { p: number; i: number }[] = [];
          await runClaimedPhasesAsync(
            claimCounters(phases.length),
            phases,
            (task) => ran.push(task),
            () => ran.length >= stopAfter,
            () => Promise.resolve(),
          );
          const all = phases.flat();
          assert.deepEqual(ran, all.slice(0, Math.max(Math.min(stopAfter, all.length), Math.min(1, all.length))));
        },
      ),
    );
  });

  it('a phase a worker finished is not waited for again: the caller passes it and completes the call', async () => {
    const control = claimCounters(2);
    const ran: string[] = [];
    // A "worker" (this thread, synchronously) takes all of phase 0; the caller then runs phase 1.
    const slots = new Int32Array(control);
    Atomics.store(slots, 0, 2);
    Atomics.store(slots, 1, 2);
    await runClaimedPhasesAsync(
      control,
      [['a', 'b'], ['c']],
      (t) => ran.push(t),
      () => false,
    );
    assert.deepEqual(ran, ['c']);
  });

  it('a phase with no tasks does not hold up the next', () => {
    const ran: string[] = [];
    runClaimedPhases(claimCounters(3), [[], ['a'], []], (t) => ran.push(t));
    assert.deepEqual(ran, ['a']);
  });
});
