// attention-inspector: the attention core on the command line. A contract others script against:
// one JSON object on stdout; errors as one `error:` line on stderr with exit code 2; warnings on
// stderr without changing the exit code.
import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import {
  type ComputeEngine, type Inspection, type InspectOptions, type MaskSpec, type TextModelSettings,
  type LimitOptions, InputError, REFERENCE_ENGINE, inspect, limitError, resolveLimits, inspectText, isMaskWord, MASK_WORDS, oneLineMessage, parseAttentionJson, parseScaleText, TOKENIZERS,
} from '../core';
import * as kernels from '../core/kernels';
import { integerSeed, parseCommandLine, positiveInteger } from './args';
import { inspectionJson } from './serialize';
import { TENSOR_EXTENSIONS, TENSOR_OPTIONS, computeTensorFile, tensorInfo } from './tensorCommands';
import { writeReport } from '../host/reportFile';
import { modelCommand } from './modelCommands';
import type { SourceSpec } from '../host/source';

const VERSION = '0.1.0';
/**
 * The CLI's caps (src/core/limits.ts defaults), with its own advice on raising them: JSON inputs are
 * parsed whole (larger tensors belong in .npy/.safetensors files), --max-tokens raises the token cap.
 */
const CLI_LIMITS = resolveLimits({
  raisedBy: { maxJsonBytes: 'save large tensors as .npy or .safetensors', maxTokens: 'flag --max-tokens' },
});

function cliLimits(maxTokens: number | undefined): LimitOptions {
  return maxTokens === undefined ? CLI_LIMITS : { ...CLI_LIMITS, maxTokens };
}
/** Tensor-file output is buffered up to this many characters, then streamed. */
const STREAM_AFTER_BYTES = 64 * 1024 * 1024;

const USAGE = `attention-inspector ${VERSION}: scaled dot-product attention, its scores, weights and sharpness.

Usage:
  attention-inspector compute FILE.json [--scale sqrt|none|NUMBER] [--mask none|causal|anticausal] [--summary]
                              [--engine wasm|js]  (WebAssembly SIMD kernels, the default, or the plain TypeScript reference)
  attention-inspector compute --text "I go home" [--seed N] [--d-model N] [--d-k N] [--d-v N] [--heads N]
                              [--raw] [--no-positional] [--tokenizer words|whitespace|characters] [--summary]
  attention-inspector compute FILE.npy|.npz|.safetensors [--tensor NAME] [--layer L] [--head H] [--batch B]
                              [--layout AXES] [--tokens FILE] [--meaning weights|scores] [--d-k N]
                              [--scale …] [--mask …] [--summary]
  attention-inspector info FILE.npy|.npz|.safetensors [--tensor NAME] [--layout AXES]
  attention-inspector compute --model DIR --text "…"|--text-file F [--layers 0,2-3] [--heads 0,1] [--summary] [--max-tokens N]
  attention-inspector info --model DIR      (architecture, sizes, dtype, tokenizer, what is supported)
  attention-inspector models [--cache DIR]  (models in the Hugging Face cache)
  attention-inspector report FILE.json|--text "…" -o REPORT.html [--title T] [--scale …] [--mask …] [text flags]
  attention-inspector --help | --version

Output: one JSON object on stdout {"tokens", "heads": [{"scores", "weights", "output", "entropy", "sharpness"}]}.
Errors: one line on stderr starting "error:", exit code 2.`;

const COMPUTE_OPTIONS = {
  ...TENSOR_OPTIONS,
  text: { type: 'string' },
  scale: { type: 'string' },
  mask: { type: 'string' },
  summary: { type: 'boolean' },
  seed: { type: 'string' },
  'd-model': { type: 'string' },
  'd-v': { type: 'string' },
  heads: { type: 'string' },
  raw: { type: 'boolean' },
  'no-positional': { type: 'boolean' },
  tokenizer: { type: 'string' },
  'max-tokens': { type: 'string' },
  engine: { type: 'string' },
} as const;

/**
 * --engine: the WebAssembly SIMD kernels (default; the reference is used where WebAssembly SIMD is
 * missing) or the plain TypeScript reference. Both give the same numbers to float32 rounding.
 */
function readEngineFlag(value: string | boolean | undefined): ComputeEngine {
  if (value === undefined || value === 'wasm') return kernels.initKernelsSync() ? kernels : REFERENCE_ENGINE;
  if (value === 'js') return REFERENCE_ENGINE;
  throw new InputError('--engine', `expected wasm or js, found ${JSON.stringify(value)}`);
}

function readMaskFlag(value: string | boolean | undefined): MaskSpec | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isMaskWord(value)) return value;
  throw new InputError('--mask', `expected ${MASK_WORDS.join(', ')}, found ${JSON.stringify(value)}`);
}

function readJsonFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? oneLineMessage(e)})`);
  }
  // Checked on the file's size, before a byte of it is read.
  if (size > CLI_LIMITS.maxJsonBytes) throw limitError(path, `${size} bytes of JSON`, 'maxJsonBytes', CLI_LIMITS, 'bytes read into memory');
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? oneLineMessage(e)})`);
  }
}

function textSettings(values: Record<string, string | boolean | undefined>): Partial<TextModelSettings> {
  const settings: { -readonly [K in keyof TextModelSettings]?: TextModelSettings[K] } = {};
  const dModel = positiveInteger(values['d-model'], '--d-model');
  const dK = positiveInteger(values['d-k'], '--d-k');
  const dV = positiveInteger(values['d-v'], '--d-v');
  const heads = positiveInteger(values.heads, '--heads');
  const seed = integerSeed(values.seed, '--seed');
  if (dModel !== undefined) settings.dModel = dModel;
  if (dK !== undefined) settings.dK = dK;
  if (dV !== undefined) settings.dV = dV;
  if (heads !== undefined) settings.heads = heads;
  if (seed !== undefined) settings.seed = seed;
  if (values.raw) settings.raw = true;
  if (values['no-positional']) settings.positional = false;
  if (values.tokenizer !== undefined) {
    const t = values.tokenizer;
    if (typeof t !== 'string' || !(TOKENIZERS as readonly string[]).includes(t)) throw new InputError('--tokenizer', `expected ${TOKENIZERS.join(', ')}, found ${JSON.stringify(t)}`);
    settings.tokenizer = t as TextModelSettings['tokenizer'];
  }
  return settings;
}

type Output = { inspection: Inspection } | { streamed: true };

const TEXT_ONLY = ['seed', 'd-model', 'd-v', 'heads', 'raw', 'no-positional', 'tokenizer', 'max-tokens'];
const FILE_ONLY = Object.keys(TENSOR_OPTIONS).filter((k) => k !== 'd-k');

async function compute(argv: string[], summary: boolean): Promise<Output> {
  const { values, positionals } = parseCommandLine(argv, COMPUTE_OPTIONS);
  const options: InspectOptions = {
    scale: typeof values.scale === 'string' ? parseScaleText(values.scale, '--scale') : undefined,
    mask: readMaskFlag(values.mask),
    scaleSource: '--scale',
    maskSource: '--mask',
    engine: readEngineFlag(values.engine),
  };
  if (values.scale === true) throw new InputError('--scale', 'needs a value');
  if (typeof values.text === 'string') {
    if (positionals.length) throw new InputError(positionals[0], 'give either FILE or --text, not both');
    const fileOnly = Object.keys(values).find((k) => FILE_ONLY.includes(k));
    if (fileOnly) throw new InputError(`--${fileOnly}`, 'applies to tensor files (.npy, .npz, .safetensors) only');
    const maxTokens = positiveInteger(values['max-tokens'], '--max-tokens');
    return { inspection: inspectText(values.text, textSettings(values), options, cliLimits(maxTokens)) };
  }
  const textOnly = Object.keys(values).find((k) => TEXT_ONLY.includes(k));
  if (textOnly) throw new InputError(`--${textOnly}`, 'applies to --text input only');
  if (positionals.length === 0) throw new InputError('compute', 'needs a FILE or --text "…"');
  if (positionals.length > 1) throw new InputError(positionals[1], 'unexpected extra argument (compute takes one FILE)');
  const file = positionals[0];
  const ext = extname(file).toLowerCase();
  if (TENSOR_EXTENSIONS.includes(ext)) {
    // Output is held back until it is large, so an error part-way leaves stdout empty in all
    // ordinary cases; a many-GB model's full matrices stream instead of piling up in memory.
    const held: string[] = [];
    let heldBytes = 0;
    const write = (chunk: string) => {
      if (heldBytes < STREAM_AFTER_BYTES) {
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes < STREAM_AFTER_BYTES) return;
        process.stdout.write(held.join(''));
        held.length = 0;
        return;
      }
      process.stdout.write(chunk);
    };
    await computeTensorFile(file, values, options, summary, write, (line) => process.stderr.write(`${line}\n`));
    if (held.length) process.stdout.write(held.join(''));
    return { streamed: true };
  }
  if (ext !== '.json') throw new InputError(file, `unsupported file type "${ext || '(none)'}" (expected .json, .npy, .npz or .safetensors)`);
  const fileOnly = Object.keys(values).find((k) => k !== 'd-k' && FILE_ONLY.includes(k)) ?? (values['d-k'] !== undefined ? 'd-k' : undefined);
  if (fileOnly) throw new InputError(`--${fileOnly}`, 'applies to tensor files (.npy, .npz, .safetensors) or --text only');
  let input;
  try {
    input = parseAttentionJson(readJsonFile(file));
  } catch (e) {
    if (e instanceof InputError && e.where.startsWith('$')) throw new InputError(`${file}: ${e.where}`, e.rule);
    throw e;
  }
  return { inspection: inspect(input, options) };
}

