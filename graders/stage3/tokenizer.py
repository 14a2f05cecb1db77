"""Grader for stage3/tokenizer: byte-level BPE (get_stats, merge, BasicTokenizer, RegexTokenizer).

The judge has its own BPE (below): it counts pairs with their first occurrence and takes the
largest count, ties to the earliest first occurrence, recounting after every merge; it encodes
by replaying the merges in training order. Merges, vocabularies and encodings are compared
exactly, on generated texts (few letters, so counts tie often; arbitrary Unicode) and on the
first 20,000 characters of tiny Shakespeare. decode(encode(s)) == s is checked on Hypothesis'
Unicode text (every category but surrogates, which UTF-8 cannot encode) and on fixed strings:
emoji with modifiers and joiners, combining marks, runs of whitespace, long strings. Invalid
UTF-8 must decode with errors="replace" after joining the bytes. Save files are compared line
by line with minbpe's v1 format, and the judge's own file is loaded by the learner's code.
"""

from __future__ import annotations

import regex as re
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised
from mldojo.graders.engine.training import TrainingDataMissing
from mldojo.graders.kit import Diagnosis, check, example, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.memo import remembered

VERSION = "1"
DRIVER = "mldojo.graders.stage3.tokenizer_driver:"
GPT4 = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SPECIALS = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|endofprompt|>": 100276}
SHAKESPEARE_CHARS = 20_000
SHAKESPEARE_VOCAB = 356


def _drive(learner, function, *args, **kwargs):
    reply = learner._drive(DRIVER + function, *args, **kwargs)
    if isinstance(reply, dict) and reply.get("problem"):
        fail(reply["problem"])
    return reply


# -- the judge's own BPE ----------------------------------------------------------------------------------
def chunks_of(text: str, pattern: str | None) -> list[bytes]:
    """The UTF-8 bytes of each chunk (pattern None: the whole text is one chunk)."""
    if pattern is None:
        return [text.encode("utf-8")]
    return [c.encode("utf-8") for c in re.findall(pattern, text)]


@remembered  # a pure function of its arguments, asked the same question by every example of a check
def learn(chunks: list[bytes], num_merges: int, tie: str = "first") -> list[tuple[int, int]]:
    """The merges in order (as many as there are pairs for, at most num_merges).

    Identical chunks are counted once with their multiplicity, in the order they first
    appear; tie = "first" is the stated rule (of the pairs with the top count, the one that
    occurs first: in the earliest chunk, then the earliest position), "largest" / "smallest"
    pair are known mistakes. The pair counts are kept up to date from merge to merge, and
    only the chunks that hold the merged pair are read again: on tiny Shakespeare's chunks
    12 times faster than counting every pair afresh for each merge (tests/test_stage3_tokenizer.py
    proves the two give the same merges)."""
    order, weight = [], {}
    for chunk in chunks:
        if chunk not in weight:
            order.append(chunk)
            weight[chunk] = 0
        weight[chunk] += 1
    words = [list(c) for c in order]
    mult = [weight[c] for c in order]
    counts: dict[tuple[int, int], int] = {}
    holders: dict[tuple[int, int], set[int]] = {}  # pair -> the words that hold it

    def count(w: int, sign: int) -> None:
        for pair in zip(words[w], words[w][1:]):
            counts[pair] = counts.get(pair, 0) + sign * mult[w]
            if sign > 0:
                holders.setdefault(pair, set()).add(w)
            elif counts[pair] == 0:
                del counts[pair]
                del holders[pair]
            else:
                holders[pair].discard(w)

    for w in range(len(words)):
        count(w, +1)
    merges = []
    for step in range(num_merges):
        if not counts:
            break
        top = max(counts.values())
        tied = [pair for pair, c in counts.items() if c == top]
        best = tied[0] if len(tied) == 1 else _tie_break(tied, tie, words, holders)
        merges.append(best)
        for w in sorted(holders[best]):
            count(w, -1)
            words[w] = replace(words[w], best, 256 + step)
            count(w, +1)
    return merges


def _tie_break(tied: list[tuple[int, int]], tie: str, words: list[list[int]], holders: dict) -> tuple[int, int]:
    """Of pairs with the same count: the first to occur ("first"), or the largest / smallest (known mistakes)."""
    if tie == "largest":
        return max(tied)
    if tie == "smallest":
        return min(tied)
    wanted = set(tied)
    for w in sorted(set().union(*(holders[pair] for pair in tied))):
        for pair in zip(words[w], words[w][1:]):
            if pair in wanted:
                return pair
    raise AssertionError("a tied pair is held by no word")  # counts and holders are kept together


