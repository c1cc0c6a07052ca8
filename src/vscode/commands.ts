// The contributed commands. Each says what it needs when it is missing (no selection, no panel)
// instead of failing silently, and returns a small summary so tests can check what happened.
import * as vscode from 'vscode';
import { escapeControl, oneLineMessage } from '../core';
import type { AttentionPart } from '../core/tensorfiles';
import { EXPORT_FORMATS, type ExportFormat, type PanelTab } from '../protocol/messages';
import type { EditorLink } from './editorLink';
import { INPUT_EXTENSIONS, isInputFile } from './inputs';
import type { OpenResult, PanelManager } from './panels';
import { type InspectionRecord, type RecentInspections, newId } from './recent';
import type { Platform } from './platform';
import { debugState } from './debugState';
import { EXAMPLES, type HeadsTree, type WorkspaceFilesTree, exampleRecord } from './trees';
import { activeModelName, chooseModel } from './modelPicker';
import type { ModelsTree } from './modelsView';
import { readSettings } from './settings';

export interface CommandDeps {
  readonly extensionUri: vscode.Uri;
  readonly panels: PanelManager;
  readonly recent: RecentInspections;
  readonly workspaceFiles: WorkspaceFilesTree;
  readonly editorLink: EditorLink;
  readonly headsTree: HeadsTree;
  readonly log: vscode.LogOutputChannel;
  readonly platform: Platform;
  readonly modelsTree?: ModelsTree;
}

/** Random tokens per half of the Inspect Induction sequence (then repeated once). */
const INDUCTION_TOKENS = 32;

const TITLE_CHARS = 40;

function selectionTitle(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > TITLE_CHARS ? `“${flat.slice(0, TITLE_CHARS)}…”` : `“${flat}”`;
}

/** A record for the active editor's selection, or undefined (after telling the user) when there is none. */
function selectionRecord(tab?: PanelTab): InspectionRecord | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: select some text in an editor first, then run Inspect Selection (or right-click the selection).',
      ),
    );
    return undefined;
  }
  const doc = editor.document;
  const text = doc.getText(editor.selection);
  if (text.trim() === '') {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Attention Inspector: the selection is only white space; select some words.'),
    );
    return undefined;
  }
  // The chosen model (attentionInspector.model.path) runs the selection; empty is the seeded model.
  const model = readSettings().modelPath;
  return {
    id: newId(),
    title: model ? `${activeModelName(model)}: ${selectionTitle(text)}` : selectionTitle(text),
    input: {
      kind: 'text',
      text,
      document: { uri: doc.uri.toString(), offset: doc.offsetAt(editor.selection.start), version: doc.version },
      ...(model ? { model } : {}),
    },
    tab,
    openedAt: Date.now(),
  };
}

async function inspectSelection(deps: CommandDeps, tab?: PanelTab): Promise<OpenResult | undefined> {
  const record = selectionRecord(tab);
  return record ? deps.panels.open(record) : undefined;
}

/** Runs the chosen model on a random token sequence repeated twice, so its induction heads show. */
async function inspectInduction(deps: CommandDeps, tokens?: number): Promise<OpenResult | undefined> {
  const model = readSettings().modelPath;
  if (!model) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: Inspect Induction needs a real model (the seeded random model has no induction heads); run Choose Model… first.',
      ),
    );
    return undefined;
  }
  const half = typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= 2 ? tokens : INDUCTION_TOKENS;
  const record: InspectionRecord = {
    id: newId(),
    title: vscode.l10n.t('{0}: induction ({1} random tokens, twice)', activeModelName(model), half),
    input: { kind: 'text', text: '', model, induction: half },
    openedAt: Date.now(),
  };
  return deps.panels.open(record);
}

