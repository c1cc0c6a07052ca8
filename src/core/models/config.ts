// config.json → the few numbers the forward pass needs, with each architecture's defaults as the
// transformers configuration classes define them. Anything the engine does not implement (an unknown
// architecture, a rope_scaling type, an activation) is refused here, before any weight is read.
import { type Activation, ACTIVATIONS } from './blocks';
import type { RopeConfig, RopeScaling } from './rope';
import { ModelError } from './errors';

export type Family = 'gpt2' | 'llama' | 'bert';
export type BertVariant = 'bert' | 'roberta' | 'distilbert';

/** Architecture class → family, as config.json's "architectures" names them. */
export const SUPPORTED_ARCHITECTURES: Readonly<Record<string, Family>> = {
  GPT2LMHeadModel: 'gpt2',
  GPT2Model: 'gpt2',
  LlamaForCausalLM: 'llama',
  LlamaModel: 'llama',
  MistralForCausalLM: 'llama',
  MistralModel: 'llama',
  Qwen2ForCausalLM: 'llama',
  Qwen2Model: 'llama',
  Qwen3ForCausalLM: 'llama',
  Qwen3Model: 'llama',
  BertModel: 'bert',
  BertForMaskedLM: 'bert',
  RobertaModel: 'bert',
  RobertaForMaskedLM: 'bert',
  DistilBertModel: 'bert',
  DistilBertForMaskedLM: 'bert',
};

const MODEL_TYPE_FAMILY: Readonly<Record<string, Family>> = {
  gpt2: 'gpt2',
  llama: 'llama',
  mistral: 'llama',
  qwen2: 'llama',
  qwen3: 'llama',
  bert: 'bert',
  roberta: 'bert',
  distilbert: 'bert',
};

export function supportedList(): string {
  return Object.keys(SUPPORTED_ARCHITECTURES).join(', ');
}

export interface ModelConfig {
  readonly architecture: string;
  readonly modelType: string;
  readonly family: Family;
  readonly bertVariant: BertVariant | null;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly vocabSize: number;
  /** Learned position table size (GPT-2, BERT family) or max_position_embeddings (RoPE). */
  readonly maxPositions: number;
  readonly normEps: number;
  readonly activation: Activation;
  readonly causal: boolean;
  readonly rope: RopeConfig | null;
  readonly qkvBias: boolean;
  readonly outputBias: boolean;
  readonly mlpBias: boolean;
  /** Qwen3: RMSNorm on each head's q and k before RoPE. */
  readonly qkNorm: boolean;
  /** Per layer: the sliding window (keys j with i − window < j ≤ i), or null for full attention. */
  readonly slidingWindows: readonly (number | null)[];
  readonly tieEmbeddings: boolean;
  readonly typeVocabSize: number;
  readonly padTokenId: number | null;
  /** GPT-2's scale_attn_weights (1/√d) and scale_attn_by_inverse_layer_idx (1/(layer+1)). */
  readonly scaleByHeadDim: boolean;
  readonly scaleByInverseLayer: boolean;
  /** The weights' dtype as config.json states it (torch_dtype / dtype), if it does. */
  readonly torchDtype: string | null;
}

type Json = Record<string, unknown>;

class Fields {
  constructor(
    readonly file: string,
    readonly json: Json,
  ) {}
  fail(field: string, rule: string): never {
    throw new ModelError(this.file, { field }, rule);
  }
  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }
  int(key: string, fallback?: number): number {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'is missing (a positive integer is required)');
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
      this.fail(key, `expected a positive integer, found ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  }
  num(key: string, fallback?: number): number {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'is missing (a number is required)');
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      this.fail(key, `expected a positive number, found ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, found ${JSON.stringify(v)?.slice(0, 40)}`);
    return v;
  }
  str(key: string): string | null {
    const v = this.json[key];
    return typeof v === 'string' ? v : null;
  }
}

/** Parses config.json's text; `file` names it in errors. */
export function parseModelConfig(file: string, text: string): ModelConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError(file, {}, `is not valid JSON (${(e instanceof Error ? e.message : String(e)).slice(0, 100)})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ModelError(file, {}, 'is not a JSON object');
  const f: Fields = new Fields(file, json as Json);
  const archs = f.json.architectures;
  const modelType = f.str('model_type') ?? '';
  let architecture: string | undefined;
  if (Array.isArray(archs) && archs.length > 0) {
    architecture = archs.find((a): a is string => typeof a === 'string' && Object.hasOwn(SUPPORTED_ARCHITECTURES, a));
    if (!architecture)
      f.fail('architectures', `${JSON.stringify(archs).slice(0, 80)} is not supported; supported: ${supportedList()}`);
  } else if (Object.hasOwn(MODEL_TYPE_FAMILY, modelType)) {
    architecture = Object.keys(SUPPORTED_ARCHITECTURES).find((a) => a.toLowerCase().startsWith(modelType));
  }
  if (!architecture)
    f.fail(
      'architectures',
      `is missing and model_type ${JSON.stringify(modelType)} is not supported; supported: ${supportedList()}`,
    );
  const family = SUPPORTED_ARCHITECTURES[architecture];
  const torchDtype = f.str('torch_dtype') ?? f.str('dtype');
  if (family === 'gpt2') return gpt2Config(f, architecture, torchDtype);
  if (family === 'llama') return llamaConfig(f, architecture, modelType, torchDtype);
  return bertConfig(f, architecture, modelType, torchDtype);
}

