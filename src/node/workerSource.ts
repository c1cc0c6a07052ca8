// The panel's data source as seen from the extension host: every request goes to an inspection
// worker thread that holds the real source (openSource.ts). Cancelling or a crash terminates the
// worker; the next request starts a fresh one and re-opens the same input, so a panel survives both.
import type { Worker } from 'node:worker_threads';
import { takeWorker } from './spareWorker';
import { InputError } from '../core';
import { CancelledError } from '../protocol/cancelled';
import { ForwardingSource, type SourceMethods } from '../host/sourceMethods';
import type { InspectionSource, SourceSpec } from '../host/source';
import { METHOD_TABLE, type SourceMethod } from '../protocol/methods';
import { RpcCaller, type Transfer } from '../protocol/rpc';
import type { OpenRequest, OpenedInfo } from '../host/openRequest';
import type { WorkerMethods } from './workerProtocol';

/** An error the worker reported about the input, with the worker's one-line message as is. */
export class RemoteInputError extends InputError {
  constructor(message: string) {
    super('input', message);
    this.message = message;
  }
}

export { CancelledError };

export interface WorkerSourceOptions {
  /** Path of dist/inspectionWorker.js. */
  readonly workerPath: string;
  /**
   * Called when a request is still running after `slowAfterMs`: the host shows progress with a
   * cancel button that calls `cancel`; `done` settles when the request does.
   */
  readonly onSlow?: (label: string, cancel: () => void, done: Promise<unknown>) => void;
  readonly slowAfterMs?: number;
  /** Called with the source before it starts opening (so a caller can cancel the open). */
  readonly onCreated?: (source: WorkerSource) => void;
  /** A worker died on its own (out of memory, a bug): the user is told; the next request restarts it. */
  readonly onCrash?: (message: string) => void;
}

let liveWorkers = 0;

export class WorkerSource extends ForwardingSource implements InspectionSource {
  /** Worker threads alive in this process (the load tests count them to find leaks). */
  static get liveWorkers(): number {
    return liveWorkers;
  }

  private worker: Worker | null = null;
  /** The RPC caller of the running worker (a new one per worker: a dead worker's calls are rejected). */
  private rpc: RpcCaller<WorkerMethods> | null = null;
  private opening: Promise<OpenedInfo> | null = null;
  private disposed = false;
  private expectedExit = false;
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
      this.startWorker();
      const sent = this.send('open', this.request, 'Opening the input');
      const opening = sent.then((info) => (this.info = info));
      this.opening = opening;
      // A failed open is retried on the next request (the file may have been fixed meanwhile), unless
      // a newer open (after a crash or cancel) has replaced this one.
      opening.catch(() => {
        if (this.opening === opening) this.opening = null;
      });
    }
    return this.opening;
  }

  private startWorker(): void {
    const worker = takeWorker(this.options.workerPath);
    liveWorkers++;
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
    worker.on('message', (message: unknown) => rpc.receive(message));
    worker.on('error', (e) => this.onExit(worker, `the computation failed (${e.message.split('\n')[0]})`));
    worker.on('exit', (code) => this.onExit(worker, `the computation stopped unexpectedly (exit code ${code})`));
  }

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
        () => this.options.onSlow?.(label, () => this.cancel(), done),
        this.options.slowAfterMs ?? 400,
      );
      const clear = () => clearTimeout(timer);
      done.then(clear, clear);
    }
    return done;
  }
}
