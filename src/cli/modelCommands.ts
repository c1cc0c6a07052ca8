// `compute --model DIR --text "…"`, `info --model DIR` and `models`: real Hugging Face models on the
// command line. compute prints the usual JSON (tokens, offsets, one entry per layer and head with
// scores, weights and sharpness), written layer by layer as the forward pass goes, so memory holds
// one layer's attention whatever the model's depth.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { FULL_RESOLUTION_TOKENS, type Inspection, InputError, MAX_TOKENS_CEILING, inspect } from '../core';
import * as kernels from '../core/kernels';
import {
  type LayerAttention,
  type LoadedModel,
  ModelError,
  SUPPORTED_ARCHITECTURES,
  expectedTensors,
  parseModelConfig,
  runModel,
  tokenizeForModel,
} from '../core/models';
import { hubCacheDir, listCachedModels } from '../core/models/cache';
import { NodeCacheListing } from '../node/models/cacheListing';
import { attendOnPool, matmulOnPool, openModelDir } from '../node/models/run';
import { attendStreaming } from '../node/models/longRun';
import { AttentionPool } from '../node/parallel';
import { CLI_OVERVIEW_SIDE, longReason, parseRegion, pooledHeadJson } from './longModelOutput';
import { NodeModelFolder } from '../node/models/nodeFolder';
import { shutdownFastAttention } from '../node/parallel';
import { parseCommandLine, positiveInteger } from './args';
import { headJson } from './serialize';

const COMPUTE_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  'text-file': { type: 'string' },
  layers: { type: 'string' },
  layer: { type: 'string' },
  heads: { type: 'string' },
  head: { type: 'string' },
  summary: { type: 'boolean' },
  'max-tokens': { type: 'string' },
  'no-special-tokens': { type: 'boolean' },
  'full-resolution-tokens': { type: 'string' },
  overview: { type: 'string' },
  region: { type: 'string' },
} as const;

/** Output is held back until it is large, so an error part-way leaves stdout empty in all ordinary cases. */
const STREAM_AFTER_CHARS = 64 * 1024 * 1024;
const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;
/**
 * Tokens per run unless --max-tokens says otherwise. Past --full-resolution-tokens (or the dense cap)
 * each head is a pooled overview, so memory grows as n, not n²; this bounds the run's time.
 */
const DEFAULT_MAX_TOKENS = MAX_TOKENS_CEILING;

