// An attention worker: for each call, instantiates the shared-memory kernels over the call's memory
// and runs the tasks it claims from the call's shared counters (taskClaims.ts), phase by phase, then
// answers once through the RPC helper (src/protocol/rpc.ts). Bundled on its own as dist/attentionWorker.js.
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelExports } from '../../core/kernels/abi';
import { type Handlers, isRequest, serveRequest } from '../../protocol/rpc';
import type { PoolMethods, WorkerInit } from './protocol';
import { runClaimedPhases } from './taskClaims';
import { runJobTask } from './runJobTask';

const { module } = workerData as WorkerInit;

const handlers: Handlers<PoolMethods> = {
  // The instance is local to the call: once it returns, nothing here holds the call's memory.
  run: ({ memory, job, scratch, phases, control }) => {
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    runClaimedPhases(control, phases, (task) => runJobTask(ex, job, task, scratch));
    return null;
  },
};

const post = (message: unknown): void => parentPort!.postMessage(message);

parentPort!.on('message', (message: unknown) => {
  if (isRequest(message)) void serveRequest(handlers, message, post);
});
