// A small pool of threads that run the tasks of one attention call at a time over a shared
// WebAssembly memory: inputs are written once by the main thread and read in place by every thread,
// and results are written in place (disjoint regions per task), so nothing is copied per thread. A
// call is one message to each worker: the workers claim tasks from shared counters (taskClaims.ts)
// instead of being sent them one by one, which cost a round trip per task. The calling thread joins
// in (callerJoins, the default): it is awake already, so it starts at once, and a call ends when its
// tasks are done, not when every worker has been woken and has replied (under load, waking a worker
// cost 0.3-0.9 ms, as much as a small call's arithmetic). It yields between tasks when the call has a
// signal, so an abort still lands; a worker stuck in a kernel is terminated as before.
// Workers are started on first use, kept (unref'd) while idle, terminated on cancel or close().
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RpcCaller, type Transfer } from '../../protocol/rpc';
import type { Job, PoolMethods, WorkerInit, WorkerTask } from './protocol';
import { sharedKernelModule } from './sharedKernels';
import { CancelledError } from '../../protocol/cancelled';
import { claimCounters, runClaimedPhasesAsync } from './taskClaims';
import type { KernelExports } from '../../core/kernels/abi';
import { runJobTask } from './runJobTask';

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
  /** Threads computing a call, the calling thread included when it joins; default min(2, available cores). */
  readonly size?: number;
  readonly script?: WorkerScript | null;
  /** Whether the calling thread runs tasks too (default true: size − 1 worker threads). */
  readonly callerJoins?: boolean;
}

/** Attention worker threads started and not yet exited, over all pools (tests check none leak). */
let liveWorkers = 0;
export function liveAttentionWorkers(): number {
  return liveWorkers;
}

export { CancelledError };

/** A worker thread and the RPC caller that numbers its tasks and matches their replies. */
interface PoolWorker {
  readonly thread: Worker;
  readonly rpc: RpcCaller<PoolMethods>;
}

