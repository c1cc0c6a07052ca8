// An attention worker: instantiates the shared-memory kernels over each call's memory and runs the
// tasks it is sent, one at a time. Bundled on its own as dist/attentionWorker.js.
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelExports } from '../../core/kernels/abi';
import { type Task, runSweepTask, runTask } from '../../core/kernels/plan';
import { type StreamTask, runStreamTask } from '../../core/kernels/streamPlan';
import type { FromWorker, Job, ToWorker, WorkerInit } from './protocol';

const { module } = workerData as WorkerInit;
let bound: { exports: KernelExports; job: Job; scratch: number } | null = null;

function reply(message: FromWorker): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'bind': {
        const instance = new WebAssembly.Instance(module, { env: { memory: message.memory } });
        bound = { exports: instance.exports as unknown as KernelExports, job: message.job, scratch: message.scratch };
        return;
      }
      case 'task': {
        if (!bound) throw new Error('task before bind');
        const { job } = bound;
        if (job.kind === 'attention') runTask(bound.exports, job.plan, message.task as Task, bound.scratch);
        else if (job.kind === 'sweep') runSweepTask(bound.exports, job.plan, message.task as Task);
        else runStreamTask(bound.exports, job.plan, message.task as StreamTask, bound.scratch);
        reply({ type: 'done' });
        return;
      }
      case 'unbind':
        bound = null;
        return;
    }
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
