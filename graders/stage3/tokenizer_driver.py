"""Trusted code that runs inside the learner process for stage3/tokenizer (grading and bench).

Tuples cannot be dictionary keys on the wire and bytes do not travel, so the learner's merges,
counts and vocabulary go back as lists of ints. A trained tokenizer is kept here, keyed by what
it was trained on, so the checks that encode many strings train it once. Save files are written
into this process's own temporary folder (the sandbox's private /tmp); their text goes back.
Nothing here decides: the judge runs its own BPE and compares.
"""

from __future__ import annotations

import os
import tempfile

from mldojo.graders.engine.driver_support import file_from_judge

_TRAINED: dict = {}
_FOLDER: list[str] = []


def _problem(text):
    return {"problem": text}


def _pairs(counts):
    """A {(a, b): n} dict as [[a, b, n], ...] in its own order, or a problem (a string)."""
    if not isinstance(counts, dict):
        return f"got {type(counts).__name__}, not a dict {{(a, b): count}}"
    out = []
    for key, value in counts.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            return f"the key {key!r:.60} is not a pair (a, b) of ints"
        out.append([int(key[0]), int(key[1]), int(value)])
    return out


def stats(module, ids, start=None):
    """get_stats(ids) or get_stats(ids, counts) with counts built from [[a, b, n], ...]."""
    if start is None:
        result = module.get_stats(list(ids))
        given = None
    else:
        given = {(int(a), int(b)): int(n) for a, b, n in start}
        result = module.get_stats(list(ids), given)
    pairs = _pairs(result)
    if isinstance(pairs, str):
        return _problem(f"get_stats(ids) {pairs}")
    reply = {"problem": None, "pairs": pairs, "same": result is given}
    if given is not None:
        reply["given_after"] = _pairs(given)
    return reply


def merged(module, ids, pair, idx):
    """merge(ids, (a, b), idx) as a list of ints."""
    result = module.merge(list(ids), (int(pair[0]), int(pair[1])), int(idx))
    try:
        return {"problem": None, "ids": [int(i) for i in result]}
    except (TypeError, ValueError):
        return _problem(f"merge(...) returned {type(result).__name__} {result!r:.60}, not a list of ints")


def _make(module, kind, pattern=None):
    if kind == "basic":
        return module.BasicTokenizer()
    return module.RegexTokenizer() if pattern is None else module.RegexTokenizer(pattern)


def _trained(module, kind, corpus, vocab_size, pattern=None, specials=None):
    key = (kind, corpus, int(vocab_size), pattern, tuple(sorted((specials or {}).items())))
    if key not in _TRAINED:
        tokenizer = _make(module, kind, pattern)
        tokenizer.train(corpus, int(vocab_size))
        if specials:
            tokenizer.register_special_tokens({str(s): int(i) for s, i in specials.items()})
        _TRAINED[key] = tokenizer
    return _TRAINED[key]


def _merges_and_vocab(tokenizer):
    merges = getattr(tokenizer, "merges", None)
    pairs = _pairs(merges)
    if isinstance(pairs, str):
        return _problem(f"after train, self.merges {pairs}")
    vocab = getattr(tokenizer, "vocab", None)
    if not isinstance(vocab, dict):
        return _problem(f"after train, self.vocab is {type(vocab).__name__}, not a dict {{idx: bytes}}")
    entries = []
    for idx in range(256 + len(pairs)):
        token = vocab.get(idx)
        if not isinstance(token, (bytes, bytearray)):
            return _problem(f"after train, self.vocab[{idx}] is {type(token).__name__} {token!r:.40}, not bytes")
        entries.append(list(token))
    return {"problem": None, "merges": pairs, "vocab": entries}


def train(module, kind, corpus, vocab_size, pattern=None):
    """Train (kind "basic" or "regex") and send back merges [[a, b, idx], ...] and the vocab's bytes."""
    return _merges_and_vocab(_trained(module, kind, corpus, vocab_size, pattern))


def _encode(tokenizer, kind, text, allowed):
    if kind == "basic":
        return tokenizer.encode(text)
    if allowed == "default":
        return tokenizer.encode(text)
    return tokenizer.encode(text, allowed_special=set(allowed) if isinstance(allowed, list) else allowed)


def _ints(ids, what):
    try:
        return [int(i) for i in ids]
    except (TypeError, ValueError):
        raise TypeError(f"{what} returned {type(ids).__name__} {ids!r:.60}, not a list of ints") from None


