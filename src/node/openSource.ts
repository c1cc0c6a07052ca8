// The node worker's opener: everything openInMemory opens, plus tensor files read from the local
// disk a head at a time (positional reads), with tokens from a sidecar file next to them.
import { type ComputeEngine, REFERENCE_ENGINE } from '../core/inspect';
import type { LimitOptions } from '../core/limits';
import * as kernels from '../core/kernels';
import { type InMemoryRequest, type OpenedSource, type TensorFileRequestOptions, openInMemory, tensorFileSource } from '../host/openInMemory';
import { FileByteSource } from './fileByteSource';
import { readSidecarTokens } from './tensorPath';

export type { OpenedInfo, OpenedSource, TensorFileRequestOptions } from '../host/openInMemory';

export type OpenRequest =
  | InMemoryRequest
  /** A tensor file on the local disk, read by positional reads. */
  | { readonly kind: 'file'; readonly path: string; readonly title: string; readonly options?: TensorFileRequestOptions; readonly limits?: LimitOptions };

/** The WebAssembly SIMD kernels where the runtime has them, else the TypeScript reference. */
export function computeEngine(): ComputeEngine {
  return kernels.initKernelsSync() ? kernels : REFERENCE_ENGINE;
}

export async function openSource(request: OpenRequest): Promise<OpenedSource> {
  if (request.kind !== 'file') return openInMemory(request, computeEngine());
  const bytes = await FileByteSource.open(request.path);
  try {
    const options = request.limits ? { ...request.options, limits: { ...request.options?.limits, ...request.limits } } : request.options ?? {};
    const source = await tensorFileSource(bytes, request.title, options, () => readSidecarTokens(request.path));
    return { source, info: { offsets: null, spec: null }, close: () => bytes.close() };
  } catch (e) {
    await bytes.close();
    throw e;
  }
}
