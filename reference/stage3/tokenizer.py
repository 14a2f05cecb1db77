"""Reference for stage3/tokenizer: byte-level BPE, plain and with the GPT-4 split pattern.

Training keeps the pair counts up to date incrementally (only the chunks that hold the merged
pair are counted again), and a chunk that occurs many times is counted once with its
multiplicity: the same merges, ties included, as recounting everything after every merge.
"""

from __future__ import annotations

import regex as re

GPT4_SPLIT_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def get_stats(ids, counts=None):
    """{pair: count} of consecutive pairs in ids, added into `counts` when it is given."""
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    """ids with every occurrence of `pair` (left to right, not overlapping) replaced by idx."""
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _learn_merges(chunks, num_merges):
    """Merges learned from byte chunks: [(pair, idx), ...] in order.

    The most frequent pair wins; among equally frequent pairs, the one whose first occurrence
    comes first (chunk by chunk, left to right). Identical chunks are counted once, times
    their multiplicity, in the order of their first appearance."""
    words, weight = [], {}
    for chunk in chunks:
        key = tuple(chunk)
        if key not in weight:
            weight[key] = 0
            words.append(key)
        weight[key] += 1
    freq = [weight[w] for w in words]
    words = [list(w) for w in words]
    counts, holders = {}, {}
    for w, ids in enumerate(words):
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + freq[w]
            holders.setdefault(pair, set()).add(w)
    merges = []
    for i in range(num_merges):
        if not counts:
            break
        top = max(counts.values())
        tied = [pair for pair, n in counts.items() if n == top]
        pair = min(tied, key=lambda p: _first_occurrence(p, words, holders)) if len(tied) > 1 else tied[0]
        idx = 256 + i
        merges.append((pair, idx))
        for w in sorted(holders.get(pair, ())):
            ids = words[w]
            for old in zip(ids, ids[1:]):
                counts[old] -= freq[w]
                if counts[old] == 0:
                    del counts[old]
                holders[old].discard(w)
            ids = merge(ids, pair, idx)
            words[w] = ids
            for new in zip(ids, ids[1:]):
                counts[new] = counts.get(new, 0) + freq[w]
                holders.setdefault(new, set()).add(w)
    return merges


def _first_occurrence(pair, words, holders):
    w = min(holders[pair])
    ids = words[w]
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return (w, i)
    raise AssertionError("a counted pair is missing from its chunk")


class Tokenizer:
    """What both tokenizers share: merges, special tokens, the vocabulary, save and load."""

    def __init__(self):
        self.merges = {}  # (int, int) -> int, in training order
        self.pattern = ""
        self.special_tokens = {}  # str -> int
        self.vocab = self._build_vocab()

    def _build_vocab(self):
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for (a, b), idx in self.merges.items():
            vocab[idx] = vocab[a] + vocab[b]
        for special, idx in self.special_tokens.items():
            vocab[idx] = special.encode("utf-8")
        return vocab

    def _train_chunks(self, chunks, vocab_size):
        if vocab_size < 256:
            raise ValueError("vocab_size must be at least 256 (the bytes)")
        self.merges = {pair: idx for pair, idx in _learn_merges(chunks, vocab_size - 256)}
        self.vocab = self._build_vocab()

    def _encode_bytes(self, data):
        ids = list(data)
        while len(ids) >= 2:
            stats = get_stats(ids)
            pair = min(stats, key=lambda p: self.merges.get(p, float("inf")))
            if pair not in self.merges:
                break
            ids = merge(ids, pair, self.merges[pair])
        return ids

    def decode(self, ids):
        """The text of a list of token ids (invalid UTF-8 becomes U+FFFD)."""
        return b"".join(self.vocab[idx] for idx in ids).decode("utf-8", errors="replace")

    def save(self, file_prefix):
        """Write file_prefix + '.model' (minbpe v1) and a readable file_prefix + '.vocab'."""
        with open(file_prefix + ".model", "w", encoding="utf-8") as f:
            f.write("minbpe v1\n")
            f.write(f"{self.pattern}\n")
            f.write(f"{len(self.special_tokens)}\n")
            for special, idx in self.special_tokens.items():
                f.write(f"{special} {idx}\n")
            for a, b in self.merges:
                f.write(f"{a} {b}\n")
        with open(file_prefix + ".vocab", "w", encoding="utf-8") as f:
            for idx, token in self.vocab.items():
                f.write(f"[{token.decode('utf-8', errors='replace')!r}] {idx}\n")

    def load(self, model_file):
        """Read a .model file written by save()."""
        with open(model_file, encoding="utf-8") as f:
            if f.readline().rstrip("\n") != "minbpe v1":
                raise ValueError(f"{model_file} is not a minbpe v1 model file")
            self.pattern = f.readline().rstrip("\n")
            specials = {}
            for _ in range(int(f.readline())):
                special, idx = f.readline().split()
                specials[special] = int(idx)
            merges = {}
            for idx, line in enumerate((line for line in f if line.strip()), start=256):
                a, b = map(int, line.split())
                merges[(a, b)] = idx
        self.merges, self.special_tokens = merges, specials
        self.vocab = self._build_vocab()
        self._loaded()

    def _loaded(self):
        pass


