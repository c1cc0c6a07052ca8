// Locates the first JSON syntax error in a text, for a message that names its byte offset. JSON.parse
// in Node 20 sometimes gives no position and quotes the whole input instead, which is useless (and
// huge) for a multi-megabyte tensor file. Iterative, so deeply nested input cannot overflow the stack.

export interface JsonSyntaxProblem {
  /** UTF-16 index into the text. */
  readonly index: number;
  readonly reason: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON forbids raw control characters inside strings, so the class must name them.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

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
          STRING.lastIndex = i;
          if (!STRING.test(text)) return fail(`expected a quoted key, found ${describeAt(text, i)}`);
          i = STRING.lastIndex;
          skip();
          if (text[i] !== ':') return fail(`expected ':' after the key, found ${describeAt(text, i)}`);
          i++;
        }
        continue;
      }
      if (c === '"') {
        STRING.lastIndex = i;
        if (!STRING.test(text)) return fail('unterminated or invalid string');
        i = STRING.lastIndex;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) return fail('invalid number');
        i = NUMBER.lastIndex;
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
        STRING.lastIndex = i;
        if (!STRING.test(text)) return fail(`expected a quoted key, found ${describeAt(text, i)}`);
        i = STRING.lastIndex;
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