async function inspectFile(deps: CommandDeps, uri?: vscode.Uri, tab?: PanelTab): Promise<OpenResult | undefined> {
  let target = uri instanceof vscode.Uri ? uri : undefined;
  if (!target) {
    const active = vscode.window.activeTextEditor?.document.uri;
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      defaultUri: active && isInputFile(active) ? active : vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { [vscode.l10n.t('Attention inputs')]: INPUT_EXTENSIONS.map((e) => e.slice(1)) },
      openLabel: vscode.l10n.t('Inspect Attention'),
      title: vscode.l10n.t('Inspect File: JSON, .npy, .npz or .safetensors'),
    });
    target = picked?.[0];
    if (!target) return undefined;
  }
  if (!isInputFile(target)) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        'Attention Inspector: {0} is not an attention input (expected {1}).',
        escapeControl(target.path.split('/').pop() ?? ''),
        INPUT_EXTENSIONS.join(', '),
      ),
    );
    return undefined;
  }
  return deps.panels.openFile(target, tab);
}

async function openExample(deps: CommandDeps, id?: string, tab?: PanelTab): Promise<OpenResult | undefined> {
  let example = typeof id === 'string' ? EXAMPLES.find((e) => e.id === id) : undefined;
  if (typeof id === 'string' && !example) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        'Attention Inspector: no example "{0}" (there are: {1}).',
        escapeControl(id),
        EXAMPLES.map((e) => e.id).join(', '),
      ),
    );
    return undefined;
  }
  if (!example) {
    const pick = await vscode.window.showQuickPick(
      EXAMPLES.map((e) => ({ label: e.label, description: e.description, example: e })),
      { title: vscode.l10n.t('Open Example'), placeHolder: vscode.l10n.t('Pick an example input') },
    );
    example = pick?.example;
    if (!example) return undefined;
  }
  const record = exampleRecord(deps.extensionUri, example, newId());
  return deps.panels.open(tab ? { ...record, tab } : record);
}

/** Shows a tab of the active panel, or opens the selection (else the paper's example) on that tab. */
async function showTab(
  deps: CommandDeps,
  tab: PanelTab,
): Promise<OpenResult | { id: string; title: string } | undefined> {
  const active = deps.panels.active;
  if (active) {
    active.show(tab);
    active.panel.reveal(undefined, false);
    return { id: active.id, title: active.record.title };
  }
  const editor = vscode.window.activeTextEditor;
  if (editor && !editor.selection.isEmpty) return inspectSelection(deps, tab);
  return openExample(deps, tab === 'variance' ? 'i-go-home' : 'scaling', tab);
}

/**
 * Reopens the active tensor file's panel on another batch entry (a quick pick of 0…B−1 unless `entry`
 * is given): the record keeps its other options, so layout, kind and meaning stay as they were.
 */
async function chooseBatchEntry(deps: CommandDeps, entry?: number): Promise<OpenResult | undefined> {
  const active = deps.panels.active;
  if (!active || active.record.input.kind !== 'tensor') {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: open a tensor file with a batch axis first (Inspect File…); Choose Batch Entry shows another entry of its batch.',
      ),
    );
    return undefined;
  }
  await active.overviewLoaded.catch(() => undefined);
  const choice = active.batchChoice;
  if (!choice || choice.entries < 2) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: {0} has one batch entry; there is no other to show.',
        escapeControl(active.record.title),
      ),
    );
    return undefined;
  }
  let chosen = entry;
  if (chosen === undefined) {
    const items = Array.from({ length: choice.entries }, (_, b) => ({
      label: vscode.l10n.t('Batch entry {0}', b),
      description: b === choice.shown ? vscode.l10n.t('shown now') : undefined,
      entry: b,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Choose Batch Entry ({0} entries)', choice.entries),
      placeHolder: vscode.l10n.t('The panel reopens on the entry you pick'),
    });
    if (!pick) return undefined;
    chosen = pick.entry;
  }
  if (!Number.isInteger(chosen) || chosen < 0 || chosen >= choice.entries) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        'Attention Inspector: batch entry {0} is out of range (0–{1}).',
        escapeControl(String(chosen)),
        escapeControl(String(choice.entries - 1)),
      ),
    );
    return undefined;
  }
  const input = active.record.input;
  const base = active.record.title.replace(/ · batch \d+$/, '');
  const record: InspectionRecord = {
    ...active.record,
    id: newId(),
    title: chosen === 0 ? base : `${base} · batch ${chosen}`,
    input: { ...input, options: { ...input.options, batch: chosen } },
    openedAt: Date.now(),
  };
  const opened = await deps.panels.open(record);
  // The new panel replaces the old one (it opened beside it); a failed open leaves the old one showing.
  if (opened) active.dispose();
  return opened;
}

