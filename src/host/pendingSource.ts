// A panel's source while its input is still opening. The panel (and its page, which takes a few
// hundred milliseconds to load) can then be created at once instead of after the open: requests the
// page makes wait for the open and go to the opened source. Closing the panel before the open ends
// cancels the open and disposes what it produced.
import { InputError } from '../core';
import type { SourceMethod } from '../protocol/methods';
import type { OpenedInfo } from './openRequest';
import type { SourceSpec } from './source';
import { ForwardingSource, type SourceMethods, callSource } from './sourceMethods';

interface Openable {
  readonly info: OpenedInfo;
  readonly spec?: SourceSpec;
  cancel(): boolean;
  dispose(): void;
}

export class PendingSource<S extends Openable & Parameters<typeof callSource>[0]> extends ForwardingSource {
  private opened: S | null = null;
  private disposed = false;

  /** `cancelOpen` stops the open in flight (it then rejects). */
  constructor(
    private readonly opening: Promise<S>,
    private readonly cancelOpen: () => boolean,
  ) {
    super();
    opening.then(
      (source) => {
        if (this.disposed) source.dispose();
        else this.opened = source;
      },
      () => undefined,
    );
  }

  get info(): OpenedInfo {
    return this.opened?.info ?? { offsets: null, spec: null };
  }

  get spec(): SourceSpec | undefined {
    return this.opened?.spec;
  }

  protected async call<M extends SourceMethod>(
    method: M,
    params: SourceMethods[M]['params'],
  ): Promise<SourceMethods[M]['result']> {
    const source = await this.opening;
    if (this.disposed) throw new InputError('panel', 'the panel was closed');
    return callSource(source, method, params);
  }

  cancel(): boolean {
    return this.opened ? this.opened.cancel() : this.cancelOpen();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.opened) this.opened.dispose();
    else this.cancelOpen();
  }
}