def replace(ids: list[int], pair: tuple[int, int], idx: int) -> list[int]:
    """Left to right, non-overlapping."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def encode_chunks(chunks: list[bytes], merges: list[tuple[int, int]]) -> list[int]:
    """Replay the merges in training order on each chunk."""
    out = []
    for chunk in chunks:
        ids = list(chunk)
        for step, pair in enumerate(merges):
            if len(ids) < 2:
                break
            ids = replace(ids, pair, 256 + step)
        out.extend(ids)
    return out


def vocab_of(merges: list[tuple[int, int]]) -> list[bytes]:
    """The bytes of ids 0 .. 255 + len(merges)."""
    vocab = [bytes([i]) for i in range(256)]
    for a, b in merges:
        vocab.append(vocab[a] + vocab[b])
    return vocab


def encode_with_specials(text: str, merges, pattern: str, specials: dict[str, int]) -> list[int]:
    """Special tokens (literal strings) become their ids, the rest is encoded as usual."""
    if not specials:
        return encode_chunks(chunks_of(text, pattern), merges)
    out, at = [], 0
    while at <= len(text):
        hits = [(text.find(s, at), s) for s in specials if text.find(s, at) >= 0]
        if not hits:
            out.extend(encode_chunks(chunks_of(text[at:], pattern), merges))
            break
        where, token = min(hits)
        out.extend(encode_chunks(chunks_of(text[at:where], pattern), merges))
        out.append(specials[token])
        at = where + len(token)
    return out


def model_file(merges, pattern: str, specials: dict[str, int]) -> str:
    """minbpe v1, as the stub states it."""
    lines = ["minbpe v1", pattern, str(len(specials))]
    lines += [f"{s} {i}" for s, i in specials.items()]
    lines += [f"{a} {b}" for a, b in merges]
    return "\n".join(lines) + "\n"


def shown_merges(merges) -> str:
    return ", ".join(f"{a},{b}" for a, b in merges[:12]) + (" …" if len(merges) > 12 else "")


def as_merges(reply) -> list[tuple[int, int]]:
    """The learner's merges as pairs, failing if the ids are not 256, 257, ... in order."""
    merges = []
    for at, (a, b, idx) in enumerate(reply["merges"]):
        if idx != 256 + at:
            fail(f"self.merges[({a}, {b})] = {idx}: merge number {at} of training must get id {256 + at} "
                 "(ids 256, 257, ... in the order the merges are made, and the dict kept in that order)")
        merges.append((a, b))
    return merges


def assert_ids(got, want, what: str, diagnoses=()) -> None:
    """Two lists (of ids, or of [a, b, count] rows) are equal; any length may come back, and a known
    mistake is named when its answer is exactly the learner's (and not the right one)."""
    got = [list(g) if isinstance(g, (list, tuple)) else g for g in got]
    want = [list(w) if isinstance(w, (list, tuple)) else w for w in want]
    if got == want:
        return
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    fail(f"{what}:\n    got      {show(got)}\n    expected {show(want)}\n  (lengths {len(got)} and {len(want)}; first difference "
         f"at index {at})", got=got, diagnoses=diagnoses, passes=lambda value: value.tolist() == want)


# -- inputs -------------------------------------------------------------------------------------------------
UNICODE = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
FEW_LETTERS = st.text(alphabet="ab c", min_size=2, max_size=40)
MIXED = st.text(alphabet=st.sampled_from(list("the cat sat, on 12 mats!\n") + ["é", "日", "🙂"]), min_size=2, max_size=60)
EMOJI = "👋🏽 hi 👨\u200d👩\u200d👧\u200d👦 family 🇫🇷 flag"
COMBINING = "e\u0301 a\u0308\u0308 n\u0303o Z\u0336\u0337"
WHITESPACE = "  \t\t\n\n   x  \r\n\r\n      y\u00a0\u2003end   "
HARD_STRINGS = ["", "a", EMOJI, COMBINING, WHITESPACE, "Ünïcödé — ‘quotes’ … 日本語のテキスト 한국어 العربية", "the cat " * 300,
                "I'm you'RE we'll 12345 1,234.5 x=y+z;\n\tdef f(): return None"]
CORPUS = ("The cat sat on the mat. The cat's hat is red; the mat is flat!\n"
          "Café, naïve, 日本, 😀😀 — ‘quote’ 123 4567 \n\n   indented    spaces\n") * 3


# Enough pairs for 270 merges (each merge shortens the text by at least one id).
LONG_TEXT = " ".join(str(i * 7919 % 1000) for i in range(150))  # 578 characters of digits and spaces


@st.composite
def trainable(draw, texts, pattern=None, most=14):
    """(text, vocab_size) with enough pairs for every merge."""
    text = draw(texts)
    room = len(learn(chunks_of(text, pattern), most))  # a run like "1111" merges itself away quickly
    return text, 256 + draw(st.integers(0, room))


