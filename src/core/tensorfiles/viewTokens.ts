// Token labels for a view whose queries and keys are not one sequence, or not all of it: an
// encoder-decoder's cross-attention has decoder tokens as queries and encoder tokens as keys (each
// kind labelled from `encoder_tokens` / `decoder_tokens` lists saved beside the maps), and a
// generate() output's tokens (from decoding `sequences`) are one longer than its maps, because the
// last generated token is never fed back. Everything else is tokens.ts's axisLabels.
import { TensorFileError } from './errors';
import { type AttentionView } from './layout';
import { type TensorFile, readStrings } from './tensorFile';
import { type AxisLabels, type Tokens, axisLabels, parseTokenList } from './tokens';

export interface ViewLabels {
  readonly labels: AxisLabels;
  /** Where the labels came from, for `info` and the JSON output. */
  readonly source: string;
  /** Said on stderr, in `info` and the panel when the labels were fitted to the view. */
  readonly note?: string;
}

/** A list of strings the file holds under `name`: a torch/safetensors metadata list or a 1-D string array. */
async function namedList(file: TensorFile, name: string): Promise<{ tokens: string[]; source: string } | undefined> {
  const text = file.metadata?.[name];
  if (text !== undefined) {
    const source = file.format === 'torch' ? `the pickled ${JSON.stringify(name)} list` : `__metadata__.${name}`;
    return { tokens: parseTokenList(file.name, source, text), source };
  }
  const t = file.tensors.find((x) => x.name === name && x.dtype === 'unicode');
  return t ? { tokens: await readStrings(file, t.name), source: `tensor ${JSON.stringify(name)}` } : undefined;
}

function positions(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** The query and key labels of `view`; `tokens` are the file's own, a sidecar's or --tokens (null: positions). */
export async function labelsForView(file: TensorFile, view: AttentionView, tokens: Tokens | null): Promise<ViewLabels> {
  if (view.part !== undefined) {
    const encoder = await namedList(file, 'encoder_tokens');
    const decoder = await namedList(file, 'decoder_tokens');
    const queries = view.part === 'encoder' ? encoder : decoder;
    const keys = view.part === 'decoder' ? decoder : encoder;
    if (queries && keys) {
      const check = (list: string[], count: number, which: string, axis: string): string[] => {
        if (list.length !== count)
          throw new TensorFileError(
            file.name,
            { tensor: view.id },
            `${list.length} ${which} tokens label the ${axis}, but the ${view.part} maps have ${count}`,
          );
        return list;
      };
      return {
        labels: {
          queries: check(queries.tokens, view.queries, view.part === 'encoder' ? 'encoder' : 'decoder', 'queries'),
          keys: check(keys.tokens, view.keys, view.part === 'decoder' ? 'decoder' : 'encoder', 'keys'),
        },
        source: queries.source === keys.source ? queries.source : `${queries.source} (queries), ${keys.source} (keys)`,
      };
    }
    if (view.part === 'cross') {
      // One list cannot label both sequences: the keys (encoder tokens) when it fits them, the queries by position.
      if (tokens === null || tokens.tokens.length !== view.keys) {
        return {
          labels: { queries: positions(view.queries), keys: positions(view.keys) },
          source: 'positions',
          note:
            tokens === null
              ? undefined
              : `${tokens.tokens.length} tokens fit neither axis of the ${view.queries} × ${view.keys} cross-attention; positions shown (save encoder_tokens and decoder_tokens)`,
        };
      }
      return {
        labels: { queries: positions(view.queries), keys: [...tokens.tokens] },
        source: `${tokens.source} (keys; queries by position)`,
        note: 'cross-attention: the one token list labels the encoder keys; the decoder queries are numbered (save decoder_tokens to label them)',
      };
    }
  }
  if (view.generated && !view.generated.cross && tokens && tokens.tokens.length === view.keys + 1) {
    return {
      labels: axisLabels(file.name, view, tokens.tokens.slice(0, -1)),
      source: tokens.source,
      note: `the last of ${tokens.tokens.length} tokens (${JSON.stringify(tokens.tokens[tokens.tokens.length - 1])}) was generated but never fed back, so it has no row: ${view.keys} tokens shown`,
    };
  }
  return {
    labels: axisLabels(file.name, view, tokens ? tokens.tokens : null),
    source: tokens ? tokens.source : 'positions',
  };
}
