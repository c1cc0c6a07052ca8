// The panel's data source as seen from the extension host: every request goes to an inspection
// worker thread that holds the real source (openSource.ts). Cancelling or a crash terminates the
// worker; the next request starts a fresh one and re-opens the same input, so a panel survives both.
import { Worker } from 'node:worker_threads';
import { InputError } from '../core';
import { CancelledError } from '../protocol/cancelled';
import type { InspectionSource, HeadOptions, SourceSpec } from '../host/source';
import type { HeadIndex, HeadPayload, MaskName, Overview, RegionParams, RegionPayload, Thumbnails, VarianceSample } from '../protocol/messages';
import type { OpenRequest, OpenedInfo } from '../host/openRequest';
import type { SourceMethod, WorkerReply, WorkerRequest } from './workerProtocol';

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

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const LABELS: Record<SourceMethod | 'open', string> = {
  open: 'Opening the input',
  overview: 'Computing every head',
  head: 'Computing a head',
  thumbnails: 'Building the heads overview',
  variance: 'Running the variance experiment',
  region: 'Computing a region at full resolution',
};

let liveWorkers = 0;

export class WorkerSource implements InspectionSource {
  /** Worker threads alive in this process (the load tests count them to find leaks). */
  static get liveWorkers(): number {
    return liveWorkers;
  }

  private worker: Worker | null = null;
  private opening: Promise<OpenedInfo> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private expectedExit = false;
  info: OpenedInfo = { offsets: null, spec: null };

  private constructor(
    readonly request: OpenRequest,
    private readonly options: WorkerSourceOptions,
  ) {}

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
    const running = this.pending.size > 0;
    if (running) this.stopWorker(new CancelledError());
    return running;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopWorker(new InputError('panel', 'the panel was closed'));
  }

  overview(mask?: MaskName): Promise<Overview> {
    return this.call('overview', [mask]) as Promise<Overview>;
  }

  head(layer: number, head: HeadIndex, options?: HeadOptions): Promise<HeadPayload> {
    return this.call('head', [layer, head, options]) as Promise<HeadPayload>;
  }

  thumbnails(size: number, mask?: MaskName): Promise<Thumbnails> {
    return this.call('thumbnails', [size, mask]) as Promise<Thumbnails>;
  }

  variance(): Promise<VarianceSample[]> {
    return this.call('variance', []) as Promise<VarianceSample[]>;
  }

  region(params: RegionParams): Promise<RegionPayload> {
    return this.call('region', [params]) as Promise<RegionPayload>;
  }

  private async call(method: SourceMethod, args: unknown[]): Promise<unknown> {
    await this.ensureOpen();
    return this.send({ id: this.nextId++, op: 'call', method, args: trimUndefined(args) }, LABELS[method]);
  }

  private ensureOpen(): Promise<OpenedInfo> {
    if (this.disposed) return Promise.reject(new InputError('panel', 'the panel was closed'));
    if (!this.opening) {
      this.startWorker();
      const sent = this.send({ id: this.nextId++, op: 'open', request: this.request }, LABELS.open) as Promise<OpenedInfo>;
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
    const worker = new Worker(this.options.workerPath);
    liveWorkers++;
    this.worker = worker;
    this.expectedExit = false;
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(reply.input ? new RemoteInputError(reply.error) : new InputError('internal error', reply.error));
    });
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
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(reason);
  }

  private send(message: WorkerRequest, label: string): Promise<unknown> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new InputError('worker', 'the computation is not running'));
    const done = new Promise<unknown>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
    });
    worker.postMessage(message);
    if (this.options.onSlow) {
      const timer = setTimeout(() => this.options.onSlow?.(label, () => this.cancel(), done), this.options.slowAfterMs ?? 400);
      const clear = () => clearTimeout(timer);
      done.then(clear, clear);
    }
    return done;
  }
}

/** Structured clone keeps `undefined` in arrays; trailing ones are dropped so defaults apply. */
function trimUndefined(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}
