// attention-inspector: the attention core on the command line. A contract others script against:
// one JSON object on stdout; errors as one `error:` line on stderr with exit code 2; warnings on
// stderr without changing the exit code.
import { basename, extname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { enableRelaxedSimd } from '../core/kernels/variant';
import {
  type ComputeEngine,
  type Inspection,
  type InspectOptions,
  type MaskSpec,
  type TextModelSettings,
  type LimitOptions,
  InputError,
  inputShape,
  escapeControl,
  MAX_TOKENS_CEILING,
  TEXT_MODEL_MAXIMA,
  REFERENCE_ENGINE,
  inspect,
  limitError,
  resolveLimits,
  inspectText,
  isMaskWord,
  MASK_WORDS,
  oneLineMessage,
  parseAttentionJson,
  parseScaleRule,
  TOKENIZERS,
} from '../core';
import * as kernels from '../core/kernels';
import { integerSeed, parseCommandLine, positiveInteger } from './args';
import { inspectionJson } from './serialize';
import { INFO_OPTIONS, TENSOR_EXTENSIONS, TENSOR_OPTIONS, computeTensorFile, tensorInfo } from './tensorCommands';
import { writeReport } from '../node/reportFile';
import { readRegularText } from '../node/regularFile';
import { modelCommand } from './modelCommands';
import { type MaskPolarity, parseMaskFileArg, readMaskFile, readPolarityFlag } from './maskFile';
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

const SCALE_HELP =
  '--scale sqrt|none|NUMBER   factor on the logits: 1/sqrt(d_k) (default when d_k is known), 1, or a number';
const MASK_HELP = '--mask none|causal|anticausal   which keys each query may attend to (causal: keys up to the query)';
const MASK_FILE_HELP = `--mask FILE[:NAME]        an explicit mask saved from PyTorch/numpy (.npy, an .npz/.safetensors/.pt tensor):
                            [q, k], [batch, q, k], key padding [k] or [batch, k] (HF's [batch, 1, q|1, k] too).
                            bool: True = masked out (nn.MultiheadAttention attn_mask/key_padding_mask);
                            0/1 integers: 1 = attend (HF attention_mask); floats: additive (0 attend, -inf/finfo.min masked).
                            What was assumed is said on stderr.
  --mask-polarity masked|attend   what True/1 means in a bool or 0/1 mask file: masked out (nn.MultiheadAttention)
                            or may attend (scaled_dot_product_attention, HF attention_mask)`;

const COMPUTE_HELP = `Usage: attention-inspector compute (FILE.json | --text "…" | FILE.npy|.npz|.safetensors|.pt|.pth|.bin | --model DIR --text "…") [options]

Prints one JSON object: {"tokens", "heads": [{"scores", "weights", "output", "entropy", "sharpness"}]}.

Any input:
  ${SCALE_HELP}
  ${MASK_HELP}
  --summary                 per-head statistics only, no matrices
  --engine wasm|js          WebAssembly SIMD kernels (default) or the plain TypeScript reference
  --max-tokens N            raise the token cap for --text and .json (default 4096, at most ${MAX_TOKENS_CEILING})
JSON and tensor files:
  ${MASK_FILE_HELP}
Text (--text "I go home"): a seeded toy model
  --seed N  --d-model N (≤ ${TEXT_MODEL_MAXIMA.dModel})  --d-k N (≤ ${TEXT_MODEL_MAXIMA.dK})  --d-v N (≤ ${TEXT_MODEL_MAXIMA.dV})  --heads N (≤ ${TEXT_MODEL_MAXIMA.heads})
  --raw                     Q = K = V = X (no projections)   --no-positional   no sinusoidal positions
  --tokenizer words|whitespace|characters
Tensor files (.npy, .npz, .safetensors; torch.save .pt/.pth/.bin), read a head at a time:
  --tensor NAME             which tensor (or group) to read, when the file holds several candidates
  --layer L  --head H       only this layer / head (layer numbers as in the tensor names)
  --batch B                 batch entry B (default 0) of a tensor with a batch axis (and of a --mask FILE with one)
  --kind encoder|decoder|cross   which attention of an encoder-decoder output (default decoder)
  --layout AXES             the axis order when it cannot be told from the shape, e.g. bhqk, lbhqk, hqk, qk,
                            batch,q,k (l layers, b batch, h heads, q queries, k keys; d the head dimension
                            for q/k/v). An ambiguous 3-D/4-D shape is read as [heads, q, k] / [layers, heads,
                            q, k] and a note on stderr names the --layout that reads it the other way
  --meaning weights|scores  what the maps hold: post-softmax weights, or logits (pre-softmax) to scale,
                            mask and softmax; detected from the values when not given (rows that sum to 1
                            within the source precision, bf16/f16 included, are weights)
  --tokens FILE             token labels: a JSON list of strings (default: NAME.tokens.json beside the file)
  --d-k N                   key dimension of exported scores (enables the 1/sqrt(d_k) factors)

Real models (a Hugging Face folder: config.json, *.safetensors, tokenizer.json):
  --model DIR --text "…" | --text-file F   run the model on the text; every layer × head
  --layers 0,2-3  --heads 0,1  --summary  --max-tokens N  --no-special-tokens
  past --full-resolution-tokens N (default 4096) or the dense cap: each head a max-pooled overview
  (--overview N blocks per side, default 64) with exact per-row figures; --region 100-163:0-511 at full resolution

Model weights (state dicts, q_proj.weight, c_attn, W_Q …) are refused with what they are: open the model
folder with --model instead. Errors: one line on stderr starting "error:", exit code 2.`;

const INFO_HELP = `Usage: attention-inspector info FILE.npy|.npz|.safetensors|.pt|.pth|.bin [--tensor NAME] [--layout AXES] [--meaning weights|scores]
       attention-inspector info --model DIR

Prints the file's tensors (name, dtype, shape, byte range), the attention candidates, and what compute
would read: the tensor, its kind (maps or q/k/v), layout, layers × batch × heads × queries × keys,
the notes on ambiguous shapes, and weights or scores (with the evidence). Reads headers and a few
sampled rows only. A file that cannot be read as attention gets "problem": the one line compute prints.
  --tensor NAME  --layout AXES  --meaning weights|scores  --batch B  --kind encoder|decoder|cross
                as for compute (see compute --help)
  --model DIR   a Hugging Face folder: architecture, sizes, dtype, tokenizer, what is supported`;

const MODELS_HELP = `Usage: attention-inspector models [--cache DIR]

Lists the models in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)
as JSON, with what compute --model can run.
  --cache DIR   another hub cache folder`;

const REPORT_HELP = `Usage: attention-inspector report (FILE.json | --text "…") -o REPORT.html [options]

Writes one self-contained offline HTML page with the panel and the input embedded.
  -o, --output FILE         where to write (required)
  --title T                 the page title (default: the file name)
  ${SCALE_HELP}
  ${MASK_HELP}
  --max-tokens N            raise the token cap (default 4096, at most ${MAX_TOKENS_CEILING})
  text flags as for compute: --seed --d-model --d-k --d-v --heads --raw --no-positional --tokenizer`;

const USAGE = `attention-inspector ${VERSION}: scaled dot-product attention, its scores, weights and sharpness.

Usage:
  attention-inspector compute FILE.json [--scale sqrt|none|NUMBER] [--mask none|causal|anticausal] [--summary]
                              [--engine wasm|js]  (WebAssembly SIMD kernels, the default, or the plain TypeScript reference)
  attention-inspector compute --text "I go home" [--seed N] [--d-model N] [--d-k N] [--d-v N] [--heads N]
                              [--raw] [--no-positional] [--tokenizer words|whitespace|characters] [--summary]
  attention-inspector compute FILE.npy|.npz|.safetensors [--tensor NAME] [--layer L] [--head H] [--batch B]
                              [--layout AXES] [--tokens FILE] [--meaning weights|scores] [--d-k N]
                              [--scale …] [--mask none|causal|anticausal|FILE[:NAME]] [--mask-polarity masked|attend] [--summary]
  attention-inspector info FILE.npy|.npz|.safetensors [--tensor NAME] [--layout AXES]
  attention-inspector compute --model DIR --text "…"|--text-file F [--layers 0,2-3] [--heads 0,1] [--summary] [--max-tokens N]
  attention-inspector info --model DIR      (architecture, sizes, dtype, tokenizer, what is supported)
  attention-inspector models [--cache DIR]  (models in the Hugging Face cache)
  attention-inspector report FILE.json|--text "…" -o REPORT.html [--title T] [--scale …] [--mask …] [text flags]
  attention-inspector --help | --version
  attention-inspector COMMAND --help | -h   (compute, info, report, models: every option explained)

Output: one JSON object on stdout {"tokens", "heads": [{"scores", "weights", "output", "entropy", "sharpness"}]}.
Errors: one line on stderr starting "error:", exit code 2.`;

const SUBCOMMAND_HELP: Record<string, string> = {
  compute: COMPUTE_HELP,
  info: INFO_HELP,
  report: REPORT_HELP,
  models: MODELS_HELP,
};

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
  'mask-polarity': { type: 'string' },
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

function readMaskFlag(value: string | boolean | undefined, files = false): MaskSpec | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isMaskWord(value)) return value;
  if (files && typeof value === 'string' && parseMaskFileArg(value)) return undefined;
  throw new InputError(
    '--mask',
    `expected ${MASK_WORDS.join(', ')}${files ? ' or a mask file (.npy, .npz[:NAME], .safetensors[:NAME], .pt[:NAME])' : ''}, found ${JSON.stringify(value)}`,
  );
}