function activation(f: Fields, key: string, fallback: Activation): Activation {
  const v = f.json[key] ?? fallback;
  if (typeof v !== 'string' || !(ACTIVATIONS as readonly string[]).includes(v))
    f.fail(key, `activation ${JSON.stringify(v)} is not supported (supported: ${ACTIVATIONS.join(', ')})`);
  return v as Activation;
}

function divide(f: Fields, hiddenKey: string, hidden: number, headsKey: string, heads: number): number {
  if (hidden % heads !== 0) f.fail(headsKey, `${hidden} (${hiddenKey}) is not divisible by ${heads} heads`);
  return hidden / heads;
}

function gpt2Config(f: Fields, architecture: string, torchDtype: string | null): ModelConfig {
  const hidden = f.int('n_embd', 768),
    heads = f.int('n_head', 12),
    layers = f.int('n_layer', 12);
  return {
    architecture,
    modelType: 'gpt2',
    family: 'gpt2',
    bertVariant: null,
    layers,
    hidden,
    heads,
    kvHeads: heads,
    headDim: divide(f, 'n_embd', hidden, 'n_head', heads),
    intermediate: f.int('n_inner', 4 * hidden),
    vocabSize: f.int('vocab_size', 50257),
    maxPositions: f.int('n_positions', 1024),
    normEps: f.num('layer_norm_epsilon', 1e-5),
    activation: activation(f, 'activation_function', 'gelu_new'),
    causal: true,
    rope: null,
    qkvBias: true,
    outputBias: true,
    mlpBias: true,
    qkNorm: false,
    slidingWindows: Array<null>(layers).fill(null),
    tieEmbeddings: true,
    typeVocabSize: 0,
    padTokenId: null,
    scaleByHeadDim: f.bool('scale_attn_weights', true),
    scaleByInverseLayer: f.bool('scale_attn_by_inverse_layer_idx', false),
    torchDtype,
  };
}

function ropeScaling(f: Fields, maxPositions: number): RopeScaling {
  const raw = f.json.rope_scaling;
  if (raw === undefined || raw === null) return { type: 'default' };
  if (typeof raw !== 'object' || Array.isArray(raw)) f.fail('rope_scaling', 'is not an object');
  const r: Fields = new Fields(f.file, raw as Json);
  const type = r.str('rope_type') ?? r.str('type') ?? 'default';
  if (type === 'default') return { type: 'default' };
  const fail = (key: string, rule: string): never => f.fail(`rope_scaling.${key}`, rule);
  const num = (key: string, fallback?: number): number => {
    const v = r.json[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) fail(key, `expected a positive number, found ${JSON.stringify(v)}`);
    return v as number;
  };
  if (type === 'linear') return { type: 'linear', factor: num('factor') };
  if (type === 'llama3') {
    const s = {
      type: 'llama3' as const,
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositions: num('original_max_position_embeddings', maxPositions),
    };
    if (!(s.highFreqFactor > s.lowFreqFactor))
      fail('high_freq_factor', `must exceed low_freq_factor (${s.lowFreqFactor})`);
    return s;
  }
  return fail('rope_type', `${JSON.stringify(type)} is not supported (supported: default, linear, llama3)`);
}

