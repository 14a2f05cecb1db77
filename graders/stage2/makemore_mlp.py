"""Grader for stage2/makemore_mlp: Bengio et al.'s character MLP on names.txt, in PyTorch.

Data sets, parameters, logits and losses are compared with the judge's own NumPy computation:
build_dataset exactly (on generated word lists, where a letter table made from the words
themselves shows, and on names.txt); init_model by its shapes, requires_grad and its use of the
generator alone; logits with the same float64 parameters to 1e-5; the fresh model's loss on the
names.txt training split within 0.1 of ln 27. The training check runs last, once the others
pass: train gets only the training names (names.txt shuffled with random.Random(42), split
80/10/10 as the lecture does) within a calibrated budget, and the dev loss is computed here.

How the dev loss is computed without telling the learner's process anything about the dev
names. A dev word's contexts overlap: the context after position i ends with the target of
position i, so sending the dev contexts (in order, or as a set) would hand over their targets,
and even contexts spaced block_size + 1 apart, which share no character, leave every other
character of the word in the set. Instead the judge sends the contexts of *every* possible
word: all tuples of block_size indices made of '.' padding followed by letters (1 + 26 + ... +
26**block_size of them: 18,279 for block_size 3, 475,255 for 4, hence the limit of 4), in a
fixed order. What the learner's process receives is a function of block_size alone, the same
for any split, so it carries no information about the dev words at all: no target can be
reconstructed, or even made more likely. The judge looks up, for each (context, target) pair
of the dev words, the log-softmax of the logits of that context, and averages.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.engine.training import (TRAINING_MARK, TrainingDataMissing, TrainingResult, TrainingTask, carrying,
                                            train_with_progress)
from mldojo.graders.kit import Diagnosis, assert_close, assert_equal, check, example, fail, given
from mldojo.graders.kit.asserts import name_mistakes

VERSION = "1"
DRIVER = "mldojo.graders.stage2.makemore_mlp_driver:"
CHARS = ".abcdefghijklmnopqrstuvwxyz"
LN27 = math.log(27.0)  # -ln(1/27): the loss of a model that gives every character 1/27
INIT_MARGIN = 0.1
GOAL_DEV_LOSS = 2.20  # the catalogue's goals.dev_loss
TRAIN_LIMIT_S = 120.0  # the catalogue's goals.train_time_limit_s, scaled by calibration.py
SCORE_LIMIT_S = 60.0  # the trained model's logits on every context (at most 475,255 of them)
MAX_BLOCK_SIZE = 4
SPLIT_SEED = 42  # the lecture's random.seed(42); random.shuffle(words)
LECTURE_SEED = 2147483647


def _drive(learner, function, *args, **kwargs):
    return learner._drive(DRIVER + function, *args, **kwargs)


# -- the judge's own data sets ------------------------------------------------------------------------
def dataset(words, block_size, mistake: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) as the stub defines them, or as a known mistake builds them."""
    letters = sorted(set("".join(words)))
    stoi = {ch: i + 1 for i, ch in enumerate(letters)} if mistake == "letters_of_these_words" else {ch: i for i, ch in enumerate(CHARS)}
    stoi["."] = 0
    X, Y = [], []
    context = [0] * block_size
    for word in words:
        if mistake != "context_not_reset":
            context = [0] * block_size
        for ch in word + ("" if mistake == "no_end" else "."):
            ix = stoi[ch]
            if mistake == "target_in_context":
                context = context[1:] + [ix]
            X.append(context)
            Y.append(ix)
            if mistake == "newest_first":
                context = [ix] + context[:-1]
            elif mistake != "target_in_context":
                context = context[1:] + [ix]
    return np.asarray(X, dtype=np.int64).reshape(-1, block_size), np.asarray(Y, dtype=np.int64)


