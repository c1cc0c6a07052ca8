// Extension entry point for VS Code for the Web (the `browser` field of package.json). The same
// commands, views and panel as on the desktop; computations run in this extension-host web worker
// (see inProcessSource.ts for what that changes), and files are read through vscode.workspace.fs.
import type * as vscode from 'vscode';
import { activateWith } from '../vscode/activate';
import type { Platform } from '../vscode/platform';
import { InProcessSource } from './inProcessSource';

const webPlatform: Platform = {
  name: 'web',
  readsLocalFiles: false,
  cancellable: false,
  open: (request, hooks) => InProcessSource.open(request, hooks),
  lazy: (request, hooks) => InProcessSource.lazy(request, hooks),
  liveWorkers: () => 0,
  memory: () => null,
};

export function activate(context: vscode.ExtensionContext): void {
  activateWith(context, webPlatform);
}

export function deactivate(): void {}
