// Extension entry point for VS Code desktop and remote (a node extension host). Activation is lazy:
// contributed commands and views, a custom editor opening, or a panel restored after a reload
// (onWebviewPanel:attentionInspector.panel). Each panel computes on a worker thread of its own
// (one idle worker is kept ready once inspections have been made).
import type * as vscode from 'vscode';
import { activateWith } from './vscode/activate';
import { nodePlatform } from './vscode/nodePlatform';
import { endSpare } from './node/spareWorker';

export function activate(context: vscode.ExtensionContext): void {
  activateWith(context, nodePlatform(context.extensionUri));
}

export function deactivate(): void {
  // The idle worker kept for the next inspection (src/node/spareWorker.ts).
  endSpare();
}
