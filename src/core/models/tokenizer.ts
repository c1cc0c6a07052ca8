// The model's own tokenizer (tokenizer.json, with tokenizer_config.json where present) through
// @huggingface/tokenizers, the pure TypeScript library transformers.js uses. That library gives ids
// and token strings but no character offsets, and the editor link needs them, so each token is
// aligned back onto the text here: byte-level BPE and SentencePiece pieces by their bytes (GPT-2's
// byte alphabet, ▁ for a space, <0xNN> byte-fallback tokens), WordPiece pieces by their characters
// after the same lowercasing and accent stripping the normalizer applies. A token that cannot be
// aligned is never given a guessed place: its offsets are null and a warning says so.
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from './errors';

export interface ModelToken {
  readonly id: number;
  /** The tokenizer's own token string ('Ġworld', '##ing', '▁the', '<s>'). */
  readonly piece: string;
  /** What to show: the text the token covers, or the special token's name. */
  readonly text: string;
  /** [start, end) in UTF-16 code units of the input; null when the token has no place in it (added BOS/CLS/SEP) or could not be aligned. */
  readonly offsets: readonly [number, number] | null;
  /** A special token (BOS, EOS, CLS, SEP, PAD…). */
  readonly special: boolean;
}

export interface TokenizedText {
  readonly ids: number[];
  readonly tokens: ModelToken[];
  readonly tokenTypeIds: number[];
  readonly warnings: string[];
}

export type TokenizerKind = 'byte-level BPE' | 'SentencePiece BPE' | 'SentencePiece Unigram' | 'WordPiece' | 'BPE';

type Json = Record<string, unknown>;

/** GPT-2's printable stand-ins for bytes (bytes_to_unicode), inverted: character → byte. */
function byteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + extra++);
    }
  }
  return new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]), b]));
}

let byteDecoderCache: Map<string, number> | undefined;

function mentions(node: unknown, type: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  if ((node as Json).type === type) return true;
  return Object.values(node as Json).some((v) =>
    Array.isArray(v) ? v.some((x) => mentions(x, type)) : mentions(v, type),
  );
}

function findNode(node: unknown, type: string): Json | null {
  if (node === null || typeof node !== 'object') return null;
  if ((node as Json).type === type) return node as Json;
  for (const v of Object.values(node as Json)) {
    const found = Array.isArray(v) ? v.map((x) => findNode(x, type)).find((x) => x) : findNode(v, type);
    if (found) return found;
  }
  return null;
}

const UTF8 = new TextEncoder();