export interface ModelCommandIo {
  readonly out: (chunk: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The model commands' dispatcher, or null when argv is not one of them (main.ts goes on as before). */
export function modelCommand(
  command: string | undefined,
  argv: readonly string[],
  io: ModelCommandIo,
): Promise<number> | null {
  const hasModel = argv.some((a) => a === '--model' || a.startsWith('--model='));
  if (command === 'models') return listModels([...argv], io);
  if (command === 'compute' && hasModel) return computeModel([...argv], io);
  if (command === 'info' && hasModel) return infoModel([...argv], io);
  return null;
}

/** "0,2,5-7" → [0, 2, 5, 6, 7], each checked against 0…count−1. */
export function parseIndexList(value: string, flag: string, count: number, what: string): number[] {
  const out = new Set<number>();
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InputError(flag, `expected ${what} numbers like 0,2,5-7, found ${JSON.stringify(part)}`);
    const a = Number(m[1]),
      b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new InputError(flag, `range ${part.trim()} runs backwards`);
    if (b >= count) throw new InputError(flag, `${what} ${b} is out of range (the model has ${what}s 0–${count - 1})`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

function readTextFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`);
  }
  if (size > MAX_TEXT_FILE_BYTES)
    throw new InputError(
      path,
      `${size} bytes is more text than a model run takes (at most ${MAX_TEXT_FILE_BYTES} bytes)`,
    );
  const bytes = readFileSync(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(path, 'is not valid UTF-8 text');
  }
}

function maskName(layer: Pick<LayerAttention, 'mask'>): Inspection['mask'] {
  return typeof layer.mask === 'string' ? layer.mask : 'custom';
}

async function computeModel(argv: string[], io: ModelCommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, COMPUTE_OPTIONS);
  if (positionals.length)
    throw new InputError(
      positionals[0],
      'unexpected argument: compute --model DIR takes --text "…" or --text-file FILE',
    );
  const dir = values.model;
  if (typeof dir !== 'string' || dir === '') throw new InputError('--model', 'needs the model folder');
  if (typeof values.text === 'string' && typeof values['text-file'] === 'string')
    throw new InputError('--text-file', 'give either --text or --text-file, not both');
  const text =
    typeof values.text === 'string'
      ? values.text
      : typeof values['text-file'] === 'string'
        ? readTextFile(values['text-file'])
        : undefined;
  if (text === undefined) throw new InputError('--text', 'compute --model needs --text "…" or --text-file FILE');
  const maxTokens = positiveInteger(values['max-tokens'], '--max-tokens', MAX_TOKENS_CEILING) ?? DEFAULT_MAX_TOKENS;
  const summary = values.summary === true;
  const model = await openModelDir(dir);
  try {
    const { config } = model;
    const layerFlag = values.layers ?? values.layer,
      headFlag = values.heads ?? values.head;
    const layerFlagName = values.layers !== undefined ? '--layers' : '--layer',
      headFlagName = values.heads !== undefined ? '--heads' : '--head';
    const layers =
      typeof layerFlag === 'string' ? parseIndexList(layerFlag, layerFlagName, config.layers, 'layer') : null;
    const heads = typeof headFlag === 'string' ? parseIndexList(headFlag, headFlagName, config.heads, 'head') : null;
    const tokens = values['no-special-tokens']
      ? model.tokenizer
        ? model.tokenizer.encode(text, false)
        : tokenizeForModel(model, text)
      : tokenizeForModel(model, text);
    const n = tokens.ids.length;
    if (n === 0) throw new InputError('--text', 'gives no tokens');
    if (n > maxTokens)
      throw new InputError(
        '--text',
        `${n} tokens exceed the limit of ${maxTokens} (flag --max-tokens, at most ${MAX_TOKENS_CEILING})`,
      );
    const fullResolution =
      positiveInteger(values['full-resolution-tokens'], '--full-resolution-tokens') ?? FULL_RESOLUTION_TOKENS;
    // Past the whole-matrix size (more tokens than fullResolution, or heads × n² past the dense cap)
    // each head is a pooled overview: the choice is said on stderr, with the flag that changes it.
    const long = longReason(n, config.heads, fullResolution);
    const overviewSide = positiveInteger(values.overview, '--overview') ?? CLI_OVERVIEW_SIDE;
    const region = typeof values.region === 'string' ? parseRegion(values.region, n) : null;
    if (region && !long)
      throw new InputError(
        '--region',
        `is for texts past the full-resolution size: these ${n} tokens are printed whole (--full-resolution-tokens ${fullResolution})`,
      );
    if (values.overview !== undefined && !long)
      throw new InputError(
        '--overview',
        `is for texts past the full-resolution size: these ${n} tokens are printed whole (--full-resolution-tokens ${fullResolution})`,
      );
    for (const w of tokens.warnings) io.err(`warning: ${w}`);
    const labels = tokens.tokens.map((t) => t.text);

    const held: string[] = [];
    let heldChars = 0,
      streaming = false;
    const write = (chunk: string) => {
      if (streaming) return io.out(chunk);
      held.push(chunk);
      heldChars += chunk.length;
      if (heldChars >= STREAM_AFTER_CHARS) {
        io.out(held.join(''));
        held.length = 0;
        streaming = true;
      }
    };
    write(
      `{"model":${JSON.stringify(dir)},"architecture":${JSON.stringify(config.architecture)},"tokenizer":${JSON.stringify(model.tokenizer?.kind ?? null)},`,
    );
    write(
      `"tokens":${JSON.stringify(labels)},"keyTokens":${JSON.stringify(labels)},"offsets":${JSON.stringify(tokens.tokens.map((t) => t.offsets))},`,
    );
    write(`"ids":${JSON.stringify(tokens.ids)},"special":${JSON.stringify(tokens.tokens.map((t) => t.special))},`);
    write(
      `"layers":${config.layers},"headsPerLayer":${config.heads},"kvHeads":${config.kvHeads},"headDim":${config.headDim},`,
    );
    const cell = Math.ceil(n / Math.min(n, overviewSide));
    if (long) {
      io.err(
        `warning: ${n} tokens: ${long}, so each head is a max-pooled overview of blocks of ${cell} × ${cell} tokens (at most ${overviewSide} per side, --overview N) with exact per-row entropy and largest weight; --region ROWS:COLS (e.g. 0-63:0-63) prints a block at full resolution`,
      );
      write(
        `"pooled":${JSON.stringify({ tokens: n, cell, side: Math.ceil(n / cell), fullResolutionTokens: fullResolution, pooling: 'max weight per block' })},`,
      );
    }
    write(`"heads":[`);
    let first = true;
    let maskWord: string | null = null;
    kernels.initKernelsSync();
    const input = {
      ids: tokens.ids,
      tokenTypeIds: config.family === 'bert' && config.bertVariant !== 'distilbert' ? tokens.tokenTypeIds : undefined,
    };
    const lastLayer = layers ? layers[layers.length - 1] : config.layers - 1;
    const stop = new AbortController();
    const wanted = (layer: number) => !layers || layers.includes(layer);
    const headsOf = (count: number) => heads ?? Array.from({ length: count }, (_, h) => h);
    // Nothing past the last asked-for layer is needed: the forward pass stops there.
    const afterLayer = (layer: number) => {
      if (layer >= lastLayer) stop.abort(new LastLayerDone());
    };
    const pool = long ? new AttentionPool() : null;
    try {
      if (long) {
        await runModel(model, input, {
          attend: attendStreaming({ overviewSide, signal: stop.signal, pool: pool! }),
          matmul: matmulOnPool(stop.signal, undefined, pool!),
          keepQK: region !== null,
          onLayer: (layer) => {
            if (!wanted(layer.layer)) return;
            maskWord ??= maskName(layer);
            for (const h of headsOf(layer.heads.length)) {
              write((first ? '' : ',') + JSON.stringify(pooledHeadJson(layer, h, config.headDim, summary, region)));
              first = false;
            }
            afterLayer(layer.layer);
          },
          signal: stop.signal,
        });
      } else {
        await runModel(model, input, {
          attend: attendOnPool(stop.signal),
          matmul: matmulOnPool(stop.signal),
          onLayer: (layer) => {
            if (!wanted(layer.layer)) return;
            maskWord ??= maskName(layer);
            headsOf(layer.heads.length).forEach((h) => {
              const r = layer.heads[h];
              const inspected = inspect(
                {
                  form: 'scores',
                  scores: [r.dots],
                  dK: config.headDim,
                  tokens: labels,
                  mask: layer.mask,
                  scale: layer.factor,
                },
                { engine: kernels, inputSource: `layer ${layer.layer} head ${h}` },
              ).heads[0];
              const json = {
                ...headJson({ ...inspected, layer: layer.layer, head: h }, summary),
                kvHead: layer.kvHeadOf[h],
                window: layer.window,
              };
              write((first ? '' : ',') + JSON.stringify(json));
              first = false;
            });
            afterLayer(layer.layer);
          },
          signal: stop.signal,
        });
      }
    } catch (e) {
      // Past the last asked-for layer the pool's products reject with CancelledError carrying the reason.
      if (!(e instanceof LastLayerDone) && !(stop.signal.reason instanceof LastLayerDone)) throw e;
    } finally {
      await pool?.close();
    }
    write(`],"mask":${JSON.stringify(maskWord)}}\n`);
    if (held.length) io.out(held.join(''));
    return 0;
  } finally {
    await model.close();
    await shutdownFastAttention();
  }
}

class LastLayerDone extends Error {
  constructor() {
    super('last layer done');
  }
}

function describeModel(model: LoadedModel): object {
  const { config, weights, tokenizer } = model;
  const summary = weights.summary();
  const needed = expectedTensors(config, weights);
  const layerParams = needed
    .filter((t) => /(^|\.)(h|layers|layer)\.0\./.test(t.name))
    .reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  return {
    model: model.folder.name,
    architecture: config.architecture,
    modelType: config.modelType,
    family: config.family,
    supported: true,
    layers: config.layers,
    hidden: config.hidden,
    heads: config.heads,
    kvHeads: config.kvHeads,
    headDim: config.headDim,
    intermediate: config.intermediate,
    vocabSize: config.vocabSize,
    maxPositions: config.maxPositions,
    attention: config.causal ? 'causal' : 'bidirectional',
    rope: config.rope ? { theta: config.rope.theta, dim: config.rope.dim, scaling: config.rope.scaling } : null,
    slidingWindows: config.slidingWindows.some((w) => w !== null) ? config.slidingWindows : null,
    qkvBias: config.qkvBias,
    qkNorm: config.qkNorm,
    activation: config.activation,
    normEps: config.normEps,
    torchDtype: config.torchDtype,
    weights: {
      files: summary.files,
      tensors: summary.tensors,
      parameters: summary.parameters,
      bytes: summary.bytes,
      dtypes: summary.dtypes,
    },
    // One layer's weights are converted to float32 at a time.
    memory: {
      weightsPerLayerF32Bytes: layerParams * 4,
      attentionPerLayerBytesAt512Tokens: config.heads * 512 * 512 * 4 * 3,
    },
    tokenizer: tokenizer
      ? { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize, specialTokens: tokenizer.specialTokens() }
      : null,
    supportedArchitectures: Object.keys(SUPPORTED_ARCHITECTURES),
  };
}

async function infoModel(argv: string[], io: ModelCommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { model: { type: 'string' } });
  if (positionals.length) throw new InputError(positionals[0], 'unexpected argument: info --model DIR takes no FILE');
  const dir = values.model;
  if (typeof dir !== 'string' || dir === '') throw new InputError('--model', 'needs the model folder');
  const folder = await NodeModelFolder.open(dir);
  try {
    const configText = await folder.readText('config.json');
    if (configText !== null) {
      // An unsupported architecture is still described (what it is, what is supported), with exit code 0.
      let architecture: unknown = null;
      try {
        architecture = (JSON.parse(configText) as { architectures?: unknown }).architectures ?? null;
      } catch {
        /* parseModelConfig below reports the JSON error */
      }
      try {
        parseModelConfig(`${dir}/config.json`, configText);
      } catch (e) {
        if (!(e instanceof ModelError) || !/not supported/.test(e.message)) throw e;
        io.out(
          JSON.stringify(
            {
              model: dir,
              architecture,
              supported: false,
              reason: e.message,
              supportedArchitectures: Object.keys(SUPPORTED_ARCHITECTURES),
            },
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
    }
  } finally {
    await folder.close();
  }
  const model = await openModelDir(dir);
  try {
    io.out(JSON.stringify(describeModel(model), null, 2) + '\n');
    return 0;
  } finally {
    await model.close();
  }
}

async function listModels(argv: string[], io: ModelCommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { cache: { type: 'string' } });
  if (positionals.length) throw new InputError(positionals[0], 'unexpected argument: models takes only --cache DIR');
  const dir = typeof values.cache === 'string' ? values.cache : hubCacheDir(io.env, homedir());
  const found = await listCachedModels(new NodeCacheListing(), dir);
  io.out(JSON.stringify({ cache: dir, models: found }, null, 2) + '\n');
  return 0;
}
