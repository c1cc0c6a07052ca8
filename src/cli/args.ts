// Command-line parsing with one-line errors that name the flag and the rule.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../core';

export type Options = ParseArgsConfig['options'];

export function parseCommandLine(
  argv: string[],
  options: NonNullable<Options>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const flag = /'(-[^']*)'/.exec(message)?.[1] ?? /option "?(-[^"\s]*)/.exec(message)?.[1];
    throw new InputError(
      flag ?? 'arguments',
      message
        .replace(/\. To specify.*$/s, '')
        .replace(/^Unknown option '[^']*'/, 'unknown option')
        .split('\n')[0],
    );
  }
}

/** A positive integer flag; with `max`, larger values are refused naming the maximum (and `why`). */
export function positiveInteger(
  value: string | boolean | undefined,
  flag: string,
  max?: number,
  why = '',
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InputError(flag, `expected a positive integer, found ${JSON.stringify(value)}`);
  }
  if (max !== undefined && n > max)
    throw new InputError(flag, `${n} exceeds the maximum of ${max}${why ? ` (${why})` : ''}`);
  return n;
}

export function nonNegativeInteger(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim()))
    throw new InputError(flag, `expected a whole number ≥ 0, found ${JSON.stringify(value)}`);
  return Number(value);
}

export function integerSeed(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value)))
    throw new InputError(flag, `expected an integer, found ${JSON.stringify(value)}`);
  return Number(value) >>> 0;
}
