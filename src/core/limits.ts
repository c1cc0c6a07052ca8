// The documented caps on what one inspection may cost. A hostile or mistaken input (a 50 000-token
// selection, a 4 GB JSON file, a header claiming 100 GB) must be refused with a message the user can
// act on, before anything large is allocated. Every cap has a setting that raises it, and every
// breach names the cap and that setting, e.g.
//   text: 5012 tokens exceed the limit of 4096 (setting attentionInspector.limits.maxTokens)
// The extension passes its settings in; the CLI passes its flags as `raisedBy`; everything else
// gets DEFAULT_LIMITS. README.md "## Limits" lists them for users.
import { InputError } from './errors';

export interface Limits {
  /** Tokens in a text input, and queries or keys in a JSON input (attention is n² per head). */
  readonly maxTokens: number;
  /** Bytes read whole into memory: tensor files outside the local disk (remote, virtual, the web). */
  readonly maxFileBytesInMemory: number;
  /** A .safetensors JSON header (the format's own cap is 100 MB); .npy headers are also capped at 64 KiB. */
  readonly maxHeaderBytes: number;
  /** Heads drawn at once in the heads grid. */
  readonly maxHeadsShown: number;
  /** A JSON input's text (parsed whole). Follows maxFileBytesInMemory unless given. */
  readonly maxJsonBytes: number;
  /** What the message tells the user to change to raise each cap: a setting (default) or a CLI flag. */
  readonly raisedBy: Readonly<Record<LimitName, string>>;
}

export type LimitName = 'maxTokens' | 'maxFileBytesInMemory' | 'maxHeaderBytes' | 'maxHeadsShown' | 'maxJsonBytes';

/** What callers pass: any subset (the extension's settings object fits as it is). */
export type LimitOptions = Partial<Omit<Limits, 'raisedBy'>> & {
  readonly raisedBy?: Partial<Record<LimitName, string>>;
};

export const LIMIT_NAMES: readonly LimitName[] = [
  'maxTokens',
  'maxFileBytesInMemory',
  'maxHeaderBytes',
  'maxHeadsShown',
  'maxJsonBytes',
];

/** The settings that raise each cap (package.json contributes.configuration). */
export const LIMIT_SETTINGS: Readonly<Record<LimitName, string>> = {
  maxTokens: 'attentionInspector.limits.maxTokens',
  maxFileBytesInMemory: 'attentionInspector.limits.maxFileBytesInMemory',
  maxHeaderBytes: 'attentionInspector.limits.maxHeaderBytes',
  maxHeadsShown: 'attentionInspector.limits.maxHeadsShown',
  // A JSON input is a file read whole into memory: the same setting governs it.
  maxJsonBytes: 'attentionInspector.limits.maxFileBytesInMemory',
};

const MIB = 1024 * 1024;

/**
 * The longest text the panel shows cell by cell. A longer one (up to maxTokens) is computed head by
 * head by the streaming kernels and shown as an overview of token blocks (desktop: src/node/longSequence.ts).
 */
export const FULL_RESOLUTION_TOKENS = 4096;

export const DEFAULT_LIMITS: Limits = {
  maxTokens: 4096,
  maxFileBytesInMemory: 512 * MIB,
  maxHeaderBytes: 100_000_000,
  maxHeadsShown: 64,
  maxJsonBytes: 512 * MIB,
  raisedBy: Object.fromEntries(LIMIT_NAMES.map((n) => [n, `setting ${LIMIT_SETTINGS[n]}`])) as Record<
    LimitName,
    string
  >,
};

/** The largest maxTokens a setting or flag may ask for (package.json's maximum for the setting). */
export const MAX_TOKENS_CEILING = 65536;

/** The text model's sizes may not pass the settings' maxima (package.json), whatever asks for them. */
export const TEXT_MODEL_MAXIMA = { dModel: 4096, dK: 1024, dV: 1024, heads: 64 } as const;

/**
 * Cells (queries × keys × heads) of one dense computation, where every head's scores and weights are
 * held whole: 4096 × 4096 × 12 heads, the default token cap with a GPT-2-sized head count (the panel
 * computes texts of up to 4096 tokens whole, and 12 heads of 3500 tokens must still run and cancel).
 * Each cell costs about 16 bytes (logits, scaled scores, weights), so this is about 3 GiB at most.
 * Longer inputs go head by head through the streaming path (the panel), which this cap does not govern.
 */
export const MAX_DENSE_CELLS = 12 * 2 ** 24;

/**
 * Refuses a dense computation of `heads` n × m heads past MAX_DENSE_CELLS, before anything is
 * allocated; `lower` says what the user can change (a flag, or the input itself).
 */
export function checkDenseCost(where: string, n: number, m: number, heads: number, lower: string): void {
  const cells = n * m * heads;
  if (cells > MAX_DENSE_CELLS) {
    throw new InputError(
      where,
      `${n} queries × ${m} keys × ${heads} head${heads === 1 ? '' : 's'} = ${cells} attention cells exceed the limit of ${MAX_DENSE_CELLS} cells computed at once (a fixed cap, about 3 GiB: ${lower})`,
    );
  }
}

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1;
}

/**
 * Fills in defaults. A value that is not a positive number is ignored (the default applies), so a
 * broken setting can never switch a cap off. An already resolved Limits comes back unchanged.
 */
export function resolveLimits(options?: LimitOptions | Limits): Limits {
  if (!options) return DEFAULT_LIMITS;
  const pick = (name: LimitName, fallback: number): number =>
    positive(options[name]) ? Math.floor(options[name] as number) : fallback;
  const maxFileBytesInMemory = pick('maxFileBytesInMemory', DEFAULT_LIMITS.maxFileBytesInMemory);
  return {
    // A setting past the documented maximum is held to it (the message then names the maximum).
    maxTokens: Math.min(pick('maxTokens', DEFAULT_LIMITS.maxTokens), MAX_TOKENS_CEILING),
    maxFileBytesInMemory,
    maxHeaderBytes: pick('maxHeaderBytes', DEFAULT_LIMITS.maxHeaderBytes),
    maxHeadsShown: pick('maxHeadsShown', DEFAULT_LIMITS.maxHeadsShown),
    maxJsonBytes: pick('maxJsonBytes', maxFileBytesInMemory),
    raisedBy: { ...DEFAULT_LIMITS.raisedBy, ...options.raisedBy },
  };
}

/**
 * The one-line error for a breached cap: `where: <amount> exceed the limit of <cap> (<how to raise>)`.
 * `amount` carries its unit ("5012 tokens"); `unit` follows the cap ("bytes read into memory").
 */
export function limitError(where: string, amount: string, name: LimitName, limits: Limits, unit = ''): InputError {
  return new InputError(where, limitRule(amount, name, limits, unit));
}

/** The rule part of limitError, for errors that carry their own location (TensorFileError). */
export function limitRule(amount: string, name: LimitName, limits: Limits, unit = ''): string {
  const cap = `${limits[name]}${unit ? ` ${unit}` : ''}`;
  return `${amount} exceed the limit of ${cap} (${limits.raisedBy[name]})`;
}

/** UTF-8 length of a string without encoding it (JSON inputs are measured before parsing). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}
