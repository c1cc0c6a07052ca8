// The panel's data source as seen from the extension host: every request goes to an inspection
// worker thread that holds the real source (openSource.ts). Cancelling or a crash terminates the
// worker; the next request starts a fresh one and re-opens the same input, so a panel survives both.
// A model panel's worker holds the loaded model; when the panel closes, its worker is parked
// (IdleModelWorkers: at most one, its scores dropped) for `keepModelMs` and the next inspection of
// that model takes it instead of loading the model again; then it is terminated, which frees all
// of its memory (the WebAssembly memory a forward pass grew never shrinks while the thread lives).
// Other inputs start on the spare worker kept ready (spareWorker.ts).
import type { Worker } from 'node:worker_threads';
import { takeWorker } from './spareWorker';
import { InputError } from '../core';
import { CancelledError } from '../protocol/cancelled';
import { ForwardingSource, type SourceMethods } from '../host/sourceMethods';
import type { InspectionSource, SourceSpec } from '../host/source';
import { METHOD_TABLE, type SourceMethod } from '../protocol/methods';
import { RpcCaller, type RpcRequest, type Transfer } from '../protocol/rpc';
import type { OpenRequest, OpenedInfo } from '../host/openRequest';
import { type WorkerMethods, isWorkerProgress } from './workerProtocol';

/** An error the worker reported about the input, with the worker's one-line message as is. */
export class RemoteInputError extends InputError {
  constructor(message: string) {
    super('input', message);
    this.message = message;
  }
}

export { CancelledError };

/** Progress of a slow request, layer by layer: the listener gets the last report at once, then each new one; call the result to stop. */
export type ProgressFeed = (listener: (done: number, total: number) => void) => () => void;

export interface WorkerSourceOptions {
  /** Path of dist/inspectionWorker.js. */
  readonly workerPath: string;
  /**
   * Called when a request is still running after `slowAfterMs`: the host shows progress with a
   * cancel button that calls `cancel`; `done` settles when the request does.
   */
  readonly onSlow?: (label: string, cancel: () => void, done: Promise<unknown>, progress: ProgressFeed) => void;
  readonly slowAfterMs?: number;
  /** How long a closed model panel's worker keeps the loaded model for the next inspection of it (0 or absent: ended at once). */
  readonly keepModelMs?: number;
  /** Called with the source before it starts opening (so a caller can cancel the open). */
  readonly onCreated?: (source: WorkerSource) => void;
  /** A worker died on its own (out of memory, a bug): the user is told; the next request restarts it. */
  readonly onCrash?: (message: string) => void;
}

let liveWorkers = 0;

/** A closed model panel's worker, kept with its model loaded until `timer` ends it. */
interface ParkedWorker {
  readonly worker: Worker;
  readonly path: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * At most one parked worker (the last model panel closed): a worker's memory after a forward pass
 * is its WebAssembly memory at its peak, so keeping several would multiply the bound.
 */
class IdleModelWorkers {
  private parked: ParkedWorker | null = null;

  get count(): number {
    return this.parked ? 1 : 0;
  }

  get path(): string | null {
    return this.parked?.path ?? null;
  }

  park(worker: Worker, path: string, keepMs: number): void {
    this.endParked();
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.on('message', () => undefined);
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.parked?.worker !== worker) return;
      clearTimeout(this.parked.timer);
      this.parked = null;
      liveWorkers--;
    });
    // The closed panel's scores go now; the model stays for the next inspection of it. Its own id
    // (-1), outside every RpcCaller's (from 1 up), so the reply is never taken for another call's.
    const release: RpcRequest<WorkerMethods, 'release'> = { kind: 'request', id: -1, method: 'release', params: null };
    worker.postMessage(release);
    const timer = setTimeout(() => this.endParked(), keepMs);
    timer.unref?.();
    this.parked = { worker, path, timer };
  }

  /** The parked worker if it holds `path` (it is no longer parked). */
  take(path: string): Worker | null {
    const p = this.parked;
    if (!p || p.path !== path) return null;
    clearTimeout(p.timer);
    this.parked = null;
    p.worker.removeAllListeners('message');
    p.worker.removeAllListeners('error');
    p.worker.removeAllListeners('exit');
    return p.worker;
  }

  /** Terminates the parked worker; true if there was one. */
  endParked(): boolean {
    const p = this.parked;
    if (!p) return false;
    clearTimeout(p.timer);
    this.parked = null;
    liveWorkers--;
    void p.worker.terminate();
    return true;
  }
}

const idleModels = new IdleModelWorkers();

export class WorkerSource extends ForwardingSource implements InspectionSource {
  /** Worker threads alive in this process (the load tests count them to find leaks). */
  static get liveWorkers(): number {
    return liveWorkers;
  }

  /** The model a closed panel's worker keeps loaded, or null (the in-host tests watch it go). */
  static get parkedModel(): string | null {
    return idleModels.path;
  }

  /** Ends the parked worker now (the keep setting was turned off, the extension deactivates). */
  static releaseIdleModel(): boolean {
    return idleModels.endParked();
  }

  private worker: Worker | null = null;
  /** The RPC caller of the running worker (a new one per worker: a dead worker's calls are rejected). */
  private rpc: RpcCaller<WorkerMethods> | null = null;
  private opening: Promise<OpenedInfo> | null = null;
  private disposed = false;
  private expectedExit = false;
  /** The worker whose open succeeded (only such a worker is worth parking). */
  private openedOn: Worker | null = null;
  private lastProgress: { done: number; total: number } | null = null;
  private readonly progressListeners = new Set<(done: number, total: number) => void>();
  info: OpenedInfo = { offsets: null, spec: null };