/** --mask FILE[:NAME] and --mask-polarity: the file to read the mask from, once the input's shape is known. */
function maskFileFlags(
  values: Record<string, string | boolean | undefined>,
): { arg: { path: string; name?: string }; polarity: MaskPolarity | undefined } | null {
  const arg = typeof values.mask === 'string' && !isMaskWord(values.mask) ? parseMaskFileArg(values.mask) : null;
  const polarity = readPolarityFlag(values['mask-polarity']);
  if (polarity !== undefined && !arg)
    throw new InputError('--mask-polarity', 'goes with --mask FILE (a boolean or 0/1 mask saved from PyTorch)');
  return arg ? { arg, polarity } : null;
}

/** A JSON input, read whole: a regular file only (never blocking on a FIFO), at most maxJsonBytes. */
function readJsonFile(path: string): Promise<string> {
  return readRegularText(
    path,
    CLI_LIMITS.maxJsonBytes,
    (bytes) => limitError(path, `${bytes} bytes of JSON`, 'maxJsonBytes', CLI_LIMITS, 'bytes read into memory'),
    path,
    (code) => (code === 'ENOENT' ? 'no such file' : `cannot read (${code})`),
  );
}

function textSettings(values: Record<string, string | boolean | undefined>): Partial<TextModelSettings> {
  const settings: { -readonly [K in keyof TextModelSettings]?: TextModelSettings[K] } = {};
  const modelCap = "the text model's cap, as in the extension's settings";
  const dModel = positiveInteger(values['d-model'], '--d-model', TEXT_MODEL_MAXIMA.dModel, modelCap);
  const dK = positiveInteger(values['d-k'], '--d-k', TEXT_MODEL_MAXIMA.dK, modelCap);
  const dV = positiveInteger(values['d-v'], '--d-v', TEXT_MODEL_MAXIMA.dV, modelCap);
  const heads = positiveInteger(values.heads, '--heads', TEXT_MODEL_MAXIMA.heads, modelCap);
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
    if (typeof t !== 'string' || !(TOKENIZERS as readonly string[]).includes(t))
      throw new InputError('--tokenizer', `expected ${TOKENIZERS.join(', ')}, found ${JSON.stringify(t)}`);
    settings.tokenizer = t as TextModelSettings['tokenizer'];
  }
  return settings;
}