DATASET_MISTAKES = {
    "no_end": "the '.' after each word is missing: loop over word + '.', so the model learns where names end",
    "context_not_reset": "the context is carried over from the previous word: start each word with context = [0] * block_size",
    "newest_first": "the context is kept newest first: append the new index at the end, context = context[1:] + [ix]",
    "target_in_context": "each context already contains its own target: append (context, ix) to X and Y before updating the context",
    "letters_of_these_words": "the characters are numbered from the letters these words contain (sorted(set(''.join(words)))): "
                              "use the fixed table '.' = 0, 'a' = 1, ..., 'z' = 26, so a word list without some letters still "
                              "gets the same indices",
}


def split(words: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The lecture's split: shuffled with random.seed(42), then 80 % / 10 % / 10 %."""
    shuffled = list(words)
    random.Random(SPLIT_SEED).shuffle(shuffled)
    n1, n2 = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    return shuffled[:n1], shuffled[n1:n2], shuffled[n2:]


def all_contexts(block_size: int) -> np.ndarray:
    """Every context a word can produce: k '.' then block_size - k letters, for k = block_size .. 0 (uint8)."""
    rows = []
    for pad in range(block_size, -1, -1):
        letters = block_size - pad
        grid = np.indices((26,) * letters).reshape(letters, -1).T + 1 if letters else np.zeros((1, 0), dtype=np.int64)
        rows.append(np.concatenate([np.zeros((grid.shape[0], pad), dtype=np.int64), grid], axis=1))
    return np.concatenate(rows).astype(np.uint8)


def codes(X: np.ndarray) -> np.ndarray:
    """Each context as one base-27 number."""
    X = np.asarray(X, dtype=np.int64)
    return (X * (27 ** np.arange(X.shape[1] - 1, -1, -1))).sum(axis=1) if X.shape[1] else np.zeros(len(X), dtype=np.int64)


def mean_loss(table_logits: np.ndarray, table: np.ndarray, X: np.ndarray, Y: np.ndarray) -> float:
    """Mean cross-entropy of the pairs (X, Y), each context's logits looked up in the table."""
    row_of = np.full(27 ** table.shape[1], -1, dtype=np.int64)
    row_of[codes(table)] = np.arange(len(table))
    rows = row_of[codes(X)]
    assert (rows >= 0).all(), "a context missing from the table (a grader bug)"
    z = np.asarray(table_logits, dtype=np.float64)
    logp = z - z.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    return float(-logp[rows, Y].mean())


def names_or_skip() -> list[str]:
    """The real names.txt, or TrainingDataMissing with the data module's advice (the check is then not run)."""
    from mldojo.datasets import DatasetError, load_names

    try:
        return load_names()
    except DatasetError as exc:
        raise TrainingDataMissing(str(exc)) from None


# -- the judge's own forward pass ---------------------------------------------------------------------
def numpy_logits(params, X, mistake: str | None = None) -> np.ndarray:
    """tanh(C[X] flattened @ W1 + b1) @ W2 + b2 in float64, or a known mistake's version."""
    C, W1, b1, W2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    X = np.asarray(X, dtype=np.int64)
    pre = C[X].reshape(X.shape[0], -1) @ W1 + (0.0 if mistake == "no_b1" else b1)
    h = {"no_tanh": pre, "relu": np.maximum(pre, 0)}.get(mistake, np.tanh(pre))
    out = h @ W2 + (0.0 if mistake == "no_b2" else b2)
    if mistake in ("softmax", "log_softmax"):
        shifted = out - out.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        out = np.exp(logp) if mistake == "softmax" else logp
    return out


LOGITS_MISTAKES = {
    "no_tanh": "the hidden layer has no nonlinearity: h = torch.tanh(emb_flat @ W1 + b1)",
    "relu": "the hidden layer uses relu; this model's hidden layer is tanh",
    "no_b1": "b1 is not added in the hidden layer",
    "no_b2": "b2 is not added to the logits",
    "softmax": "these are probabilities (softmax applied): logits returns the raw scores h @ W2 + b2",
    "log_softmax": "these are log-probabilities (log_softmax applied): logits returns the raw scores h @ W2 + b2",
}


# -- inputs ---------------------------------------------------------------------------------------------------
@st.composite
def word_lists(draw):
    """1-6 words of 1-8 letters, from a few letters (so some are missing) or from all 26."""
    alphabet = draw(st.sampled_from(["abc", "emoly", "qxz", "abcdefghijklmnopqrstuvwxyz"]))
    return draw(st.lists(st.text(alphabet=alphabet, min_size=1, max_size=8), min_size=1, max_size=6))


def model_params(block_size, n_embd, n_hidden, seed=0, grid=False) -> list[np.ndarray]:
    """Float64 parameters with tanh away from saturation: Gaussian, or multiples of 1/4 (grid)."""
    rng = np.random.default_rng(seed)
    fan_in = block_size * n_embd
    shapes_scales = [((27, n_embd), 1.0), ((fan_in, n_hidden), 1 / math.sqrt(fan_in)), ((n_hidden,), 0.5),
                     ((n_hidden, 27), 1 / math.sqrt(n_hidden)), ((27,), 1.0)]
    made = []
    for shape, scale in shapes_scales:
        values = rng.integers(-4, 5, shape) / 4.0 * min(1.0, 2 * scale) if grid else rng.standard_normal(shape) * scale
        made.append(values.astype(np.float64))
    return made


@st.composite
def logits_problems(draw):
    """Sizes, parameters and contexts (1-40 rows of indices 0..26)."""
    block_size, n_embd, n_hidden = draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed + 1)
    X = rng.integers(0, 27, (draw(st.integers(1, 40)), block_size))
    return {"sizes": (block_size, n_embd, n_hidden), "params": model_params(block_size, n_embd, n_hidden, seed, draw(st.booleans())),
            "X": X}


