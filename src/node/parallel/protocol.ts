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

/**
 * What the pool asks each attention worker, through the RPC helper (src/protocol/rpc.ts): one message
 * per worker per call. The workers claim the tasks of each phase from a shared counter and meet at a
 * barrier between phases (src/node/parallel/taskClaims.ts), so no message goes back and forth per task;
 * the calling thread takes part too (pool.ts).
 */
export type PoolMethods = {
  /** Run every phase of a job over this call's shared memory; `scratch` is this worker's region. */
  run: {
    params: {
      readonly memory: WebAssembly.Memory;
      readonly job: Job;
      readonly scratch: number;
      readonly phases: readonly (readonly WorkerTask[])[];
      /** The call's claim counters and barriers (taskClaims.ts), the same buffer for every worker. */
      readonly control: SharedArrayBuffer;
    };
    result: null;
  };
};

export interface WorkerInit {
  readonly module: WebAssembly.Module;
}
