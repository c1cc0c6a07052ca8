// Errors a user can act on: one line naming where the problem is (a JSON path, a flag, a byte
// offset) and the rule it broke. Anything that is not an InputError is a bug and is reported as one.

export class InputError extends Error {
  constructor(
    /** Where: a JSON path such as `$.heads[1].W_K`, a flag such as `--scale`, or `file.npy: byte 8`. */
    readonly where: string,
    /** The rule broken, in plain words. */
    readonly rule: string,
  ) {
    // Parts may quote the input (a token, a key); a line break there must not split the message.
    super(`${oneLineText(where)}: ${oneLineText(rule)}`);
    this.name = 'InputError';
  }
}

function oneLineText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** The one line shown to a user for any thrown value (no stack traces). */
export function oneLineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}
