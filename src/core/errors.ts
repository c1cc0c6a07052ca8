// Errors a user can act on: one line naming where the problem is (a JSON path, a flag, a byte
// offset) and the rule it broke. Anything that is not an InputError is a bug and is reported as one.

export class InputError extends Error {
  constructor(
    /** Where: a JSON path such as `$.heads[1].W_K`, a flag such as `--scale`, or `file.npy: byte 8`. */
    readonly where: string,
    /** The rule broken, in plain words. */
    readonly rule: string,
  ) {
    // Parts may quote the input (a token, a key, a file name): a line break there must not split
    // the message, and a control character must not reach the terminal.
    super(`${safeText(where)}: ${safeText(rule)}`);
    this.name = 'InputError';
  }
}

// C0 controls (but line breaks, handled first), DEL, C1 controls (U+0085 NEL among them), and the
// bidirectional overrides and isolates that reorder what a terminal or a notification shows.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The one escaper for user-controlled text in messages (InputError, CLI error, warning and note
 * lines, VS Code notifications): runs of line breaks become one space (so a message stays one line),
 * every other control character becomes its `\u001b` escape, so ESC, BEL, \v, \f or U+0085 in a JSON
 * key, a tensor name or a file name can never set a terminal's title, clear it or colour it.
 * Idempotent: escaped text has no control characters left.
 */
export function escapeControl(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const safeText = escapeControl;

/** The one line shown to a user for any thrown value (no stack traces, no control characters). */
export function oneLineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return escapeControl(text.replace(/\s*\n\s*/g, ' ')).trim() || 'unknown error';
}