/**
 * Reopens the active encoder-decoder file's panel on another of its attentions (encoder, decoder or
 * cross; a quick pick unless `kind` is given), keeping the record's other options as they were.
 */
async function chooseAttentionKind(deps: CommandDeps, kind?: string): Promise<OpenResult | undefined> {
  const active = deps.panels.active;
  if (!active || active.record.input.kind !== 'tensor') {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: open an encoder-decoder output first (Inspect File…); Choose Attention Kind shows its encoder, decoder or cross attention.',
      ),
    );
    return undefined;
  }
  await active.overviewLoaded.catch(() => undefined);
  const parts = active.batchChoice?.parts;
  if (!parts || parts.available.length < 2) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: {0} holds one kind of attention; there is no other to show.',
        escapeControl(active.record.title),
      ),
    );
    return undefined;
  }
  let chosen = kind;
  if (chosen === undefined) {
    const describe: Record<string, string> = {
      encoder: vscode.l10n.t('encoder self-attention: encoder tokens on both axes'),
      decoder: vscode.l10n.t('decoder self-attention (causal): decoder tokens on both axes'),
      cross: vscode.l10n.t('cross-attention: decoder tokens (queries) × encoder tokens (keys)'),
    };
    const items = parts.available.map((p) => ({
      label: p,
      detail: describe[p],
      description: p === parts.shown ? vscode.l10n.t('shown now') : undefined,
      part: p,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Choose Attention Kind'),
      placeHolder: vscode.l10n.t('The panel reopens on the attention you pick'),
    });
    if (!pick) return undefined;
    chosen = pick.part;
  }
  if (!parts.available.includes(chosen)) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        'Attention Inspector: {0} has no {1} attention (it holds {2}).',
        escapeControl(active.record.title),
        escapeControl(String(chosen)),
        escapeControl(parts.available.join(', ')),
      ),
    );
    return undefined;
  }
  const input = active.record.input;
  const base = active.record.title.replace(/ · (encoder|decoder|cross)$/, '');
  const record: InspectionRecord = {
    ...active.record,
    id: newId(),
    title: `${base} · ${chosen}`,
    input: { ...input, options: { ...input.options, kind: chosen as AttentionPart } },
    openedAt: Date.now(),
  };
  const opened = await deps.panels.open(record);
  if (opened) active.dispose();
  return opened;
}

