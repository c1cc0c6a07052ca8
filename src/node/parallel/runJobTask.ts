// Runs one task of a pool job with a kernel instance over the call's memory: the one dispatch shared
// by the attention workers and the calling thread, which joins each call (pool.ts).
import type { KernelExports } from '../../core/kernels/abi';
import { type Task, runSweepTask, runTask } from '../../core/kernels/plan';
import { type StreamTask, runStreamTask } from '../../core/kernels/streamPlan';
import { type GemmTask, runGemmTask } from './gemmPlan';
import type { Job, WorkerTask } from './protocol';

export function runJobTask(ex: KernelExports, job: Job, task: WorkerTask, scratch: number): void {
  if (job.kind === 'attention') runTask(ex, job.plan, task as Task, scratch);
  else if (job.kind === 'sweep') runSweepTask(ex, job.plan, task as Task);
  else if (job.kind === 'gemm') runGemmTask(ex, job.plan, task as GemmTask);
  else runStreamTask(ex, job.plan, task as StreamTask, scratch);
}
