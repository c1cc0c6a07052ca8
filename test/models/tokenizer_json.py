"""tokenizer.json files in the Hugging Face `tokenizers` serialization, one builder per model family.

The JSON shapes follow the hub's own files (gpt2, meta-llama/Llama-2-7b-hf, Qwen/Qwen2.5-0.5B,
bert-base-uncased, roberta-base): the same normalizer / pre_tokenizer / post_processor / decoder / model
objects with the same fields. Vocabularies other than GPT-2's are learned here by a small deterministic BPE
trainer on a built-in corpus, so each tiny model has a real, self-consistent tokenizer of a few hundred ids.
"""
import re
from collections import Counter

# A few paragraphs to learn merges and WordPiece words from (plain text, no external data).
CORPUS = """
The quick brown fox jumps over the lazy dog. The dog sleeps while the fox runs into the forest.
Attention is all you need: every token looks at every other token, and the softmax turns scores into weights.
A transformer layer has attention heads and a feed-forward network; the residual stream carries the state.
In the beginning the model knows nothing, and training slowly shapes the weights of every layer.
She said that the weather was nice today, so they walked along the river and talked about their plans.
We tested the tokenizer on numbers like 12, 345 and 2024, on punctuation (commas, dots; colons!) and on
words such as running, jumped, happily, faster, unbelievable, tokenization and transformers.
The heads in the first layers often attend to the previous token, while later heads find the subject.
Hello world! Hello there, hello again. The world is large and the words are many.
Keys and queries meet in a dot product; values are mixed by the weights that the softmax returns.
""" * 3


def bytes_to_unicode() -> dict:
    """GPT-2's reversible byte -> printable character map (openai/gpt-2 encoder.py, bytes_to_unicode)."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def train_bpe(words: Counter, n_merges: int) -> list:
    """Classic BPE (Sennrich et al.): repeatedly merge the most frequent adjacent pair.
    words: Counter of tuples of symbols. Ties break on the pair itself, so the result is deterministic."""
    seqs = {w: list(w) for w in words}
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, count in words.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        for w in words:
            s = seqs[w]
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return merges


def added_token(id_, content, normalized=False, lstrip=False, special=True):
    return {'id': id_, 'content': content, 'single_word': False, 'lstrip': lstrip, 'rstrip': False,
            'normalized': normalized, 'special': special}


def byte_level(add_prefix_space=False, trim_offsets=True, use_regex=True):
    return {'type': 'ByteLevel', 'add_prefix_space': add_prefix_space, 'trim_offsets': trim_offsets, 'use_regex': use_regex}


def bpe_model(vocab, merges, unk_token=None, byte_fallback=False, sentencepiece=False):
    model = {'type': 'BPE', 'dropout': None, 'unk_token': unk_token,
             'continuing_subword_prefix': None if sentencepiece else '',
             'end_of_word_suffix': None if sentencepiece else '',
             'fuse_unk': sentencepiece, 'byte_fallback': byte_fallback, 'vocab': vocab,
             'merges': [f'{a} {b}' for a, b in merges]}
    return model


def tokenizer(added, normalizer, pre_tokenizer, post_processor, decoder, model):
    return {'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added,
            'normalizer': normalizer, 'pre_tokenizer': pre_tokenizer, 'post_processor': post_processor,
            'decoder': decoder, 'model': model}


# --- GPT-2: the real vocabulary --------------------------------------------------------------------

def gpt2_tokenizer(encoder: dict, bpe_text: str) -> dict:
    """The hub's gpt2/tokenizer.json, rebuilt from OpenAI's encoder.json and vocab.bpe (the same data)."""
    merges = [tuple(line.split(' ')) for line in bpe_text.split('\n')[1:] if line.strip()]
    return tokenizer(
        [added_token(50256, '<|endoftext|>', normalized=True)],
        None,
        byte_level(False, True, True),
        byte_level(True, False, True),
        byte_level(True, True, True),
        bpe_model(encoder, merges))


# --- Byte-level BPE learned on the corpus (RoBERTa, Qwen2) -------------------------------------------

# Python's `re` has no \p{L}: letters are [^\W\d_]. Only used to pre-split the training corpus.
GPT2_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")
QWEN2_SPLIT = re.compile(r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\w]?[^\W\d_]+|\d| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def learn_byte_level(split: re.Pattern, n_merges: int, first_id: int) -> tuple:
    """-> (vocab {token: id} from first_id: the 256 byte characters then each merge's result, merges)."""
    b2u = bytes_to_unicode()
    words = Counter(tuple(b2u[b] for b in piece.encode('utf-8')) for piece in split.findall(CORPUS))
    merges = train_bpe(words, n_merges)
    vocab = {}
    for b in range(256):
        vocab[b2u[b]] = first_id + len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = first_id + len(vocab)
    return vocab, merges


def roberta_tokenizer(n_merges=300) -> dict:
    """roberta-base's layout: <s> <pad> </s> <unk> first, byte-level BPE, <mask> last, RobertaProcessing."""
    vocab, merges = learn_byte_level(GPT2_SPLIT, n_merges, 4)
    full = {'<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3}
    full.update(vocab)
    mask_id = len(full)
    full['<mask>'] = mask_id
    return tokenizer(
        [added_token(0, '<s>'), added_token(1, '<pad>'), added_token(2, '</s>'), added_token(3, '<unk>'),
         added_token(mask_id, '<mask>', lstrip=True)],
        None,
        byte_level(False, True, True),
        {'type': 'RobertaProcessing', 'sep': ['</s>', 2], 'cls': ['<s>', 0], 'trim_offsets': True, 'add_prefix_space': False},
        byte_level(False, True, True),
        bpe_model(full, merges))


def qwen2_tokenizer(n_merges=300) -> dict:
    """Qwen2's layout: NFC, Split(Qwen2 regex, Isolated) then ByteLevel without regex, no BOS; the three
    chat specials after the vocabulary."""
    vocab, merges = learn_byte_level(QWEN2_SPLIT, n_merges, 0)
    n = len(vocab)
    specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
    model = bpe_model(vocab, merges)
    model['ignore_merges'] = False
    return tokenizer(
        [added_token(n + i, s) for i, s in enumerate(specials)],
        {'type': 'NFC'},
        {'type': 'Sequence', 'pretokenizers': [
            {'type': 'Split', 'pattern': {'Regex': QWEN2_REGEX}, 'behavior': 'Isolated', 'invert': False},
            byte_level(False, False, False)]},
        byte_level(False, False, False),
        byte_level(False, False, False),
        model)


# --- SentencePiece-style BPE with byte fallback (Llama 2, Mistral) -----------------------------------

def llama_tokenizer(n_merges=300) -> dict:
    """meta-llama/Llama-2-7b-hf's layout: Prepend ▁ + Replace ' '→▁ normalizer, no pre-tokenizer, BPE with
    byte_fallback over <0x00>…<0xFF>, <unk> <s> </s> = 0 1 2, TemplateProcessing adding <s>."""
    normalized = ('▁' + CORPUS.replace(' ', '▁')).replace('\n', '▁')
    pieces = [p for p in re.findall(r'▁[^▁]*|[^▁]+', normalized) if p]
    merges = train_bpe(Counter(tuple(p) for p in pieces), n_merges)
    vocab = {'<unk>': 0, '<s>': 1, '</s>': 2}
    for b in range(256):
        vocab[f'<0x{b:02X}>'] = len(vocab)
    for ch in sorted(set(normalized)):
        vocab[ch] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    bos = {'SpecialToken': {'id': '<s>', 'type_id': 0}}
    return tokenizer(
        [added_token(0, '<unk>'), added_token(1, '<s>'), added_token(2, '</s>')],
        {'type': 'Sequence', 'normalizers': [{'type': 'Prepend', 'prepend': '▁'},
                                             {'type': 'Replace', 'pattern': {'String': ' '}, 'content': '▁'}]},
        None,
        {'type': 'TemplateProcessing',
         'single': [bos, {'Sequence': {'id': 'A', 'type_id': 0}}],
         'pair': [bos, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '<s>', 'type_id': 1}},
                  {'Sequence': {'id': 'B', 'type_id': 1}}],
         'special_tokens': {'<s>': {'id': '<s>', 'ids': [1], 'tokens': ['<s>']}}},
        {'type': 'Sequence', 'decoders': [{'type': 'Replace', 'pattern': {'String': '▁'}, 'content': ' '},
                                          {'type': 'ByteFallback'}, {'type': 'Fuse'},
                                          {'type': 'Strip', 'content': ' ', 'start': 1, 'stop': 0}]},
        bpe_model(vocab, merges, unk_token='<unk>', byte_fallback=True, sentencepiece=True))


