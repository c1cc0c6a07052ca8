// Messages between the pool (main thread) and its attention workers.
import type { AttentionPlan, SweepPlan, Task } from '../../core/kernels/plan';

export type Job = { readonly kind: 'attention'; readonly plan: AttentionPlan } | { readonly kind: 'sweep'; readonly plan: SweepPlan };

export type ToWorker =
  /** Instantiate the kernels over this call's shared memory; `scratch` is this worker's region. */
  | { readonly type: 'bind'; readonly memory: WebAssembly.Memory; readonly job: Job; readonly scratch: number }
  | { readonly type: 'task'; readonly task: Task }
  /** The call is over: drop the instance so the memory can be collected. */
  | { readonly type: 'unbind' };

export type FromWorker = { readonly type: 'done' } | { readonly type: 'error'; readonly message: string };

export interface WorkerInit {
  readonly module: WebAssembly.Module;
}
