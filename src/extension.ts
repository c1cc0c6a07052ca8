// Extension entry point for VS Code desktop and remote (a node extension host). Activation is lazy:
// contributed commands and views, a custom editor opening, or a panel restored after a reload
// (onWebviewPanel:attentionInspector.panel). Each panel computes on a worker thread of its own.
import type * as vscode from 'vscode';
import { activateWith } from './vscode/activate';
import { nodePlatform } from './vscode/nodePlatform';

export function activate(context: vscode.ExtensionContext): void {
  activateWith(context, nodePlatform(context.extensionUri));
}

export function deactivate(): void {}
