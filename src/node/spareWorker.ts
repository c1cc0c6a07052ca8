// One idle inspection worker kept ready after the first use. Starting a worker thread and
// evaluating its bundle (kernels compiled, ~600 KB of script) costs 100–300 ms, which used to sit
// on the path from the command to the first heatmap of every inspection; taking a spare makes that
// path an RPC to a thread that is already up. Memory is bounded: at most one spare, started only
// once inspections have been made, and ended after SPARE_IDLE_MS without one.
import { Worker } from 'node:worker_threads';

/** A spare is started this long after one is taken (out of the way of the request that took it). */
const SPARE_DELAY_MS = 200;
/** A spare nobody takes for this long is ended (an idle worker holds ~20–40 MB). */
const SPARE_IDLE_MS = 5 * 60_000;

interface Spare {
  readonly path: string;
  readonly worker: Worker;
  readonly idle: ReturnType<typeof setTimeout>;
}

let spare: Spare | null = null;
let starting: ReturnType<typeof setTimeout> | null = null;

/** A started worker for `path`: the spare if there is one, else a new one. Either way a new spare follows. */
export function takeWorker(path: string): Worker {
  const ready = spare?.path === path ? spare : null;
  if (ready) {
    clearTimeout(ready.idle);
    ready.worker.removeAllListeners();
    ready.worker.ref();
    spare = null;
  }
  scheduleSpare(path);
  return ready?.worker ?? new Worker(path);
}

function scheduleSpare(path: string): void {
  if (starting) clearTimeout(starting);
  starting = setTimeout(() => {
    starting = null;
    if (spare?.path === path) return;
    endSpare();
    const worker = new Worker(path);
    // An idle spare must not keep the process alive, and one that dies on its own is just dropped.
    worker.unref();
    const drop = (): void => {
      if (spare?.worker === worker) {
        clearTimeout(spare.idle);
        spare = null;
      }
    };
    worker.on('error', drop);
    worker.on('exit', drop);
    spare = { path, worker, idle: setTimeout(endSpare, SPARE_IDLE_MS) };
    spare.idle.unref?.();
  }, SPARE_DELAY_MS);
  starting.unref?.();
}

/** Ends the spare (idle timeout, deactivation, tests). */
export function endSpare(): void {
  if (starting) {
    clearTimeout(starting);
    starting = null;
  }
  const s = spare;
  spare = null;
  if (!s) return;
  clearTimeout(s.idle);
  s.worker.removeAllListeners();
  void s.worker.terminate();
}

/** True while a spare is waiting (tests). */
export function hasSpare(): boolean {
  return spare !== null;
}
