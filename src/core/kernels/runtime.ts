// Loading the kernels: compile the embedded bytes once, instantiate over a private memory that grows
// on demand. Node and workers can compile synchronously (`new WebAssembly.Module`); a browser's main
// thread may refuse that for modules over 4 KB, so the webview awaits initKernels() instead. Until a
// load succeeds (or where WebAssembly SIMD is missing) the kernel functions fall back to the plain
// TypeScript reference, so callers never need to know which path ran.
import type { KernelExports } from './abi';
import { Arena } from './arena';
import { KERNEL_WASM } from './bytes';
import { type KernelVariant, chooseKernelVariant } from './variant';

export interface KernelRuntime {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly arena: Arena;
}

let compiled: WebAssembly.Module | null = null;
let variant: KernelVariant | null = null;
let runtime: KernelRuntime | null = null;
let syncAttempted = false;
let disabled = false;

/** Memory kept between calls; a call that needed more gets a fresh, small instance next time. */
const RETAIN_BYTES = 256 * 1024 * 1024;

function hasWebAssembly(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

function instantiate(module: WebAssembly.Module): KernelRuntime {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { exports: instance.exports as unknown as KernelExports, memory, arena: new Arena() };
}

/** Compiles and instantiates synchronously; false where that is not allowed or SIMD is missing. */
export function initKernelsSync(): boolean {
  if (compiled) return true;
  syncAttempted = true;
  if (!hasWebAssembly()) return false;
  const chosen = chooseKernelVariant();
  try {
    compiled = new WebAssembly.Module(KERNEL_WASM[chosen]);
    variant = chosen;
    return true;
  } catch {
    return false;
  }
}

/** Compiles asynchronously (allowed everywhere, including a browser's main thread). */
export async function initKernels(): Promise<boolean> {
  if (compiled) return true;
  if (!hasWebAssembly()) return false;
  const chosen = chooseKernelVariant();
  try {
    compiled = await WebAssembly.compile(KERNEL_WASM[chosen]);
    variant = chosen;
    return true;
  } catch {
    return false;
  }
}

/** Whether the kernel path is loaded (it is tried synchronously on first use). */
export function kernelsReady(): boolean {
  return compiled !== null && !disabled;
}

/** Turns the kernel path off (true) or back on; the reference runs while it is off. For comparisons and benchmarks. */
export function disableKernels(off: boolean): void {
  disabled = off;
}

/** Which build is loaded ('simd128' or 'relaxed'), or null before a load succeeded. */
export function kernelVariant(): KernelVariant | null {
  return compiled ? variant : null;
}

/**
 * Forgets the loaded build, so the next call chooses again (after ATTENTION_KERNELS changed): for
 * tests and benchmarks that compare the builds in one process.
 */
export function resetKernels(): void {
  compiled = null;
  variant = null;
  runtime = null;
  syncAttempted = false;
}

/** The compiled module, so the same compiled code can be handed to other threads. */
export function kernelModule(): WebAssembly.Module | null {
  return compiled;
}

/** The runtime for one call, or null when the reference should run. */
export function acquireRuntime(): KernelRuntime | null {
  if (disabled) return null;
  if (!compiled && !syncAttempted) initKernelsSync();
  if (!compiled) return null;
  runtime ??= instantiate(compiled);
  runtime.arena.reset();
  return runtime;
}

/** Ends a call: drops an instance whose memory grew past RETAIN_BYTES so a one-off big call does not pin it. */
export function releaseRuntime(rt: KernelRuntime): void {
  if (rt === runtime && rt.memory.buffer.byteLength > RETAIN_BYTES) runtime = null;
}