# -- checks ------------------------------------------------------------------------------------------------
def pair_counts(ids) -> list[list[int]]:
    counts: dict = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return sorted([a, b, n] for (a, b), n in counts.items())


def non_overlapping_counts(ids, start) -> list[list[int]]:
    """The mistake that counts a run like [1, 1, 1] as one (1, 1) pair, the given counts kept."""
    counts: dict = {tuple(t[:2]): t[2] for t in (start or [])}
    i = 0
    while i < len(ids) - 1:
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if ids[i] == ids[i + 1] else 1
    return sorted([a, b, n] for (a, b), n in counts.items())


@check(examples=25)
@example(ids=[1, 1, 1], start=None)
@example(ids=[], start=None)
@example(ids=[5], start=[[5, 6, 2]])
@example(ids=[1, 2, 3, 1, 2], start=[[1, 2, 10], [7, 7, 1]])
@given(ids=st.lists(st.integers(0, 3), max_size=20), start=st.none() | st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 5)).map(list), max_size=3, unique_by=lambda t: (t[0], t[1])))
def get_stats_counts_every_consecutive_pair(learner, ids, start):
    """get_stats(ids) counts every consecutive pair, overlapping ones too; get_stats(ids, counts) adds into counts and returns it."""
    reply = _drive(learner, "stats", ids, start)
    want_counts: dict = {tuple(t[:2]): t[2] for t in (start or [])}
    for pair in zip(ids, ids[1:]):
        want_counts[pair] = want_counts.get(pair, 0) + 1
    want = sorted([a, b, n] for (a, b), n in want_counts.items())
    call = f"get_stats({ids}{', counts' if start is not None else ''})"
    assert_ids(sorted(reply["pairs"]), want, what=call, diagnoses=[
        Diagnosis("an overlapping repeat is counted once: get_stats counts every neighbouring pair, zip(ids, ids[1:])",
                  lambda: non_overlapping_counts(ids, start)),
        Diagnosis("the counts you were given are left out: with counts, add into that dict (counts.get(pair, 0) + 1)",
                  lambda: pair_counts(ids)),
    ])
    if start is not None and not reply["same"]:
        fail(f"{call} returned a new dict; with counts given, update that dict and return it (RegexTokenizer sums "
             "the chunks' pairs into one dict this way)")


def overlapping_merge(ids, pair, idx) -> list[int]:
    """The mistake that moves one place on after a match, so a pair's second id starts another."""
    out, i = [], 0
    while i < len(ids):
        out.append(idx if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair else ids[i])
        i += 1
    return out


def last_pair_missed(ids, pair, idx) -> list[int]:
    """The mistake that stops looking one place early: a pair at the very end stays."""
    out, i = [], 0
    while i < len(ids):
        if i + 2 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


@check(examples=30)
@example(ids=[1, 1, 1], pair=(1, 1), idx=256)
@example(ids=[1, 1, 1, 1], pair=(1, 1), idx=300)
@example(ids=[2, 1, 2], pair=(1, 2), idx=256)
@example(ids=[], pair=(0, 1), idx=256)
@example(ids=[300, 301] * 150 + [300], pair=(300, 301), idx=999)  # ids above 256 and a list longer than 256
@given(ids=st.lists(st.integers(0, 2), max_size=16), pair=st.tuples(st.integers(0, 2), st.integers(0, 2)), idx=st.sampled_from([256, 257, 999]))
def merge_replaces_pairs_left_to_right_without_overlap(learner, ids, pair, idx):
    """merge(ids, pair, idx) replaces each occurrence of pair by idx, left to right, never overlapping ([1, 1, 1] -> [idx, 1])."""
    got = _drive(learner, "merged", ids, list(pair), idx)["ids"]
    want = replace(ids, pair, idx)
    if got != want:
        known = None
        if got == overlapping_merge(ids, pair, idx):
            known = "after a match, move two places on (i += 2): the second id of a replaced pair cannot start another pair"
        elif got == last_pair_missed(ids, pair, idx):
            known = "a pair at the very end is missed: look at every i with i + 1 < len(ids)"
        fail(f"merge({ids}, {pair}, {idx}) gave {got}; expected {want}", diagnosis=known)


TRAIN_MISTAKES = {
    "largest": "among pairs with the same count you take the largest pair; the stated rule is the pair that occurs first "
               "in the ids (max(stats, key=stats.get) keeps get_stats' order)",
    "smallest": "among pairs with the same count you take the smallest pair; the stated rule is the pair that occurs first "
                "in the ids (max(stats, key=stats.get) keeps get_stats' order)",
}