type Output = { inspection: Inspection; notes?: string[] } | { streamed: true };

const TEXT_ONLY = ['seed', 'd-model', 'd-v', 'heads', 'raw', 'no-positional', 'tokenizer'];

/** --max-tokens: raises the token cap up to its documented maximum. */
function maxTokensFlag(value: string | boolean | undefined): number | undefined {
  return positiveInteger(value, '--max-tokens', MAX_TOKENS_CEILING, 'the documented maximum of the token cap');
}
const FILE_ONLY = Object.keys(TENSOR_OPTIONS).filter((k) => k !== 'd-k');

async function compute(argv: string[], summary: boolean): Promise<Output> {
  const { values, positionals } = parseCommandLine(argv, COMPUTE_OPTIONS);
  const options: InspectOptions = {
    scale: typeof values.scale === 'string' ? parseScaleRule(values.scale, '--scale') : undefined,
    mask: readMaskFlag(values.mask, true),
    scaleSource: '--scale',
    maskSource: '--mask',
    engine: readEngineFlag(values.engine),
  };
  if (values.scale === true) throw new InputError('--scale', 'needs a value');
  const maskFile = maskFileFlags(values);
  if (typeof values.text === 'string') {
    if (maskFile)
      throw new InputError(
        '--mask',
        'a mask file applies to tensor files and .json input (text takes none, causal or anticausal)',
      );
    if (positionals.length) throw new InputError(positionals[0], 'give either FILE or --text, not both');
    const fileOnly = Object.keys(values).find((k) => FILE_ONLY.includes(k));
    if (fileOnly) throw new InputError(`--${fileOnly}`, 'applies to tensor files (.npy, .npz, .safetensors) only');
    const maxTokens = maxTokensFlag(values['max-tokens']);
    return { inspection: inspectText(values.text, textSettings(values), options, cliLimits(maxTokens)) };
  }
  const textOnly = Object.keys(values).find((k) => TEXT_ONLY.includes(k));
  if (textOnly) throw new InputError(`--${textOnly}`, 'applies to --text input only');
  const maxTokens = maxTokensFlag(values['max-tokens']);
  if (positionals.length === 0) throw new InputError('compute', 'needs a FILE or --text "…"');
  if (positionals.length > 1)
    throw new InputError(positionals[1], 'unexpected extra argument (compute takes one FILE)');
  const file = positionals[0];
  const ext = extname(file).toLowerCase();
  if (TENSOR_EXTENSIONS.includes(ext)) {
    if (maxTokens !== undefined)
      throw new InputError(
        '--max-tokens',
        'applies to --text and .json input only (tensor files are capped per slice)',
      );
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
    await computeTensorFile(
      file,
      values,
      options,
      summary,
      write,
      stderrLine,
      maskFile ? (target) => readMaskFile(maskFile.arg, maskFile.polarity, target) : undefined,
    );
    if (held.length) process.stdout.write(held.join(''));
    return { streamed: true };
  }
  if (ext !== '.json')
    throw new InputError(
      file,
      `unsupported file type "${ext || '(none)'}" (expected .json, .npy, .npz or .safetensors)`,
    );
  const fileOnly =
    Object.keys(values).find((k) => k !== 'd-k' && FILE_ONLY.includes(k)) ??
    (values['d-k'] !== undefined ? 'd-k' : undefined);
  if (fileOnly)
    throw new InputError(`--${fileOnly}`, 'applies to tensor files (.npy, .npz, .safetensors) or --text only');
  try {
    // Schema errors and computed-value errors (an overflowing scale) both locate by JSON path: name the file too.
    const input = parseAttentionJson(await readJsonFile(file), cliLimits(maxTokens));
    if (!maskFile) return { inspection: inspect(input, options) };
    const { n, m } = inputShape(input);
    const mask = await readMaskFile(maskFile.arg, maskFile.polarity, { queries: n, keys: m, batch: 0, batches: 1 });
    return { inspection: inspect(input, { ...options, mask: mask.allowed }), notes: [mask.note] };
  } catch (e) {
    if (e instanceof InputError && e.where.startsWith('$')) throw new InputError(`${file}: ${e.where}`, e.rule);
    throw e;
  }
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
  if (typeof output !== 'string' || output === '')
    throw new InputError('-o', 'needs the output file, e.g. -o report.html');
  const scale = typeof values.scale === 'string' ? parseScaleRule(values.scale, '--scale') : undefined;
  const mask = readMaskFlag(values.mask) as Exclude<MaskSpec, object> | undefined;
  const title = typeof values.title === 'string' ? values.title : undefined;
  let spec: SourceSpec;
  let file: string | null = null;
  if (typeof values.text === 'string') {
    if (positionals.length) throw new InputError(positionals[0], 'give either FILE or --text, not both');
    spec = {
      kind: 'text',
      text: values.text,
      settings: textSettings(values),
      scale,
      mask,
      title,
      maxTokens: maxTokensFlag(values['max-tokens']),
    };
  } else {
    const textOnly = Object.keys(values).find((k) => [...TEXT_ONLY, 'd-k'].includes(k));
    if (textOnly) throw new InputError(`--${textOnly}`, 'applies to --text input only');
    if (positionals.length !== 1)
      throw new InputError(
        'report',
        positionals.length
          ? `unexpected extra argument ${positionals[1]} (report takes one FILE)`
          : 'needs a FILE.json or --text "…"',
      );
    file = positionals[0];
    const ext = extname(file).toLowerCase();
    if (ext !== '.json')
      throw new InputError(file, `unsupported file type "${ext || '(none)'}" for report (expected .json, or --text)`);
    const maxTokens = maxTokensFlag(values['max-tokens']);
    spec = {
      kind: 'json',
      json: await readJsonFile(file),
      scale,
      mask,
      title: title ?? basename(file),
      ...(maxTokens !== undefined ? { limits: cliLimits(maxTokens) } : {}),
    };
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

/** A warning or note line for stderr: user-controlled parts (names, tokens) are escaped. */
function stderrLine(line: string): void {
  process.stderr.write(`${escapeControl(line)}\n`);
}

/** The allocation failures of an input too large for memory: named as such, not as a bug. */
function isOutOfMemory(e: unknown): e is RangeError {
  return (
    e instanceof RangeError &&
    /Array buffer allocation failed|Invalid typed array length|Invalid array length|Invalid string length/.test(
      e.message,
    )
  );
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'help' && rest.length > 0 && SUBCOMMAND_HELP[rest[0]] !== undefined) {
      process.stdout.write(SUBCOMMAND_HELP[rest[0]] + '\n');
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(VERSION + '\n');
      return 0;
    }
    if (SUBCOMMAND_HELP[command] !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(SUBCOMMAND_HELP[command] + '\n');
      return 0;
    }
    // Real models (compute --model, info --model, models) live in modelCommands.ts.
    const modelRun = modelCommand(command, rest, {
      out: (chunk) => process.stdout.write(chunk),
      err: (line) => process.stderr.write(`${line}\n`),
      env: process.env,
    });
    if (modelRun) return await modelRun;
    if (command === 'compute') {
      const output = await compute(rest, rest.includes('--summary'));
      if ('inspection' in output) {
        for (const w of output.inspection.warnings) stderrLine(`warning: ${w}`);
        for (const n of output.notes ?? []) stderrLine(`note: ${n}`);
        writeJson(inspectionJson(output.inspection, rest.includes('--summary')));
      }
      return 0;
    }
    if (command === 'report') {
      const written = await report(rest);
      for (const w of written.warnings) stderrLine(`warning: ${w}`);
      writeJson({ report: written.output, bytes: written.bytes });
      return 0;
    }
    if (command === 'info') {
      const { values, positionals } = parseCommandLine(rest, INFO_OPTIONS);
      if (positionals.length !== 1) throw new InputError('info', 'takes one FILE (.npy, .npz or .safetensors)');
      const ext = extname(positionals[0]).toLowerCase();
      if (!TENSOR_EXTENSIONS.includes(ext))
        throw new InputError(
          positionals[0],
          `unsupported file type "${ext || '(none)'}" for info (expected .npy, .npz or .safetensors)`,
        );
      process.stdout.write(JSON.stringify(await tensorInfo(positionals[0], values), null, 2) + '\n');
      return 0;
    }
    throw new InputError(command, 'unknown command (expected compute, info or report; see --help)');
  } catch (e) {
    const line =
      e instanceof InputError
        ? e.message
        : isOutOfMemory(e)
          ? `out of memory: the input is too large to compute at once (${oneLineMessage(e)}); give fewer tokens, heads or a smaller slice`
          : `internal error: ${oneLineMessage(e)} (please report this)`;
    process.stderr.write(`error: ${escapeControl(line)}\n`);
    return 2;
  }
}

// A reader closing the pipe early (`| head`) is not an error; any other failure to write the output
// (a full disk, /dev/full, a closed descriptor) is: the output is lost, so the exit code says so.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`error: cannot write the output to stdout (${e.code ?? oneLineMessage(e)})\n`);
  process.exit(2);
});

if (require.main === module) {
  // The fused multiply-add build of the kernels where this Node keeps it behind a flag (Node 20):
  // about 1.3–1.6× faster products, the build VS Code's runtime loads anyway.
  enableRelaxedSimd((flag) => setFlagsFromString(flag));
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
