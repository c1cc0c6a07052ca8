// The `attentionInspector.debug.state` command of test builds (src/buildFlags.d.ts): what is
// open, and what would leak if it grew. Not contributed in package.json and absent from production
// bundles; the in-host suite (test/vscode/suite) reads it.
import * as vscode from 'vscode';
import type { CommandDeps } from './commands';
import { InspectorPanel } from './inspectorPanel';
import { readSettings } from './settings';
import { EXAMPLES } from './trees';

export async function debugState(deps: CommandDeps): Promise<Record<string, unknown>> {
  const { panels, recent } = deps;
  const recents = recent.all();
  return {
    panels: panels.all().map((p) => ({
      id: p.id,
      title: p.record.title,
      tokens: p.overview?.tokens ?? null,
      layers: p.overview?.layers ?? null,
      heads: p.overview?.heads ?? null,
      active: p === panels.active,
      visible: p.panel.visible,
      firstDraw: p.firstDraw,
    })),
    livePanels: InspectorPanel.live,
    liveWorkers: deps.platform.liveWorkers(),
    parkedModel: deps.platform.parkedModel?.() ?? null,
    platform: deps.platform.name,
    panelsDetail: panels.all().map((p) => ({ id: p.id, lastFocusRow: p.lastFocusRow, pageLoads: p.pageLoads })),
    examples: EXAMPLES.map((e) => e.id),
    recent: recents.map((r) => r.title),
    recentEntries: recents.map((r) => ({ id: r.id, title: r.title })),
    workspaceFiles: (await deps.workspaceFiles.getChildren()).map((item) =>
      vscode.workspace.asRelativePath(item.uri, false),
    ),
    heads: deps.headsTree
      .getChildren()
      .map((n) =>
        n.kind === 'layer'
          ? `L${n.layer}`
          : n.kind === 'mean'
            ? `L${n.layer}:mean`
            : `L${n.summary.layer}H${n.summary.head}`,
      ),
    highlighted: deps.editorLink.highlighted,
    settings: readSettings(),
    memory: deps.platform.memory(),
    shownMessages: panels.shownMessages.slice(),
    // The cache as Choose Model and the Models view list it now (read again on every call).
    models: ((await deps.platform.listModels?.())?.models ?? []).map((m) => ({
      id: m.id,
      path: m.path,
      supported: m.supported,
      reason: m.reason,
      architecture: m.architecture,
    })),
    hubDir: (await deps.platform.listModels?.())?.hubDir ?? null,
  };
}