async function exportView(deps: CommandDeps, format?: ExportFormat): Promise<boolean> {
  const active = deps.panels.active;
  if (!active) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Attention Inspector: open an inspection first (Inspect Selection, Inspect File… or Open Example); Export saves what its panel shows.',
      ),
    );
    return false;
  }
  let chosen = format && EXPORT_FORMATS.includes(format) ? format : undefined;
  if (!chosen) {
    const labels: Record<ExportFormat, string> = {
      png: vscode.l10n.t('PNG image of the current view'),
      svg: vscode.l10n.t('SVG image of the current view'),
      csv: vscode.l10n.t('CSV of the shown weights'),
      json: vscode.l10n.t('JSON of the shown matrices'),
      html: vscode.l10n.t('Standalone offline HTML report'),
    };
    const pick = await vscode.window.showQuickPick(
      EXPORT_FORMATS.map((f) => ({ label: f.toUpperCase(), description: labels[f], format: f })),
      { title: vscode.l10n.t('Export Current View') },
    );
    chosen = pick?.format;
    if (!chosen) return false;
  }
  active.panel.reveal(undefined, false);
  active.exportView(chosen);
  return true;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { panels, recent } = deps;
  const guarded =
    <A extends unknown[], R>(run: (...args: A) => Promise<R> | R) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await run(...args);
      } catch (e) {
        deps.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        void vscode.window.showErrorMessage(vscode.l10n.t('Attention Inspector: {0}', oneLineMessage(e)));
        return undefined;
      }
    };
  const register = <A extends unknown[], R>(id: string, run: (...args: A) => Promise<R> | R) =>
    vscode.commands.registerCommand(id, guarded(run));
  return [
    register('attentionInspector.inspectSelection', () => inspectSelection(deps)),
    // The same commands under the titles their menus show ("Inspect Attention of Selection", "Inspect Attention").
    register('attentionInspector.inspectSelectionFromMenu', () => inspectSelection(deps)),
    register('attentionInspector.inspectFile', (uri?: vscode.Uri) => inspectFile(deps, uri)),
    register('attentionInspector.inspectFileFromMenu', (uri?: vscode.Uri) => inspectFile(deps, uri)),
    register('attentionInspector.openExample', (id?: string) => openExample(deps, id)),
    register('attentionInspector.compareScalings', () => showTab(deps, 'scaling')),
    register('attentionInspector.showVarianceExperiment', () => showTab(deps, 'variance')),
    register('attentionInspector.exportView', (format?: ExportFormat) => exportView(deps, format)),
    register('attentionInspector.chooseModel', (path?: string) =>
      chooseModel(deps.platform, typeof path === 'string' ? path : undefined),
    ),
    register('attentionInspector.inspectInduction', (tokens?: number) => inspectInduction(deps, tokens)),
    register('attentionInspector.models.refresh', () => {
      deps.modelsTree?.refresh();
      return true;
    }),
    register('attentionInspector.chooseBatchEntry', (entry?: number) =>
      chooseBatchEntry(deps, typeof entry === 'number' ? entry : undefined),
    ),
    register('attentionInspector.chooseAttentionKind', (kind?: string) =>
      chooseAttentionKind(deps, typeof kind === 'string' ? kind : undefined),
    ),
    register('attentionInspector.revealInSidebar', async () => {
      await vscode.commands.executeCommand('workbench.view.extension.attentionInspector');
      if (panels.active) await vscode.commands.executeCommand('attentionInspector.heads.focus');
      return true;
    }),
    register('attentionInspector.reopen', async (id: string | { record?: InspectionRecord }) => {
      const record = typeof id === 'string' ? recent.get(id) : id?.record;
      if (!record) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Attention Inspector: that inspection is no longer in Recent.'),
        );
        return undefined;
      }
      return panels.open({ ...record, id: newId(), openedAt: Date.now() });
    }),
    register('attentionInspector.cancel', () => {
      const n = panels.cancelAll();
      if (n === 0) void vscode.window.showInformationMessage(vscode.l10n.t('Attention Inspector: nothing is running.'));
      return n;
    }),
    register('attentionInspector.recent.remove', async (item?: { record?: InspectionRecord }) => {
      if (item?.record) await recent.remove(item.record.id);
      return true;
    }),
    register('attentionInspector.recent.clear', async () => {
      await recent.clear();
      return true;
    }),
    register('attentionInspector.workspaceFiles.refresh', () => {
      deps.workspaceFiles.refresh();
      return true;
    }),
    register('attentionInspector.openSettings', () =>
      vscode.commands.executeCommand('workbench.action.openSettings', '@ext:attention-inspector.attention-inspector'),
    ),
    register('attentionInspector.selectHead', (panelId: string, layer: number, head: number | 'mean') => {
      const panel = panels.all().find((p) => p.id === panelId);
      if (!panel) return false;
      panel.select(layer, head);
      return true;
    }),
    // Test builds only (src/buildFlags.d.ts): what is open, and what would leak if it grew.
    ...(typeof __TEST_HOOKS__ !== 'undefined' && __TEST_HOOKS__
      ? [register('attentionInspector.debug.state', () => debugState(deps))]
      : []),
  ];
}
