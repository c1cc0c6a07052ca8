// A small pool of worker threads that run the tasks of one attention call at a time over a shared
// WebAssembly memory: inputs are written once by the main thread and read in place by every worker,
// and results are written in place (disjoint regions per task), so nothing is copied per worker.
// Workers are started on first use, kept (unref'd) while idle, terminated on cancel or close().
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromWorker, Job, ToWorker, WorkerInit, WorkerTask } from './protocol';
import { sharedKernelModule } from './sharedKernels';
import { CancelledError } from '../../protocol/cancelled';

export interface WorkerScript {
  readonly file: string;
  readonly execArgv?: string[];
}

/**
 * The worker bundle next to this code (dist/attentionWorker.js), or, when running from the sources
 * under tsx (tests), the TypeScript worker loaded through tsx. Null when neither is there.
 */
export function defaultWorkerScript(): WorkerScript | null {
  const bundled = join(__dirname, 'attentionWorker.js');
  if (existsSync(bundled)) return { file: bundled };
  const source = join(__dirname, 'attentionWorker.ts');
  if (existsSync(source)) return { file: source, execArgv: ['--require', 'tsx/cjs'] };
  return null;
}

export interface PoolOptions {
  /** Worker count; default min(2, available cores). */
  readonly size?: number;
  readonly script?: WorkerScript | null;
}

/** Attention worker threads started and not yet exited, over all pools (tests check none leak). */
let liveWorkers = 0;
export function liveAttentionWorkers(): number {
  return liveWorkers;
}

/** Tasks sent ahead to each worker. */
const TASKS_IN_FLIGHT = 2;

export { CancelledError };

export class AttentionPool {
  readonly size: number;
  private readonly script: WorkerScript | null;
  private workers: Worker[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.min(2, availableParallelism())));
    this.script = options.script === undefined ? defaultWorkerScript() : options.script;
  }

  /** Whether calls can run here (a worker script, WebAssembly threads and SIMD); otherwise callers fall back. */
  get available(): boolean {
    return !this.closed && this.script !== null && sharedKernelModule() !== null;
  }

  /** Runs the phases of a job; calls are queued, one at a time. Rejects with CancelledError on abort. */
  run(memory: WebAssembly.Memory, job: Job, phases: readonly (readonly WorkerTask[])[], signal?: AbortSignal): Promise<void> {
    const result = this.tail.then(() => this.runNow(memory, job, phases, signal));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Terminates the workers; a closed pool refuses new calls. */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill();
  }

  /** Threads currently alive (for tests: a cancelled or closed pool leaves none). */
  get threadCount(): number {
    return this.workers.length;
  }

  private start(): Worker[] {
    if (this.workers.length === 0) {
      const module = sharedKernelModule();
      if (!module || !this.script) throw new Error('parallel attention is not available here');
      const init: WorkerInit = { module };
      for (let i = 0; i < this.size; i++) {
        const worker = new Worker(this.script.file, { workerData: init, execArgv: this.script.execArgv });
        liveWorkers++;
        worker.once('exit', () => liveWorkers--);
        worker.unref();
        this.workers.push(worker);
      }
    }
    return this.workers;
  }

  private async kill(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private runNow(memory: WebAssembly.Memory, job: Job, phases: readonly (readonly WorkerTask[])[], signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the attention pool is closed'));
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    const workers = this.start();
    const scratch = job.kind === 'sweep' ? [] : job.plan.scratch;
    return new Promise<void>((resolve, reject) => {
      let phase = -1;
      let queue: WorkerTask[] = [];
      let running = 0;
      let settled = false;
      const listeners = workers.map((worker) => ({
        worker,
        message: (message: FromWorker) => {
          if (message.type === 'error') return fail(new Error(`attention worker: ${message.message}`), true);
          running--;
          dispatch(worker);
        },
        error: (error: Error) => fail(error, true),
        exit: (code: number) => fail(new Error(`attention worker stopped (exit code ${code})`), true),
      }));
      const cleanup = (): void => {
        signal?.removeEventListener('abort', onAbort);
        for (const l of listeners) {
          l.worker.off('message', l.message);
          l.worker.off('error', l.error);
          l.worker.off('exit', l.exit);
          l.worker.unref();
        }
      };
      const fail = (error: Error, killWorkers: boolean): void => {
        if (settled) return;
        settled = true;
        cleanup();
        // A worker may be deep inside a kernel: the only way to stop it is to end the thread.
        if (killWorkers) void this.kill();
        reject(error);
      };
      const succeed = (): void => {
        if (settled) return;
        settled = true;
        cleanup();
        for (const w of workers) w.postMessage({ type: 'unbind' } satisfies ToWorker);
        resolve();
      };
      const onAbort = (): void => fail(new CancelledError(signal?.reason), true);
      const send = (worker: Worker, message: ToWorker): void => worker.postMessage(message);
      const nextPhase = (): void => {
        phase++;
        if (phase >= phases.length) return succeed();
        queue = [...phases[phase]];
        // Two tasks in flight per worker: the next one is already queued when a task ends, which
        // hides the message round trip (it dominates small calls).
        for (let ahead = 0; ahead < TASKS_IN_FLIGHT; ahead++) for (const w of workers) dispatch(w);
      };
      function dispatch(worker: Worker): void {
        if (settled) return;
        const task = queue.shift();
        if (task) {
          running++;
          send(worker, { type: 'task', task });
        } else if (running === 0) {
          nextPhase();
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      workers.forEach((worker, i) => {
        const l = listeners[i];
        worker.on('message', l.message);
        worker.on('error', l.error);
        worker.on('exit', l.exit);
        worker.ref();
        send(worker, { type: 'bind', memory, job, scratch: scratch[i] ?? 0 });
      });
      nextPhase();
    });
  }
}
