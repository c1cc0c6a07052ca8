// The inspection worker (dist/inspectionWorker.js): holds one panel's data source and answers its
// requests, so that tokenizing, projecting, soft-maxing and streaming through tensor files never
// run on the extension host's thread. The host terminates the worker to cancel. The source methods
// are dispatched by the same table as the panel session's (src/host/sourceMethods.ts).
import { parentPort } from 'node:worker_threads';
import { InputError } from '../core';
import { sourceHandlers } from '../host/sourceMethods';
import { type Handlers, type Transfer, isRequest, serveRequest } from '../protocol/rpc';
import { type OpenedSource, heldModelPath, openSource } from './openSource';
import type { WorkerMethods, WorkerProgress } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('inspectionWorker must run as a worker thread');

let opened: OpenedSource | null = null;

function openedSource(): OpenedSource['source'] {
  if (!opened) throw new InputError('worker', 'no input is open');
  return opened.source;
}

const handlers: Handlers<WorkerMethods> = {
  open: async (request) => {
    const previous = opened;
    opened = null;
    await previous?.close();
    const progress = (done: number, total: number): void => post({ kind: 'progress', done, total } as WorkerProgress);
    opened = await openSource(request, { onProgress: progress });
    return opened.info;
  },
  release: async () => {
    const previous = opened;
    opened = null;
    await previous?.close();
    return { heldModel: heldModelPath() };
  },
  ...sourceHandlers(openedSource),
};

const post = (message: unknown, transfer?: Transfer): void => port.postMessage(message, transfer as never);

port.on('message', (message: unknown) => {
  if (isRequest(message)) void serveRequest(handlers, message, post);
});