def check_training(learner, kind: str, text: str, vocab_size: int, pattern: str | None, call: str) -> list[tuple[int, int]]:
    """Train the learner's tokenizer; its merges and vocab must be the judge's."""
    reply = _drive(learner, "train", kind, text, vocab_size, pattern)
    chunks = chunks_of(text, (pattern or GPT4) if kind == "regex" else None)
    want = learn(chunks, vocab_size - 256)
    got = as_merges(reply)
    if got != want:
        diagnoses = [Diagnosis(message, lambda t=t: learn(chunks, vocab_size - 256, t)) for t, message in TRAIN_MISTAKES.items()]
        if kind == "regex":
            whole = [b"".join(chunks)]
            diagnoses.append(Diagnosis("pairs are counted across chunk boundaries: count and merge inside each chunk of "
                                       "re.findall(pattern, text), never over the joined bytes",
                                       lambda: learn(whole, vocab_size - 256)))
            diagnoses.append(Diagnosis("only the last chunk's pairs are counted: pass one counts dict to get_stats for "
                                       "every chunk (get_stats(chunk_ids, stats))", lambda: learn(chunks[-1:], vocab_size - 256)))
            if pattern is not None and pattern != GPT4:
                diagnoses.append(Diagnosis("RegexTokenizer ignores the pattern it is given and splits with GPT-4's: "
                                           "self.pattern = GPT4_SPLIT_PATTERN if pattern is None else pattern",
                                           lambda: learn(chunks_of(text, GPT4), vocab_size - 256)))
        more = learn(chunks, vocab_size)
        if len(got) > len(want) and got == more[:len(got)]:
            fail(f"{call} made {len(got)} merges; vocab_size counts the 256 byte tokens too, so it makes "
                 f"vocab_size - 256 = {len(want)}")
        fail(f"{call} learned the merges [{shown_merges(got)}]; expected [{shown_merges(want)}]\n"
             f"  (first difference at merge {next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))})",
             got=[list(m) for m in got], diagnoses=diagnoses, passes=lambda value: [tuple(map(int, m)) for m in value] == want)
    vocab = vocab_of(want)
    for idx, token in enumerate(reply["vocab"]):
        if bytes(token) != vocab[idx]:
            fail(f"after {call}, vocab[{idx}] = {bytes(token)!r}; expected {vocab[idx]!r} (vocab[idx] = vocab[a] + vocab[b] "
                 "for the merge (a, b) that made idx; the bytes 0..255 are bytes([i]))")
    return want


@check(examples=25)
@example(case=("aaabdaaabac", 259))
@example(case=("abab", 257))
@example(case=("ba ab ba ab", 260))
@example(case=("日本日本", 258))
@example(case=(LONG_TEXT, 526))  # 270 merges: ids from 512 on, and a vocab_size above 512
@given(case=trainable(FEW_LETTERS) | trainable(MIXED))
def basic_train_makes_the_judges_merges(learner, case):
    """BasicTokenizer().train(text, vocab_size) makes the judge's vocab_size - 256 merges, ties to the pair that occurs first, and vocab[idx] = vocab[a] + vocab[b]."""
    text, vocab_size = case
    check_training(learner, "basic", text, vocab_size, None, f"BasicTokenizer().train({text!r:.60}, {vocab_size})")


def most_frequent_encode(chunks, merges) -> list[int]:
    """The mistake: at each step merge the most frequent known pair of the text, not the earliest merge."""
    rank = {pair: 256 + i for i, pair in enumerate(merges)}
    out = []
    for chunk in chunks:
        ids = list(chunk)
        while len(ids) >= 2:
            counts: dict = {}
            for pair in zip(ids, ids[1:]):
                if pair in rank:
                    counts[pair] = counts.get(pair, 0) + 1
            if not counts:
                break
            pair = max(counts, key=counts.get)
            ids = replace(ids, pair, rank[pair])
        out.extend(ids)
    return out


def stops_at_two(chunks, merges) -> list[int]:
    """The mistake that loops while more than two ids remain: a chunk never gets merged down from two."""
    rank = {pair: 256 + i for i, pair in enumerate(merges)}
    out = []
    for chunk in chunks:
        ids = list(chunk)
        while len(ids) > 2:
            present = [pair for pair in zip(ids, ids[1:]) if pair in rank]
            if not present:
                break
            pair = min(present, key=rank.get)
            ids = replace(ids, pair, rank[pair])
        out.extend(ids)
    return out


def compare_encodings(reply, texts, want_ids, call, diagnoses_for=lambda text: []):
    for i, (text, want) in enumerate(zip(texts, want_ids)):
        what = call.format(text=repr(text)[:60])
        if reply["ids"][i] is None:
            fail(f"{what} raised {reply['raised'][i]}")
        assert_ids(reply["ids"][i], want, what=what, diagnoses=diagnoses_for(text))


