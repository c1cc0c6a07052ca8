// The pool's task claiming (src/node/parallel/taskClaims.ts) on one thread: every task of every phase
// runs exactly once and no task of a phase runs before the previous phase is done. The two-worker
// case (claims racing, the barrier waiting) runs in test/unit/kernels.parallel.test.ts through the
// pool, whose multi-phase calls give the one-thread results only if the barrier holds.
import './kernels.setup';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { claimCounters, runClaimedPhases } from '../../src/node/parallel/taskClaims';

describe('task claims and phase barriers', () => {
  it('one executor runs every task once, phase after phase (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { maxLength: 6 }), (sizes) => {
        const phases = sizes.map((size, p) => Array.from({ length: size }, (_, i) => ({ p, i })));
        const ran: { p: number; i: number }[] = [];
        runClaimedPhases(claimCounters(phases.length), phases, 1, (task) => ran.push(task));
        assert.deepEqual(ran, phases.flat());
      }),
    );
  });

  it('a phase with no tasks does not hold up the next', () => {
    const ran: string[] = [];
    runClaimedPhases(claimCounters(3), [[], ['a'], []], 1, (t) => ran.push(t));
    assert.deepEqual(ran, ['a']);
  });
});
