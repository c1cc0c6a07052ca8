// Attention over a piece of text without a trained model: tokens keep their character offsets (the
// editor highlights them), each token text maps to a fixed pseudo-random embedding, sinusoidal
// positions are added, and seeded projections give each head its own Q, K and V spaces. The numbers
// carry no learned meaning; what they show is the mechanism.
import { type Matrix, zeros } from './matrix';
import { hashString, mixSeeds, normalMatrixData } from './random';
import type { HeadProjection } from './attention';

export interface Token {
  readonly text: string;
  /** UTF-16 offsets into the source text, end exclusive (what VS Code positions use). */
  readonly start: number;
  readonly end: number;
}

export type TokenizerKind = 'words' | 'whitespace' | 'characters';
export const TOKENIZERS: readonly TokenizerKind[] = ['words', 'whitespace', 'characters'];

const PATTERNS: Record<TokenizerKind, RegExp> = {
  // Words (letters, marks, digits, joiners such as ' and _ inside a word), numbers, then any other
  // visible character alone, so "don't stop." is don't · stop · .
  words: /[\p{L}\p{M}][\p{L}\p{M}\p{N}_]*(?:['’][\p{L}\p{M}\p{N}_]+)*|\p{N}+(?:[.,]\p{N}+)*|[^\s\p{L}\p{M}\p{N}]/gu,
  whitespace: /\S+/gu,
  characters: /\S/gu,
};

/** Tokens of `text`; with `max`, stops after that many (a huge selection is not split in full). */
export function tokenize(text: string, kind: TokenizerKind = 'words', max = Infinity): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(PATTERNS[kind])) {
    if (tokens.length >= max) break;
    const start = match.index ?? 0;
    tokens.push({ text: match[0], start, end: start + match[0].length });
  }
  return tokens;
}

/** How many tokens `text` has, without building them (for the over-the-limit message). */
export function countTokens(text: string, kind: TokenizerKind = 'words'): number {
  const pattern = new RegExp(PATTERNS[kind].source, PATTERNS[kind].flags);
  let n = 0;
  while (pattern.exec(text) !== null) n++;
  return n;
}

/** The same token text always maps to the same vector (for a given seed and d_model): entries N(0, 1). */
export function tokenEmbedding(text: string, dModel: number, seed: number): Float32Array {
  return normalMatrixData(1, dModel, mixSeeds(seed, hashString(text)));
}

/** PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)). */
export function sinusoidalPositions(n: number, dModel: number): Matrix {
  const pe = zeros(n, dModel);
  for (let pos = 0; pos < n; pos++) {
    for (let i = 0; i < dModel; i += 2) {
      const angle = pos / Math.pow(10000, i / dModel);
      pe.data[pos * dModel + i] = Math.sin(angle);
      if (i + 1 < dModel) pe.data[pos * dModel + i + 1] = Math.cos(angle);
    }
  }
  return pe;
}

export interface TextModelSettings {
  readonly dModel: number;
  readonly dK: number;
  readonly dV: number;
  readonly heads: number;
  readonly seed: number;
  readonly positional: boolean;
  /** Q = K = V = X: no projections at all (one head of width d_model). */
  readonly raw: boolean;
  readonly tokenizer: TokenizerKind;
}

export const DEFAULT_TEXT_SETTINGS: TextModelSettings = {
  dModel: 64,
  dK: 16,
  dV: 16,
  heads: 4,
  seed: 1,
  positional: true,
  raw: false,
  tokenizer: 'words',
};

/** X: one row per token, embedding plus (optionally) position. */
export function embedTokens(
  tokens: readonly Token[],
  settings: Pick<TextModelSettings, 'dModel' | 'seed' | 'positional'>,
): Matrix {
  const { dModel, seed } = settings;
  const x = zeros(tokens.length, dModel);
  tokens.forEach((t, i) => x.data.set(tokenEmbedding(t.text, dModel, seed), i * dModel));
  if (settings.positional) {
    const pe = sinusoidalPositions(tokens.length, dModel);
    for (let k = 0; k < x.data.length; k++) x.data[k] += pe.data[k];
  }
  return x;
}

const PURPOSE = { W_Q: 1, W_K: 2, W_V: 3, W_O: 4 } as const;

/** Seeded Gaussian weights with variance 1/fan_in, so projected entries keep roughly unit variance. */
function seededWeights(rows: number, cols: number, seed: number, purpose: number, head: number): Matrix {
  return {
    rows,
    cols,
    data: normalMatrixData(rows, cols, mixSeeds(mixSeeds(seed, purpose), head), 1 / Math.sqrt(rows)),
  };
}

export function seededProjections(settings: Pick<TextModelSettings, 'dModel' | 'dK' | 'dV' | 'heads' | 'seed'>): {
  heads: HeadProjection[];
  W_O: Matrix;
} {
  const { dModel, dK, dV, heads, seed } = settings;
  const projections = Array.from({ length: heads }, (_, h) => ({
    W_Q: seededWeights(dModel, dK, seed, PURPOSE.W_Q, h),
    W_K: seededWeights(dModel, dK, seed, PURPOSE.W_K, h),
    W_V: seededWeights(dModel, dV, seed, PURPOSE.W_V, h),
  }));
  return { heads: projections, W_O: seededWeights(heads * dV, dModel, seed, PURPOSE.W_O, 0) };
}
