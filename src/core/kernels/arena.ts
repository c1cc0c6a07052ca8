// A bump allocator for linear memory: a call lays out all its regions first (inputs, outputs, scratch),
// then commits the layout to a memory (growing it once), writes its inputs, runs the kernels and reads
// its outputs. The next call starts again from ARENA_BASE, so the hot paths never allocate or free.
// Growing a memory detaches earlier views of its buffer: take views only after commit().
import { ARENA_BASE, WASM_PAGE, alignUp } from './abi';

export class Arena {
  private top = ARENA_BASE;

  /** Starts a new layout. */
  reset(): void {
    this.top = ARENA_BASE;
  }

  /** Reserves `bytes` (64-byte aligned) and returns their offset. */
  reserve(bytes: number): number {
    const ptr = this.top;
    this.top = alignUp(ptr + bytes);
    return ptr;
  }

  /** Bytes the layout spans from address 0. */
  get bytes(): number {
    return this.top;
  }

  /** Pages a memory needs to hold the layout. */
  get pages(): number {
    return Math.ceil(this.top / WASM_PAGE);
  }

  /** Grows `memory` (if needed) so the layout fits. */
  commit(memory: WebAssembly.Memory): void {
    const missing = this.pages - memory.buffer.byteLength / WASM_PAGE;
    if (missing > 0) memory.grow(missing);
  }
}