class BasicTokenizer(Tokenizer):
    """BPE on the UTF-8 bytes of the whole text."""

    def train(self, text, vocab_size, verbose=False):
        """Learn vocab_size - 256 merges from text."""
        self._train_chunks([text.encode("utf-8")], vocab_size)

    def encode(self, text):
        """Token ids of text."""
        return self._encode_bytes(text.encode("utf-8"))


class RegexTokenizer(Tokenizer):
    """BPE inside the chunks of a split pattern, with special tokens."""

    def __init__(self, pattern=None):
        super().__init__()
        self.pattern = GPT4_SPLIT_PATTERN if pattern is None else pattern
        self.compiled_pattern = re.compile(self.pattern)
        self.inverse_special_tokens = {}

    def _loaded(self):
        self.compiled_pattern = re.compile(self.pattern)
        self.inverse_special_tokens = {idx: s for s, idx in self.special_tokens.items()}

    def train(self, text, vocab_size, verbose=False):
        """Learn vocab_size - 256 merges, never across two chunks of the split pattern."""
        chunks = [chunk.encode("utf-8") for chunk in self.compiled_pattern.findall(text)]
        self._train_chunks(chunks, vocab_size)

    def register_special_tokens(self, special_tokens):
        """special_tokens: {str: int}, ids outside the merges' range."""
        self.special_tokens = dict(special_tokens)
        self.inverse_special_tokens = {idx: s for s, idx in self.special_tokens.items()}

    def decode(self, ids):
        """The text of ids, special tokens included."""
        parts = []
        for idx in ids:
            if idx in self.inverse_special_tokens:
                parts.append(self.inverse_special_tokens[idx].encode("utf-8"))
            elif idx in self.vocab:
                parts.append(self.vocab[idx])
            else:
                raise ValueError(f"invalid token id: {idx}")
        return b"".join(parts).decode("utf-8", errors="replace")

    def encode_ordinary(self, text):
        """Token ids of text, special tokens treated as ordinary text."""
        ids = []
        for chunk in self.compiled_pattern.findall(text):
            ids.extend(self._encode_bytes(chunk.encode("utf-8")))
        return ids

    def encode(self, text, allowed_special="none_raise"):
        """Token ids of text; allowed_special: 'all', 'none', 'none_raise' or a set of special tokens."""
        if allowed_special == "all":
            special = self.special_tokens
        elif allowed_special in ("none", "none_raise"):
            special = {}
            if allowed_special == "none_raise":
                found = [s for s in self.special_tokens if s in text]
                if found:
                    raise ValueError(f"the text contains the special token {found[0]!r}; pass allowed_special")
        elif isinstance(allowed_special, set):
            special = {s: idx for s, idx in self.special_tokens.items() if s in allowed_special}
        else:
            raise ValueError(f"allowed_special={allowed_special!r} is not understood")
        if not special:
            return self.encode_ordinary(text)
        pattern = "(" + "|".join(re.escape(s) for s in special) + ")"
        ids = []
        for part in re.split(pattern, text):
            if part in special:
                ids.append(special[part])
            elif part:
                ids.extend(self.encode_ordinary(part))
        return ids
