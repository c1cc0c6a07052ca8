// The one error for "the user (or a caller's AbortSignal) stopped this": the worker source, the web's
// in-process source, the attention pool and the RPC helper all reject with it. Browser-safe. It is
// an InputError because a cancel is not a bug: its one-line message reaches the user as is.
import { InputError } from '../core';

export class CancelledError extends InputError {
  /** `reason`: an AbortSignal's reason or a message; the default says the computation was cancelled. */
  constructor(reason?: unknown) {
    super('cancelled', cancelRule(reason));
    this.name = 'CancelledError';
  }
}

function cancelRule(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  if (typeof reason === 'string' && reason !== '') return reason;
  return 'the computation was cancelled';
}