def logits_problem(block_size, n_embd, n_hidden, n, seed=0, grid=False):
    """An explicit example."""
    rng = np.random.default_rng(seed + 1)
    return {"sizes": (block_size, n_embd, n_hidden), "params": model_params(block_size, n_embd, n_hidden, seed, grid),
            "X": rng.integers(0, 27, (n, block_size))}


# -- checks -----------------------------------------------------------------------------------------------------
def _tensor_values(reply: dict, name: str, call: str) -> np.ndarray:
    described = reply[name]
    if not described.get("tensor"):
        fail(f"{call} returned a {described.get('type')} as {name}; expected a torch tensor (torch.tensor(...))")
    if described["floating"]:
        fail(f"{call} returned {name} as {described['dtype']}; expected an integer tensor (indices: torch.tensor of ints)")
    return reply[f"{name}_values"]


def compare_dataset(learner, words, block_size):
    call = f"build_dataset({words!r}, block_size={block_size})" if len(words) <= 6 else f"build_dataset(names.txt, block_size={block_size})"
    reply = _drive(learner, "dataset", words, block_size)
    if reply["returned"] != "pair":
        fail(f"{call} returned {reply['returned']}; expected the pair (X, Y)")
    X, Y = _tensor_values(reply, "X", call), _tensor_values(reply, "Y", call)
    want_X, want_Y = dataset(words, block_size)
    built: dict[str, tuple] = {}  # each known mistake's (X, Y), built only once something is wrong

    def as_mistake_builds(m: str) -> tuple:
        if m not in built:
            built[m] = dataset(words, block_size, m)
        return built[m]

    for part, got, want in ((1, Y, want_Y), (0, X, want_X)):
        if np.shape(got) == want.shape and np.array_equal(got, want):
            continue  # right: no mistake to name (on all of names.txt, building them all costs seconds)
        what = f"{'XY'[part]} from {call}"
        mistakes = {message: as_mistake_builds(m)[part] for m, message in DATASET_MISTAKES.items()}
        if np.shape(got) != want.shape:  # assert_equal names no mistake when the shapes differ: say which one gives this shape
            fitting = [message for message, wrong in mistakes.items() if np.shape(got) == wrong.shape and np.array_equal(got, wrong)]
            fail(f"{what}: expected shape {want.shape}, got shape {np.shape(got)}", diagnosis=name_mistakes(fitting))
        assert_equal(got, want, what=what, diagnoses=[Diagnosis(message, lambda wrong=wrong: wrong) for message, wrong in mistakes.items()])


