// Messages between the pool (main thread) and its attention workers.
import type { AttentionPlan, SweepPlan, Task } from '../../core/kernels/plan';
import type { StreamPlan, StreamTask } from '../../core/kernels/streamPlan';
import type { GemmPlan, GemmTask } from './gemmPlan';

export type Job =
  | { readonly kind: 'attention'; readonly plan: AttentionPlan }
  | { readonly kind: 'sweep'; readonly plan: SweepPlan }
  | { readonly kind: 'stream'; readonly plan: StreamPlan }
  | { readonly kind: 'gemm'; readonly plan: GemmPlan };

/** A task of any job (the job's kind says which). */
export type WorkerTask = Task | StreamTask | GemmTask;

/** What the pool asks each attention worker, through the RPC helper (src/protocol/rpc.ts). */
export type PoolMethods = {
  /** Instantiate the kernels over this call's shared memory; `scratch` is this worker's region. */
  bind: { params: { readonly memory: WebAssembly.Memory; readonly job: Job; readonly scratch: number }; result: null };
  /** Run one task of the bound job (results are written into the shared memory). */
  task: { params: WorkerTask; result: null };
  /** The call is over: drop the instance so the memory can be collected. */
  unbind: { params: Record<string, never>; result: null };
};

export interface WorkerInit {
  readonly module: WebAssembly.Module;
}
