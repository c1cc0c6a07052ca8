// A model folder as the loader sees it: named files that may be read as text or as byte sources.
// The node side implements it over the file system, the web build over workspace.fs, the tests over
// memory; nothing here knows which.
import type { ByteSource } from '../tensorfiles/byteSource';

export interface ModelFolder {
  /** Shown in messages (a path). */
  readonly name: string;
  /** The file's text, or null when it does not exist. */
  readText(file: string): Promise<string | null>;
  /** A byte source over the file, or null when it does not exist. */
  open(file: string): Promise<ByteSource | null>;
  /** Releases whatever open() opened. */
  close(): Promise<void>;
}

/** `folder/file` for messages. */
export function filePath(folder: ModelFolder, file: string): string {
  return folder.name.endsWith('/') ? `${folder.name}${file}` : `${folder.name}/${file}`;
}
