// One error class for everything that can be wrong with a tensor file, so callers (CLI, extension)
// can tell "the file is bad" from "our code is bad" with a single instanceof check. The message is
// always one line: the file, where in it (byte offset or tensor), and the rule that was broken.

import { InputError } from '../errors';

export class TensorFileError extends InputError {
  /** The file (or `file[member]` inside an archive) the problem is in. */
  readonly file: string;
  /** Byte offset of the problem, when there is one. */
  readonly offset: number | undefined;
  /** Tensor the problem concerns, when there is one. */
  readonly tensor: string | undefined;

  constructor(file: string, where: { offset?: number; tensor?: string }, rule: string) {
    const parts = [file];
    if (where.offset !== undefined) parts.push(`byte ${where.offset}`);
    if (where.tensor !== undefined) parts.push(`tensor ${quote(where.tensor)}`);
    // An InputError like any other bad input, so every caller reports it the same way.
    super(oneLine(parts.join(': ')), oneLine(rule));
    this.name = 'TensorFileError';
    this.file = file;
    this.offset = where.offset;
    this.tensor = where.tensor;
  }
}

/** Quotes a string taken from a file for an error message: escaped, clipped, never multi-line. */
export function quote(s: string, max = 80): string {
  const clipped = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(clipped);
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}
