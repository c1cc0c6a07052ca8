// The JSON syntax locator agrees with JSON.parse on what is valid, and points inside the text.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { findJsonSyntaxError } from '../../src/core/jsonSyntax';

describe('findJsonSyntaxError', () => {
  it('accepts exactly what JSON.parse accepts (random JSON and mutations of it)', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', ']', '}', '"', ':', 'x', '[', '{', ' ', '-', '.', 'e'))
      .map(([text, at, insert]) => {
        const i = text.length ? at % (text.length + 1) : 0;
        return text.slice(0, i) + insert + text.slice(i + (at % 2));
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), mutated), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const problem = findJsonSyntaxError(text);
        assert.equal(problem === null, valid, `${JSON.stringify(text)}: ${problem?.reason}`);
        if (problem) assert.ok(problem.index >= 0 && problem.index <= text.length);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
  it('deep nesting does not overflow the stack', () => {
    assert.equal(findJsonSyntaxError('['.repeat(200000) + ']'.repeat(200000)), null);
    assert.equal(findJsonSyntaxError('['.repeat(200000))?.reason, 'expected a value, found end of input');
  });
});
