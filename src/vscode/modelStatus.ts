// The status-bar item naming the model Inspect Selection runs; clicking it opens Choose Model.
import * as vscode from 'vscode';
import { activeModelName } from './modelPicker';
import { readSettings } from './settings';

export class ModelStatus implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('attentionInspector.model', vscode.StatusBarAlignment.Right, 100);
  private readonly sub: vscode.Disposable;

  constructor() {
    this.item.name = vscode.l10n.t('Attention Inspector Model');
    this.item.command = 'attentionInspector.chooseModel';
    this.update();
    this.item.show();
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('attentionInspector.model.path')) this.update();
    });
  }

  /** The text shown now (tests read it). */
  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const path = readSettings().modelPath;
    this.item.text = `$(hubot) ${activeModelName(path)}`;
    this.item.tooltip = path
      ? vscode.l10n.t(
          'Attention Inspector runs selections through {0} ({1}). Click to choose another model.',
          activeModelName(path),
          path,
        )
      : vscode.l10n.t(
          'Attention Inspector uses the seeded random model (teaching). Click to pick a real model for real attention.',
        );
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
