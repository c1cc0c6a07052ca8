// Builds the panel's data source from a serializable request: text or a JSON document (in memory),
// or a tensor file (read lazily from disk, or from bytes the host already read for a virtual file
// system). Runs inside the inspection worker, so nothing here may block the extension host.
import * as path from 'node:path';
import { InputError, type ScaleSpec, type TextModelSettings } from '../core';
import { tokenize } from '../core/text';
import { type Meaning, MemoryByteSource, type ByteSource, axisLabels, openAttention, tokensFromFile } from '../core/tensorfiles';
import { type ComputeEngine, REFERENCE_ENGINE } from '../core/inspect';
import * as kernels from '../core/kernels';
import { MemorySource } from '../host/memorySource';
import type { InspectionSource, SourceSpec } from '../host/source';
import { TensorFileSource } from '../host/tensorFileSource';
import { FileByteSource } from './fileByteSource';
import { readSidecarTokens } from './tensorPath';

/** Options for a tensor file (the CLI's --tensor, --layout, --meaning, --d-k, --batch). */
export interface TensorFileRequestOptions {
  readonly tensor?: string;
  readonly layout?: string;
  readonly meaning?: Meaning;
  readonly dK?: number;
  readonly batch?: number;
  readonly scale?: ScaleSpec;
  readonly mask?: 'none' | 'causal' | 'anticausal';
}

export type OpenRequest =
  | SourceSpec
  /** A tensor file on the local disk, read by positional reads. */
  | { readonly kind: 'file'; readonly path: string; readonly title: string; readonly options?: TensorFileRequestOptions }
  /** A tensor file whose bytes the host read (virtual file systems, remote URIs). */
  | { readonly kind: 'bytes'; readonly name: string; readonly bytes: Uint8Array; readonly title: string; readonly options?: TensorFileRequestOptions };

/** What the host learns when a source opens: enough to link tokens back to the editor. */
export interface OpenedInfo {
  /** Character offsets [start, end) of each token in the inspected text (text inputs only). */
  readonly offsets: [number, number][] | null;
  /** The spec the standalone report rebuilds from (text and JSON only). */
  readonly spec: SourceSpec | null;
}

export interface OpenedSource {
  readonly source: InspectionSource;
  readonly info: OpenedInfo;
  close(): Promise<void>;
}

export async function openSource(request: OpenRequest): Promise<OpenedSource> {
  switch (request.kind) {
    case 'text':
    case 'json': {
      const source = MemorySource.fromSpec(request, computeEngine());
      const offsets = request.kind === 'text' ? textOffsets(request.text, request.settings ?? {}) : null;
      return { source, info: { offsets, spec: request }, close: async () => undefined };
    }
    case 'file': {
      const bytes = await FileByteSource.open(request.path);
      try {
        const source = await tensorSource(bytes, request.title, request.options ?? {}, () => readSidecarTokens(request.path));
        return { source, info: { offsets: null, spec: null }, close: () => bytes.close() };
      } catch (e) {
        await bytes.close();
        throw e;
      }
    }
    case 'bytes': {
      const source = await tensorSource(new MemoryByteSource(request.name, request.bytes), request.title, request.options ?? {}, async () => null);
      return { source, info: { offsets: null, spec: null }, close: async () => undefined };
    }
  }
  throw new InputError('request.kind', `unknown input kind ${JSON.stringify((request as { kind: unknown }).kind)}`);
}

/** The WebAssembly SIMD kernels where the runtime has them, else the TypeScript reference. */
function computeEngine(): ComputeEngine {
  return kernels.initKernelsSync() ? kernels : REFERENCE_ENGINE;
}

async function tensorSource(bytes: ByteSource, title: string, options: TensorFileRequestOptions, sidecar: () => Promise<{ tokens: string[] } | null>): Promise<InspectionSource> {
  const opened = await openAttention(bytes, { tensor: options.tensor, layout: options.layout, meaning: options.meaning, batch: options.batch });
  const tokens = (await tokensFromFile(opened.file)) ?? (await sidecar());
  const labels = axisLabels(path.basename(bytes.name), opened.view, tokens ? tokens.tokens : null);
  // Exported weights cannot be re-scaled or re-masked: the defaults from settings only apply to logits.
  const weights = opened.meaning.meaning === 'weights';
  return new TensorFileSource(opened, labels, {
    title,
    dK: options.dK,
    batch: options.batch,
    scale: weights ? undefined : options.scale,
    mask: weights ? undefined : options.mask,
  });
}

/** Token offsets exactly as the core tokenizes (cheap: no embeddings). */
function textOffsets(text: string, settings: Partial<TextModelSettings>): [number, number][] {
  return tokenize(text, settings.tokenizer ?? 'words').map((t) => [t.start, t.end]);
}
