// A parser for the small subset of Python literal syntax that .npy headers use:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// numpy reads this with ast.literal_eval; we parse it by hand so nothing from a file is ever
// evaluated. Strings, integers, True/False/None, tuples, lists and dicts; nesting is capped so a
// hostile header cannot exhaust the stack.

export type PyValue =
  | string
  | number
  | boolean
  | null
  | { readonly kind: 'tuple' | 'list'; readonly items: PyValue[] }
  | { readonly kind: 'dict'; readonly entries: [PyValue, PyValue][] };

export class PyLiteralError extends Error {
  constructor(
    readonly position: number,
    readonly rule: string,
  ) {
    super(`${rule} at character ${position}`);
  }
}

const MAX_DEPTH = 16;

export function parsePyLiteral(text: string): PyValue {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.pos !== text.length) throw new PyLiteralError(parser.pos, 'unexpected text after the literal');
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n\f\v'.includes(this.text[this.pos])) this.pos++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new PyLiteralError(this.pos, `nesting deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw new PyLiteralError(this.pos, 'unexpected end of header');
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.sequence(depth, ')', 'tuple');
    if (c === '[') return this.sequence(depth, ']', 'list');
    if (c === "'" || c === '"') return this.string();
    if ((c === 'u' || c === 'U') && (this.text[this.pos + 1] === "'" || this.text[this.pos + 1] === '"')) {
      this.pos++;
      return this.string();
    }
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return this.integer();
    const word = /^[A-Za-z_]+/.exec(this.text.slice(this.pos, this.pos + 16))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'None' ? null : word === 'True';
    }
    throw new PyLiteralError(this.pos, `unexpected ${JSON.stringify(c)}`);
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) throw new PyLiteralError(this.pos, `expected ${JSON.stringify(c)}`);
    this.pos++;
  }

  /** True (and consumes it) when the next non-space character is `c`. */
  private accept(c: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  private dict(depth: number): PyValue {
    this.pos++; // '{'
    const entries: [PyValue, PyValue][] = [];
    while (!this.accept('}')) {
      const key = this.value(depth + 1);
      this.expect(':');
      entries.push([key, this.value(depth + 1)]);
      if (!this.accept(',')) {
        this.expect('}');
        break;
      }
    }
    return { kind: 'dict', entries };
  }

  /** Tuples and lists. `(x)` without a comma is just x in parentheses, as in Python. */
  private sequence(depth: number, close: string, kind: 'tuple' | 'list'): PyValue {
    this.pos++;
    const items: PyValue[] = [];
    let sawComma = false;
    while (!this.accept(close)) {
      items.push(this.value(depth + 1));
      if (this.accept(',')) {
        sawComma = true;
        continue;
      }
      this.expect(close);
      break;
    }
    if (kind === 'tuple' && items.length === 1 && !sawComma) return items[0];
    return { kind, items };
  }

  private string(): string {
    const quoteChar = this.text[this.pos];
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') throw new PyLiteralError(start, 'unterminated string');
      this.pos++;
      if (c === quoteChar) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case '\\':
        case "'":
        case '"':
          out += e;
          break;
        case 'x':
          out += this.hexEscape(2);
          break;
        case 'u':
          out += this.hexEscape(4);
          break;
        default:
          throw new PyLiteralError(this.pos - 2, `unsupported escape \\${e ?? ''}`);
      }
    }
  }

  private hexEscape(digits: number): string {
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new PyLiteralError(this.pos, 'bad hex escape');
    this.pos += digits;
    return String.fromCharCode(parseInt(hex, 16));
  }

  /** Integers, with Python 2's `L` suffix (old numpy wrote shapes as `(3L, 4L)`). */
  private integer(): number {
    const m = /^[-+]?[0-9]+[lL]?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!m) throw new PyLiteralError(this.pos, 'expected an integer');
    if (/^[.eEjJxXoObB_]$/.test(this.text[this.pos + m[0].length] ?? '')) {
      throw new PyLiteralError(this.pos, 'only decimal integers are allowed here');
    }
    this.pos += m[0].length;
    return Number(m[0].replace(/[lL]$/, '')); // may be unsafe (> 2^53); callers check
  }
}
