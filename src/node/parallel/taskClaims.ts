// How a pool's workers share out one call's tasks without a message per task: for each phase, a
// counter that each worker increments (Atomics.add) to claim the next task, and a count of workers
// that have finished the phase, on which the others wait (Atomics.wait) before the next phase starts.
// The counters are a few bytes of a SharedArrayBuffer made for each call and sent with its message.
// Atomics are sequentially consistent, so a worker past the barrier sees every result of the phase.

const SLOTS_PER_PHASE = 2;

/** Zeroed counters for a call of `phases` phases. */
export function claimCounters(phases: number): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * SLOTS_PER_PHASE * Math.max(1, phases));
}

/**
 * Runs this worker's share of every phase: claims tasks until the phase has none left, then waits
 * until all `executors` workers are done with it.
 */
export function runClaimedPhases<T>(
  control: SharedArrayBuffer,
  phases: readonly (readonly T[])[],
  executors: number,
  run: (task: T) => void,
): void {
  const slots = new Int32Array(control);
  phases.forEach((tasks, p) => {
    const claim = SLOTS_PER_PHASE * p,
      done = claim + 1;
    for (let i = Atomics.add(slots, claim, 1); i < tasks.length; i = Atomics.add(slots, claim, 1)) run(tasks[i]);
    if (Atomics.add(slots, done, 1) + 1 === executors) Atomics.notify(slots, done);
    else if (p < phases.length - 1)
      for (let seen = Atomics.load(slots, done); seen < executors; seen = Atomics.load(slots, done))
        Atomics.wait(slots, done, seen);
  });
}