@check(examples=20)
@example(texts=["the cat sat", "a", "", "the mat's", "😀😀 😀", "😀", "th", "he", "at", "e "])
@example(texts=HARD_STRINGS)
@given(texts=st.lists(MIXED | UNICODE, min_size=1, max_size=4))
def basic_encode_replays_the_merges(learner, texts):
    """After BasicTokenizer().train(corpus, 300), encode(text) = the text's bytes with the merges applied, lowest id first."""
    merges = learn(chunks_of(CORPUS, None), 44)
    reply = _drive(learner, "encode_decode", "basic", CORPUS, 300, texts)
    wants = [encode_chunks(chunks_of(t, None), merges) for t in texts]
    compare_encodings(reply, texts, wants, "BasicTokenizer.encode({text}) after training on the grader's corpus", lambda text: [
        Diagnosis("each step merges the most frequent pair of the text you encode; encode applies the merge with the lowest "
                  "id among the pairs present (the order training made them)", lambda: most_frequent_encode(chunks_of(text, None), merges)),
        Diagnosis("encoding stops while two tokens remain: keep merging while len(ids) >= 2",
                  lambda: stops_at_two(chunks_of(text, None), merges)),
    ])


def learned_vocab(reply: dict) -> list[bytes]:
    """The tokenizer's own vocab as the driver read it (token id -> bytes); empty when it could not be read."""
    return [bytes(token) for token in reply.get("vocab") or []]


PER_TOKEN = "each token is decoded on its own: join all the bytes first, then decode once"


def check_round_trip(learner, kind: str, texts: list[str], pattern=None):
    reply = _drive(learner, "encode_decode", kind, CORPUS, 300, texts, pattern)
    name = "BasicTokenizer" if kind == "basic" else "RegexTokenizer"
    for text, ids, back in zip(texts, reply["ids"], reply["decoded"]):
        if ids is None:
            fail(f"{name}.encode({text!r:.60}) raised an exception")
        if back != text:
            vocab = learned_vocab(reply)
            per_token_decode = all(0 <= i < len(vocab) for i in ids) and back == per_token(ids, vocab) != text
            fail(f"{name}: decode(encode(s)) is not s for s = {text!r:.200}\n  encode(s) = {ids[:40]}\n  decode(encode(s)) = {back!r:.200}",
                 diagnosis=PER_TOKEN if per_token_decode else None)
        if any(not 0 <= i < 300 for i in ids):
            fail(f"{name}.encode({text!r:.60}) gave ids outside 0..299 (vocab_size 300): {ids[:40]}")


@check(examples=40)
@example(texts=HARD_STRINGS)
@given(texts=st.lists(UNICODE, min_size=1, max_size=3))
def basic_decode_inverts_encode_on_any_unicode(learner, texts):
    """BasicTokenizer: decode(encode(s)) == s for any Unicode string (emoji, combining marks, whitespace runs, long strings)."""
    check_round_trip(learner, "basic", texts)


def invalid_sequences(merges):
    vocab = vocab_of(merges)
    multibyte = [i for i in range(256, len(vocab)) if any(b >= 0x80 for b in vocab[i])]
    split = [[multibyte[0], 0x80]] if multibyte else []
    return [[0xFF], [0xE2, 0x82], [0x80, 0x41], [0xF0, 0x9F], *split, list(CORPUS.encode("utf-8")[-30:]) + [0xC3]]


def per_token(ids, vocab) -> str:
    return "".join(vocab[i].decode("utf-8", errors="replace") for i in ids)


STRICT_UTF8 = ("decode raises on bytes that are not valid UTF-8 (a token sequence can end inside a character): join "
               "the bytes, then bytes.decode('utf-8', errors='replace')")


@check(examples=1)
def decode_joins_the_bytes_and_replaces_invalid_utf8(learner):
    """decode(ids) joins the tokens' bytes and decodes once with errors="replace": invalid UTF-8 gives U+FFFD, a character split over tokens comes back whole."""
    for kind, pattern in (("basic", None), ("regex", GPT4)):
        merges = learn(chunks_of(CORPUS, pattern), 44)
        sequences = invalid_sequences(merges)
        # 'é' (C3 A9) split over two single-byte tokens, and an emoji's four bytes one by one
        sequences += [[0xC3, 0xA9], list("🙂".encode("utf-8"))]
        name = "BasicTokenizer" if kind == "basic" else "RegexTokenizer"
        try:
            reply = _drive(learner, "decode", kind, CORPUS, 300, sequences, pattern)
        except LearnerRaised as exc:
            if exc.type_name != "UnicodeDecodeError":
                raise
            fail(f"{name}.decode raised {exc.headline()}", diagnosis=STRICT_UTF8)
        # The tokens' bytes as this tokenizer learned them: a wrong merge is the training checks' to report, not decode's.
        vocab = learned_vocab(reply)
        vocab = vocab if len(vocab) >= 300 else vocab_of(merges)
        for ids, got in zip(sequences, reply["texts"]):
            want = b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
            if got != want:
                known = PER_TOKEN if got == per_token(ids, vocab) else None
                fail(f"{name}.decode({ids[:12]}{' …' if len(ids) > 12 else ''}) gave {got!r:.80}; expected {want!r:.80}",
                     diagnosis=known)


