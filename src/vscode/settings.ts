// The extension's settings (contributes.configuration in package.json), read into the shapes the
// core takes. A bad value never breaks a command: it falls back to the default and the user is told
// once which setting was ignored and why.
import * as vscode from 'vscode';
import {
  type MaskWord,
  type ScaleRule,
  type TextModelSettings,
  type TokenizerKind,
  escapeControl,
  parseScaleRule,
} from '../core';
import type { ColorMapName } from '../protocol/messages';

export const SECTION = 'attentionInspector';

export interface Settings {
  readonly text: Partial<TextModelSettings>;
  readonly scale: ScaleRule;
  readonly mask: MaskWord;
  readonly colorMap: ColorMapName;
  readonly maxTokens: number;
  readonly maxFileBytesInMemory: number;
  readonly maxHeaderBytes: number;
  readonly maxHeadsShown: number;
  readonly workspaceGlob: string;
  /** attentionInspector.model.path: a Hugging Face model folder; empty = the seeded random model. */
  readonly modelPath: string;
  /** attentionInspector.model.keepLoadedMinutes: how long a closed model panel's worker keeps the model loaded (0: not at all). */
  readonly modelKeepLoadedMinutes: number;
}

const TOKENIZERS: readonly TokenizerKind[] = ['words', 'whitespace', 'characters'];
const MASKS: readonly MaskWord[] = ['none', 'causal', 'anticausal'];
const COLOR_MAPS: readonly ColorMapName[] = ['viridis', 'cividis', 'gray'];

const warned = new Set<string>();

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  void vscode.window.showWarningMessage(escapeControl(message));
}

function integer(
  config: vscode.WorkspaceConfiguration,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = config.get<unknown>(key, fallback);
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  warnOnce(
    `${key}=${String(value)}`,
    vscode.l10n.t('Setting {0}.{1}: expected an integer from {2} to {3}; using {4}.', SECTION, key, min, max, fallback),
  );
  return fallback;
}

function choice<T extends string>(
  config: vscode.WorkspaceConfiguration,
  key: string,
  options: readonly T[],
  fallback: T,
): T {
  const value = config.get<unknown>(key, fallback);
  if (options.includes(value as T)) return value as T;
  warnOnce(
    `${key}=${String(value)}`,
    vscode.l10n.t('Setting {0}.{1}: expected one of {2}; using {3}.', SECTION, key, options.join(', '), fallback),
  );
  return fallback;
}

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const seeded = (name: string, legacy: string): string => seededModelKey(config, name, legacy);
  const dModel = integer(config, seeded('tokenWidth', 'dModel'), 64, 1, 4096);
  const text: Partial<TextModelSettings> = {
    dModel,
    dK: integer(config, seeded('queryKeyWidth', 'dK'), 16, 1, 1024),
    dV: integer(config, seeded('valueWidth', 'dV'), 16, 1, 1024),
    heads: integer(config, seeded('heads', 'heads'), 4, 1, 64),
    seed: integer(config, seeded('seed', 'seed'), 1, 0, 2 ** 31 - 1),
    positional:
      choice(
        config,
        seeded('positionalEncoding', 'positionalEncoding'),
        ['sinusoidal', 'none'] as const,
        'sinusoidal',
      ) === 'sinusoidal',
    tokenizer: choice(config, 'tokenizer', TOKENIZERS, 'words'),
  };
  let scale: ScaleRule = 'sqrt';
  const scaleText = config.get<unknown>('defaultScale', 'sqrt');
  try {
    scale = parseScaleRule(String(scaleText), `${SECTION}.defaultScale`);
  } catch (e) {
    warnOnce(
      `defaultScale=${String(scaleText)}`,
      vscode.l10n.t('Setting {0}; using "sqrt".', e instanceof Error ? e.message : String(e)),
    );
  }
  return {
    text,
    scale,
    mask: choice(config, 'defaultMask', MASKS, 'none'),
    colorMap: choice(config, 'colorMap', COLOR_MAPS, 'viridis'),
    maxTokens: integer(config, 'limits.maxTokens', 4096, 1, 65536),
    maxFileBytesInMemory: integer(config, 'limits.maxFileBytesInMemory', 512 * 1024 * 1024, 1024, 8 * 1024 ** 3),
    maxHeaderBytes: integer(config, 'limits.maxHeaderBytes', 100_000_000, 1024, 1_000_000_000),
    maxHeadsShown: integer(config, 'limits.maxHeadsShown', 64, 1, 4096),
    workspaceGlob: String(
      config.get<unknown>('workspaceGlob', '**/*.{npy,npz,safetensors}') || '**/*.{npy,npz,safetensors}',
    ),
    modelPath: modelPathOf(config),
    modelKeepLoadedMinutes: minutes(config, 'model.keepLoadedMinutes', 5, 0, 1440),
  };
}

/**
 * The seeded random model's settings were `model.dK` and so on, which the Settings editor shows as
 * "Model: D K" beside the real model's `model.path`; they are now `seededModel.queryKeyWidth` etc.
 * The new key wins wherever it is set; an old key someone already set is still honoured.
 */
function seededModelKey(config: vscode.WorkspaceConfiguration, name: string, legacy: string): string {
  const key = `seededModel.${name}`;
  if (isSet(config, key)) return key;
  const old = `model.${legacy}`;
  return isSet(config, old) ? old : key;
}

function isSet(config: vscode.WorkspaceConfiguration, key: string): boolean {
  const seen = config.inspect(key);
  return (
    seen !== undefined &&
    (seen.globalValue !== undefined || seen.workspaceValue !== undefined || seen.workspaceFolderValue !== undefined)
  );
}

/** A number of minutes from min to max (fractions allowed: the in-host tests use seconds). */
function minutes(
  config: vscode.WorkspaceConfiguration,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = config.get<unknown>(key, fallback);
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
  warnOnce(
    `${key}=${String(value)}`,
    vscode.l10n.t('Setting {0}.{1}: expected minutes from {2} to {3}; using {4}.', SECTION, key, min, max, fallback),
  );
  return fallback;
}

/** The model folder setting, trimmed; anything but a string is the seeded model (said once). */
function modelPathOf(config: vscode.WorkspaceConfiguration): string {
  const value = config.get<unknown>('model.path', '');
  if (typeof value === 'string') return value.trim();
  warnOnce(
    `model.path=${String(value)}`,
    vscode.l10n.t('Setting {0}.model.path: expected a folder path; using the seeded random model.', SECTION),
  );
  return '';
}
