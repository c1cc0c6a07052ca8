// The typed message protocol between the extension host (or the report page's in-page host) and the
// inspector webview. Both sides import these types; both validate what they receive (validate.ts).
//
// Shape: the webview sends `request`s with a numeric id and gets exactly one `response` with the same
// id; `notify` and `push` are one-way. Big matrices travel as Float32Array/Uint8Array that own their
// whole buffer (VS Code's postMessage ships a typed array's entire backing buffer), never as JSON.

import type { SweepLabel } from '../core/scale';

export const PROTOCOL_VERSION = 1;

/** Which keys each query may see; 'custom' is an explicit 0/1 matrix from the input. */
export type MaskName = 'none' | 'causal' | 'anticausal' | 'custom';
export const MASK_NAMES: readonly MaskName[] = ['none', 'causal', 'anticausal', 'custom'];

/** 'projected' is the input's own attention; 'raw' is Q = K = V = X (no projections), for the projections view. */
export type Variant = 'projected' | 'raw';
export const VARIANTS: readonly Variant[] = ['projected', 'raw'];

/**
 * A RoPE model's scores as the model computes them (q·k after the rotation, 'applied') or the same
 * q and k before it ('removed'): what the position encoding contributes. Where Overview.rotary.
 */
export type Rotation = 'applied' | 'removed';
export const ROTATIONS: readonly Rotation[] = ['applied', 'removed'];

/** A head in a layer, or the average of the layer's heads. */
export type HeadIndex = number | 'mean';

export type InputFormName = 'qkv' | 'projected' | 'scores' | 'weights' | 'text';

/** Small per-head figures for the heads grid (sorting) and the head picker. */
export interface HeadSummary {
  readonly layer: number;
  readonly head: number;
  readonly dK: number | null;
  /** Factor the input applies (null for exported weights). */
  readonly factor: number | null;
  readonly meanEntropy: number;
  readonly meanMaxWeight: number;
  readonly meanEffectiveTokens: number;
  /** Mean weight a query puts on its own position (square matrices only). */
  readonly diagonalShare: number | null;
  /** Head catalogue (src/core/headCatalogue.ts), for real model heads: mean weight on key i−1. */
  readonly previousTokenScore?: number | null;
  /** Mean weight on the first position (the attention sink), queries 1…n−1. */
  readonly firstTokenMass?: number | null;
  /** Mean weight on the token after the previous occurrence of the query's token (repeated text only). */
  readonly inductionScore?: number | null;
  /** Grouped-query attention: the key/value head this query head shares. */
  readonly kvHead?: number;
}

/** Everything the panel needs before it asks for a head: labels, shapes and what can be switched. */
export interface Overview {
  readonly title: string;
  readonly form: InputFormName;
  /** Queries (rows) and keys (columns). */
  readonly n: number;
  readonly m: number;
  readonly tokens: string[];
  readonly keyTokens: string[];
  readonly layers: number;
  /** Heads per layer. */
  readonly heads: number;
  /** The mask these summaries were computed under. */
  readonly mask: MaskName;
  /** Masks the user may switch between (empty when the input cannot be re-masked, e.g. exported weights). */
  readonly masks: MaskName[];
  /** False for exported weights: there are no logits to re-scale. */
  readonly rescalable: boolean;
  /** Q, K, V known: the step-by-step view can show q·k and the weighted sum of values. */
  readonly hasVectors: boolean;
  /** The raw (Q = K = V = X) variant exists, for the projections view. */
  readonly hasRaw: boolean;
  /** A RoPE model: heads can be asked with rotation 'removed' (q·k before RoPE). */
  readonly rotary?: boolean;
  readonly summaries: HeadSummary[];
  readonly warnings: string[];
  /**
   * Set for a long sequence: n and m count blocks of `cell` tokens, `tokens` label the blocks, and
   * head payloads hold max-pooled weights; the method `region` gives any part at full resolution.
   */
  readonly pooled?: PooledInfo;
}

/** A long sequence shown as an overview (see Overview.pooled). */
export interface PooledInfo {
  /** Tokens in the sequence (queries = keys). */
  readonly tokens: number;
  /** Tokens per overview block, each way. */
  readonly cell: number;
  /** The longest sequence the panel shows cell by cell; above it, this overview. */
  readonly fullResolutionTokens: number;
}

/** Rows row0…row0+rows−1 × keys col0…col0+cols−1 of one head, at full resolution (token indices). */
export interface RegionParams {
  readonly layer: number;
  readonly head: number;
  readonly mask?: MaskName;
  readonly row0: number;
  readonly rows: number;
  readonly col0: number;
  readonly cols: number;
}

/** The most cells a region may hold (512 × 512). */
export const MAX_REGION_CELLS = 512 * 512;

export interface RegionPayload {
  readonly row0: number;
  readonly rows: number;
  readonly col0: number;
  readonly cols: number;
  /** The region's query and key tokens. */
  readonly tokens: string[];
  readonly keyTokens: string[];
  /** The factor the weights were computed with; null for exported weights (no logits). */
  readonly factor: number | null;
  /** Unscaled q·k (null for exported weights) and the softmax weights (normalised over all keys, not just the region's), rows·cols. */
  readonly dots: Float32Array | null;
  readonly weights: Float32Array;
  readonly allowed: Uint8Array | null;
  /** Each query row's entropy over all its keys. */
  readonly entropy: Float32Array;
}