# --- WordPiece (BERT, DistilBERT) --------------------------------------------------------------------

def wordpiece_tokenizer(n_words=150) -> dict:
    """bert-base-uncased's layout: BertNormalizer(lowercase), BertPreTokenizer, WordPiece with ##,
    [CLS] $A [SEP]. Vocab: the specials, every single character and its ## form, common suffixes and the
    corpus's most frequent words, so any ASCII word splits."""
    vocab = {}
    for s in ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']:
        vocab[s] = len(vocab)
    chars = sorted(set(CORPUS.lower()) - set(' \n'))
    chars = sorted(set(chars) | set('abcdefghijklmnopqrstuvwxyz0123456789.,;:!?\'"()-'))
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        if c.isalnum():
            vocab['##' + c] = len(vocab)
    for s in ['##s', '##ing', '##ed', '##ly', '##er', '##est', '##ion', '##able', '##ize']:
        vocab.setdefault(s, len(vocab))
    words = Counter(re.findall(r'[a-z]+', CORPUS.lower()))
    for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:n_words]:
        vocab.setdefault(w, len(vocab))
    special = {'[CLS]': 2, '[SEP]': 3}
    cls = {'SpecialToken': {'id': '[CLS]', 'type_id': 0}}
    return tokenizer(
        [added_token(i, s) for s, i in [('[PAD]', 0), ('[UNK]', 1), ('[CLS]', 2), ('[SEP]', 3), ('[MASK]', 4)]],
        {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        {'type': 'BertPreTokenizer'},
        {'type': 'TemplateProcessing',
         'single': [cls, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
         'pair': [cls, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}},
                  {'Sequence': {'id': 'B', 'type_id': 1}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
         'special_tokens': {s: {'id': s, 'ids': [i], 'tokens': [s]} for s, i in special.items()}},
        {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
         'max_input_chars_per_word': 100, 'vocab': vocab})


def vocab_size(tok: dict) -> int:
    """Largest id + 1 over the model vocabulary and the added tokens."""
    ids = list(tok['model']['vocab'].values()) + [t['id'] for t in tok['added_tokens']]
    return max(ids) + 1
