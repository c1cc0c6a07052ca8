// Loading a Hugging Face model folder: config.json, the safetensors weights (one file or shards),
// tokenizer.json (+ tokenizer_config.json). Everything is checked before any weight is converted:
// the architecture is one we implement, every tensor the architecture needs is there with the
// shape config.json implies, in F32, F16 or BF16. Then run() tokenizes and runs the forward pass.
import { type ModelConfig, parseModelConfig, supportedList } from './config';
import { type ModelFolder, filePath } from './folder';
import { WeightStore } from './weights';
import { ModelTokenizer, type TokenizedText } from './tokenizer';
import { type ForwardOptions, type ForwardResult, type HeadOutput, type ModelInput } from './attention';
import type { AttentionResult } from '../attention';
import { gpt2Forward, gpt2Prefix } from './gpt2';
import { llamaForward, llamaPrefix } from './llama';
import { bertForward, bertPrefix } from './bert';
import { ModelError } from './errors';
import { checkModelFits } from './memoryFit';

export interface LoadedModel {
  readonly folder: ModelFolder;
  readonly config: ModelConfig;
  readonly weights: WeightStore;
  /** Null when the folder has no tokenizer.json (ids must then be given). */
  readonly tokenizer: ModelTokenizer | null;
}

/** The tensors an architecture reads, with the shapes config.json implies. */
export function expectedTensors(config: ModelConfig, weights: WeightStore): { name: string; shape: number[] }[] {
  const { hidden: d, heads, kvHeads, headDim, intermediate: inner, layers, vocabSize: vocab } = config;
  const out: { name: string; shape: number[] }[] = [];
  const add = (name: string, ...shape: number[]) => out.push({ name, shape });
  if (config.family === 'gpt2') {
    const p = gpt2Prefix(weights);
    add(`${p}wte.weight`, vocab, d);
    add(`${p}wpe.weight`, config.maxPositions, d);
    for (let l = 0; l < layers; l++) {
      const b = `${p}h.${l}.`;
      add(`${b}ln_1.weight`, d);
      add(`${b}ln_1.bias`, d);
      add(`${b}attn.c_attn.weight`, d, 3 * d);
      add(`${b}attn.c_attn.bias`, 3 * d);
      add(`${b}attn.c_proj.weight`, d, d);
      add(`${b}attn.c_proj.bias`, d);
      add(`${b}ln_2.weight`, d);
      add(`${b}ln_2.bias`, d);
      add(`${b}mlp.c_fc.weight`, d, inner);
      add(`${b}mlp.c_fc.bias`, inner);
      add(`${b}mlp.c_proj.weight`, inner, d);
      add(`${b}mlp.c_proj.bias`, d);
    }
    add(`${p}ln_f.weight`, d);
    add(`${p}ln_f.bias`, d);
  } else if (config.family === 'llama') {
    const p = llamaPrefix(weights);
    const qw = heads * headDim,
      kw = kvHeads * headDim;
    add(`${p}embed_tokens.weight`, vocab, d);
    for (let l = 0; l < layers; l++) {
      const b = `${p}layers.${l}.`;
      add(`${b}input_layernorm.weight`, d);
      add(`${b}self_attn.q_proj.weight`, qw, d);
      add(`${b}self_attn.k_proj.weight`, kw, d);
      add(`${b}self_attn.v_proj.weight`, kw, d);
      if (config.qkvBias) {
        add(`${b}self_attn.q_proj.bias`, qw);
        add(`${b}self_attn.k_proj.bias`, kw);
        add(`${b}self_attn.v_proj.bias`, kw);
      }
      if (config.qkNorm) {
        add(`${b}self_attn.q_norm.weight`, headDim);
        add(`${b}self_attn.k_norm.weight`, headDim);
      }
      add(`${b}self_attn.o_proj.weight`, d, qw);
      if (config.outputBias) add(`${b}self_attn.o_proj.bias`, d);
      add(`${b}post_attention_layernorm.weight`, d);
      add(`${b}mlp.gate_proj.weight`, inner, d);
      add(`${b}mlp.up_proj.weight`, inner, d);
      add(`${b}mlp.down_proj.weight`, d, inner);
      if (config.mlpBias) {
        add(`${b}mlp.gate_proj.bias`, inner);
        add(`${b}mlp.up_proj.bias`, inner);
        add(`${b}mlp.down_proj.bias`, d);
      }
    }
    add(`${p}norm.weight`, d);
  } else {
    const p = bertPrefix(config, weights);
    const distil = config.bertVariant === 'distilbert';
    const norm = (base: string) => {
      const legacy = !weights.has(`${base}.weight`) && weights.has(`${base}.gamma`);
      add(`${base}.${legacy ? 'gamma' : 'weight'}`, d);
      add(`${base}.${legacy ? 'beta' : 'bias'}`, d);
    };
    const dense = (base: string, o: number, i: number) => {
      add(`${base}.weight`, o, i);
      add(`${base}.bias`, o);
    };
    add(`${p}embeddings.word_embeddings.weight`, vocab, d);
    add(`${p}embeddings.position_embeddings.weight`, config.maxPositions, d);
    if (!distil) add(`${p}embeddings.token_type_embeddings.weight`, config.typeVocabSize, d);
    norm(`${p}embeddings.LayerNorm`);
    for (let l = 0; l < layers; l++) {
      if (distil) {
        const b = `${p}transformer.layer.${l}.`;
        for (const x of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) dense(`${b}attention.${x}`, d, d);
        norm(`${b}sa_layer_norm`);
        dense(`${b}ffn.lin1`, inner, d);
        dense(`${b}ffn.lin2`, d, inner);
        norm(`${b}output_layer_norm`);
      } else {
        const b = `${p}encoder.layer.${l}.`;
        for (const x of ['query', 'key', 'value']) dense(`${b}attention.self.${x}`, d, d);
        dense(`${b}attention.output.dense`, d, d);
        norm(`${b}attention.output.LayerNorm`);
        dense(`${b}intermediate.dense`, inner, d);
        dense(`${b}output.dense`, d, inner);
        norm(`${b}output.LayerNorm`);
      }
    }
  }
  return out;
}

