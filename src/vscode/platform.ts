// What differs between VS Code desktop/remote (a node extension host) and VS Code for the Web (a
// browser web worker): where computations run, and whether local files can be read a head at a time.
// src/extension.ts passes the node platform (a worker thread per panel); src/web/extension.ts the web one.
import * as vscode from 'vscode';
import type { InspectionSource } from '../host/source';
import type { OpenedInfo, OpenRequest } from '../host/openRequest';
import { escapeControl } from '../core/errors';
import type { CachedModel } from '../core/models/cache';

/** A panel's data source as the VS Code layer uses it. */
export interface PanelSource extends InspectionSource {
  readonly info: OpenedInfo;
  /** Stops what runs now; true if something was running. */
  cancel(): boolean;
  dispose(): void;
}

/** Hooks a source calls: slow requests (progress + cancel), its creation, and crashes. */
/** Layer-by-layer progress of a slow request (a model's forward pass); returns a function that stops listening. */
export type ProgressFeed = (listener: (done: number, total: number) => void) => () => void;

export interface SourceHooks {
  readonly onSlow?: (label: string, cancel: () => void, done: Promise<unknown>, progress?: ProgressFeed) => void;
  readonly onCreated?: (source: PanelSource) => void;
  readonly onCrash?: (message: string) => void;
}

export interface Platform {
  readonly name: 'node' | 'web';
  /** True where `{kind: 'file'}` requests work (positional reads from the local disk). */
  readonly readsLocalFiles: boolean;
  /** True where a running computation can be stopped midway (a worker thread is terminated). */
  readonly cancellable: boolean;
  /** Opens the input now (rejects with InputError for bad input, CancelledError when cancelled). */
  open(request: OpenRequest, hooks: SourceHooks): Promise<PanelSource>;
  /** A source that opens its input on the first request (restored panels, custom editors). */
  lazy(request: OpenRequest, hooks: SourceHooks): PanelSource;
  /** Worker threads alive (leak checks). */
  liveWorkers(): number;
  /** Process memory, where the platform can tell. */
  memory(): Record<string, number> | null;
  /** The model a closed panel's worker still keeps loaded (attentionInspector.model.keepLoadedMinutes), or null. */
  parkedModel?(): string | null;
  /** Ends that worker now; true if there was one. */
  releaseIdleModel?(): boolean;
  /** The models in the Hugging Face cache, where the platform can read it (node: the extension host's disk). */
  listModels?(): Promise<{ readonly hubDir: string; readonly models: CachedModel[] }>;
}

/** Hooks for a panel: slow requests show a progress notification (with Cancel where it works); crashes are reported. */
export function panelHooks(platform: Platform, log: vscode.LogOutputChannel): SourceHooks {
  return {
    onSlow: (label, cancel, done, feed) => {
      void vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: platform.cancellable
            ? vscode.l10n.t('Attention Inspector: {0}…', label)
            : vscode.l10n.t(
                'Attention Inspector: {0}… (in VS Code for the Web this runs in the extension worker and cannot be cancelled midway)',
                label,
              ),
          cancellable: platform.cancellable,
        },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => cancel());
          // A model reports each layer of its forward pass: "layer 3 of 12", the bar a twelfth further.
          let shown = 0;
          const stop = feed?.((layer, layers) => {
            const percent = (100 * layer) / layers;
            progress.report({
              message: vscode.l10n.t('layer {0} of {1}', layer, layers),
              increment: Math.max(0, percent - shown),
            });
            shown = Math.max(shown, percent);
          });
          try {
            await done.catch(() => undefined);
          } finally {
            stop?.();
            sub.dispose();
          }
        },
      );
    },
    onCrash: (message) => {
      log.error(message);
      void vscode.window.showErrorMessage(
        vscode.l10n.t(
          'Attention Inspector: {0}. The panel will start it again on the next request.',
          escapeControl(message),
        ),
      );
    },
  };
}