export interface SweepSample {
  readonly factor: number;
  readonly label: SweepLabel;
  readonly meanEntropy: number;
  readonly meanMaxWeight: number;
  readonly meanEffectiveTokens: number;
}

export interface DiagonalFigures {
  readonly meanDiagonalWeight: number;
  readonly argmaxOnDiagonal: number;
}

/** One head's matrices, row-major. Arrays own their buffers exactly. */
export interface HeadPayload {
  readonly layer: number;
  readonly head: HeadIndex;
  readonly variant: Variant;
  /** Set on a RoPE model's heads: whether the scores include the rotation. */
  readonly rotation?: Rotation;
  readonly mask: MaskName;
  readonly n: number;
  readonly m: number;
  readonly dK: number | null;
  readonly dV: number | null;
  /** The factor `weights` were computed with (scores = dots·factor); null for exported weights. */
  readonly factor: number | null;
  /** Unscaled logits q·k (n·m); null for exported weights and for the mean of heads. */
  readonly dots: Float32Array | null;
  /** 1 where query i may attend to key j (n·m); null when every cell may. */
  readonly allowed: Uint8Array | null;
  /** Softmax weights (n·m). */
  readonly weights: Float32Array;
  /** Per query row (n each). */
  readonly entropy: Float32Array;
  readonly maxWeight: Float32Array;
  readonly effectiveTokens: Float32Array;
  readonly emptyRows: number[];
  /** Canonical factors first (1, 1/√d_k, 1/d_k), then a log grid. */
  readonly sweep: SweepSample[];
  readonly diagonal: DiagonalFigures | null;
  /** Vectors for the step-by-step view (n·d_k, m·d_k, m·d_v, n·d_v), when known. */
  readonly q: Float32Array | null;
  readonly k: Float32Array | null;
  readonly v: Float32Array | null;
  readonly output: Float32Array | null;
}

/** Max-pooled weights of every head, for the heads grid: `count` matrices of rows×cols in one buffer. */
export interface Thumbnails {
  readonly rows: number;
  readonly cols: number;
  /** (layer, head) of each matrix in order; head 'mean' is the layer's average. */
  readonly items: { readonly layer: number; readonly head: HeadIndex }[];
  readonly data: Float32Array;
  /** Pooled mask (rows·cols, 1 = some key in the block may be attended), shared by every head; null when all may. */
  readonly allowed: Uint8Array | null;
  /** When heads differ in mask (a model's sliding-window layers): each item's pooled mask (items·rows·cols); `allowed` is then null. */
  readonly itemAllowed?: Uint8Array;
}

export interface VarianceSample {
  readonly dK: number;
  readonly samples: number;
  readonly varDot: number;
  readonly varScaled: number;
}

export type ExportFormat = 'png' | 'svg' | 'csv' | 'json' | 'html';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['png', 'svg', 'csv', 'json', 'html'];

export interface HeadParams {
  readonly layer: number;
  readonly head: HeadIndex;
  readonly mask?: MaskName;
  readonly variant?: Variant;
  /** RoPE models (Overview.rotary): 'removed' gives q·k before the rotation; default 'applied'. */
  readonly rotation?: Rotation;
}

export interface ExportParams {
  readonly format: ExportFormat;
  /** Suggested file name, e.g. "attention-L0-H1.png". */
  readonly name: string;
  /** The file's bytes (png) or text (svg, csv, json); absent for 'html', which the host builds itself. */
  readonly data?: ArrayBuffer | string;
}

export interface ExportResult {
  readonly saved: boolean;
  /** Where it went (a path or "download"), for the status line. */
  readonly location?: string;
}

// The methods, notifications and pushes are defined once, in methods.ts; these are their types.
export type { Method, Methods, NotifyMessage, PushMessage, SourceMethod } from './methods';
export { METHODS } from './methods';
import type { Method, Methods, NotifyMessage, PushMessage } from './methods';

export type RequestMessage = {
  [M in Method]: {
    readonly kind: 'request';
    readonly id: number;
    readonly method: M;
    readonly params: Methods[M]['params'];
  };
}[Method];

export type WebviewMessage = { readonly kind: 'hello'; readonly protocol: number } | RequestMessage | NotifyMessage;

export type ResponseMessage =
  | { readonly kind: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'response'; readonly id: number; readonly ok: false; readonly error: string };

export type HostMessage = ResponseMessage | PushMessage;

/** The panel's tabs. */
export type PanelTab = 'attention' | 'scaling' | 'variance' | 'projections' | 'heads' | 'lines';
export const PANEL_TABS: readonly PanelTab[] = ['attention', 'scaling', 'variance', 'projections', 'heads', 'lines'];

/** Sequential colour maps for weights (colour-blind safe, plus gray). */
export type ColorMapName = 'viridis' | 'cividis' | 'gray';
export const COLOR_MAP_NAMES: readonly ColorMapName[] = ['viridis', 'cividis', 'gray'];

/** The human labels the panel shows for masks (the core's MASK_LABELS plus the explicit matrix). */
export const MASK_TITLES: Record<MaskName, string> = {
  none: 'bidirectional',
  causal: 'causal (forward only)',
  anticausal: 'anti-causal (backward only)',
  custom: 'custom mask',
};
