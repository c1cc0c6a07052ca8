// The inspection worker (dist/inspectionWorker.js): holds one panel's data source and answers its
// requests, so that tokenizing, projecting, soft-maxing and streaming through tensor files never
// run on the extension host's thread. The host terminates the worker to cancel.
import { parentPort } from 'node:worker_threads';
import { InputError, oneLineMessage } from '../core';
import { type OpenedSource, openSource } from './openSource';
import type { WorkerReply, WorkerRequest } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('inspectionWorker must run as a worker thread');

let opened: OpenedSource | null = null;

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

async function answer(message: WorkerRequest): Promise<unknown> {
  if (message.op === 'open') {
    await opened?.close();
    opened = null;
    opened = await openSource(message.request);
    return opened.info;
  }
  if (!opened) throw new InputError('worker', 'no input is open');
  const source = opened.source;
  switch (message.method) {
    case 'overview':
      return source.overview(...(message.args as Parameters<typeof source.overview>));
    case 'head':
      return source.head(...(message.args as Parameters<typeof source.head>));
    case 'thumbnails':
      if (!source.thumbnails) throw new InputError('thumbnails', 'this input has no thumbnails');
      return source.thumbnails(...(message.args as Parameters<NonNullable<typeof source.thumbnails>>));
    case 'variance':
      if (!source.variance) throw new InputError('variance', 'this input has no variance experiment');
      return source.variance();
    case 'region':
      if (!source.region) throw new InputError('region', 'this input is shown at full resolution already');
      return source.region(...(message.args as Parameters<NonNullable<typeof source.region>>));
  }
  throw new InputError('worker', `unknown method ${JSON.stringify((message as { method: unknown }).method)}`);
}

port.on('message', (message: WorkerRequest) => {
  answer(message).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (e: unknown) => reply({ id: message.id, ok: false, error: oneLineMessage(e), input: e instanceof InputError }),
  );
});
