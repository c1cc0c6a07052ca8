// Choosing the model that Inspect Selection runs: the seeded random model (the default, it needs
// nothing), a folder, or a model found in the Hugging Face cache. The choice is the setting
// attentionInspector.model.path (empty = seeded), so it survives reloads and can be set by hand.
import * as vscode from 'vscode';
import { escapeControl } from '../core';
import type { CachedModel } from '../core/models/cache';
import type { Platform } from './platform';
import { SECTION, readSettings } from './settings';
import { modelDisplayName } from '../host/modelSource';

export const SEEDED_MODEL_LABEL = 'Seeded random model (teaching)';

/** "124.4M" parameters. */
export function formatParameters(count: number | null): string {
  if (count === null) return '?';
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}

/** "498 MiB" on disk. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes,
    u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** The dtype holding most parameters ("BF16"), with the others after it. */
export function mainDtype(dtypes: Record<string, number> | null): string {
  if (!dtypes) return '?';
  return (
    Object.entries(dtypes)
      .sort((a, b) => b[1] - a[1])
      .map(([d]) => d)
      .join('+') || '?'
  );
}

/** One line about a cached model: architecture · parameters · dtype · size. */
export function describeModel(m: CachedModel): string {
  return [
    m.architecture ?? 'unknown architecture',
    formatParameters(m.parameters),
    mainDtype(m.dtypes),
    formatBytes(m.bytes),
  ].join(' · ');
}

/** What the status bar and the Models view call the active model. */
export function activeModelName(path: string): string {
  return path ? modelDisplayName(path) : vscode.l10n.t('seeded random model');
}

export async function cachedModels(platform: Platform): Promise<{ hubDir: string; models: CachedModel[] } | null> {
  return platform.listModels ? platform.listModels() : null;
}

type PickItem = vscode.QuickPickItem & {
  readonly path?: string;
  readonly browse?: true;
  readonly unsupported?: string;
};

/** Sets the model (empty = seeded); returns the path set. */
export async function setModelPath(path: string): Promise<string> {
  await vscode.workspace.getConfiguration(SECTION).update('model.path', path, vscode.ConfigurationTarget.Global);
  return path;
}

/**
 * The Choose Model command: with `path` given (tests, the Models view) it is set directly ('' is the
 * seeded model); otherwise a quick pick. An unsupported model is listed with its reason and refused
 * when picked. Returns the path set, or undefined when nothing changed.
 */
export async function chooseModel(platform: Platform, path?: string): Promise<string | undefined> {
  if (typeof path === 'string') return setModelPath(path);
  const current = readSettings().modelPath;
  const found = await cachedModels(platform);
  const items: PickItem[] = [
    {
      label: `$(beaker) ${vscode.l10n.t(SEEDED_MODEL_LABEL)}`,
      description: current === '' ? vscode.l10n.t('active') : undefined,
      detail: vscode.l10n.t(
        'Random embeddings and projections: teaches the mechanism, says nothing about a real model.',
      ),
      path: '',
    },
    {
      label: `$(folder-opened) ${vscode.l10n.t('Browse for a folder…')}`,
      detail: vscode.l10n.t('A Hugging Face model folder: config.json, *.safetensors, tokenizer.json'),
      browse: true,
    },
  ];
  if (found) {
    items.push({
      label: vscode.l10n.t('Hugging Face cache ({0})', found.hubDir),
      kind: vscode.QuickPickItemKind.Separator,
    });
    for (const m of found.models) {
      const active = m.path === current ? ` · ${vscode.l10n.t('active')}` : '';
      items.push(
        m.supported
          ? {
              label: `$(hubot) ${m.id}`,
              description: describeModel(m) + active,
              detail: m.revision.slice(0, 12),
              path: m.path,
            }
          : {
              label: `$(circle-slash) ${m.id}`,
              description: vscode.l10n.t('unsupported') + ` · ${describeModel(m)}`,
              detail: escapeControl(m.reason ?? ''),
              path: m.path,
              unsupported: m.reason ?? 'unsupported',
            },
      );
    }
    if (found.models.length === 0)
      items.push({
        label: vscode.l10n.t('No models in the cache'),
        description: found.hubDir,
        kind: vscode.QuickPickItemKind.Default,
        detail: vscode.l10n.t('Set HF_HOME or HF_HUB_CACHE, or browse for a folder.'),
      });
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Choose Model'),
    placeHolder: vscode.l10n.t('The model Inspect Selection runs (now: {0})', activeModelName(current)),
    matchOnDescription: true,
  });
  if (!pick) return undefined;
  if (pick.unsupported) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        'Attention Inspector: {0} cannot run: {1}. Pick another model or browse for a folder.',
        escapeControl(pick.path ?? ''),
        escapeControl(pick.unsupported),
      ),
    );
    return undefined;
  }
  if (pick.browse) {
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: vscode.l10n.t('Use This Model'),
      title: vscode.l10n.t('A Hugging Face model folder'),
    });
    if (!folder?.[0]) return undefined;
    return setModelPath(folder[0].fsPath);
  }
  if (pick.path === undefined) return undefined;
  return setModelPath(pick.path);
}

/**
 * What to do about a model that failed to open, after its one-line error (which names the folder
 * and the file): the panel's error toast reads "<error>. <remedy>".
 */
export function modelRemedy(message: string): string {
  if (/is not supported/.test(message))
    return vscode.l10n.t(
      'Choose Model… picks a supported model (GPT-2, Llama, Mistral, Qwen2/3, BERT, RoBERTa, DistilBERT).',
    );
  if (/tokenizer\.json: is missing/.test(message))
    return vscode.l10n.t("Put the model's tokenizer.json into the folder, or Choose Model… picks another model.");
  if (/exceed|at most \d+ tokens|select less text/.test(message))
    return vscode.l10n.t('Select less text, or Choose Model… picks a smaller model.');
  if (/truncated|cannot open the model folder|config\.json: is missing|safetensors/.test(message))
    return vscode.l10n.t('Download the model again, or Choose Model… picks another model.');
  return vscode.l10n.t('Choose Model… picks another model.');
}
