// The Models view in the Attention sidebar: the seeded random model and every model in the Hugging
// Face cache (unsupported ones with their reason); clicking one makes it the active model.
import * as vscode from 'vscode';
import { escapeControl } from '../core';
import type { CachedModel } from '../core/models/cache';
import type { Platform } from './platform';
import { SEEDED_MODEL_LABEL, cachedModels, describeModel } from './modelPicker';
import { readSettings } from './settings';

export type ModelNode = { kind: 'seeded' } | { kind: 'cached'; model: CachedModel } | { kind: 'custom'; path: string };

export class ModelsTree implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;
  private listing: Promise<CachedModel[]> | null = null;

  constructor(private readonly platform: Platform) {
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('attentionInspector.model.path')) this.changed.fire();
    });
  }

  /** Lists the cache again (a model was downloaded meanwhile). */
  refresh(): void {
    this.listing = null;
    this.changed.fire();
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const active = readSettings().modelPath;
    if (node.kind === 'seeded') {
      const item = new vscode.TreeItem(vscode.l10n.t(SEEDED_MODEL_LABEL));
      item.iconPath = new vscode.ThemeIcon(active === '' ? 'pass-filled' : 'beaker');
      item.description = active === '' ? vscode.l10n.t('active') : undefined;
      item.command = {
        command: 'attentionInspector.chooseModel',
        title: vscode.l10n.t('Use This Model'),
        arguments: [''],
      };
      return item;
    }
    if (node.kind === 'custom') {
      const item = new vscode.TreeItem(node.path.split(/[\\/]/).filter(Boolean).pop() ?? node.path);
      item.iconPath = new vscode.ThemeIcon('pass-filled');
      item.description = vscode.l10n.t('active (folder)');
      item.tooltip = node.path;
      return item;
    }
    const m = node.model;
    const item = new vscode.TreeItem(m.id);
    item.description =
      (m.path === active ? `${vscode.l10n.t('active')} · ` : '') +
      (m.supported ? describeModel(m) : vscode.l10n.t('unsupported'));
    item.tooltip = m.supported ? `${m.path}` : escapeControl(`${m.path}\n${m.reason ?? ''}`);
    item.iconPath = new vscode.ThemeIcon(m.path === active ? 'pass-filled' : m.supported ? 'hubot' : 'circle-slash');
    if (m.supported)
      item.command = {
        command: 'attentionInspector.chooseModel',
        title: vscode.l10n.t('Use This Model'),
        arguments: [m.path],
      };
    return item;
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (node) return [];
    this.listing ??= cachedModels(this.platform).then((r) => r?.models ?? []);
    const models = await this.listing;
    const active = readSettings().modelPath;
    const nodes: ModelNode[] = [{ kind: 'seeded' }];
    if (active && !models.some((m) => m.path === active)) nodes.push({ kind: 'custom', path: active });
    return [...nodes, ...models.map((model) => ({ kind: 'cached' as const, model }))];
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
