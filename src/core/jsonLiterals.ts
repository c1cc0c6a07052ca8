// Python's json.dump (allow_nan=True, its default) writes NaN, Infinity and -Infinity bare, which is
// not JSON. A torch export dumped that way has -Infinity wherever scores were masked_fill(-inf),
// and NaN where nn.MultiheadAttention's weights had a fully masked query. This finds each such
// literal outside strings with its JSON path, so the schema can read -Infinity in scores as a masked
// cell and name any other one by path and byte offset.
import { InputError } from './errors';
import { scanJsonString } from './jsonSyntax';

export interface NonJsonLiteral {
  readonly literal: 'NaN' | 'Infinity' | '-Infinity';
  /** UTF-16 index into the text. */
  readonly index: number;
  /** The JSON path of the value, e.g. `$.scores[0][1][2]`, as the schema's errors name it. */
  readonly path: string;
}

const LITERALS = ['-Infinity', 'Infinity', 'NaN'] as const;

type Frame = { kind: '['; index: number } | { kind: '{'; key: string };

function pathOf(stack: readonly Frame[]): string {
  return '$' + stack.map((f) => (f.kind === '[' ? `[${f.index}]` : `.${f.key}`)).join('');
}

function keyText(text: string, start: number, end: number): string {
  try {
    return String(JSON.parse(text.slice(start, end)));
  } catch {
    return text.slice(start + 1, end - 1);
  }
}

/**
 * Every bare NaN / Infinity / -Infinity outside strings, in text order. Does not validate the rest:
 * findJsonSyntaxError does that on the text with these blanked out.
 */
export function findNonJsonLiterals(text: string): NonJsonLiteral[] {
  const found: NonJsonLiteral[] = [];
  const stack: Frame[] = [];
  // In an object, a string right after '{' or ',' is a key.
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
    if (c === '"') {
      const end = scanJsonString(text, i);
      if (end < 0) return found;
      const top = stack[stack.length - 1];
      if (top?.kind === '{' && (last === '{' || last === ',')) top.key = keyText(text, i, end);
      i = end - 1;
      last = '"';
      continue;
    }
    if (c === '[') stack.push({ kind: '[', index: 0 });
    else if (c === '{') stack.push({ kind: '{', key: '' });
    else if (c === ']' || c === '}') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === '[') top.index++;
    } else {
      const literal = LITERALS.find((l) => text.startsWith(l, i));
      if (literal) {
        found.push({ literal, index: i, path: pathOf(stack) });
        i += literal.length - 1;
      }
    }
    last = c;
  }
  return found;
}

/** The text with each literal replaced by a JSON number of the same length (byte offsets unchanged). */
export function blankLiterals(text: string, literals: readonly NonJsonLiteral[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const l of literals) {
    parts.push(text.slice(at, l.index));
    // -1e999 parses as −∞ (the masked cell); the others are refused before they are parsed.
    const stand = l.literal === '-Infinity' ? '-1e999' : '0';
    parts.push(stand.padEnd(l.literal.length, ' '));
    at = l.index + l.literal.length;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** A -Infinity that is a cell of the scores stack ($.scores[i][j] or $.scores[h][i][j]). */
export function isMaskedScoreLiteral(l: NonJsonLiteral): boolean {
  return l.literal === '-Infinity' && /^\$\.scores(\[\d+\]){2,3}$/.test(l.path);
}

/** One line naming the literal's path and byte offset, what wrote it and what is read instead. */
export function literalError(text: string, l: NonJsonLiteral): InputError {
  const byte = new TextEncoder().encode(text.slice(0, l.index)).length;
  const why =
    l.literal === '-Infinity'
      ? '-Infinity is read only in scores, as a masked cell'
      : l.literal === 'NaN'
        ? 'NaN is not JSON (Python\'s json.dump writes it for float("nan")); a fully masked query\'s weights can be written as zeros'
        : 'Infinity is not JSON (Python\'s json.dump writes it for float("inf")); only -Infinity in scores is read, as a masked cell';
  return new InputError(`${l.path} (byte ${byte})`, `expected a finite number, found ${l.literal}: ${why}`);
}
