// An attention worker: for each call, instantiates the shared-memory kernels over the call's memory
// and runs the tasks it claims from the call's shared counters (taskClaims.ts), phase by phase, then
// answers once through the RPC helper (src/protocol/rpc.ts). Bundled on its own as dist/attentionWorker.js.
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelExports } from '../../core/kernels/abi';
import { type Task, runSweepTask, runTask } from '../../core/kernels/plan';
import { type StreamTask, runStreamTask } from '../../core/kernels/streamPlan';
import { type GemmTask, runGemmTask } from './gemmPlan';
import { type Handlers, isRequest, serveRequest } from '../../protocol/rpc';
import type { Job, PoolMethods, WorkerInit, WorkerTask } from './protocol';
import { runClaimedPhases } from './taskClaims';

const { module } = workerData as WorkerInit;

function runOne(ex: KernelExports, job: Job, task: WorkerTask, scratch: number): void {
  if (job.kind === 'attention') runTask(ex, job.plan, task as Task, scratch);
  else if (job.kind === 'sweep') runSweepTask(ex, job.plan, task as Task);
  else if (job.kind === 'gemm') runGemmTask(ex, job.plan, task as GemmTask);
  else runStreamTask(ex, job.plan, task as StreamTask, scratch);
}

const handlers: Handlers<PoolMethods> = {
  // The instance is local to the call: once it returns, nothing here holds the call's memory.
  run: ({ memory, job, scratch, phases, executors, control }) => {
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    runClaimedPhases(control, phases, executors, (task) => runOne(ex, job, task, scratch));
    return null;
  },
};

const post = (message: unknown): void => parentPort!.postMessage(message);

parentPort!.on('message', (message: unknown) => {
  if (isRequest(message)) void serveRequest(handlers, message, post);
});