/** Every needed tensor present, with its shape and a float dtype: refused up front, with the file and tensor named. */
export function checkWeights(config: ModelConfig, weights: WeightStore): void {
  weights.architecture = config.architecture;
  for (const { name, shape } of expectedTensors(config, weights)) weights.check(name, shape);
}

export async function loadModel(folder: ModelFolder): Promise<LoadedModel> {
  const configText = await folder.readText('config.json');
  if (configText === null)
    throw new ModelError(
      filePath(folder, 'config.json'),
      {},
      `is missing: a Hugging Face model folder needs config.json (supported architectures: ${supportedList()})`,
    );
  const config = parseModelConfig(filePath(folder, 'config.json'), configText);
  const weights = await WeightStore.open(folder);
  checkWeights(config, weights);
  checkModelFits(folder, config, expectedTensors(config, weights));
  const tokText = await folder.readText('tokenizer.json');
  const tokenizer =
    tokText === null
      ? null
      : ModelTokenizer.fromJson(
          filePath(folder, 'tokenizer.json'),
          tokText,
          await folder.readText('tokenizer_config.json'),
        );
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new ModelError(
      filePath(folder, 'tokenizer.json'),
      {},
      `has ${tokenizer.vocabSize} ids but config.json's vocab_size is ${config.vocabSize}`,
    );
  }
  return { folder, config, weights, tokenizer };
}

/** Runs the forward pass on ids (and token types, padding), calling options.onLayer per layer. */
export function runModel<H extends HeadOutput = AttentionResult>(
  model: LoadedModel,
  input: ModelInput,
  options: ForwardOptions<H> = {},
): Promise<ForwardResult> {
  const { config, weights } = model;
  if (input.ids.length === 0) throw new ModelError('text', {}, 'has no tokens');
  const bad = input.ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < config.vocabSize));
  if (bad !== undefined)
    throw new ModelError('ids', {}, `token id ${bad} is outside the vocabulary (vocab_size ${config.vocabSize})`);
  if (input.attentionMask && input.attentionMask.length !== input.ids.length)
    throw new ModelError(
      'attention_mask',
      {},
      `has ${input.attentionMask.length} entries for ${input.ids.length} tokens`,
    );
  if (config.family === 'gpt2') return gpt2Forward(config, weights, input, options);
  if (config.family === 'llama') return llamaForward(config, weights, input, options);
  return bertForward(config, weights, input, options);
}

/** Tokenizes `text` with the model's tokenizer (refused when the folder has none). */
export function tokenizeForModel(model: LoadedModel, text: string): TokenizedText {
  if (!model.tokenizer)
    throw new ModelError(
      filePath(model.folder, 'tokenizer.json'),
      {},
      'is missing: the text cannot be tokenized the way the model expects',
    );
  return model.tokenizer.encode(text);
}
