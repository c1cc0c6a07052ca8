// Messages between the pool (main thread) and its attention workers.
import type { AttentionPlan, SweepPlan, Task } from '../../core/kernels/plan';
import type { StreamPlan, StreamTask } from '../../core/kernels/streamPlan';

export type Job =
  | { readonly kind: 'attention'; readonly plan: AttentionPlan }
  | { readonly kind: 'sweep'; readonly plan: SweepPlan }
  | { readonly kind: 'stream'; readonly plan: StreamPlan };

/** A task of any job (the job's kind says which). */
export type WorkerTask = Task | StreamTask;

export type ToWorker =
  /** Instantiate the kernels over this call's shared memory; `scratch` is this worker's region. */
  | { readonly type: 'bind'; readonly memory: WebAssembly.Memory; readonly job: Job; readonly scratch: number }
  | { readonly type: 'task'; readonly task: WorkerTask }
  /** The call is over: drop the instance so the memory can be collected. */
  | { readonly type: 'unbind' };

export type FromWorker = { readonly type: 'done' } | { readonly type: 'error'; readonly message: string };

export interface WorkerInit {
  readonly module: WebAssembly.Module;
}
