// Shared WebAssembly memories kept for reuse. A fresh memory costs a page fault per 4 KiB on first
// touch, and on these machines that is most of a large call's time (measured: 12 heads at n = 2048
// take 360–680 ms on fresh memory, 285 ms on reused). Results are views into a call's memory, so a
// memory may only be reused once nothing can see it: every returned view is registered with a
// FinalizationRegistry and the memory comes back when the last one has been garbage collected. Idle
// memories are dropped after a while so the extension host does not keep hundreds of MB resident.
// A memory may carry a tag saying what it still holds from its last call (residentWeights.ts: a
// model's projections, packed): acquire prefers an idle memory with the caller's tag.

/** WebAssembly memories are at most 4 GiB (65536 pages of 64 KiB). */
export const MAX_PAGES = 65536;
const PAGE = 65536;

interface Lease {
  readonly memory: WebAssembly.Memory;
  holders: number;
}

export interface MemoryCacheOptions {
  /** Bytes of idle memories kept at most (default 1 GiB). */
  readonly maxBytes?: number;
  /** Idle memories are dropped after this many milliseconds (default 30 s). */
  readonly idleMs?: number;
}

export class SharedMemoryCache {
  private idle: WebAssembly.Memory[] = [];
  private readonly tags = new WeakMap<WebAssembly.Memory, string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly maxBytes: number;
  private readonly idleMs: number;
  private readonly registry = new FinalizationRegistry<Lease>((lease) => {
    if (--lease.holders === 0) this.putBack(lease.memory);
  });

  constructor(options: MemoryCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 2 ** 30;
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** A memory of at least `pages` pages: an idle one that is not much larger, or a new one. */
  acquire(pages: number): WebAssembly.Memory {
    return this.acquireTagged(pages, null).memory;
  }

  /**
   * acquire, preferring an idle memory whose tag is `tag`; holdsTag says whether it has it. The
   * memory's tag is cleared (the call will overwrite it): setTag once the call has succeeded.
   */
  acquireTagged(pages: number, tag: string | null): { memory: WebAssembly.Memory; holdsTag: boolean } {
    const want = Math.max(2, pages);
    let best = -1;
    let bestTagged = false;
    this.idle.forEach((m, i) => {
      const have = m.buffer.byteLength / PAGE;
      if (have < want || have > 2 * want) return;
      const tagged = tag !== null && this.tags.get(m) === tag;
      if (
        best < 0 ||
        (tagged && !bestTagged) ||
        (tagged === bestTagged && have < this.idle[best].buffer.byteLength / PAGE)
      ) {
        best = i;
        bestTagged = tagged;
      }
    });
    if (best < 0)
      return { memory: new WebAssembly.Memory({ initial: want, maximum: want, shared: true }), holdsTag: false };
    const memory = this.idle.splice(best, 1)[0];
    this.tags.delete(memory);
    return { memory, holdsTag: bestTagged };
  }

  /** Records what a memory holds after a successful call (see acquireTagged). */
  setTag(memory: WebAssembly.Memory, tag: string): void {
    this.tags.set(memory, tag);
  }

  /** Hands a memory back once every holder (the views returned to the caller) is collected. */
  lend(memory: WebAssembly.Memory, holders: readonly object[]): void {
    if (holders.length === 0) return this.putBack(memory);
    const lease: Lease = { memory, holders: holders.length };
    for (const h of holders) this.registry.register(h, lease);
  }

  /** Idle bytes held (for tests). */
  get idleBytes(): number {
    return this.idle.reduce((s, m) => s + m.buffer.byteLength, 0);
  }

  /** Drops every idle memory. */
  clear(): void {
    this.idle = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private putBack(memory: WebAssembly.Memory): void {
    if (memory.buffer.byteLength > this.maxBytes) return;
    this.idle.unshift(memory);
    while (this.idleBytes > this.maxBytes) this.idle.pop();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), this.idleMs);
    this.timer.unref();
  }
}
