// A small subscribe/notify store (after GitLens's webview state.ts): one immutable state object,
// replaced by shallow patches; listeners run only when a patched value really changed, and
// `watch` narrows that to the slice a listener depends on, so each part re-renders for its inputs.

export type Listener<S> = (state: S, previous: S) => void;

/** True when two selected slices differ in any entry (compared by identity). */
export function sliceChanged(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length !== b.length || a.some((v, i) => v !== b[i]);
}

export class Store<S extends object> {
  private current: S;
  private readonly listeners = new Set<Listener<S>>();

  constructor(initial: S) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  /** Merges `patch` into the state; notifies only if some value changed. */
  set(patch: Partial<S>): void {
    const previous = this.current;
    const keys = Object.keys(patch) as (keyof S)[];
    if (!keys.some((k) => patch[k] !== previous[k])) return;
    this.current = { ...previous, ...patch };
    for (const listener of [...this.listeners]) listener(this.current, previous);
  }

  subscribe(listener: Listener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `run` whenever the slice `select` picks changes (not at once). */
  watch<T extends readonly unknown[]>(select: (s: S) => T, run: (slice: T, state: S) => void): () => void {
    let last = select(this.current);
    return this.subscribe((state) => {
      const next = select(state);
      if (!sliceChanged(last, next)) return;
      last = next;
      run(next, state);
    });
  }
}
