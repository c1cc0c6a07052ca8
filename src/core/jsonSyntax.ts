// Locates the first JSON syntax error in a text, for a message that names its byte offset. JSON.parse
// in Node 20 sometimes gives no position and quotes the whole input instead, which is useless (and
// huge) for a multi-megabyte tensor file. Iterative, so deeply nested input cannot overflow the stack.

export interface JsonSyntaxProblem {
  /** UTF-16 index into the text. */
  readonly index: number;
  readonly reason: string;
}

// Strings and numbers are scanned by hand, not by regular expressions: a backtracking regex over
// an 8 MB string literal overflows the engine's stack ("Maximum call stack size exceeded").

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** End index of the JSON string starting at text[i] === '"', or -1 when it is unterminated or invalid. */
export function scanJsonString(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x22) return -1;
  for (let p = i + 1; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (c === 0x22) return p + 1;
    if (c < 0x20) return -1; // raw control characters are not allowed in JSON strings
    if (c === 0x5c) {
      const e = text.charCodeAt(p + 1);
      if (e === 0x75) {
        for (let h = p + 2; h < p + 6; h++) if (!isHex(text.charCodeAt(h))) return -1;
        p += 5;
      } else if (
        e === 0x22 ||
        e === 0x5c ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      )
        p++;
      else return -1;
    }
  }
  return -1;
}

/** End index of the JSON number starting at text[i], or -1 when none starts there. */
export function scanJsonNumber(text: string, i: number): number {
  let p = i;
  if (text.charCodeAt(p) === 0x2d) p++;
  if (text.charCodeAt(p) === 0x30) p++;
  else if (isDigit(text.charCodeAt(p))) while (isDigit(text.charCodeAt(p))) p++;
  else return -1;
  if (text.charCodeAt(p) === 0x2e) {
    if (!isDigit(text.charCodeAt(p + 1))) return p; // "1." : the number ends before the dot
    p++;
    while (isDigit(text.charCodeAt(p))) p++;
  }
  if (text.charCodeAt(p) === 0x65 || text.charCodeAt(p) === 0x45) {
    let q = p + 1;
    if (text.charCodeAt(q) === 0x2b || text.charCodeAt(q) === 0x2d) q++;
    if (isDigit(text.charCodeAt(q))) {
      while (isDigit(text.charCodeAt(q))) q++;
      p = q;
    }
  }
  return p;
}

function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'end of input';
  // JSON.stringify leaves U+2028/U+2029 raw, and they break a message's line like \n would.
  return JSON.stringify(text[i]).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Returns null when the text is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const stack: ('{' | '[')[] = [];
  const skip = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const fail = (reason: string): JsonSyntaxProblem => ({ index: i, reason });
  // States: expecting a value, or after a value (expecting , or a closer).
  let expectValue = true;
  skip();
  for (;;) {
    skip();
    if (expectValue) {
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        skip();
        const close = c === '{' ? '}' : ']';
        if (text[i] === close) {
          stack.pop();
          i++;
          expectValue = false;
          continue;
        }
        if (c === '{') {
          const keyEnd = scanJsonString(text, i);
          if (keyEnd < 0) return fail(`expected a quoted key, found ${describeAt(text, i)}`);
          i = keyEnd;
          skip();
          if (text[i] !== ':') return fail(`expected ':' after the key, found ${describeAt(text, i)}`);
          i++;
        }
        continue;
      }
      if (c === '"') {
        const end = scanJsonString(text, i);
        if (end < 0) return fail('unterminated or invalid string');
        i = end;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        const end = scanJsonNumber(text, i);
        if (end < 0) return fail('invalid number');
        i = end;
      } else if (text.startsWith('true', i)) i += 4;
      else if (text.startsWith('false', i)) i += 5;
      else if (text.startsWith('null', i)) i += 4;
      else return fail(`expected a value, found ${describeAt(text, i)}`);
      expectValue = false;
      continue;
    }
    if (stack.length === 0) {
      return i < text.length ? fail(`unexpected ${describeAt(text, i)} after the end of the document`) : null;
    }
    const top = stack[stack.length - 1];
    const c = text[i];
    if (c === ',') {
      i++;
      skip();
      if (top === '{') {
        const keyEnd = scanJsonString(text, i);
        if (keyEnd < 0) return fail(`expected a quoted key, found ${describeAt(text, i)}`);
        i = keyEnd;
        skip();
        if (text[i] !== ':') return fail(`expected ':' after the key, found ${describeAt(text, i)}`);
        i++;
      }
      expectValue = true;
      continue;
    }
    if ((top === '{' && c === '}') || (top === '[' && c === ']')) {
      stack.pop();
      i++;
      continue;
    }
    return fail(`expected ',' or '${top === '{' ? '}' : ']'}', found ${describeAt(text, i)}`);
  }
}
