// Where the panel's numbers come from. The request handler (session.ts) only talks to this
// interface, so an in-memory inspection (JSON and text inputs, memorySource.ts) and a lazy
// file-backed reader (.npy/.safetensors) are interchangeable.
//
// Heads come at the input's own scale rule (src/core/scale.ts); the panel re-scales a head's
// logits itself (webview/live.ts), so there is no re-scaling request.
//
// To add a source, implement `overview` and `head`; `thumbnails` and `variance` are optional (the
// handler falls back to `thumbnailsFromHeads` and the core's variance experiment). Throw an
// `InputError` for a request the source cannot answer (its one-line message reaches the panel).
// Typed arrays in results must own their whole buffer (use `exact`): VS Code's postMessage ships a
// typed array's entire backing buffer, so a subarray of a 1 GB file would ship the gigabyte.
import type {
  HeadIndex,
  HeadPayload,
  MaskName,
  Overview,
  RegionParams,
  RegionPayload,
  Rotation,
  Thumbnails,
  VarianceSample,
  Variant,
} from '../protocol/messages';
import type { LimitOptions, ScaleRule, TextModelSettings, MaskWord } from '../core';

export interface HeadOptions {
  /** The mask to apply (default: the input's own). Sources that cannot re-mask throw InputError. */
  readonly mask?: MaskName;
  /** 'raw' is Q = K = V = X, one head (layer 0, head 0), where `overview().hasRaw`. */
  readonly variant?: Variant;
  /** RoPE models (Overview.rotary): 'removed' gives q·k before the rotation. */
  readonly rotation?: Rotation;
}

export interface InspectionSource {
  /** Labels, shapes, switchable masks and per-head summaries under `mask` (default: the input's own). */
  overview(mask?: MaskName): Promise<Overview>;
  /** One head's matrices; head 'mean' averages the layer's heads. */
  head(layer: number, head: HeadIndex, options?: HeadOptions): Promise<HeadPayload>;
  /** Every head's weights (and each layer's mean) max-pooled to at most size×size. */
  thumbnails?(size: number, mask?: MaskName): Promise<Thumbnails>;
  /** The Var(q·k) experiment (input-independent). */
  variance?(): Promise<VarianceSample[]>;
  /** Part of one head at full resolution, for sources whose overview is pooled (Overview.pooled). */
  region?(params: RegionParams): Promise<RegionPayload>;
  /** How to rebuild this source inside a standalone report page, when it can be (text and JSON inputs). */
  readonly spec?: SourceSpec;
}

/** A self-contained description of an in-memory input: embedded in reports, rebuilt in the page. */
export type SourceSpec =
  | {
      readonly kind: 'text';
      readonly text: string;
      readonly settings?: Partial<TextModelSettings>;
      readonly scale?: ScaleRule;
      readonly mask?: MaskWord;
      readonly title?: string;
      /** Overrides limits.maxTokens (the CLI's --max-tokens). */
      readonly maxTokens?: number;
      /** Caps for this input (src/core/limits.ts); the defaults apply when absent. */
      readonly limits?: LimitOptions;
    }
  | {
      readonly kind: 'json';
      /** The JSON document's text, in the schema of src/core/schema.ts. */
      readonly json: string;
      readonly scale?: ScaleRule;
      readonly mask?: MaskWord;
      readonly title?: string;
      /** Caps for this input: JSON bytes and tokens (src/core/limits.ts); the defaults apply when absent. */
      readonly limits?: LimitOptions;
    };

/** The array itself when it owns its whole buffer, else a copy that does (see the note at the top). */
export function exact<T extends Float32Array | Uint8Array>(array: T): T {
  return array.byteOffset === 0 && array.byteLength === array.buffer.byteLength ? array : (array.slice() as T);
}