export class ModelTokenizer {
  private readonly specialIds: Set<number>;
  private readonly addedContent: Map<number, string>;
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;
  private readonly subwordPrefix: string;
  private readonly unkToken: string | null;
  private readonly trimOffsets: boolean;

  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly kind: TokenizerKind,
    json: Json,
    /** Number of ids in the vocabulary, added tokens included. */
    readonly vocabSize: number,
  ) {
    const added = tokenizer.get_added_tokens_decoder();
    this.specialIds = new Set([...added.values()].filter((t) => t.special).map((t) => t.id));
    this.addedContent = new Map([...added.values()].map((t) => [t.id, t.content]));
    const model = json.model as Json;
    this.subwordPrefix =
      typeof model.continuing_subword_prefix === 'string'
        ? model.continuing_subword_prefix
        : kind === 'WordPiece'
          ? '##'
          : '';
    this.unkToken = typeof model.unk_token === 'string' ? model.unk_token : null;
    const bertNorm = findNode(json.normalizer, 'BertNormalizer');
    this.lowercase = bertNorm ? bertNorm.lowercase !== false : mentions(json.normalizer, 'Lowercase');
    this.stripAccents = bertNorm
      ? (bertNorm.strip_accents ?? this.lowercase) === true
      : mentions(json.normalizer, 'StripAccents');
    const post = json.post_processor as Json | null;
    const postNode = findNode(post, 'ByteLevel') ?? findNode(post, 'RobertaProcessing');
    this.trimOffsets = postNode?.trim_offsets === true;
  }

  /** Parses tokenizer.json (and tokenizer_config.json's text, when there is one); `file` names it in errors. */
  static fromJson(file: string, text: string, configText: string | null = null): ModelTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ModelError(
        file,
        {},
        `is not valid JSON (${(e instanceof Error ? e.message : String(e)).slice(0, 100)})`,
      );
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      throw new ModelError(file, {}, 'is not a Hugging Face tokenizer.json (not a JSON object)');
    const j = json as Json;
    const model = j.model as Json | undefined;
    if (!model || typeof model !== 'object' || typeof model.vocab !== 'object' || model.vocab === null) {
      throw new ModelError(
        file,
        { field: 'model' },
        'is not a Hugging Face tokenizer.json: it needs a "model" object with a "vocab"',
      );
    }
    const type =
      typeof model.type === 'string'
        ? model.type
        : Array.isArray(model.vocab)
          ? 'Unigram'
          : 'merges' in model
            ? 'BPE'
            : 'WordPiece';
    if (!['BPE', 'WordPiece', 'Unigram'].includes(type))
      throw new ModelError(
        file,
        { field: 'model.type' },
        `${JSON.stringify(type)} is not supported (BPE, WordPiece or Unigram)`,
      );
    let config: Json = {};
    if (configText !== null) {
      try {
        const parsed: unknown = JSON.parse(configText);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed as Json;
      } catch {
        throw new ModelError(file.replace(/tokenizer\.json$/, 'tokenizer_config.json'), {}, 'is not valid JSON');
      }
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(j, config);
    } catch (e) {
      throw new ModelError(
        file,
        {},
        `cannot be loaded as a tokenizer (${(e instanceof Error ? e.message : String(e)).slice(0, 120)})`,
      );
    }
    const byteLevel = mentions(j.pre_tokenizer, 'ByteLevel') || mentions(j.decoder, 'ByteLevel');
    const kind: TokenizerKind =
      type === 'WordPiece'
        ? 'WordPiece'
        : byteLevel
          ? 'byte-level BPE'
          : type === 'Unigram'
            ? 'SentencePiece Unigram'
            : mentions(j.normalizer, 'Prepend') ||
                mentions(j.pre_tokenizer, 'Metaspace') ||
                mentions(j.decoder, 'Metaspace') ||
                model.byte_fallback === true
              ? 'SentencePiece BPE'
              : 'BPE';
    const vocab = tokenizer.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    return new ModelTokenizer(tokenizer, kind, j, maxId + 1);
  }

  /** Whether an id is one of the tokenizer's special tokens. */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** The special tokens, by id. */
  specialTokens(): { id: number; content: string }[] {
    return [...this.specialIds]
      .sort((a, b) => a - b)
      .map((id) => ({ id, content: this.addedContent.get(id) ?? this.tokenizer.id_to_token(id) ?? '' }));
  }

  /** Ids, tokens with offsets into `text`, token type ids; with the model's special tokens unless addSpecialTokens is false. */
  encode(text: string, addSpecialTokens = true): TokenizedText {
    let encoding;
    try {
      encoding = this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens, return_token_type_ids: true });
    } catch (e) {
      throw new ModelError(
        'tokenizer.json',
        {},
        `failed on this text (${(e instanceof Error ? e.message : String(e)).slice(0, 120)})`,
      );
    }
    const ids = encoding.ids.map(Number);
    const pieces = encoding.tokens;
    const warnings: string[] = [];
    const offsets =
      this.kind === 'WordPiece' ? this.alignByCharacters(text, ids, pieces) : this.alignByBytes(text, ids, pieces);
    const failed = offsets.findIndex((o, i) => o === null && !this.specialIds.has(ids[i]));
    if (failed >= 0)
      warnings.push(
        `token ${failed} (${JSON.stringify(pieces[failed])}) and ${offsets.filter((o, i) => o === null && !this.specialIds.has(ids[i])).length - 1} other(s) could not be placed in the text: they have no offsets (the editor cannot highlight them)`,
      );
    const tokens = ids.map((id, i): ModelToken => {
      const special = this.specialIds.has(id);
      const at = offsets[i];
      const shown = special || !at ? (this.addedContent.get(id) ?? pieces[i]) : text.slice(at[0], at[1]);
      return { id, piece: pieces[i], text: shown, offsets: at, special };
    });
    const types = encoding.token_type_ids ?? Array<number>(ids.length).fill(0);
    return { ids, tokens, tokenTypeIds: types.map(Number), warnings };
  }

  /** The bytes a byte-level or SentencePiece token stands for (null for an added token, matched by content). */
  private tokenBytes(id: number, piece: string): Uint8Array {
    const added = this.addedContent.get(id);
    if (added !== undefined) return UTF8.encode(added);
    if (this.kind === 'byte-level BPE') {
      byteDecoderCache ??= byteDecoder();
      const out: number[] = [];
      for (const ch of piece) {
        const b = byteDecoderCache.get(ch);
        if (b === undefined) return UTF8.encode(piece);
        out.push(b);
      }
      return Uint8Array.from(out);
    }
    const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    if (fallback) return Uint8Array.of(parseInt(fallback[1], 16));
    return UTF8.encode(piece.replace(/▁/g, ' '));
  }

  private alignByBytes(text: string, ids: readonly number[], pieces: readonly string[]): ([number, number] | null)[] {
    const { bytes, charStart, charEnd } = utf8Map(text);
    const matchAt = (tb: Uint8Array, at: number) => {
      if (at + tb.length > bytes.length) return false;
      for (let i = 0; i < tb.length; i++) if (bytes[at + i] !== tb[i]) return false;
      return true;
    };
    const out: ([number, number] | null)[] = [];
    let cursor = 0;
    let lost = false;
    ids.forEach((id, i) => {
      let tb = this.tokenBytes(id, pieces[i]);
      if (lost || tb.length === 0) return void out.push(null);
      let at = -1;
      if (matchAt(tb, cursor)) at = cursor;
      else if (tb[0] === 0x20 && matchAt(tb.subarray(1), cursor)) {
        tb = tb.subarray(1); // the space a prefix-space normalizer (add_prefix_space, Prepend ▁) put in front
        at = cursor;
      } else if (this.specialIds.has(id))
        return void out.push(null); // added by the post-processor (BOS, EOS)
      else {
        for (let skip = 1; skip <= 8 && at < 0; skip++) if (matchAt(tb, cursor + skip)) at = cursor + skip;
      }
      if (at < 0) {
        lost = true;
        return void out.push(null);
      }
      let start = at,
        end = at + tb.length;
      cursor = end;
      if (this.trimOffsets) {
        while (start < end - 1 && bytes[start] === 0x20) start++;
        while (end > start + 1 && bytes[end - 1] === 0x20) end--;
      }
      const here = start < bytes.length ? charStart[start] : text.length;
      out.push(end > start ? [charStart[start], charEnd[end - 1]] : [here, here]);
    });
    return out;
  }

  private alignByCharacters(
    text: string,
    ids: readonly number[],
    pieces: readonly string[],
  ): ([number, number] | null)[] {
    const { folded, origin } = foldText(text, this.lowercase, this.stripAccents);
    const out: ([number, number] | null)[] = [];
    let cursor = 0;
    let lost = false;
    const isSpace = (c: string) => /[\s\p{Cc}\p{Cf}]/u.test(c);
    ids.forEach((id, i) => {
      const piece = pieces[i];
      const added = this.addedContent.get(id);
      if (lost) return void out.push(null);
      const continuing = this.subwordPrefix !== '' && piece.startsWith(this.subwordPrefix) && added === undefined;
      let at = cursor;
      if (!continuing) while (at < folded.length && isSpace(folded[at])) at++;
      if (
        piece === this.unkToken &&
        added !== undefined &&
        !folded.startsWith(foldText(added, this.lowercase, this.stripAccents).folded, at)
      ) {
        // [UNK] stands for a whole word the vocabulary cannot spell: up to the next space or punctuation.
        let end = at;
        if (end < folded.length && isWordBreak(folded[end])) end++;
        else while (end < folded.length && !isSpace(folded[end]) && !isWordBreak(folded[end])) end++;
        if (end === at) return void out.push(null);
        out.push([origin[at][0], origin[end - 1][1]]);
        cursor = end;
        return;
      }
      const target =
        added !== undefined
          ? foldText(added, this.lowercase, this.stripAccents).folded
          : foldText(continuing ? piece.slice(this.subwordPrefix.length) : piece, this.lowercase, this.stripAccents)
              .folded;
      if (target.length && folded.startsWith(target, at)) {
        out.push([origin[at][0], origin[at + target.length - 1][1]]);
        cursor = at + target.length;
        return;
      }
      if (this.specialIds.has(id)) return void out.push(null); // [CLS], [SEP] added around the text
      lost = true;
      out.push(null);
    });
    return out;
  }
}

