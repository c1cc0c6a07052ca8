// The extension, whatever its platform. Activation is lazy: VS Code loads this when a contributed command or view
// is first used, when a custom editor opens, or when a panel is restored after a reload
// (onWebviewPanel:attentionInspector.panel).
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { EditorLink } from './editorLink';
import { PANEL_VIEW_TYPE } from './inspectorPanel';
import { PanelManager } from './panels';
import type { Platform } from './platform';
import { PanelRecords, RecentInspections } from './recent';
import { readSettings } from './settings';
import { ExamplesTree, HeadsTree, RecentTree, WorkspaceFilesTree } from './trees';
import { ModelStatus } from './modelStatus';
import { ModelsTree } from './modelsView';
import { preloadPageAssets } from './pageAssets';

/** The default editor of .npy/.npz/.safetensors/.pt/.pth; the second is offered (Open With) for .bin, which is often not a tensor file. */
export const CUSTOM_EDITOR_VIEW_TYPE = 'attentionInspector.tensorFile';
export const CUSTOM_EDITOR_OPTION_VIEW_TYPE = 'attentionInspector.tensorFileOption';

export function activateWith(context: vscode.ExtensionContext, platform: Platform): void {
  const log = vscode.window.createOutputChannel('Attention Inspector', { log: true });
  const recent = new RecentInspections(context.globalState);
  const records = new PanelRecords(context.workspaceState);
  const panels = new PanelManager(context.extensionUri, platform, log, recent, records);
  // Read now, so the first panel's page carries its script inline (src/vscode/pageAssets.ts).
  void preloadPageAssets(context.extensionUri);
  const editorLink = new EditorLink(panels);
  const workspaceFiles = new WorkspaceFilesTree();
  const recentTree = new RecentTree(recent);
  const headsTree = new HeadsTree(panels);
  const headsView = vscode.window.createTreeView('attentionInspector.heads', { treeDataProvider: headsTree });
  const modelsTree = new ModelsTree(platform);
  const modelStatus = new ModelStatus();
  const noPanel = vscode.l10n.t('Open an inspection to see its layers and heads here.');
  headsView.message = noPanel;

  context.subscriptions.push(
    log,
    recent,
    panels,
    editorLink,
    workspaceFiles,
    recentTree,
    headsTree,
    headsView,
    modelsTree,
    modelStatus,
    vscode.window.registerTreeDataProvider('attentionInspector.models', modelsTree),
    vscode.window.registerTreeDataProvider('attentionInspector.examples', new ExamplesTree()),
    vscode.window.registerTreeDataProvider('attentionInspector.recent', recentTree),
    vscode.window.registerTreeDataProvider('attentionInspector.workspaceFiles', workspaceFiles),
    panels.onDidChangeActive((panel) => {
      headsView.message = panel ? (panel.overview ? undefined : vscode.l10n.t('Loading…')) : noPanel;
      headsView.description = panel?.record.title;
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => panels.restore(panel, state),
    }),
    ...[CUSTOM_EDITOR_VIEW_TYPE, CUSTOM_EDITOR_OPTION_VIEW_TYPE].map((viewType) =>
      vscode.window.registerCustomEditorProvider(
        viewType,
        {
          openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
          resolveCustomEditor: (document, panel) => panels.resolveCustomEditor(document.uri, panel),
        } satisfies vscode.CustomReadonlyEditorProvider,
        { supportsMultipleEditorsPerDocument: true },
      ),
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('attentionInspector.colorMap')) {
        const colorMap = readSettings().colorMap;
        for (const p of panels.all()) p.setColorMap(colorMap);
      }
      // The model kept after its panel closed goes at once when keeping is turned off, or the model changes.
      if (
        (e.affectsConfiguration('attentionInspector.model.keepLoadedMinutes') &&
          readSettings().modelKeepLoadedMinutes === 0) ||
        e.affectsConfiguration('attentionInspector.model.path')
      )
        platform.releaseIdleModel?.();
    }),
    { dispose: () => platform.releaseIdleModel?.() },
    ...registerCommands({
      extensionUri: context.extensionUri,
      panels,
      recent,
      workspaceFiles,
      editorLink,
      headsTree,
      log,
      platform,
      modelsTree,
    }),
  );
}