@check(examples=30)
@example(words=["emma"], block_size=3)
@example(words=["a"], block_size=1)
@example(words=["ava", "bob", "zz"], block_size=5)
@example(words=["olivia", "emma"], block_size=2)
@example(words=["xyz", "qq"], block_size=3)
@given(words=word_lists(), block_size=st.integers(1, 6))
def build_dataset_gives_every_context_and_next_character(learner, words, block_size):
    """build_dataset(words, block_size): for each character of word + '.', X holds the block_size characters before it
    ('.'-padded, oldest first, afresh at each word) and Y the character, '.' = 0 ... 'z' = 26, exactly."""
    compare_dataset(learner, words, block_size)


@check(examples=1)
def build_dataset_of_names_txt_is_exact(learner):
    """On all of names.txt with block_size 3: the 228,146 contexts and targets, exactly."""
    compare_dataset(learner, names_or_skip(), 3)


INIT_SIZES = st.tuples(st.integers(1, 6), st.integers(1, 12), st.integers(1, 48))


@check(examples=10)
@example(sizes=(3, 10, 200))
@example(sizes=(1, 2, 5))
@example(sizes=(4, 24, 64))
@example(sizes=(2, 1, 1))
@given(sizes=INIT_SIZES)
def init_model_gives_five_parameters_drawn_from_the_generator(learner, sizes):
    """init_model(block_size, n_embd, n_hidden, generator) returns [C, W1, b1, W2, b2] with the stated shapes, floating
    and requiring grad; the same seed gives the same values whatever torch's global generator did, another seed others."""
    block_size, n_embd, n_hidden = sizes
    call = f"init_model({block_size}, {n_embd}, {n_hidden}, generator)"
    first, again, other = _drive(learner, "init", block_size, n_embd, n_hidden, [(5, 1), (5, 2), (6, 1)])
    want = {"C": (27, n_embd), "W1": (block_size * n_embd, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, 27), "b2": (27,)}
    if first["returned"] != "list" or len(first["described"]) != 5:
        got = first["returned"] if first["returned"] != "list" else f"a list of {len(first['described'])}"
        fail(f"{call} returned {got}; expected the list [C, W1, b1, W2, b2]")
    for (name, shape), described in zip(want.items(), first["described"]):
        if not described["tensor"]:
            fail(f"{call}: {name} is a {described['type']}; expected a torch tensor")
        if tuple(described["shape"]) != shape:
            fail(f"{call}: {name} has shape {tuple(described['shape'])}; expected {shape}"
                 + (" (W1 takes the block_size * n_embd numbers of a flattened context)" if name == "W1" else ""))
        if not described["floating"]:
            fail(f"{call}: {name} is {described['dtype']}; expected a float tensor")
        if not described["requires_grad"]:
            fail(f"{call}: {name} does not require grad, so training cannot change it: p.requires_grad = True for every parameter")
    for name, a, b in zip(want, first["values"], again["values"]):
        if not np.array_equal(a, b):
            fail(f"{call} gave a different {name} for the same seeded generator after torch.manual_seed changed: draw "
                 f"{name} with torch.randn(..., generator=generator), not from torch's global generator")
    if all(np.array_equal(a, b) for a, b in zip(first["values"][:2], other["values"][:2])):
        fail(f"{call} gave the same C and W1 for generators seeded 5 and 6: draw them from the generator you are given")


