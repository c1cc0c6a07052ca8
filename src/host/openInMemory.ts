// Builds the panel's data source from a serializable request, for inputs held in memory: text, a
// JSON document, or a tensor file's bytes. Browser-safe (no node, no vscode): VS Code for the Web
// uses it directly, and the node worker (src/node/openSource.ts) adds files read from disk.
import {
  type ComputeEngine,
  InputError,
  type LimitOptions,
  type ScaleRule,
  type TextModelSettings,
  limitError,
  resolveLimits,
} from '../core';
import { tokenize } from '../core/text';
import {
  type AttentionPart,
  type Meaning,
  MemoryByteSource,
  type ByteSource,
  type Tokens,
  labelsForView,
  openAttention,
  tokensFromFile,
} from '../core/tensorfiles';
import { MemorySource } from './memorySource';
import type { InspectionSource, SourceSpec } from './source';
import type { StreamGivenHead } from './pooledFileHeads';
import { type BatchChoice, TensorFileSource } from './tensorFileSource';

/** Options for a tensor file (the CLI's --tensor, --layout, --meaning, --d-k, --batch). */
export interface TensorFileRequestOptions {
  readonly tensor?: string;
  readonly layout?: string;
  readonly meaning?: Meaning;
  readonly dK?: number;
  /** The batch entry shown (default 0): the Choose Batch Entry command reopens with another. */
  readonly batch?: number;
  /** Which attention of an encoder-decoder output (default the decoder's). */
  readonly kind?: AttentionPart;
  readonly scale?: ScaleRule;
  readonly mask?: 'none' | 'causal' | 'anticausal';
  /** Caps on headers (limits.maxHeaderBytes); the defaults apply when absent. */
  readonly limits?: LimitOptions;
}

export type InMemoryRequest =
  | SourceSpec
  /** A tensor file whose bytes the host read (virtual file systems, remote URIs, the web). */
  | {
      readonly kind: 'bytes';
      readonly name: string;
      readonly bytes: Uint8Array;
      readonly title: string;
      readonly options?: TensorFileRequestOptions;
      readonly limits?: LimitOptions;
    };

/** What the host learns when a source opens: enough to link tokens back to the editor. */
export interface OpenedInfo {
  /** Character offsets [start, end) of each token in the inspected text (text inputs only). */
  readonly offsets: [number, number][] | null;
  /** The spec the standalone report rebuilds from (text and JSON only). */
  readonly spec: SourceSpec | null;
  /** Tensor files: the batch entry shown and how many there are. */
  readonly batch?: BatchChoice;
}

export interface OpenedSource {
  readonly source: InspectionSource;
  readonly info: OpenedInfo;
  close(): Promise<void>;
}

/**
 * Opens a request. `limits` (src/core/limits.ts) apply unless the request carries its own
 * (`request.limits`); the defaults otherwise.
 */
export async function openInMemory(
  request: InMemoryRequest,
  engine?: ComputeEngine,
  limits?: LimitOptions,
): Promise<OpenedSource> {
  switch (request.kind) {
    case 'text':
    case 'json': {
      const source = MemorySource.fromSpec(request, engine, limits);
      const offsets = request.kind === 'text' ? textOffsets(request.text, request.settings ?? {}) : null;
      return { source, info: { offsets, spec: request }, close: async () => undefined };
    }
    case 'bytes': {
      const caps = resolveLimits({ ...limits, ...request.limits });
      // The host should have refused before reading; this keeps a worker from holding more than allowed.
      if (request.bytes.length > caps.maxFileBytesInMemory) {
        throw limitError(
          request.name,
          `${request.bytes.length} bytes`,
          'maxFileBytesInMemory',
          caps,
          'bytes read into memory',
        );
      }
      const source = await tensorFileSource(
        new MemoryByteSource(request.name, request.bytes),
        request.title,
        { ...request.options, limits: caps },
        async () => null,
        undefined,
        engine,
      );
      return { source, info: { offsets: null, spec: null, batch: source.batchChoice }, close: async () => undefined };
    }
  }
  throw new InputError('request.kind', `unknown input kind ${JSON.stringify((request as { kind: unknown }).kind)}`);
}

/** A tensor file's panel source; `sidecar` finds tokens beside the file when it carries none. */
export async function tensorFileSource(
  bytes: ByteSource,
  title: string,
  options: TensorFileRequestOptions,
  sidecar: () => Promise<Tokens | null>,
  streamGiven?: StreamGivenHead,
  engine?: ComputeEngine,
): Promise<TensorFileSource> {
  const opened = await openAttention(bytes, {
    tensor: options.tensor,
    layout: options.layout,
    kind: options.kind,
    meaning: options.meaning,
    batch: options.batch,
    limits: options.limits,
  });
  const tokens = (await tokensFromFile(opened.file)) ?? (await sidecar());
  const { labels, note } = await labelsForView(opened.file, opened.view, tokens);
  // Exported weights cannot be re-scaled or re-masked: the defaults from settings only apply to logits.
  const weights = opened.meaning.meaning === 'weights';
  return new TensorFileSource(opened, labels, {
    title,
    dK: options.dK,
    batch: options.batch,
    scale: weights ? undefined : options.scale,
    mask: weights ? undefined : options.mask,
    streamGiven,
    notes: note ? [note] : [],
    engine,
  });
}

/** Token offsets exactly as the core tokenizes (cheap: no embeddings). */
function textOffsets(text: string, settings: Partial<TextModelSettings>): [number, number][] {
  return tokenize(text, settings.tokenizer ?? 'words').map((t) => [t.start, t.end]);
}