@check(examples=25)
@example(case=("aaabdaaabac", 259))
@example(case=("ab ab ab ab", 258))
@example(case=("xx.xx.xx", 257))
@example(case=("I'll go, you'll see: 123456 of 7890!!\n\n  ok", 262))
@example(case=("abccb bbbc " * 300, 264))  # ties at counts above 256 (n is top would keep only one of them)
@given(case=trainable(FEW_LETTERS, GPT4) | trainable(MIXED, GPT4))
def regex_train_never_merges_across_chunks(learner, case):
    """RegexTokenizer().train(text, vocab_size) counts pairs inside the GPT-4 pattern's chunks only and makes the judge's merges (same tie rule)."""
    text, vocab_size = case
    check_training(learner, "regex", text, vocab_size, GPT4, f"RegexTokenizer().train({text!r:.60}, {vocab_size})")


@check(examples=15)
@example(case=("aaa bbb  aaa\n\ncc", 258))
@given(case=trainable(MIXED, GPT2))
def regex_train_uses_the_pattern_it_is_given(learner, case):
    """RegexTokenizer(GPT2_SPLIT_PATTERN) splits with that pattern: its merges are the judge's for GPT-2's chunks."""
    text, vocab_size = case
    check_training(learner, "regex", text, vocab_size, GPT2, f"RegexTokenizer(GPT2_SPLIT_PATTERN).train({text!r:.60}, {vocab_size})")


@check(examples=20)
@example(texts=["the cat sat", "a", "", "The cat's mat  is   flat!!\n\n\n", "😀😀 😀"], pattern=GPT4)
@example(texts=HARD_STRINGS, pattern=GPT2)
@given(texts=st.lists(MIXED | UNICODE, min_size=1, max_size=4), pattern=st.sampled_from([GPT4, GPT2]))
def regex_encode_replays_the_merges_chunk_by_chunk(learner, texts, pattern):
    """After RegexTokenizer(pattern).train(corpus, 300), encode(text) applies the merges inside each chunk, lowest id first."""
    merges = learn(chunks_of(CORPUS, pattern), 44)
    reply = _drive(learner, "encode_decode", "regex", CORPUS, 300, texts, pattern)
    name = "GPT2_SPLIT_PATTERN" if pattern == GPT2 else "GPT4_SPLIT_PATTERN"
    wants = [encode_chunks(chunks_of(t, pattern), merges) for t in texts]
    compare_encodings(reply, texts, wants, f"RegexTokenizer({name}).encode({{text}}) after training on the grader's corpus", lambda text: [
        Diagnosis("the text is encoded as one piece: split it with the pattern first and encode each chunk on its own",
                  lambda: encode_chunks([text.encode("utf-8")], merges)),
        Diagnosis("each step merges the most frequent pair; encode applies the merge with the lowest id among the pairs present",
                  lambda: most_frequent_encode(chunks_of(text, pattern), merges)),
    ])


@check(examples=40)
@example(texts=HARD_STRINGS)
@given(texts=st.lists(UNICODE, min_size=1, max_size=3))
def regex_decode_inverts_encode_on_any_unicode(learner, texts):
    """RegexTokenizer: decode(encode(s)) == s for any Unicode string (emoji, combining marks, whitespace runs, long strings)."""
    check_round_trip(learner, "regex", texts, GPT4)


SPECIAL_TEXTS = ["<|endoftext|>the cat<|endoftext|>", "a <|fim_prefix|>b<|fim_middle|> c <|endofprompt|>", "no specials here",
                 "<|endoftext|><|endoftext|>", "<|fim_middle|>", "x<|endoftext", "endoftext|> <|fim_prefix|>end"]


@check(examples=10)
@example(texts=SPECIAL_TEXTS, allowed="all")
@example(texts=SPECIAL_TEXTS, allowed="none")
@example(texts=SPECIAL_TEXTS, allowed=["<|endoftext|>", "<|fim_middle|>"])
@example(texts=SPECIAL_TEXTS, allowed="none_raise")
@given(texts=st.lists(st.lists(st.sampled_from(["the ", "cat", " ", "|", "<", ">", "日", *SPECIALS]), max_size=8).map("".join), min_size=1, max_size=4),
       allowed=st.sampled_from(["all", "none", "none_raise", ["<|endoftext|>"], ["<|fim_prefix|>", "<|endofprompt|>"]]))