def encode_decode(module, kind, corpus, vocab_size, texts, pattern=None, specials=None, allowed="default"):
    """Each text encoded (allowed_special as given; a list means a set) and decoded again.

    Reply: {"ids": [[...], ...], "decoded": [str, ...], "raised": [exception name or None, ...]}."""
    tokenizer = _trained(module, kind, corpus, vocab_size, pattern, specials)
    out = {"problem": None, "ids": [], "decoded": [], "raised": []}
    for text in texts:
        try:
            ids = _encode(tokenizer, kind, text, allowed)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - "none_raise" must raise; the judge decides when
            out["ids"].append(None)
            out["decoded"].append(None)
            out["raised"].append(type(exc).__name__)
            continue
        ids = _ints(ids, "encode(text)")
        decoded = tokenizer.decode(ids)
        out["ids"].append(ids)
        out["decoded"].append(decoded if isinstance(decoded, str) else repr(decoded)[:80])
        out["raised"].append(None)
    out["vocab"] = _merges_and_vocab(tokenizer).get("vocab")  # to tell a token-by-token decode apart
    return out


def decode(module, kind, corpus, vocab_size, id_lists, pattern=None, specials=None):
    """decode(ids) for each list of ids."""
    tokenizer = _trained(module, kind, corpus, vocab_size, pattern, specials)
    results = []
    for ids in id_lists:
        text = tokenizer.decode([int(i) for i in ids])
        results.append(text if isinstance(text, str) else f"<{type(text).__name__}>")
    own = _merges_and_vocab(tokenizer)  # the tokenizer's own vocab: what its decode should join
    return {"problem": None, "texts": results, "vocab": own.get("vocab")}


def _folder():
    if not _FOLDER:
        _FOLDER.append(tempfile.mkdtemp(prefix="mldojo-tokenizer-"))
    return _FOLDER[0]


def save(module, kind, corpus, vocab_size, pattern=None, specials=None, name="tok"):
    """Train, save(prefix) into this process's temporary folder, and send back the .model file's text."""
    tokenizer = _trained(module, kind, corpus, vocab_size, pattern, specials)
    prefix = os.path.join(_folder(), name)
    tokenizer.save(prefix)
    path = prefix + ".model"
    if not os.path.exists(path):
        return _problem(f"save({prefix!r}) wrote no {path!r}: the model file is file_prefix + '.model'")
    with open(path, encoding="utf-8", newline="") as f:
        return {"problem": None, "text": f.read()}


def load_and_encode(module, kind, model, texts, allowed="default", id_lists=(), vocab_ids=()):
    """A fresh tokenizer (BasicTokenizer() / RegexTokenizer()) loads the judge's .model file
    ({"name", "text"}); then each text is encoded and decoded, each id list decoded, and the
    vocab's entry for each of vocab_ids sent back (its bytes, or what it is instead)."""
    path = file_from_judge(model)
    tokenizer = _make(module, kind)
    tokenizer.load(path)
    out = {"problem": None, "ids": [], "decoded": [], "texts": []}
    for text in texts:
        ids = _ints(_encode(tokenizer, kind, text, allowed), "encode(text) after load")
        out["ids"].append(ids)
        out["decoded"].append(tokenizer.decode(ids))
    for ids in id_lists:
        out["texts"].append(tokenizer.decode([int(i) for i in ids]))
    vocab = getattr(tokenizer, "vocab", None)
    out["vocab"] = []
    for idx in vocab_ids:
        token = vocab.get(int(idx)) if isinstance(vocab, dict) else None
        out["vocab"].append(list(token) if isinstance(token, (bytes, bytearray)) else f"{type(token).__name__} {token!r:.40}")
    return out


def save_load_encode(module, kind, corpus, vocab_size, texts, pattern=None, specials=None, allowed="default"):
    """Train, save, load into a fresh tokenizer of the same kind and pattern, encode and decode each text."""
    trained = _trained(module, kind, corpus, vocab_size, pattern, specials)
    prefix = os.path.join(_folder(), f"round_trip_{len(os.listdir(_folder()))}")
    trained.save(prefix)
    fresh = _make(module, kind, pattern)
    fresh.load(prefix + ".model")
    out = {"problem": None, "ids": [], "decoded": []}
    for text in texts:
        ids = _ints(_encode(fresh, kind, text, allowed), "encode(text) after save and load")
        out["ids"].append(ids)
        out["decoded"].append(fresh.decode(ids))
    return out


def probe(module):
    """A tiny training run: instant for written code, NotImplementedError for the stub."""
    module.RegexTokenizer().train("aaab", 257)


# -- the benchmark ---------------------------------------------------------------------------------
_BENCH: dict = {}


def bench_setup(module, text):
    """Keep the text here (its transfer is not timed)."""
    _BENCH["text"] = text
    return {"problem": None, "chars": len(text)}


def bench_train(module, vocab_size):
    """RegexTokenizer().train(text, vocab_size): timed by the judge around this call. Sends back the merges."""
    tokenizer = module.RegexTokenizer()
    tokenizer.train(_BENCH["text"], int(vocab_size))
    return _merges_and_vocab(tokenizer)