function llamaConfig(f: Fields, architecture: string, modelType: string, torchDtype: string | null): ModelConfig {
  const type = modelType || architecture.replace(/(ForCausalLM|Model)$/, '').toLowerCase();
  const hidden = f.int('hidden_size'),
    heads = f.int('num_attention_heads'),
    layers = f.int('num_hidden_layers');
  const kvHeads = f.int('num_key_value_heads', heads);
  if (heads % kvHeads !== 0)
    f.fail('num_key_value_heads', `${heads} attention heads are not a multiple of ${kvHeads} key/value heads`);
  const headDim = f.has('head_dim')
    ? f.int('head_dim')
    : divide(f, 'hidden_size', hidden, 'num_attention_heads', heads);
  const maxPositions = f.int('max_position_embeddings', 2048);
  const partial = f.num('partial_rotary_factor', 1);
  const ropeDim = Math.floor(headDim * partial);
  if (ropeDim % 2 !== 0) f.fail('partial_rotary_factor', `gives ${ropeDim} rotated features, which is odd`);
  const rope: RopeConfig = { theta: f.num('rope_theta', 10000), dim: ropeDim, scaling: ropeScaling(f, maxPositions) };
  const qwen = type === 'qwen2' || type === 'qwen3';
  // Sliding windows: Mistral on every layer; Qwen2/3 only with use_sliding_window, from max_window_layers on.
  let window: number | null = null;
  if (f.has('sliding_window')) window = f.int('sliding_window');
  if (qwen && !f.bool('use_sliding_window', false)) window = null;
  if (type === 'llama') window = null;
  const maxWindowLayers = qwen ? f.int('max_window_layers', layers) : 0;
  let slidingWindows: (number | null)[] = Array.from({ length: layers }, (_, l) =>
    window !== null && l >= maxWindowLayers ? window : null,
  );
  const layerTypes = f.json.layer_types;
  if (Array.isArray(layerTypes)) {
    if (layerTypes.length !== layers) f.fail('layer_types', `has ${layerTypes.length} entries for ${layers} layers`);
    slidingWindows = layerTypes.map((t, l) => {
      if (t === 'full_attention') return null;
      if (t === 'sliding_attention')
        return window ?? f.fail('layer_types', `layer ${l} is sliding_attention but sliding_window is not set`);
      return f.fail(
        'layer_types',
        `layer ${l}: ${JSON.stringify(t)} is not supported (full_attention or sliding_attention)`,
      );
    });
  }
  const attentionBias = f.bool('attention_bias', false);
  return {
    architecture,
    modelType: type,
    family: 'llama',
    bertVariant: null,
    layers,
    hidden,
    heads,
    kvHeads,
    headDim,
    intermediate: f.int('intermediate_size'),
    vocabSize: f.int('vocab_size'),
    maxPositions,
    normEps: f.num('rms_norm_eps', 1e-6),
    activation: activation(f, 'hidden_act', 'silu'),
    causal: true,
    rope,
    qkvBias: type === 'qwen2' || attentionBias,
    outputBias: type !== 'qwen2' && attentionBias,
    mlpBias: f.bool('mlp_bias', false),
    qkNorm: type === 'qwen3',
    slidingWindows,
    tieEmbeddings: f.bool('tie_word_embeddings', false),
    typeVocabSize: 0,
    padTokenId: null,
    scaleByHeadDim: true,
    scaleByInverseLayer: false,
    torchDtype,
  };
}

function bertConfig(f: Fields, architecture: string, modelType: string, torchDtype: string | null): ModelConfig {
  const variant: BertVariant = architecture.startsWith('DistilBert')
    ? 'distilbert'
    : architecture.startsWith('Roberta')
      ? 'roberta'
      : 'bert';
  if (variant === 'distilbert') {
    if (f.bool('sinusoidal_pos_embds', false))
      f.fail('sinusoidal_pos_embds', 'sinusoidal position embeddings are not supported (only learned ones)');
    const hidden = f.int('dim', 768),
      heads = f.int('n_heads', 12),
      layers = f.int('n_layers', 6);
    return {
      architecture,
      modelType: 'distilbert',
      family: 'bert',
      bertVariant: variant,
      layers,
      hidden,
      heads,
      kvHeads: heads,
      headDim: divide(f, 'dim', hidden, 'n_heads', heads),
      intermediate: f.int('hidden_dim', 4 * hidden),
      vocabSize: f.int('vocab_size', 30522),
      maxPositions: f.int('max_position_embeddings', 512),
      normEps: 1e-12,
      activation: activation(f, 'activation', 'gelu'),
      causal: false,
      rope: null,
      qkvBias: true,
      outputBias: true,
      mlpBias: true,
      qkNorm: false,
      slidingWindows: Array<null>(layers).fill(null),
      tieEmbeddings: true,
      typeVocabSize: 0,
      padTokenId: typeof f.json.pad_token_id === 'number' ? f.json.pad_token_id : 0,
      scaleByHeadDim: true,
      scaleByInverseLayer: false,
      torchDtype,
    };
  }
  const positionType = f.str('position_embedding_type') ?? 'absolute';
  if (positionType !== 'absolute')
    f.fail('position_embedding_type', `${JSON.stringify(positionType)} is not supported (only absolute)`);
  const hidden = f.int('hidden_size', 768),
    heads = f.int('num_attention_heads', 12),
    layers = f.int('num_hidden_layers', 12);
  const pad = f.json.pad_token_id;
  return {
    architecture,
    modelType: modelType || variant,
    family: 'bert',
    bertVariant: variant,
    layers,
    hidden,
    heads,
    kvHeads: heads,
    headDim: divide(f, 'hidden_size', hidden, 'num_attention_heads', heads),
    intermediate: f.int('intermediate_size', 4 * hidden),
    vocabSize: f.int('vocab_size'),
    maxPositions: f.int('max_position_embeddings', 512),
    normEps: f.num('layer_norm_eps', 1e-12),
    activation: activation(f, 'hidden_act', 'gelu'),
    causal: false,
    rope: null,
    qkvBias: true,
    outputBias: true,
    mlpBias: true,
    qkNorm: false,
    slidingWindows: Array<null>(layers).fill(null),
    tieEmbeddings: true,
    typeVocabSize: f.int('type_vocab_size', 2),
    padTokenId: typeof pad === 'number' ? pad : variant === 'roberta' ? 1 : 0,
    scaleByHeadDim: true,
    scaleByInverseLayer: false,
    torchDtype,
  };
}
