// The node worker's opener: everything openInMemory opens, plus tensor files read from the local
// disk a head at a time (positional reads), with tokens from a sidecar file next to them.
import { type ComputeEngine, REFERENCE_ENGINE } from '../core/inspect';
import * as kernels from '../core/kernels';
import { type OpenedSource, openInMemory, tensorFileSource } from '../host/openInMemory';
import { FileByteSource } from './fileByteSource';
import { readSidecarTokens } from './tensorPath';
import { FULL_RESOLUTION_TOKENS, InputError, countTokens, isMaskWord, textInput } from '../core';
import { titleOf } from '../host/memorySource';
import { LongTextSource, identityHead } from './longSequence';
import type { StreamGivenHead } from '../host/pooledFileHeads';
import { streamGivenHead } from './streaming';
import { type ModelRequest, ModelSource, modelNeedsOverview, tokensFor } from '../host/modelSource';
import { LongModelSource } from './models/longModelSource';
import { attendOnPool, matmulOnPool, openModelDir } from './models/run';

import type { OpenRequest } from '../host/openRequest';

export type { OpenedInfo, OpenedSource, OpenRequest, TensorFileRequestOptions } from '../host/openRequest';

/** The WebAssembly SIMD kernels where the runtime has them, else the TypeScript reference. */
export function computeEngine(): ComputeEngine {
  return kernels.initKernelsSync() ? kernels : REFERENCE_ENGINE;
}

export interface OpenOptions {
  /** Told after each layer of a model's forward pass (the host's progress notification). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Overrides FULL_RESOLUTION_TOKENS (tests use a small value). */
  readonly fullResolutionTokens?: number;
  /** Overview blocks per side for long texts (longSequence.ts OVERVIEW_SIDE). */
  readonly overviewSide?: number;
}

export async function openSource(request: OpenRequest, options: OpenOptions = {}): Promise<OpenedSource> {
  if (request.kind === 'text') {
    const long = openLongText(request, options.fullResolutionTokens ?? FULL_RESOLUTION_TOKENS, options.overviewSide);
    if (long) return long;
  }
  if (request.kind === 'model')
    return openModel(
      request,
      options.onProgress,
      options.fullResolutionTokens ?? FULL_RESOLUTION_TOKENS,
      options.overviewSide,
    );
  if (request.kind !== 'file') return openInMemory(request, computeEngine());
  const bytes = await FileByteSource.open(request.path);
  try {
    const options = request.limits
      ? { ...request.options, limits: { ...request.options?.limits, ...request.limits } }
      : (request.options ?? {});
    const source = await tensorFileSource(
      bytes,
      request.title,
      options,
      () => readSidecarTokens(request.path),
      streamGivenOnPool,
      computeEngine(),
    );
    return { source, info: { offsets: null, spec: null, batch: source.batchChoice }, close: () => bytes.close() };
  } catch (e) {
    await bytes.close();
    throw e;
  }
}

/**
 * A model folder run on the request's text on the worker pool. The model (its open files, config
 * and tokenizer: a few MB, never its weights, which are read a layer at a time) stays loaded in
 * this worker (heldModel), so the next inspection of the same model skips loading it; the worker
 * is the panel's, so the model goes when the panel's worker does (src/node/workerSource.ts keeps a
 * closed panel's worker for attentionInspector.model.keepLoadedMinutes). A failed load leaves
 * nothing open.
 */
async function openModel(
  request: ModelRequest,
  onProgress: ((done: number, total: number) => void) | undefined,
  fullResolution: number,
  overviewSide: number | undefined,
): Promise<OpenedSource> {
  const model = await heldModel(request.path);
  const tokenized = await tokensFor(model, request);
  const c = model.config;
  // Past the whole-matrix size every head is a pooled overview with full-resolution regions.
  const source = modelNeedsOverview(tokenized.ids.length, c.layers, c.heads, fullResolution)
    ? await LongModelSource.run(model, request, tokenized, {
        fullResolutionTokens: fullResolution,
        overviewSide,
        onLayer: onProgress,
      })
    : await ModelSource.run(
        model,
        request,
        { attend: attendOnPool(), matmul: matmulOnPool(), engine: computeEngine(), onLayer: onProgress },
        tokenized,
      );
  return { source, info: { offsets: source.offsets, spec: null }, close: async () => undefined };
}

type OpenModel = Awaited<ReturnType<typeof openModelDir>>;
let held: { readonly path: string; readonly model: Promise<OpenModel> } | null = null;

/** The model at `path`, loaded once per worker; another path closes the one held. */
async function heldModel(path: string): Promise<OpenModel> {
  if (held?.path !== path) {
    const previous = held;
    const loading = openModelDir(path);
    held = { path, model: loading };
    // A folder that failed to load is tried again next time (it may have been fixed meanwhile).
    loading.catch(() => {
      if (held?.model === loading) held = null;
    });
    if (previous)
      void previous.model.then(
        (m) => m.close(),
        () => undefined,
      );
  }
  return held.model;
}

/** The model path held in this worker, if any (tests; the idle pool matches on it). */
export function heldModelPath(): string | null {
  return held?.path ?? null;
}

/** A text longer than `fullResolution` tokens as a LongTextSource; null for shorter texts. */
function openLongText(
  spec: Extract<OpenRequest, { kind: 'text' }>,
  fullResolution: number,
  overviewSide?: number,
): OpenedSource | null {
  const settings = spec.settings ?? {};
  // Counting is cheap (no token objects); only a long text pays for embedding here.
  if (countTokens(spec.text, settings.tokenizer ?? 'words') <= fullResolution) return null;
  if (spec.mask !== undefined && !isMaskWord(spec.mask))
    throw new InputError('mask', `unknown mask ${JSON.stringify(spec.mask)}`);
  const caps = spec.maxTokens !== undefined ? { ...spec.limits, maxTokens: spec.maxTokens } : spec.limits;
  const { input, offsets } = textInput(spec.text, settings, caps);
  const heads = input.form === 'projected' ? input.heads : [identityHead(input.form === 'qkv' ? input.Q.cols : 1)];
  const x = input.form === 'projected' ? input.X : input.form === 'qkv' ? input.Q : null;
  if (!x || !input.tokens) throw new InputError('text', 'could not build token vectors');
  const source = new LongTextSource(
    { x, heads, tokens: input.tokens },
    {
      title: titleOf(spec),
      spec,
      scale: spec.scale,
      mask: spec.mask,
      fullResolutionTokens: fullResolution,
      overviewSide,
    },
  );
  return { source, info: { offsets, spec }, close: async () => undefined };
}

/** Long Q/K/V heads of a file through the multi-threaded streaming kernels (the worker's pool). */
export const streamGivenOnPool: StreamGivenHead = async (q, k, v, factor, mask, cell) => {
  const h = await streamGivenHead(q, k, v, factor, { mask, overviewSize: Math.ceil(q.rows / cell) });
  if (h.cell !== cell) throw new Error(`the streaming overview has blocks of ${h.cell}, not ${cell}`);
  return { overview: h.overview.data, entropy: h.entropy, maxWeight: h.maxWeight, diagonal: h.diagonal };
};
