// The error pending requests get when the user cancels a computation (browser-safe, so both the
// node worker source and the web's in-process source can throw it).
import { InputError } from '../core';

export class CancelledError extends InputError {
  constructor() {
    super('cancelled', 'the computation was cancelled');
  }
}