const REPORT_OPTIONS = {
  output: { type: 'string', short: 'o' },
  title: { type: 'string' },
  text: { type: 'string' },
  scale: { type: 'string' },
  mask: { type: 'string' },
  seed: { type: 'string' },
  'd-model': { type: 'string' },
  'd-k': { type: 'string' },
  'd-v': { type: 'string' },
  heads: { type: 'string' },
  raw: { type: 'boolean' },
  'no-positional': { type: 'boolean' },
  tokenizer: { type: 'string' },
  'max-tokens': { type: 'string' },
} as const;

/** `report`: a standalone offline HTML page with the panel and the input embedded. */
async function report(argv: string[]): Promise<{ output: string; bytes: number; warnings: string[] }> {
  const { values, positionals } = parseCommandLine(argv, REPORT_OPTIONS);
  const output = values.output;
  if (typeof output !== 'string' || output === '') throw new InputError('-o', 'needs the output file, e.g. -o report.html');
  const scale = typeof values.scale === 'string' ? parseScaleText(values.scale, '--scale') : undefined;
  const mask = readMaskFlag(values.mask) as Exclude<MaskSpec, object> | undefined;
  const title = typeof values.title === 'string' ? values.title : undefined;
  let spec: SourceSpec;
  let file: string | null = null;
  if (typeof values.text === 'string') {
    if (positionals.length) throw new InputError(positionals[0], 'give either FILE or --text, not both');
    spec = { kind: 'text', text: values.text, settings: textSettings(values), scale, mask, title, maxTokens: positiveInteger(values['max-tokens'], '--max-tokens') };
  } else {
    const textOnly = Object.keys(values).find((k) => [...TEXT_ONLY, 'd-k'].includes(k));
    if (textOnly) throw new InputError(`--${textOnly}`, 'applies to --text input only');
    if (positionals.length !== 1) throw new InputError('report', positionals.length ? `unexpected extra argument ${positionals[1]} (report takes one FILE)` : 'needs a FILE.json or --text "…"');
    file = positionals[0];
    const ext = extname(file).toLowerCase();
    if (ext !== '.json') throw new InputError(file, `unsupported file type "${ext || '(none)'}" for report (expected .json, or --text)`);
    spec = { kind: 'json', json: readJsonFile(file), scale, mask, title: title ?? basename(file) };
  }
  try {
    return { output, ...(await writeReport(spec, output)) };
  } catch (e) {
    if (file && e instanceof InputError && e.where.startsWith('$')) throw new InputError(`${file}: ${e.where}`, e.rule);
    throw e;
  }
}

function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(VERSION + '\n');
      return 0;
    }
    // Real models (compute --model, info --model, models) live in modelCommands.ts.
    const modelRun = modelCommand(command, rest, { out: (chunk) => process.stdout.write(chunk), err: (line) => process.stderr.write(`${line}\n`), env: process.env });
    if (modelRun) return await modelRun;
    if (command === 'compute') {
      const output = await compute(rest, rest.includes('--summary'));
      if ('inspection' in output) {
        for (const w of output.inspection.warnings) process.stderr.write(`warning: ${w}\n`);
        writeJson(inspectionJson(output.inspection, rest.includes('--summary')));
      }
      return 0;
    }
    if (command === 'report') {
      const written = await report(rest);
      for (const w of written.warnings) process.stderr.write(`warning: ${w}\n`);
      writeJson({ report: written.output, bytes: written.bytes });
      return 0;
    }
    if (command === 'info') {
      const { values, positionals } = parseCommandLine(rest, { tensor: { type: 'string' }, layout: { type: 'string' }, meaning: { type: 'string' } });
      if (positionals.length !== 1) throw new InputError('info', 'takes one FILE (.npy, .npz or .safetensors)');
      const ext = extname(positionals[0]).toLowerCase();
      if (!TENSOR_EXTENSIONS.includes(ext)) throw new InputError(positionals[0], `unsupported file type "${ext || '(none)'}" for info (expected .npy, .npz or .safetensors)`);
      process.stdout.write(JSON.stringify(await tensorInfo(positionals[0], values), null, 2) + '\n');
      return 0;
    }
    throw new InputError(command, 'unknown command (expected compute, info or report; see --help)');
  } catch (e) {
    process.stderr.write(`error: ${e instanceof InputError ? e.message : `internal error: ${oneLineMessage(e)} (please report this)`}\n`);
    return 2;
  }
}

// A reader closing the pipe early (`| head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
