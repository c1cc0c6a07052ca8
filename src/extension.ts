// Extension entry point. Activation is lazy: VS Code loads this when a contributed command runs.
import * as vscode from 'vscode';
import { inspectText, oneLineMessage } from './core';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('attentionInspector.inspectSelection', () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) {
        void vscode.window.showInformationMessage('Attention Inspector: select some text first.');
        return undefined;
      }
      try {
        const inspection = inspectText(editor.document.getText(editor.selection));
        return inspection.tokens;
      } catch (e) {
        void vscode.window.showErrorMessage(`Attention Inspector: ${oneLineMessage(e)}`);
        return undefined;
      }
    }),
  );
}

export function deactivate(): void {}