def special_tokens_follow_allowed_special(learner, texts, allowed):
    """encode(text, allowed_special): "all" / a set turn those special tokens into their ids, "none" reads them as text, "none_raise" raises when one is present; decode gives every special token back."""
    specials = dict(SPECIALS)
    merges = learn(chunks_of(CORPUS, GPT4), 44)
    reply = _drive(learner, "encode_decode", "regex", CORPUS, 300, texts, GPT4, specials, allowed)
    active = specials if allowed == "all" else {} if allowed in ("none", "none_raise") else {s: specials[s] for s in allowed}
    shown = repr(set(allowed)) if isinstance(allowed, list) else repr(allowed)
    for text, ids, back, raised in zip(texts, reply["ids"], reply["decoded"], reply["raised"]):
        call = f"encode({text!r:.80}, allowed_special={shown})"
        contains = any(s in text for s in specials)
        if allowed == "none_raise" and contains:
            if raised is None:
                fail(f"{call} returned {ids[:20]}; with 'none_raise' a text that contains a registered special token must raise")
            continue
        if raised is not None:
            fail(f"{call} raised {raised}" + (" ('none_raise' raises only when a special token is present)" if allowed == "none_raise" else ""))
        want = encode_with_specials(text, merges, GPT4, active)
        unescaped = encode_unescaped(text, merges, active) if active else None
        diagnoses = [Diagnosis("the special tokens went into the split regex unescaped: '|' inside '<|endoftext|>' became an alternation; "
                               "join re.escape(token) for each", lambda u=unescaped: u)] if unescaped is not None else []
        assert_ids(ids, want, what=call, diagnoses=diagnoses)
        if back != text:
            fail(f"decode({call}) gave {back!r:.80}; expected the text back, special tokens included")


def encode_unescaped(text, merges, active):
    """What re.split with the special tokens unescaped gives (None when the regex is invalid)."""
    try:
        pattern = "(" + "|".join(active) + ")"
        parts = re.split(pattern, text)
    except re.error:
        return None
    out = []
    for part in parts:
        if part is None:
            continue
        if part in active:
            out.append(active[part])
        else:
            out.extend(encode_chunks(chunks_of(part, GPT4), merges))
    return out


def shakespeare() -> str:
    from mldojo.datasets import DatasetError
    from mldojo.datasets.text import load_text

    try:
        return load_text("tinyshakespeare")[0]
    except DatasetError as exc:
        raise TrainingDataMissing(str(exc)) from None


@check(examples=1)
def tiny_shakespeare_merges_and_encodings_are_the_judges(learner):
    """RegexTokenizer().train(the first 20,000 characters of tiny Shakespeare, 356) makes the judge's 100 merges and encodes the next 2,000 characters as the judge does."""
    text = shakespeare()
    train_text, held = text[:SHAKESPEARE_CHARS], text[SHAKESPEARE_CHARS:SHAKESPEARE_CHARS + 2000]
    merges = check_training(learner, "regex", train_text, SHAKESPEARE_VOCAB, None,
                            f"RegexTokenizer().train(tiny Shakespeare[:{SHAKESPEARE_CHARS}], {SHAKESPEARE_VOCAB})")
    reply = _drive(learner, "encode_decode", "regex", train_text, SHAKESPEARE_VOCAB, [held])
    assert_ids(reply["ids"][0], encode_chunks(chunks_of(held, GPT4), merges),
                 what=f"encode(tiny Shakespeare[{SHAKESPEARE_CHARS}:{SHAKESPEARE_CHARS + 2000}])")
    if reply["decoded"][0] != held:
        fail("decode(encode(text)) is not the text on tiny Shakespeare's next 2,000 characters")


def compare_model_files(got: str, want: str, call: str) -> None:
    got_lines, want_lines = got.split("\n"), want.split("\n")
    if got_lines and got_lines[-1] == "" and want_lines[-1] == "":
        got_lines, want_lines = got_lines[:-1], want_lines[:-1]
    names = ["line 1 (the version)", "line 2 (the pattern)", "line 3 (the number of special tokens)"]
    # The merge lines follow the version, the pattern, the special-token count and that many token lines.
    first_merge = 3 + int(want_lines[2]) if len(want_lines) > 2 and want_lines[2].isdigit() else len(want_lines)
    stripped = [g.rstrip("\r") for g in got_lines]
    reordered = (len(got_lines) == len(want_lines) and stripped[:first_merge] == want_lines[:first_merge]
                 and sorted(stripped[first_merge:]) == sorted(want_lines[first_merge:]))
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g.rstrip("\r") != w:
            what = names[i] if i < 3 else f"line {i + 1}"
            fail(f"{call}: {what} of the .model file is {g!r:.100}; expected {w!r:.100}",
                 diagnosis="the merges are written in another order than they were learned: write them in training "
                           "order, which is what gives each merge its id on load" if reordered else None)
    if len(got_lines) != len(want_lines):
        fail(f"{call}: the .model file has {len(got_lines)} lines; expected {len(want_lines)} "
             "(version, pattern, the special-token count and lines, one line per merge)")


