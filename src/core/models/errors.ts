// Everything wrong with a model folder is an InputError: one line naming the file (and the field or
// tensor) and the rule broken, so the CLI and the extension report it like any other bad input.
import { InputError } from '../errors';

export class ModelError extends InputError {
  constructor(
    readonly file: string,
    where: { field?: string; tensor?: string },
    rule: string,
  ) {
    const parts = [file];
    if (where.field !== undefined) parts.push(`field ${JSON.stringify(where.field)}`);
    if (where.tensor !== undefined) parts.push(`tensor ${JSON.stringify(where.tensor)}`);
    super(parts.join(': '), rule);
    this.name = 'ModelError';
  }
}
