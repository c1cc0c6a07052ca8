// The sidebar's tree views: Examples, Recent inspections, Workspace tensor files, and the layers and
// heads of the active panel with their entropy.
import * as vscode from 'vscode';
import { keepRegularFiles } from './fileChecks';
import type { HeadSummary } from '../protocol/messages';
import type { InspectorPanel } from './inspectorPanel';
import type { PanelManager } from './panels';
import type { InspectionRecord, RecentInspections } from './recent';
import { readSettings } from './settings';

// ---- Examples ------------------------------------------------------------------------------------

export interface Example {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** A file under the extension's examples/ folder, or inline text. */
  readonly file?: string;
  readonly text?: string;
  readonly tab?: InspectionRecord['tab'];
}

export const EXAMPLES: readonly Example[] = [
  { id: 'i-go-home', label: '“I go home”', description: 'the paper’s walk-through', file: 'i-go-home.json' },
  {
    id: 'thinking-machines',
    label: '“Thinking Machines”',
    description: 'X projected into Q, K, V',
    file: 'thinking-machines.json',
  },
  {
    id: 'raw-vs-projected',
    label: 'Raw vs projected',
    description: 'why Q, K, V projections exist',
    file: 'why-projections.json',
    tab: 'projections',
  },
  {
    id: 'scaling',
    label: 'Scaling by 1/√d_k',
    description: 'softmax sharpness under scaling',
    text: 'the quick brown fox jumps over the lazy dog and runs home',
    tab: 'scaling',
  },
  {
    id: 'long-sequence',
    label: 'Long sequence',
    description: '256 tokens, causal, local band',
    file: 'long-sequence.json',
  },
  { id: 'causal', label: 'Causal mask', description: 'forward only, as a decoder reads', file: 'causal-mask.json' },
  {
    id: 'model-safetensors',
    label: 'GPT-style attention (.safetensors)',
    description: '4 layers × 4 heads, output_attentions',
    file: 'gpt-style-attention.safetensors',
  },
  {
    id: 'model-npy',
    label: 'GPT-style attention (.npy)',
    description: '[layers, batch, heads, q, k]',
    file: 'gpt-style-attention.npy',
  },
  {
    id: 'transformerlens',
    label: 'TransformerLens scores (.npz)',
    description: 'pre-softmax, re-scalable',
    file: 'transformerlens-scores.npz',
  },
  {
    id: 'qkv',
    label: 'Q, K, V per head (.safetensors)',
    description: 'scores under any scaling',
    file: 'qkv-heads.safetensors',
  },
];

export function exampleRecord(extensionUri: vscode.Uri, example: Example, id: string): InspectionRecord {
  const base = { id, title: example.label.replace(/[“”]/g, '"'), tab: example.tab, openedAt: Date.now() };
  const file = example.file ? vscode.Uri.joinPath(extensionUri, 'examples', example.file) : undefined;
  if (file) {
    if (example.file!.endsWith('.json')) return { ...base, input: { kind: 'json', uri: file.toString() } };
    return { ...base, input: { kind: 'tensor', uri: file.toString() } };
  }
  return { ...base, input: { kind: 'text', text: example.text ?? '' } };
}

class ExampleItem extends vscode.TreeItem {
  constructor(readonly example: Example) {
    super(example.label, vscode.TreeItemCollapsibleState.None);
    this.description = example.description;
    this.iconPath = new vscode.ThemeIcon(
      example.file && !example.file.endsWith('.json') ? 'file-binary' : 'symbol-text',
    );
    this.command = {
      command: 'attentionInspector.openExample',
      title: vscode.l10n.t('Open Example'),
      arguments: [example.id],
    };
    this.contextValue = 'example';
    this.id = `example:${example.id}`;
  }
}

export class ExamplesTree implements vscode.TreeDataProvider<ExampleItem> {
  getTreeItem(item: ExampleItem): vscode.TreeItem {
    return item;
  }
  getChildren(): ExampleItem[] {
    return EXAMPLES.map((e) => new ExampleItem(e));
  }
}

// ---- Recent --------------------------------------------------------------------------------------

export class RecentItem extends vscode.TreeItem {
  constructor(readonly record: InspectionRecord) {
    super(record.title, vscode.TreeItemCollapsibleState.None);
    const input = record.input;
    this.description =
      input.kind === 'text' ? vscode.l10n.t('selection') : vscode.Uri.parse(input.uri).path.split('/').pop();
    this.tooltip = `${record.title}\n${new Date(record.openedAt).toLocaleString()}`;
    this.iconPath = new vscode.ThemeIcon(
      input.kind === 'tensor' ? 'file-binary' : input.kind === 'json' ? 'json' : 'selection',
    );
    this.command = { command: 'attentionInspector.reopen', title: vscode.l10n.t('Open Again'), arguments: [record.id] };
    this.contextValue = 'recentInspection';
    this.id = `recent:${record.id}`;
  }
}

export class RecentTree implements vscode.TreeDataProvider<RecentItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly recent: RecentInspections) {
    this.sub = recent.onDidChange(() => this.changed.fire());
  }
  getTreeItem(item: RecentItem): vscode.TreeItem {
    return item;
  }
  getChildren(): RecentItem[] {
    return this.recent.all().map((r) => new RecentItem(r));
  }
  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

// ---- Workspace tensor files ----------------------------------------------------------------------

export class FileItem extends vscode.TreeItem {
  constructor(readonly uri: vscode.Uri) {
    super(uri, vscode.TreeItemCollapsibleState.None);
    const relative = vscode.workspace.asRelativePath(uri, false);
    this.description = relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
    this.command = {
      command: 'attentionInspector.inspectFile',
      title: vscode.l10n.t('Inspect Attention'),
      arguments: [uri],
    };
    this.contextValue = 'tensorFile';
  }
}

