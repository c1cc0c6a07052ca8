// Token labels for the axes. A safetensors file can carry them in __metadata__.tokens (a JSON list
// stored as a string, since metadata values must be strings); an .npz can hold a 1-D string array
// named `tokens`. Sidecar files (NAME.tokens.json) are read by the node helper. Without tokens the
// caller labels positions.
import { TensorFileError } from './errors';
import { type AttentionView } from './layout';
import { type TensorFile, readStrings } from './tensorFile';

export interface Tokens {
  readonly tokens: string[];
  /** Where they came from, for `info`: '__metadata__.tokens', 'tensor "tokens"', or a sidecar path. */
  readonly source: string;
}

/** Parses a JSON list of strings (or {"tokens": [...]}) — the metadata value and the sidecar file. */
export function parseTokenList(file: string, where: string, text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TensorFileError(
      file,
      {},
      `${where} is not valid JSON (${(e instanceof Error ? e.message : String(e)).slice(0, 100)})`,
    );
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'tokens' in value)
    value = (value as { tokens: unknown }).tokens;
  if (!Array.isArray(value)) throw new TensorFileError(file, {}, `${where} is not a JSON list of strings`);
  value.forEach((t, i) => {
    if (typeof t !== 'string') throw new TensorFileError(file, {}, `${where}[${i}] is not a string`);
  });
  return value as string[];
}

/** Tokens stored inside the file itself, or null. */
export async function tokensFromFile(file: TensorFile): Promise<Tokens | null> {
  const fromMetadata = file.metadata?.tokens;
  if (fromMetadata !== undefined) {
    // torch.save files keep a pickled `tokens` list, carried here as metadata.
    const where = file.format === 'torch' ? 'the pickled "tokens" list' : '__metadata__.tokens';
    return { tokens: parseTokenList(file.name, where, fromMetadata), source: where };
  }
  const t = file.tensors.find((x) => x.name === 'tokens' && x.dtype === 'unicode');
  if (t) return { tokens: await readStrings(file, t.name), source: 'tensor "tokens"' };
  return null;
}

export interface AxisLabels {
  readonly queries: string[];
  readonly keys: string[];
}

/**
 * Labels for the query and key axes. Tokens must match the keys; when there are fewer queries than
 * keys (decoding with a cache), the queries are the last tokens. Without tokens: positions.
 */
export function axisLabels(file: string, view: AttentionView, tokens: readonly string[] | null): AxisLabels {
  const positions = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));
  if (tokens === null) return { queries: positions(view.queries), keys: positions(view.keys) };
  if (tokens.length !== view.keys) {
    throw new TensorFileError(
      file,
      { tensor: view.id },
      `${tokens.length} tokens but the maps have ${view.queries} queries × ${view.keys} keys`,
    );
  }
  if (view.queries > view.keys) {
    throw new TensorFileError(
      file,
      { tensor: view.id },
      `${tokens.length} tokens label the keys, but there are more queries (${view.queries})`,
    );
  }
  return { queries: tokens.slice(view.keys - view.queries), keys: [...tokens] };
}
