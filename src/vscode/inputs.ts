// From what the user picked (a selection, a file, an example) to the worker's OpenRequest. Local
// tensor files are read by the worker from disk, a head at a time; files on other file systems
// (remote, virtual) are read whole through vscode.workspace.fs, within the in-memory limit.
import * as vscode from 'vscode';
import { InputError } from '../core';
import type { LimitOptions } from '../core/limits';
import type { OpenRequest } from '../host/openRequest';
import { inMemoryRefusal, isRegularFileType } from './fileChecks';
import type { InspectionInput, InspectionRecord } from './recent';
import type { Platform } from './platform';
import type { Settings } from './settings';

const path = {
  /** The last segment of a URI path. */
  basename: (p: string): string => p.slice(p.lastIndexOf('/') + 1),
  /** `.ext` of a URI path's last segment, or ''. */
  extname: (p: string): string => /(\.[^./]*)$/.exec(p.slice(p.lastIndexOf('/') + 1))?.[1] ?? '',
};

export const TENSOR_EXTENSIONS = ['.npy', '.npz', '.safetensors', '.pt', '.pth', '.bin'] as const;
export const INPUT_EXTENSIONS = ['.json', ...TENSOR_EXTENSIONS] as const;

export function isTensorFile(uri: vscode.Uri): boolean {
  return (TENSOR_EXTENSIONS as readonly string[]).includes(path.extname(uri.path).toLowerCase());
}

export function isInputFile(uri: vscode.Uri): boolean {
  return (INPUT_EXTENSIONS as readonly string[]).includes(path.extname(uri.path).toLowerCase());
}

/** The input a file stands for, with the user's default scale and mask where they apply. */
export function fileInput(uri: vscode.Uri, settings: Settings): InspectionInput {
  const ext = path.extname(uri.path).toLowerCase();
  if (ext === '.json') return { kind: 'json', uri: uri.toString() };
  if ((TENSOR_EXTENSIONS as readonly string[]).includes(ext))
    return { kind: 'tensor', uri: uri.toString(), options: { mask: settings.mask } };
  throw new InputError(path.basename(uri.path), `not an attention input (expected ${INPUT_EXTENSIONS.join(', ')})`);
}

export function fileTitle(uri: vscode.Uri): string {
  return path.basename(uri.path);
}

async function readLimited(uri: vscode.Uri, limits: LimitOptions): Promise<Uint8Array> {
  const name = path.basename(uri.path);
  let size: number;
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    // A FIFO or a device (or a symlink to one) reports size 0 and blocks or never ends: refused.
    if (!isRegularFileType(stat.type))
      throw new InputError(name, 'is not a regular file (only regular files are read)');
    size = stat.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(name, `cannot read the file (${e instanceof vscode.FileSystemError ? e.code : 'not found'})`);
  }
  const refusal = inMemoryRefusal(name, size, limits);
  if (refusal) throw refusal;
  try {
    return await vscode.workspace.fs.readFile(uri);
  } catch (e) {
    throw new InputError(
      name,
      `cannot read the file (${e instanceof vscode.FileSystemError ? e.code : 'read failed'})`,
    );
  }
}

/** The caps from settings, in the core's terms (src/core/limits.ts). */
export function limitsOf(settings: Settings): LimitOptions {
  return {
    maxTokens: settings.maxTokens,
    maxFileBytesInMemory: settings.maxFileBytesInMemory,
    maxHeaderBytes: settings.maxHeaderBytes,
    maxHeadsShown: settings.maxHeadsShown,
  };
}

/** The worker's request for a record, reading what must be read on the host side. */
export async function openRequestFor(
  record: InspectionRecord,
  settings: Settings,
  platform: Platform,
): Promise<OpenRequest> {
  const input = record.input;
  switch (input.kind) {
    case 'text':
      if (input.model)
        return {
          kind: 'model',
          path: input.model,
          text: input.text,
          title: record.title,
          induction: input.induction,
          limits: limitsOf(settings),
        };
      return {
        kind: 'text',
        text: input.text,
        // The seeded-model notice is the panel's first warning line (inspectorPanel.ts, textModelNotice).
        title: record.title,
        settings: { ...settings.text, ...input.settings },
        scale: input.scale ?? settings.scale,
        mask: input.mask ?? settings.mask,
        maxTokens: settings.maxTokens,
        limits: limitsOf(settings),
      };
    case 'json': {
      const uri = vscode.Uri.parse(input.uri);
      const bytes = await readLimited(uri, limitsOf(settings));
      let json: string;
      try {
        json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new InputError(path.basename(uri.path), 'not UTF-8 text');
      }
      return {
        kind: 'json',
        json,
        title: record.title,
        scale: input.scale,
        mask: input.mask,
        limits: limitsOf(settings),
      };
    }
    case 'tensor': {
      const uri = vscode.Uri.parse(input.uri);
      const options = { ...input.options };
      if (uri.scheme === 'file' && platform.readsLocalFiles)
        return { kind: 'file', path: uri.fsPath, title: record.title, options, limits: limitsOf(settings) };
      const bytes = await readLimited(uri, limitsOf(settings));
      return {
        kind: 'bytes',
        name: path.basename(uri.path),
        bytes,
        title: record.title,
        options,
        limits: limitsOf(settings),
      };
    }
  }
}
