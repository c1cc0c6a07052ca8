// Which build of the kernels to load: 'simd128' (128-bit SIMD, a separate multiply and add) or
// 'relaxed' (the same code with the GEMM's multiply-add as f32x4.relaxed_madd, a fused multiply-add on
// CPUs that have one). Chosen by feature detection: WebAssembly.validate of a tiny module that uses
// relaxed_madd, never a runtime's version string. VS Code's Electron and Node ≥ 22 validate it by
// default; Node 20 only with --experimental-wasm-relaxed-simd. ATTENTION_KERNELS=simd128|relaxed
// overrides the choice (tests and `npm run bench` compare the two).
export type KernelVariant = 'simd128' | 'relaxed';

export const KERNEL_VARIANTS: readonly KernelVariant[] = ['simd128', 'relaxed'];

/** (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))), hand-assembled. */
function relaxedProbe(): Uint8Array<ArrayBuffer> {
  const zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0x00, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b]; // no locals …, relaxed_madd (0xfd 0x105), end
  const code = [0x01, body.length, ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // \0asm, version 1
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type section: () → v128
    ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
    ...[0x0a, code.length, ...code], // code section
  ]);
}

let relaxed: boolean | undefined;

/** Whether this runtime accepts WebAssembly relaxed SIMD (f32x4.relaxed_madd). */
export function relaxedSimdSupported(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = typeof WebAssembly === 'object' && WebAssembly.validate(relaxedProbe());
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/**
 * Node 20 has relaxed SIMD behind --experimental-wasm-relaxed-simd. A node process (the CLI) may turn
 * it on before its first kernel loads; `setFlags` is v8.setFlagsFromString. Only where the probe fails,
 * so a runtime that validates relaxed SIMD by default never sees the flag (Node 24 rejects it with a
 * line on stderr). Returns whether relaxed SIMD is available now.
 */
export function enableRelaxedSimd(setFlags: (flag: string) => void): boolean {
  if (relaxedSimdSupported()) return true;
  try {
    setFlags('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  relaxed = undefined;
  return relaxedSimdSupported();
}

/** The ATTENTION_KERNELS override, where there is a process environment (not in a webview). */
function override(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.ATTENTION_KERNELS?.trim();
  return value === '' ? undefined : value;
}

/** The build chosen when ATTENTION_KERNELS is not set: relaxed wherever the runtime validates it. */
export function defaultKernelVariant(): KernelVariant {
  return relaxedSimdSupported() ? 'relaxed' : 'simd128';
}

/**
 * The build to load: ATTENTION_KERNELS when set (an unknown value, or 'relaxed' where the runtime
 * lacks relaxed SIMD, throws one line naming the variable and the rule), else 'relaxed' where it
 * validates, else 'simd128'.
 */
export function chooseKernelVariant(): KernelVariant {
  const asked = override();
  if (asked !== undefined) {
    if (!(KERNEL_VARIANTS as readonly string[]).includes(asked))
      throw new Error(`ATTENTION_KERNELS=${asked}: expected one of ${KERNEL_VARIANTS.join(', ')}`);
    if (asked === 'relaxed' && !relaxedSimdSupported())
      throw new Error(
        'ATTENTION_KERNELS=relaxed: this runtime does not validate WebAssembly relaxed SIMD (on Node 20 add --experimental-wasm-relaxed-simd)',
      );
    return asked as KernelVariant;
  }
  return defaultKernelVariant();
}