const MAX_WORKSPACE_FILES = 2000;

export class WorkspaceFilesTree implements vscode.TreeDataProvider<FileItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | null = null;
  private readonly subs: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The last listing (tests and the debug command read it). */
  files: vscode.Uri[] = [];

  constructor() {
    this.watch();
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('attentionInspector.workspaceGlob')) {
          this.watch();
          this.refresh();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
  }

  private watch(): void {
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(readSettings().workspaceGlob, false, true, false);
    // Many files can appear at once (an export loop): refresh once they settle.
    const later = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.refresh(), 300);
    };
    this.watcher.onDidCreate(later);
    this.watcher.onDidDelete(later);
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: FileItem): vscode.TreeItem {
    return item;
  }

  async getChildren(): Promise<FileItem[]> {
    if (!vscode.workspace.workspaceFolders?.length) return [];
    const found = await vscode.workspace.findFiles(
      readSettings().workspaceGlob,
      '**/{node_modules,.git,.vscode-test}/**',
      MAX_WORKSPACE_FILES,
    );
    // Regular files only, by stat alone: a FIFO or a device named *.npy would block or never end when opened.
    const regular = await keepRegularFiles(found, (u) => vscode.workspace.fs.stat(u).then((st) => st.type));
    this.files = regular.sort((a, b) => a.path.localeCompare(b.path));
    return this.files.map((u) => new FileItem(u));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    for (const s of this.subs.splice(0)) s.dispose();
    this.changed.dispose();
  }
}

// ---- Layers and heads of the active panel ----------------------------------------------------------

export type HeadNode =
  | { kind: 'layer'; layer: number; summaries: HeadSummary[] }
  | { kind: 'head'; summary: HeadSummary }
  | { kind: 'mean'; layer: number };

export function headDescription(s: HeadSummary): string {
  const parts = [
    vscode.l10n.t('H {0} nats', s.meanEntropy.toFixed(2)),
    vscode.l10n.t('max {0}', s.meanMaxWeight.toFixed(2)),
  ];
  if (s.diagonalShare !== null) parts.push(vscode.l10n.t('diag {0}', s.diagonalShare.toFixed(2)));
  // The head catalogue, for real model heads (src/core/headCatalogue.ts).
  if (typeof s.previousTokenScore === 'number') parts.push(vscode.l10n.t('prev {0}', s.previousTokenScore.toFixed(2)));
  if (typeof s.firstTokenMass === 'number') parts.push(vscode.l10n.t('sink {0}', s.firstTokenMass.toFixed(2)));
  if (typeof s.inductionScore === 'number') parts.push(vscode.l10n.t('induction {0}', s.inductionScore.toFixed(2)));
  if (typeof s.kvHead === 'number') parts.push(vscode.l10n.t('kv {0}', s.kvHead));
  return parts.join(' · ');
}

export class HeadsTree implements vscode.TreeDataProvider<HeadNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly panels: PanelManager) {
    this.sub = panels.onDidChangeActive(() => this.changed.fire());
  }

  private get panel(): InspectorPanel | undefined {
    return this.panels.active;
  }

  getTreeItem(node: HeadNode): vscode.TreeItem {
    const panel = this.panel!;
    if (node.kind === 'layer') {
      const mean = node.summaries.reduce((a, s) => a + s.meanEntropy, 0) / Math.max(1, node.summaries.length);
      const item = new vscode.TreeItem(
        vscode.l10n.t('Layer {0}', node.layer),
        vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.description = vscode.l10n.t('mean H {0} nats', mean.toFixed(2));
      item.id = `${panel.id}:L${node.layer}`;
      return item;
    }
    if (node.kind === 'mean') {
      const item = new vscode.TreeItem(vscode.l10n.t('Mean of heads'), vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('layers');
      item.command = {
        command: 'attentionInspector.selectHead',
        title: vscode.l10n.t('Show Head'),
        arguments: [panel.id, node.layer, 'mean'],
      };
      item.id = `${panel.id}:L${node.layer}:mean`;
      return item;
    }
    const s = node.summary;
    const item = new vscode.TreeItem(vscode.l10n.t('Head {0}', s.head), vscode.TreeItemCollapsibleState.None);
    item.description = headDescription(s);
    item.tooltip = vscode.l10n.t(
      'Layer {0}, head {1}: mean entropy {2} nats, mean max weight {3}, effective tokens {4}',
      s.layer,
      s.head,
      s.meanEntropy.toFixed(3),
      s.meanMaxWeight.toFixed(3),
      s.meanEffectiveTokens.toFixed(2),
    );
    item.iconPath = new vscode.ThemeIcon('symbol-array');
    item.command = {
      command: 'attentionInspector.selectHead',
      title: vscode.l10n.t('Show Head'),
      arguments: [panel.id, s.layer, s.head],
    };
    item.id = `${panel.id}:L${s.layer}:H${s.head}`;
    return item;
  }

  getChildren(node?: HeadNode): HeadNode[] {
    const overview = this.panel?.overview;
    if (!overview) return [];
    if (!node) {
      if (overview.layers === 1) return this.headsOf(0, overview.summaries);
      return Array.from({ length: overview.layers }, (_, layer) => ({
        kind: 'layer' as const,
        layer,
        summaries: overview.summaries.filter((s) => s.layer === layer),
      }));
    }
    if (node.kind === 'layer') return this.headsOf(node.layer, node.summaries);
    return [];
  }

  private headsOf(layer: number, all: HeadSummary[]): HeadNode[] {
    const heads = all.filter((s) => s.layer === layer).map((summary) => ({ kind: 'head' as const, summary }));
    return heads.length > 1 ? [...heads, { kind: 'mean' as const, layer }] : heads;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
