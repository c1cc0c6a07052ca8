// Real Hugging Face models in the core: loading a folder (config, safetensors weights, tokenizer),
// the architectures (GPT-2, the Llama family, the BERT family) over shared building blocks, and the
// Hugging Face cache listing. Pure TypeScript over ByteSources: no node, no vscode.
export { type ModelConfig, type Family, SUPPORTED_ARCHITECTURES, parseModelConfig, supportedList } from './config';
export { type ModelFolder, filePath } from './folder';
export { WeightStore, type WeightSummary } from './weights';
export { ModelTokenizer, type ModelToken, type TokenizedText, type TokenizerKind } from './tokenizer';
export {
  type AttendFn,
  type GivenHead,
  type HeadOutput,
  type LayerAttention,
  type ModelInput,
  type ForwardOptions,
  type ForwardResult,
  attendInThread,
  modelMask,
} from './attention';
export { type LoadedModel, loadModel, runModel, tokenizeForModel, expectedTensors } from './model';
export { type MatmulFn, matmulInThread } from './blocks';
export { ModelError } from './errors';