  private constructor(
    readonly request: OpenRequest,
    private readonly options: WorkerSourceOptions,
  ) {
    super();
  }

  /** A source that opens its input on the first request (a restored panel asks when it is ready). */
  static lazy(request: OpenRequest, options: WorkerSourceOptions): WorkerSource {
    return new WorkerSource(request, options);
  }

  /** Opens the input in a new worker. Rejects with InputError for bad input, CancelledError on cancel. */
  static async open(request: OpenRequest, options: WorkerSourceOptions): Promise<WorkerSource> {
    const source = new WorkerSource(request, options);
    options.onCreated?.(source);
    try {
      await source.ensureOpen();
      return source;
    } catch (e) {
      source.dispose();
      throw e;
    }
  }

  get spec(): SourceSpec | undefined {
    return this.info.spec ?? undefined;
  }

  /** Stops whatever runs now: pending requests reject with CancelledError. True if something was running. */
  cancel(): boolean {
    const running = (this.rpc?.pendingCount ?? 0) > 0;
    if (running) this.stopWorker(new CancelledError());
    return running;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const worker = this.worker;
    const keepMs = this.options.keepModelMs ?? 0;
    if (
      worker &&
      this.request.kind === 'model' &&
      keepMs > 0 &&
      this.openedOn === worker &&
      (this.rpc?.pendingCount ?? 0) === 0
    ) {
      this.worker = null;
      this.rpc = null;
      this.opening = null;
      idleModels.park(worker, this.request.path, keepMs);
      return;
    }
    this.stopWorker(new InputError('panel', 'the panel was closed'));
  }

  protected async call<M extends SourceMethod>(
    method: M,
    params: SourceMethods[M]['params'],
  ): Promise<SourceMethods[M]['result']> {
    await this.ensureOpen();
    return this.send(method, params, METHOD_TABLE[method].progress);
  }

  private ensureOpen(): Promise<OpenedInfo> {
    if (this.disposed) return Promise.reject(new InputError('panel', 'the panel was closed'));
    if (!this.opening) {
      const worker = this.startWorker();
      this.lastProgress = null;
      const sent = this.send(
        'open',
        this.request,
        this.request.kind === 'model' ? 'Running the model' : 'Opening the input',
      );
      const opening = sent.then((info) => {
        this.openedOn = worker;
        return (this.info = info);
      });
      this.opening = opening;
      // A failed open is retried on the next request (the file may have been fixed meanwhile), unless
      // a newer open (after a crash or cancel) has replaced this one.
      opening.catch(() => {
        if (this.opening === opening) this.opening = null;
      });
    }
    return this.opening;
  }

  private startWorker(): Worker {
    const reused = this.request.kind === 'model' ? idleModels.take(this.request.path) : null;
    const worker = reused ?? takeWorker(this.options.workerPath);
    if (!reused) liveWorkers++;
    this.worker = worker;
    this.expectedExit = false;
    const rpc = new RpcCaller<WorkerMethods>(
      (message, transfer?: Transfer) => worker.postMessage(message, transfer as never),
      {
        toError: (_method, error, input) =>
          input ? new RemoteInputError(error) : new InputError('internal error', error),
      },
    );
    this.rpc = rpc;
    worker.on('message', (message: unknown) => {
      if (!rpc.receive(message) && isWorkerProgress(message) && this.worker === worker) this.progress(message);
    });
    worker.on('error', (e) => this.onExit(worker, `the computation failed (${e.message.split('\n')[0]})`));
    worker.on('exit', (code) => this.onExit(worker, `the computation stopped unexpectedly (exit code ${code})`));
    return worker;
  }

  private progress(p: { done: number; total: number }): void {
    this.lastProgress = { done: p.done, total: p.total };
    for (const listener of this.progressListeners) listener(p.done, p.total);
  }

  /** The feed a slow request's notification reads. */
  private readonly progressFeed: ProgressFeed = (listener) => {
    this.progressListeners.add(listener);
    if (this.lastProgress) listener(this.lastProgress.done, this.lastProgress.total);
    return () => this.progressListeners.delete(listener);
  };

  private onExit(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    liveWorkers--;
    this.worker = null;
    this.opening = null;
    const expected = this.expectedExit;
    this.rejectAll(new InputError('worker', `${message}; it restarts on the next request`));
    if (!expected && !this.disposed) this.options.onCrash?.(message);
  }

  private stopWorker(reason: Error): void {
    const worker = this.worker;
    this.rejectAll(reason);
    if (!worker) return;
    this.expectedExit = true;
    this.worker = null;
    this.opening = null;
    liveWorkers--;
    void worker.terminate();
  }

  private rejectAll(reason: Error): void {
    const rpc = this.rpc;
    this.rpc = null;
    rpc?.rejectAll(reason);
  }

  private send<M extends keyof WorkerMethods>(
    method: M,
    params: WorkerMethods[M]['params'],
    label: string,
  ): Promise<WorkerMethods[M]['result']> {
    const rpc = this.rpc;
    if (!rpc) return Promise.reject(new InputError('worker', 'the computation is not running'));
    const done = rpc.call(method, params);
    if (this.options.onSlow) {
      const timer = setTimeout(
        () => this.options.onSlow?.(label, () => this.cancel(), done, this.progressFeed),
        this.options.slowAfterMs ?? 400,
      );
      const clear = () => clearTimeout(timer);
      done.then(clear, clear);
    }
    return done;
  }
}
