// How the threads of a call share out its tasks without a message per task: for each phase, a
// counter that each thread increments (Atomics.add) to claim the next task, and a count of completed
// tasks, on which threads wait (Atomics.wait) before starting the next phase. The counters are a few
// bytes of a SharedArrayBuffer made for each call and sent with its message. Atomics are sequentially
// consistent, so a thread that sees a phase's count complete sees every result of the phase.
// A phase ends when its tasks are done, not when every thread has arrived: the calling thread joins
// the call (runClaimedPhasesAsync) and need not wait for a worker that is slow to wake, which then
// finds nothing left to claim and returns without touching the call's memory.

const SLOTS_PER_PHASE = 2;

/** Zeroed counters for a call of `phases` phases. */
export function claimCounters(phases: number): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * SLOTS_PER_PHASE * Math.max(1, phases));
}

/** Claims and runs tasks of phase p until none is left; notifies waiters when the phase completes. */
function runPhase<T>(slots: Int32Array, p: number, tasks: readonly T[], run: (task: T) => void): void {
  const claim = SLOTS_PER_PHASE * p,
    done = claim + 1;
  for (let i = Atomics.add(slots, claim, 1); i < tasks.length; i = Atomics.add(slots, claim, 1)) {
    run(tasks[i]);
    if (Atomics.add(slots, done, 1) + 1 === tasks.length) Atomics.notify(slots, done);
  }
}

/**
 * A worker's share of every phase: claims tasks until the phase has none left, then waits until the
 * phase's tasks are all done before the next phase (not after the last).
 */
export function runClaimedPhases<T>(
  control: SharedArrayBuffer,
  phases: readonly (readonly T[])[],
  run: (task: T) => void,
): void {
  const slots = new Int32Array(control);
  phases.forEach((tasks, p) => {
    runPhase(slots, p, tasks, run);
    if (p === phases.length - 1) return;
    const done = SLOTS_PER_PHASE * p + 1;
    for (let seen = Atomics.load(slots, done); seen < tasks.length; seen = Atomics.load(slots, done))
      Atomics.wait(slots, done, seen);
  });
}

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** Resolves once slots[index] is no longer `seen` (or after timeoutMs), without blocking the thread. */
async function changed(slots: Int32Array, index: number, seen: number, timeoutMs: number): Promise<void> {
  if (!waitAsync) return new Promise((resolve) => setTimeout(resolve, 0));
  const r = waitAsync(slots, index, seen, timeoutMs);
  if (r.async) await r.value;
}

/**
 * The calling thread's share: the same claims, but waiting for a phase (and, at the end, for the
 * last tasks other threads still run) without blocking, so messages, errors and aborts are handled.
 * `stop()` true ends it early (the call failed or was cancelled); `between` runs after each task.
 */
export async function runClaimedPhasesAsync<T>(
  control: SharedArrayBuffer,
  phases: readonly (readonly T[])[],
  run: (task: T) => void,
  stop: () => boolean,
  between?: () => Promise<void>,
): Promise<void> {
  const slots = new Int32Array(control);
  for (let p = 0; p < phases.length; p++) {
    const tasks = phases[p];
    const claim = SLOTS_PER_PHASE * p,
      done = claim + 1;
    for (let i = Atomics.add(slots, claim, 1); i < tasks.length; i = Atomics.add(slots, claim, 1)) {
      run(tasks[i]);
      if (Atomics.add(slots, done, 1) + 1 === tasks.length) Atomics.notify(slots, done);
      if (between) await between();
      if (stop()) return;
    }
    for (let seen = Atomics.load(slots, done); seen < tasks.length; seen = Atomics.load(slots, done)) {
      await changed(slots, done, seen, 50);
      if (stop()) return;
    }
  }
}