/** BERT's word breaks: ASCII and Unicode punctuation, and CJK ideographs (each is its own word). */
function isWordBreak(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  if (/\p{P}/u.test(c)) return true;
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Each UTF-8 byte's character range in UTF-16 units: [charStart[b], charEnd[b]) is the character byte b belongs to. */
function utf8Map(text: string): { bytes: Uint8Array; charStart: number[]; charEnd: number[] } {
  const bytes = UTF8.encode(text);
  const charStart: number[] = [],
    charEnd: number[] = [];
  let u = 0;
  for (const ch of text) {
    const n = UTF8.encode(ch).length;
    for (let k = 0; k < n; k++) {
      charStart.push(u);
      charEnd.push(u + ch.length);
    }
    u += ch.length;
  }
  return { bytes, charStart, charEnd };
}

/**
 * The text as a WordPiece vocabulary spells it (lowercased, accents stripped when the normalizer
 * does so), one folded UTF-16 unit at a time with the original character range it came from.
 */
function foldText(
  text: string,
  lowercase: boolean,
  stripAccents: boolean,
): { folded: string; origin: [number, number][] } {
  let folded = '';
  const origin: [number, number][] = [];
  let u = 0;
  for (const ch of text) {
    let f = ch;
    if (lowercase) f = f.toLowerCase();
    if (stripAccents) f = f.normalize('NFD').replace(/\p{Mn}/gu, '');
    for (let k = 0; k < f.length; k++) origin.push([u, u + ch.length]);
    folded += f;
    u += ch.length;
  }
  return { folded, origin };
}