@check(examples=25)
@example(problem=logits_problem(3, 10, 200, 32, seed=1))
@example(problem=logits_problem(1, 2, 5, 1, seed=2))
@example(problem=logits_problem(5, 3, 7, 4, seed=3))
@example(problem=logits_problem(2, 1, 1, 3, seed=4, grid=True))
@example(problem=logits_problem(4, 6, 12, 9, seed=5, grid=True))
@given(problem=logits_problems())
def logits_match_the_judges_forward_pass(learner, problem):
    """logits(params, X) = tanh(C[X] flattened @ W1 + b1) @ W2 + b2 for the judge's float64 parameters (1e-5)."""
    params, X = problem["params"], problem["X"]
    block_size, n_embd, n_hidden = problem["sizes"]
    reply = _drive(learner, "forward", params, X)
    call = f"logits(params, X) with X of shape {X.shape}, n_embd={n_embd}, n_hidden={n_hidden}"
    if not reply["out"].get("tensor"):
        fail(f"{call} returned a {reply['out'].get('type')}; expected a torch tensor")
    want = numpy_logits(params, X)
    assert_close(reply["values"], want, what=call, rtol=1e-5, atol=1e-5,
                 diagnoses=[Diagnosis(message, lambda m=m: numpy_logits(params, X, m)) for m, message in LOGITS_MISTAKES.items()])


def init_loss_diagnosis(params: list) -> str | None:
    """What about the fresh parameters makes the first logits large (facts read off the learner's own tensors)."""
    found = []
    W2, b2 = (np.asarray(p, dtype=np.float64) if p is not None else None for p in params[3:5])
    if W2 is not None and W2.size and W2.std() > 0.2:
        found.append(f"W2 starts with standard deviation {W2.std():.2f}, so the logits h @ W2 start large and the fresh model "
                     "is confidently wrong: scale W2 down (about 0.01)")
    if b2 is not None and b2.size and np.abs(b2).max() > 0.2:
        found.append(f"b2 starts with values up to {np.abs(b2).max():.2f}: start it at zero")
    return " — and — ".join(found) or None


@check(examples=1)
def the_fresh_model_starts_at_a_loss_of_about_ln_27(learner):
    """A fresh init_model (block_size 3, n_embd 10, n_hidden 200, the lecture's; and 2, 24, 64) has a loss within 0.1 of
    -ln(1/27) ≈ 3.30 on the names.txt training split: the untrained model gives each character about 1/27."""
    train_words, _, _ = split(names_or_skip())
    for sizes, seed in (((3, 10, 200), LECTURE_SEED), ((2, 24, 64), 7)):
        block_size = sizes[0]
        table = all_contexts(block_size)
        reply = _drive(learner, "fresh_model_logits", *sizes, seed, table)
        if not reply["described"].get("tensor") or tuple(reply["described"]["shape"]) != (len(table), 27):
            got = reply["described"].get("shape") or reply["described"].get("type")
            fail(f"logits(init_model{sizes}, X) returned {got} for X of shape {table.shape}; expected ({len(table)}, 27)")
        logits = np.asarray(reply["logits"], dtype=np.float64)
        if not np.all(np.isfinite(logits)):
            fail(f"the fresh model init_model{sizes} gives logits with NaN or inf")
        X, Y = dataset(train_words, block_size)
        value = mean_loss(logits, table, X, Y)
        if abs(value - LN27) > INIT_MARGIN:
            fail(f"the fresh model init_model{(*sizes, 'generator')} has a loss of {value:.4f} on the {len(Y):,} pairs of the "
                 f"names.txt training split; a model that starts unsure has about -ln(1/27) = {LN27:.4f} (allowed: within "
                 f"{INIT_MARGIN}). Make the first logits near zero: scale W2 down (about 0.01) and start b2 at 0",
                 diagnosis=init_loss_diagnosis(reply["params"]))


TRAINING = TrainingTask("stage2/makemore_mlp", "", "", goal_accuracy=0.0, time_limit_s=TRAIN_LIMIT_S, dataset="names.txt",
                        probe_driver=DRIVER + "probe", shown_as="train()")


