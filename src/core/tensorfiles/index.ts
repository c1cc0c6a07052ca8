// Public surface of the tensor-file readers (.npy, .npz, .safetensors). Browser-safe: no node
// imports; src/node/fileByteSource.ts supplies the file-handle ByteSource for the CLI and host.
import { type ByteSource } from './byteSource';
import { type AttentionView, type ViewOptions, detectAttention } from './layout';
import { type Meaning, type MeaningResult, detectMeaning } from './meaning';
import { type ResolvedPadding, resolvePadding } from './paddingCheck';
import { type TensorFile, openTensorFile } from './tensorFile';
import { type Tokens, tokensFromFile } from './tokens';
import type { LimitOptions } from '../limits';

export { type ByteSource, MemoryByteSource, SliceByteSource } from './byteSource';
export { TensorFileError } from './errors';
export { type DType } from './dtype';
export {
  type TensorFormat,
  type TensorInfo,
  type Slice,
  TensorFile,
  openTensorFile,
  listTensors,
  readSlice,
  readMatrix,
  readRows,
  readStrings,
} from './tensorFile';
export {
  type Axis,
  type ViewKind,
  type AttentionPart,
  ATTENTION_PARTS,
  type Candidate,
  type AttentionView,
  type LayerTensors,
  type PartSummary,
  type ViewOptions,
  findCandidates,
  detectAttention,
  parseLayout,
} from './layout';
export { type ResolvedPadding, paddingMismatch, resolvePadding, withPadding } from './paddingCheck';
export { type ViewLabels, labelsForView } from './viewTokens';
export {
  type HeadIndex,
  type HeadData,
  type HeadSlice,
  readHead,
  readHeadRows,
  streamHeads,
  leadingIndex,
  layerPosition,
} from './heads';
export { type Meaning, type MeaningResult, detectMeaning, firstNonSoftmaxRow, sumTolerance } from './meaning';
export { type Tokens, type AxisLabels, tokensFromFile, parseTokenList, axisLabels } from './tokens';
export { MAX_SLICE_ELEMENTS, MAX_TENSOR_ELEMENTS } from './shape';

export interface AttentionFile {
  readonly file: TensorFile;
  readonly view: AttentionView;
  readonly meaning: MeaningResult;
  /** Tokens stored in the file (metadata or a `tokens` string array), else null. */
  readonly tokens: Tokens | null;
  /** The padding mask stored beside the maps, for the batch entry shown (checked against sampled weights). */
  readonly padding?: ResolvedPadding;
}

export interface OpenAttentionOptions extends ViewOptions {
  /** Overrides the weights/scores detection. */
  meaning?: Meaning;
  /** Batch entry shown (default 0): the meaning check and the padding mask use it. */
  batch?: number;
  /** Caps on headers (limits.maxHeaderBytes); defaults apply when absent. */
  limits?: LimitOptions;
}

/** Everything `compute FILE` needs up front: the headers, the chosen view, its meaning and tokens. */
export async function openAttention(source: ByteSource, options: OpenAttentionOptions = {}): Promise<AttentionFile> {
  const file = await openTensorFile(source, options.limits);
  const view = detectAttention(file, options);
  const meaning = await detectMeaning(file, view, options.meaning, options.batch ?? 0);
  const tokens = await tokensFromFile(file);
  const padding = await resolvePadding(file, view, meaning, options.batch ?? 0);
  return { file, view, meaning, tokens, ...(padding ? { padding } : {}) };
}
export { type FileHeadOptions, fileValueOptions, inspectFileHead } from './inspectHead';
