// Node-side conveniences for tensor files on disk: open a path, and find token labels in a sidecar
// file next to it (attn.npz → attn.npz.tokens.json or attn.tokens.json).
import * as path from 'node:path';
import { type Tokens, parseTokenList } from '../core/tensorfiles/tokens';
import { type TensorFile, openTensorFile } from '../core/tensorfiles/tensorFile';
import { TensorFileError } from '../core/tensorfiles/errors';
import { FileByteSource } from './fileByteSource';
import { errnoReason, readRegularText } from './regularFile';

/** A token list is a few KB even for long contexts; refuse anything absurd before reading it. */
const MAX_SIDECAR_BYTES = 64 * 1024 * 1024;

/** Opens a tensor file by path; call close() when done (the file handle stays open for slice reads). */
export async function openTensorPath(
  filePath: string,
): Promise<{ file: TensorFile; source: FileByteSource; close: () => Promise<void> }> {
  const source = await FileByteSource.open(filePath);
  try {
    const file = await openTensorFile(source);
    return { file, source, close: () => source.close() };
  } catch (e) {
    await source.close();
    throw e;
  }
}

/** Sidecar paths tried, in order. */
export function sidecarPaths(filePath: string): string[] {
  const ext = path.extname(filePath);
  const withoutExt = ext ? filePath.slice(0, -ext.length) : filePath;
  return [`${filePath}.tokens.json`, `${withoutExt}.tokens.json`].filter((p, i, all) => all.indexOf(p) === i);
}

/** Tokens from an explicit file (--tokens PATH): a JSON list of strings, or {"tokens": [...]}. */
export async function readTokensFile(filePath: string): Promise<Tokens> {
  const tokens = await readTokenList(filePath);
  if (tokens === null)
    throw new TensorFileError(path.basename(filePath), {}, `cannot read token list: ${errnoReason('ENOENT')}`);
  return tokens;
}

/** Tokens from the first sidecar that exists (a JSON list of strings, or {"tokens": [...]}), else null. */
export async function readSidecarTokens(filePath: string): Promise<Tokens | null> {
  for (const candidate of sidecarPaths(filePath)) {
    const tokens = await readTokenList(candidate);
    if (tokens !== null) return tokens;
  }
  return null;
}

/** A token list file, or null when it does not exist. */
async function readTokenList(candidate: string): Promise<Tokens | null> {
  const name = path.basename(candidate);
  let text: string;
  try {
    text = await readRegularText(
      candidate,
      MAX_SIDECAR_BYTES,
      (bytes) =>
        new TensorFileError(
          name,
          {},
          `token list of ${bytes} bytes exceeds the ${MAX_SIDECAR_BYTES}-byte cap for token lists (a fixed cap)`,
        ),
      name,
      (code) => (code === 'ENOENT' ? 'ENOENT' : `cannot read token list: ${errnoReason(code)}`),
    );
  } catch (e) {
    if (e instanceof TensorFileError && e.rule === 'ENOENT') return null;
    throw e;
  }
  return { tokens: parseTokenList(name, 'token list', text), source: candidate };
}