@check(examples=1)
def train_reaches_a_dev_loss_of_2_20(learner) -> TrainingResult:
    """train(the names.txt training names) returns a model whose dev loss, computed by the judge on every pair of the dev
    names, is at most 2.20, within the training budget; the dev names never reach your process."""
    from mldojo.graders.engine.calibration import calibrate

    train_words, dev_words, _ = split(names_or_skip())
    calibration = calibrate()
    budget = TRAIN_LIMIT_S * calibration.factor
    reply, run = train_with_progress(learner, DRIVER + "train", train_words, budget_s=budget,
                                     describe_budget=calibration.describe(TRAIN_LIMIT_S), goal=GOAL_DEV_LOSS,
                                     dataset="names.txt", shown_as="train()", metric="dev loss",
                                     advice="larger mini-batches and fewer steps, or Adam, get there sooner")
    wall = run.wall_s
    block_size = trained_block_size(reply)
    table = all_contexts(block_size)
    with learner._session.separate_budget(SCORE_LIMIT_S * calibration.factor):
        scored = _drive(learner, "score", reply["model"], table, max_reply_bytes=len(table) * 27 * 4 + (1 << 20))
    if not scored["described"].get("tensor") or tuple(scored["described"]["shape"]) != (len(table), 27):
        got = scored["described"].get("shape") or scored["described"].get("type")
        fail(f"logits(trained params, X) returned {got} for X of shape {table.shape}; expected ({len(table)}, 27)")
    logits = np.asarray(scored["logits"], dtype=np.float64)
    if not np.all(np.isfinite(logits)):
        fail(f"after training ({wall:.1f} s) the model's logits contain NaN or inf: the training diverged (a smaller learning rate?)")
    dev_X, dev_Y = dataset(dev_words, block_size)
    dev = mean_loss(logits, table, dev_X, dev_Y)
    train = mean_loss(logits, table, *dataset(train_words, block_size))
    result = replace(run, loss=dev, train_loss=train, n_test=len(dev_Y))
    if dev > GOAL_DEV_LOSS:
        gap = ("the training loss is much lower: the model overfits, so a smaller model or fewer steps"
               if dev - train > 0.1 else "the training loss is about as high: train longer, with a larger model or a better "
               "learning rate (and lower it towards the end)")
        with carrying(result):  # the missed goal is recorded too
            fail(f"dev loss {dev:.4f} (training loss {train:.4f}) after {wall:.1f} s of training with block_size {block_size}; "
                 f"the goal is at most {GOAL_DEV_LOSS:.2f}: {gap}")
    return result


def trained_block_size(reply: dict) -> int:
    """block_size read from the trained params' shapes (C (27, n_embd), W1 (block_size * n_embd, n_hidden))."""
    if reply["returned"] != "list" or len(reply["described"]) != 5 or not all(d["tensor"] for d in reply["described"]):
        got = reply["returned"] if reply["returned"] != "list" else f"a list of {len(reply['described'])} items"
        fail(f"train returned {got}; expected the params list [C, W1, b1, W2, b2] of torch tensors")
    C, W1 = (reply["described"][i]["shape"] for i in (0, 1))
    if len(C) != 2 or C[0] != 27 or len(W1) != 2 or W1[0] % C[1]:
        fail(f"train returned C of shape {tuple(C)} and W1 of shape {tuple(W1)}; expected C (27, n_embd) and "
             "W1 (block_size * n_embd, n_hidden), in that order")
    block_size = W1[0] // C[1]
    if not 1 <= block_size <= MAX_BLOCK_SIZE:
        fail(f"the trained model has block_size {block_size} (W1 has {W1[0]} rows, C {C[1]} columns); the grader scores "
             f"block_size 1 to {MAX_BLOCK_SIZE} (it asks for the logits of every possible context: 27 ** block_size grows fast)")
    return block_size


setattr(train_reaches_a_dev_loss_of_2_20, TRAINING_MARK, TRAINING)  # runs last, once the others pass