@check(examples=1)
def save_writes_the_minbpe_v1_format(learner):
    """save(prefix) writes prefix + ".model": "minbpe v1", the pattern ("" for BasicTokenizer), the special-token count and "<token> <id>" lines, then "<a> <b>" per merge in order."""
    for kind, pattern, specials in (("basic", None, {}), ("regex", GPT4, {}), ("regex", GPT2, dict(SPECIALS))):
        merges = learn(chunks_of(CORPUS, pattern), 44)
        reply = _drive(learner, "save", kind, CORPUS, 300, pattern, specials or None)
        name = "BasicTokenizer()" if kind == "basic" else f"RegexTokenizer({'GPT2_SPLIT_PATTERN' if pattern == GPT2 else ''})"
        compare_model_files(reply["text"], model_file(merges, pattern or "", specials),
                            f"{name} trained to 300{' with special tokens' if specials else ''}, save(prefix)")


@check(examples=1)
def load_reads_the_judges_model_file(learner):
    """A fresh tokenizer's load(path) of a .model file the judge wrote gives the judge's encodings and decodes special tokens."""
    other = "Sing, goddess, the anger of Peleus' son Achilleus — and its devastation; 1234 5678 🙂🙂\n" * 4
    probe = ["Sing the anger", "goddess<|endoftext|> son 1234!", "🙂 Achilleus", "naïve café"]
    for kind, pattern, specials in (("basic", None, {}), ("regex", GPT4, dict(SPECIALS))):
        merges = learn(chunks_of(other, pattern), 30)
        text = model_file(merges, pattern or "", specials)
        allowed = "all" if kind == "regex" else "default"
        special_ids = [[SPECIALS["<|endoftext|>"], 72, 105], [SPECIALS["<|endofprompt|>"]]] if specials else []
        reply = _drive(learner, "load_and_encode", kind, {"name": "judge.model", "text": text}, probe, allowed, special_ids,
                       sorted(specials.values()))
        name = "BasicTokenizer" if kind == "basic" else "RegexTokenizer"
        for sample, ids, back in zip(probe, reply["ids"], reply["decoded"]):
            assert_ids(ids, encode_with_specials(sample, merges, pattern, specials) if pattern else encode_chunks(chunks_of(sample, None), merges),
                         what=f"{name}().load(the grader's .model file), then encode({sample!r})")
            if back != sample:
                fail(f"after {name}().load(...), decode(encode({sample!r})) gave {back!r}")
        for ids, got in zip(special_ids, reply["texts"]):
            want = "".join({v: k for k, v in SPECIALS.items()}.get(i, chr(i)) for i in ids)
            if got != want:
                fail(f"after {name}().load(a file with special tokens), decode({ids}) gave {got!r}; expected {want!r}: "
                     "load restores the special tokens, and decode turns their ids back into their text")
        by_id = {idx: token for token, idx in specials.items()}
        for idx, got in zip(sorted(specials.values()), reply["vocab"]):
            if got != list(by_id[idx].encode("utf-8")):
                shown = repr(bytes(got)) if isinstance(got, list) else got
                fail(f"after {name}().load(a file with special tokens), vocab[{idx}] is {shown}; expected "
                     f"{by_id[idx].encode('utf-8')!r}: load restores the vocabulary with the special tokens in it "
                     "(vocab[idx] = token.encode('utf-8'))")


@check(examples=1)
def save_then_load_gives_the_same_tokenizer(learner):
    """Trained, saved and loaded into a fresh tokenizer (same kind and pattern), it encodes like the one it was saved from."""
    texts = ["the cat sat on the mat", HARD_STRINGS[2], HARD_STRINGS[5], "<|endoftext|>cat's<|fim_prefix|>"]
    for kind, pattern, specials, allowed in (("basic", None, None, "default"), ("regex", GPT4, dict(SPECIALS), "all"),
                                             ("regex", GPT2, None, "none")):
        merges = learn(chunks_of(CORPUS, pattern), 44)
        reply = _drive(learner, "save_load_encode", kind, CORPUS, 300, texts, pattern, specials, allowed)
        for text, ids, back in zip(texts, reply["ids"], reply["decoded"]):
            want = encode_with_specials(text, merges, pattern, specials if allowed == "all" else {}) if pattern else encode_chunks(chunks_of(text, None), merges)
            assert_ids(ids, want, what=f"encode({text!r:.50}) after save and load ({kind}{', GPT-2 pattern' if pattern == GPT2 else ''})")
            if back != text:
                fail(f"decode(encode({text!r:.50})) after save and load gave {back!r:.80}")
