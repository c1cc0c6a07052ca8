// The node platform: each panel's computations run on a worker thread (dist/inspectionWorker.js).
import * as vscode from 'vscode';
import { WorkerSource } from '../node/workerSource';
import type { Platform, SourceHooks } from './platform';
import { listHubModels } from '../node/modelCache';
import { readSettings } from './settings';

export function nodePlatform(extensionUri: vscode.Uri): Platform {
  const options = (hooks: SourceHooks) => ({
    ...hooks,
    workerPath: vscode.Uri.joinPath(extensionUri, 'dist', 'inspectionWorker.js').fsPath,
    slowAfterMs: 300,
    // Read when the panel opens; a panel closed later parks its worker for this long.
    keepModelMs: readSettings().modelKeepLoadedMinutes * 60_000,
  });
  return {
    name: 'node',
    readsLocalFiles: true,
    cancellable: true,
    open: (request, hooks) => WorkerSource.open(request, options(hooks)),
    lazy: (request, hooks) => WorkerSource.lazy(request, options(hooks)),
    liveWorkers: () => WorkerSource.liveWorkers,
    parkedModel: () => WorkerSource.parkedModel,
    releaseIdleModel: () => WorkerSource.releaseIdleModel(),
    memory: () => ({ ...process.memoryUsage() }),
    // Where the extension host runs (also on a remote host): the cache beside the files the model reads.
    listModels: () => listHubModels(),
  };
}
