// Binds a Lit element to a slice of a Store: the element re-renders when (and only when) the values
// it selects change. Subscribed while the element is connected.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Store } from './store';

export class StoreController<S extends object, T extends readonly unknown[]> implements ReactiveController {
  private stop: (() => void) | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: Store<S>,
    private readonly select: (s: S) => T,
  ) {
    host.addController(this);
  }

  get state(): S {
    return this.store.state;
  }

  hostConnected(): void {
    this.stop = this.store.watch(this.select, () => this.host.requestUpdate());
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.stop?.();
    this.stop = null;
  }
}
