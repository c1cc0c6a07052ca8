// An attention worker: instantiates the shared-memory kernels over each call's memory and runs the
// tasks it is sent, one at a time, answering each through the RPC helper (src/protocol/rpc.ts).
// Bundled on its own as dist/attentionWorker.js.
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelExports } from '../../core/kernels/abi';
import { type Task, runSweepTask, runTask } from '../../core/kernels/plan';
import { type StreamTask, runStreamTask } from '../../core/kernels/streamPlan';
import { type GemmTask, runGemmTask } from './gemmPlan';
import { type Handlers, isRequest, serveRequest } from '../../protocol/rpc';
import type { Job, PoolMethods, WorkerInit } from './protocol';

const { module } = workerData as WorkerInit;
let bound: { exports: KernelExports; job: Job; scratch: number } | null = null;

const handlers: Handlers<PoolMethods> = {
  bind: ({ memory, job, scratch }) => {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    bound = { exports: instance.exports as unknown as KernelExports, job, scratch };
    return null;
  },
  task: (task) => {
    if (!bound) throw new Error('task before bind');
    const { job } = bound;
    if (job.kind === 'attention') runTask(bound.exports, job.plan, task as Task, bound.scratch);
    else if (job.kind === 'sweep') runSweepTask(bound.exports, job.plan, task as Task);
    else if (job.kind === 'gemm') runGemmTask(bound.exports, job.plan, task as GemmTask);
    else runStreamTask(bound.exports, job.plan, task as StreamTask, bound.scratch);
    return null;
  },
  unbind: () => {
    bound = null;
    return null;
  },
};

const post = (message: unknown): void => parentPort!.postMessage(message);

parentPort!.on('message', (message: unknown) => {
  if (isRequest(message)) void serveRequest(handlers, message, post);
});