export class AttentionPool {
  /** Threads that compute a call (plans give each its scratch); the calling thread is the last. */
  readonly size: number;
  private readonly callerJoins: boolean;
  private readonly script: WorkerScript | null;
  private workers: PoolWorker[] = [];
  /** The calling thread's kernel instance over each memory it has joined a call in. */
  private instances = new WeakMap<WebAssembly.Memory, KernelExports>();
  private module: WebAssembly.Module | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.min(2, availableParallelism())));
    this.callerJoins = options.callerJoins ?? true;
    this.script = options.script === undefined ? defaultWorkerScript() : options.script;
  }

  /** Whether calls can run here (a worker script, WebAssembly threads and SIMD); otherwise callers fall back. */
  get available(): boolean {
    return !this.closed && this.script !== null && sharedKernelModule() !== null;
  }

  /** Runs the phases of a job; calls are queued, one at a time. Rejects with CancelledError on abort. */
  run(
    memory: WebAssembly.Memory,
    job: Job,
    phases: readonly (readonly WorkerTask[])[],
    signal?: AbortSignal,
  ): Promise<void> {
    const result = this.tail.then(() => this.runNow(memory, job, phases, signal));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Terminates the workers; a closed pool refuses new calls. */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill();
  }

  /** Worker threads currently alive (for tests: a cancelled or closed pool leaves none). */
  get threadCount(): number {
    return this.workers.length;
  }

  private get workerCount(): number {
    return this.callerJoins ? this.size - 1 : this.size;
  }

  private start(): PoolWorker[] {
    if (this.workers.length === 0 || this.module === null) {
      const module = sharedKernelModule();
      if (!module || !this.script) throw new Error('parallel attention is not available here');
      // The calling thread computes with the workers' build (a pool keeps the build it started with).
      if (this.module !== module) this.instances = new WeakMap();
      this.module = module;
      const init: WorkerInit = { module };
      for (let i = 0; i < this.workerCount; i++) {
        const thread = new Worker(this.script.file, { workerData: init, execArgv: this.script.execArgv });
        liveWorkers++;
        thread.once('exit', () => liveWorkers--);
        thread.unref();
        const rpc = new RpcCaller<PoolMethods>((message, transfer?: Transfer) =>
          thread.postMessage(message, transfer as never),
        );
        thread.on('message', (message: unknown) => rpc.receive(message));
        this.workers.push({ thread, rpc });
      }
    }
    return this.workers;
  }

  private async kill(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    for (const w of workers) w.rpc.rejectAll(new Error('the attention worker was stopped'));
    await Promise.all(workers.map((w) => w.thread.terminate()));
  }

  private runNow(
    memory: WebAssembly.Memory,
    job: Job,
    phases: readonly (readonly WorkerTask[])[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the attention pool is closed'));
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    const workers = this.start();
    const scratch = job.kind === 'sweep' || job.kind === 'gemm' ? [] : job.plan.scratch;
    const control = claimCounters(phases.length);
    const callerScratch = scratch[workers.length] ?? 0;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const listeners = workers.map((worker) => ({
        worker,
        error: (error: Error) => fail(error, true),
        exit: (code: number) => fail(new Error(`attention worker stopped (exit code ${code})`), true),
      }));
      const cleanup = (): void => {
        signal?.removeEventListener('abort', onAbort);
        for (const l of listeners) {
          l.worker.thread.off('error', l.error);
          l.worker.thread.off('exit', l.exit);
          l.worker.thread.unref();
        }
      };
      const fail = (error: Error, killWorkers: boolean): void => {
        if (settled) return;
        settled = true;
        cleanup();
        // A worker may be deep inside a kernel (or waiting at a phase barrier for one that failed):
        // the only way to stop it is to end the thread.
        if (killWorkers) void this.kill();
        // Wake the calling thread if it waits for a phase: it sees the call settled and stops.
        const slots = new Int32Array(control);
        for (let i = 1; i < slots.length; i += 2) Atomics.notify(slots, i);
        reject(error);
      };
      const workerFailed = (error: unknown): void =>
        fail(new Error(`attention worker: ${error instanceof Error ? error.message : String(error)}`), true);
      const onAbort = (): void => fail(new CancelledError(signal?.reason), true);
      signal?.addEventListener('abort', onAbort, { once: true });
      // One message per worker: every worker takes part in every phase (the barriers count them all).
      const runs = workers.map((worker, i) => {
        const l = listeners[i];
        worker.thread.on('error', l.error);
        worker.thread.on('exit', l.exit);
        worker.thread.ref();
        return worker.rpc.call('run', {
          memory,
          job,
          scratch: scratch[i] ?? 0,
          phases,
          control,
        });
      });
      const succeed = (): void => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve();
      };
      if (!this.callerJoins) {
        Promise.all(runs).then(succeed, workerFailed);
        return;
      }
      // Done when every task is (the caller waits for the last ones); a worker's reply may come later.
      for (const run of runs) run.catch(workerFailed);
      const ex = this.instanceFor(memory);
      const yieldTurn = signal ? () => new Promise<void>((r) => setImmediate(r)) : undefined;
      runClaimedPhasesAsync(
        control,
        phases,
        (task) => runJobTask(ex, job, task, callerScratch),
        () => settled,
        yieldTurn,
      ).then(succeed, (error: unknown) =>
        fail(error instanceof Error ? error : new Error(`attention: ${String(error)}`), true),
      );
    });
  }

  /** The calling thread's kernels over a call's memory (instantiated once per memory). */
  private instanceFor(memory: WebAssembly.Memory): KernelExports {
    let ex = this.instances.get(memory);
    if (!ex) {
      ex = new WebAssembly.Instance(this.module!, { env: { memory } }).exports as unknown as KernelExports;
      this.instances.set(memory, ex);
    }
    return ex;
  }
}
