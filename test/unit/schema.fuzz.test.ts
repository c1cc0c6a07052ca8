// Hostile JSON through the schema: random documents, and valid documents with one part mutated,
// either parse or fail with one InputError line; nothing else escapes, and inspecting what parses
// never yields NaN.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError, inspect, parseAttentionJson, readAttentionInput } from '../../src/core';

const SEED = 424242;

const small = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });
const matrix = (r: number, c: number) =>
  fc.array(fc.array(small, { minLength: c, maxLength: c }), { minLength: r, maxLength: r });
const validDoc = fc
  .record({ n: fc.integer({ min: 1, max: 5 }), m: fc.integer({ min: 1, max: 5 }), d: fc.integer({ min: 1, max: 4 }) })
  .chain(({ n, m, d }) =>
    fc.oneof(
      fc.record({ Q: matrix(n, d), K: matrix(m, d), V: matrix(m, d) }),
      fc.record({ scores: matrix(n, m), d_k: fc.constant(d) }),
      fc.record({ X: matrix(n, d), W_Q: matrix(d, 2), W_K: matrix(d, 2), W_V: matrix(d, 3) }),
    ),
  );

/** Replaces one value somewhere in the document with a hostile one. */
function mutate(doc: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof doc !== 'object' || doc === null) return replacement;
  const keys = Object.keys(doc);
  if (keys.length === 0) return replacement;
  const key = keys[path[0] % keys.length];
  const copy: Record<string, unknown> = Array.isArray(doc)
    ? ([...doc] as unknown as Record<string, unknown>)
    : { ...(doc as Record<string, unknown>) };
  copy[key] = mutate((doc as Record<string, unknown>)[key], path.slice(1), replacement);
  return copy;
}

const hostile = fc.oneof(
  fc.constantFrom(null, true, '', 'sqrt', 'causal', [], [[]], {}, -1, 0, 1e39, Number.MAX_VALUE, '1', [1, [2]], {
    W_Q: [],
  }),
  fc.jsonValue(),
);

function check(run: () => unknown): void {
  try {
    const input = run() as ReturnType<typeof readAttentionInput>;
    const result = inspect(input);
    for (const h of result.heads) for (const w of h.weights.data) assert.ok(Number.isFinite(w));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    assert.ok(!e.message.includes('\n'), e.message);
  }
}

describe('schema fuzzing (fast-check, seeded)', () => {
  it('random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => check(() => readAttentionInput(doc))),
      { seed: SEED, numRuns: 1000 },
    );
  });
  it('valid documents with one part replaced', () => {
    fc.assert(
      fc.property(validDoc, fc.array(fc.nat(), { maxLength: 4 }), hostile, (doc, path, value) =>
        check(() => readAttentionInput(mutate(doc, path, value))),
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });
  it('valid documents as text, cut or spliced', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(), fc.string(), (doc, at, junk) => {
        const text = JSON.stringify(doc);
        const i = at % (text.length + 1);
        check(() => parseAttentionJson(text.slice(0, i) + junk + text.slice(i + 1)));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
