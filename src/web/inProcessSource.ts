// VS Code for the Web: the extension host is already a web worker, apart from the editor's UI thread,
// so a panel's computations run right here without freezing the editor. What cannot be done here: a
// computation cannot be stopped midway (it is synchronous in this worker); Cancel drops its result.
// Local files are read whole through vscode.workspace.fs (the host sends their bytes).
import { FULL_RESOLUTION_TOKENS, InputError, countTokens } from '../core';
import { REFERENCE_ENGINE, type ComputeEngine } from '../core/inspect';
import * as kernels from '../core/kernels';
import { CancelledError } from '../protocol/cancelled';
import { type OpenedInfo, type OpenedSource, openInMemory } from '../host/openInMemory';
import type { SourceSpec } from '../host/source';
import { ForwardingSource, type SourceMethods, callSource } from '../host/sourceMethods';
import { METHOD_TABLE, type SourceMethod } from '../protocol/methods';
import type { OpenRequest } from '../host/openRequest';
import type { PanelSource, SourceHooks } from '../vscode/platform';

function engine(): ComputeEngine {
  return kernels.initKernelsSync() ? kernels : REFERENCE_ENGINE;
}

/** Lets the event loop run (a progress notification can show) before a long synchronous step. */
const breathe = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class InProcessSource extends ForwardingSource implements PanelSource {
  info: OpenedInfo = { offsets: null, spec: null };
  private opened: Promise<OpenedSource> | null = null;
  private generation = 0;
  private running = 0;
  private disposed = false;

  private constructor(
    private readonly request: OpenRequest,
    private readonly hooks: SourceHooks,
  ) {
    super();
  }

  static lazy(request: OpenRequest, hooks: SourceHooks): InProcessSource {
    return new InProcessSource(request, hooks);
  }

  static async open(request: OpenRequest, hooks: SourceHooks): Promise<InProcessSource> {
    const source = new InProcessSource(request, hooks);
    hooks.onCreated?.(source);
    await source.run('Opening the input', async () => undefined);
    return source;
  }

  get spec(): SourceSpec | undefined {
    return this.info.spec ?? undefined;
  }

  private ensureOpen(): Promise<OpenedSource> {
    if (!this.opened) {
      const request = this.request;
      this.opened = (async () => {
        if (request.kind === 'file')
          throw new InputError(
            'file',
            'local files are read through the VS Code file system in the web (this is a bug)',
          );
        if (request.kind === 'model')
          throw new InputError(
            request.path,
            'real models run in desktop VS Code (or on a remote extension host); VS Code for the Web uses the seeded random model',
          );
        if (request.kind === 'text') {
          // The streaming path for long texts needs worker threads; here a long text would be whole n×n matrices.
          const count = countTokens(request.text, request.settings?.tokenizer ?? 'words');
          if (count > FULL_RESOLUTION_TOKENS)
            throw new InputError(
              'text',
              `${count} tokens: VS Code for the Web shows texts of up to ${FULL_RESOLUTION_TOKENS} tokens (longer ones open as an overview in desktop VS Code)`,
            );
        }
        await breathe();
        const opened = await openInMemory(request, engine());
        this.info = opened.info;
        return opened;
      })();
      this.opened.catch(() => (this.opened = null));
    }
    return this.opened;
  }

  /** Runs one request; a cancel or dispose meanwhile turns its result into CancelledError. */
  private async run<T>(label: string, work: (opened: OpenedSource) => Promise<T>): Promise<T> {
    if (this.disposed) throw new InputError('panel', 'the panel was closed');
    const generation = this.generation;
    this.running++;
    const done = (async () => {
      const opened = await this.ensureOpen();
      await breathe();
      return work(opened);
    })();
    const timer = setTimeout(() => this.hooks.onSlow?.(label, () => this.cancel(), done), 300);
    try {
      const result = await done;
      if (generation !== this.generation) throw new CancelledError();
      return result;
    } finally {
      clearTimeout(timer);
      this.running--;
    }
  }

  cancel(): boolean {
    if (this.running === 0) return false;
    this.generation++;
    return true;
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
  }

  /** Every source method through the session's own dispatch (src/host/sourceMethods.ts), in process. */
  protected call<M extends SourceMethod>(
    method: M,
    params: SourceMethods[M]['params'],
  ): Promise<SourceMethods[M]['result']> {
    return this.run(METHOD_TABLE[method].progress, (o) => callSource(o.source, method, params));
  }
}
