"""Grader for stage2/bigram: makemore's bigram model, counted and learned, on names.txt.

Counts, probabilities, the negative log-likelihood and sampling are compared with the judge's
own computation (exact counts; probabilities and the NLL to float32 precision; the same names
from the same seeded torch.Generator), on generated word lists and on the real names.txt
(`grade data` finds or fetches it). The goal (done when) is the counting model's NLL on every
bigram of names.txt, at most 2.46. The neural bigram is trained in the learner's process
within a budget, and the judge scores the returned W itself: its NLL must be within 0.01 of
the counting model's (smoothing 1).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerGone
from mldojo.graders.engine.training import TRAINING_MARK, TrainingDataMissing, TrainingTask
from mldojo.graders.kit import Diagnosis, assert_close, assert_equal, check, example, fail, given

VERSION = "1"
DRIVER = "mldojo.graders.stage2.bigram_driver:"
CHARS = ".abcdefghijklmnopqrstuvwxyz"
GOAL_NLL = 2.46  # the catalogue's goals.nll
NEURAL_MARGIN = 0.01
TRAIN_LIMIT_S = 120.0
LECTURE_SEED = 2147483647


def _drive(learner, function, *args):
    return learner._drive(DRIVER + function, *args)


# -- the judge's own model --------------------------------------------------------------------------
def pairs(words, start=True, end=True) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays of every bigram of every word ('.' at the ends unless turned off)."""
    xs, ys = [], []
    for word in words:
        chars = (["."] if start else []) + list(word) + (["."] if end else [])
        for a, b in zip(chars, chars[1:]):
            xs.append(CHARS.index(a))
            ys.append(CHARS.index(b))
    return np.asarray(xs, dtype=np.int64), np.asarray(ys, dtype=np.int64)


def count(words, **options) -> np.ndarray:
    """(27, 27) counts."""
    counts = np.zeros((27, 27))
    xs, ys = pairs(words, **options)
    np.add.at(counts, (xs, ys), 1)
    return counts


def normalise(counts: np.ndarray, smoothing: float) -> np.ndarray:
    """(counts + smoothing) / row sums, in float32 as the learner's tensors are."""
    p = (counts + smoothing).astype(np.float32)
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def average_nll(words, probs: np.ndarray) -> float:
    """Mean of -log probs over every bigram (float64 from float32 probabilities)."""
    xs, ys = pairs(words)
    return float(-np.log(probs[xs, ys].astype(np.float64)).mean())


def reference_sample(probs: np.ndarray, n: int, seed: int) -> list[str]:
    """n names with torch.multinomial from one seeded generator, as the stub states."""
    generator = torch.Generator().manual_seed(int(seed))
    table = torch.tensor(probs, dtype=torch.float32)
    names = []
    for _ in range(n):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(table[ix], num_samples=1, replacement=True, generator=generator).item()
            if ix == 0:
                break
            out.append(CHARS[ix])
        names.append("".join(out))
    return names


def names_or_skip() -> list[str]:
    """The real names.txt, or TrainingDataMissing with the data module's advice (the check is then not run)."""
    from mldojo.datasets import DatasetError, load_names

    try:
        return load_names()
    except DatasetError as exc:
        raise TrainingDataMissing(str(exc)) from None


# -- inputs ------------------------------------------------------------------------------------------------
WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), min_size=1, max_size=6)


# -- checks ------------------------------------------------------------------------------------------------
@check(examples=30)
@example(words=["emma"])
@example(words=["a"])
@example(words=["ava", "bob", "zz"])
@given(words=WORDS)
def counts_are_exact(learner, words):
    """bigram_counts(words) is a (27, 27) integer tensor whose [i, j] counts j after i, '.' = 0 at both ends of every word."""
    reply = _drive(learner, "counts", words)
    if not reply["is_tensor"] or not reply["integer"]:
        fail("bigram_counts should return an integer torch tensor (torch.zeros((27, 27), dtype=torch.int32), say)")
    want = count(words)
    assert_equal(reply["counts"], want, what="bigram_counts(words)", diagnoses=[
        Diagnosis("the '.' after each word is missing: every word ends with the bigram (last letter, '.')", lambda: count(words, end=False)),
        Diagnosis("the '.' before each word is missing: every word starts with the bigram ('.', first letter)", lambda: count(words, start=False)),
        Diagnosis("the counts are transposed: N[i, j] counts character j following character i (row = the first one)", lambda: want.T),
    ])


@check(examples=1)
def counts_names_txt_exactly(learner):
    """On names.txt: 228,146 bigrams, counted exactly."""
    words = names_or_skip()
    reply = _drive(learner, "counts", words)
    assert_equal(reply["counts"], count(words), what="bigram_counts(names.txt)")


@check(examples=30)
@example(words=["emma", "olivia"], smoothing=1)
@example(words=["abc"], smoothing=0)
@example(words=["ava", "bob"], smoothing=3)
@given(words=WORDS, smoothing=st.sampled_from([1, 2, 5]))
def probs_normalise_each_row(learner, words, smoothing):
    """bigram_probs(counts, smoothing) is float32 (counts + smoothing) divided by each row's sum (every row sums to 1)."""
    counts = count(words)
    if smoothing == 0:
        counts[counts.sum(axis=1) == 0, 0] = 1  # no empty rows: 0 / 0 is no probability
    reply = _drive(learner, "probs", counts.astype(np.int64), smoothing)
    if reply["dtype"] != "torch.float32":
        fail(f"bigram_probs returned {reply['dtype']}; expected a float32 tensor ((counts + smoothing).float())")
    want = normalise(counts, smoothing)
    p = (counts + smoothing).astype(np.float64)
    assert_close(reply["probs"], want, what=f"bigram_probs(counts, smoothing={smoothing})", rtol=1e-6, atol=1e-9, diagnoses=[
        Diagnosis("every column sums to 1 instead of every row: divide by the sum over axis 1 (the next characters)", lambda: p / p.sum(axis=0, keepdims=True)),
        Diagnosis("p / p.sum(1) without keepdim=True divides column j by row j's sum (broadcasting): keep the summed axis",
                  lambda: p / p.sum(axis=1)[None, :]),
        Diagnosis("the smoothing is not added", lambda: counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-300)),
        Diagnosis("everything is divided by the total count, not by each row's", lambda: p / p.sum()),
    ])


@check(examples=1)
def probs_smooth_by_1_by_default(learner):
    """bigram_probs(counts) without a smoothing argument adds 1, the default the stub states."""
    counts = count(["abcdefghijklmnopqrstuvwxyz", "emma", "olivia", "zoe"])  # no empty row: smoothing 0 stays finite
    reply = _drive(learner, "probs", counts.astype(np.int64), None)
    assert_close(reply["probs"], normalise(counts, 1), what="bigram_probs(counts), smoothing left at its default",
                 rtol=1e-6, atol=1e-9, diagnoses=[
                     Diagnosis(f"bigram_probs' smoothing defaults to {s}, not 1: def bigram_probs(counts, smoothing=1)",
                               lambda s=s: normalise(counts, s)) for s in (0, 2, 0.5)])


@check(examples=30)
@example(words=["emma"], smoothing=1)
@given(words=WORDS, smoothing=st.sampled_from([1, 3]))
def nll_is_the_average_negative_log_likelihood(learner, words, smoothing):
    """nll(words, probs) is the mean of -log probs[i, j] over every bigram of every word (natural log)."""
    probs = normalise(count(words) + count(["qz", "xy"]), smoothing)
    got = _drive(learner, "nll", words, probs)
    want = average_nll(words, probs)
    n = len(pairs(words)[0])
    assert_close(got, want, what="nll(words, probs)", rtol=1e-5, diagnoses=[
        Diagnosis(f"the sum of the {n} negative log-likelihoods, not their mean", lambda: want * n),
        Diagnosis("the log-likelihood itself (negative), not its negative", lambda: -want),
        Diagnosis("log base 2 instead of the natural log", lambda: want / np.log(2)),
        Diagnosis("the bigrams with '.' are left out", lambda: float(-np.log(probs[pairs(words, start=False, end=False)]).mean())
                  if len(pairs(words, start=False, end=False)[0]) else np.nan),
    ])


@check(examples=15)
@example(seed=LECTURE_SEED, n=10)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 8))
def sampling_gives_the_same_names_from_the_same_generator(learner, seed, n):
    """sample(probs, n, generator) draws each next index with torch.multinomial(probs[ix], 1, replacement=True,
    generator=generator): the same seed gives the same names as the grader."""
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "zoe", "liam", "noah", "kai"]
    probs = normalise(count(words), 1)
    got = _drive(learner, "sample", probs, n, seed)
    want = reference_sample(probs, n, seed)
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        greedy = reference_greedy(probs, n)
        hint = (" — you take the most likely next character; draw it with torch.multinomial" if got == greedy else
                " — draw with torch.multinomial(probs[ix], num_samples=1, replacement=True, generator=generator).item(), "
                "once per character, stopping at '.' (not added to the name)")
        fail(f"sample(probs, {n}, torch.Generator().manual_seed({seed})) gave {got!r}; expected {want!r} "
             f"(name {first + 1} differs){hint}")


def reference_greedy(probs: np.ndarray, n: int) -> list[str]:
    """What always taking the argmax gives (the mistake to recognise)."""
    names = []
    for _ in range(n):
        out, ix = [], 0
        for _ in range(30):
            ix = int(np.argmax(probs[ix]))
            if ix == 0:
                break
            out.append(CHARS[ix])
        names.append("".join(out))
    return names


@check(examples=1)
def the_counting_model_reaches_the_goal_on_names_txt(learner):
    """With your counts of names.txt and smoothing 1, the model's NLL on every bigram of names.txt is at most 2.46 (≈ 2.454)."""
    words = names_or_skip()
    counts = _drive(learner, "counts", words)["counts"]
    probs = normalise(counts, 1)
    value = average_nll(words, probs)
    if value > GOAL_NLL:
        fail(f"the counting model's NLL on names.txt is {value:.4f}, above the goal {GOAL_NLL}: are the counts right?")


NEURAL = TrainingTask("stage2/bigram", "", "", goal_accuracy=0.0, time_limit_s=TRAIN_LIMIT_S, dataset="names.txt",
                      probe_driver=DRIVER + "probe", shown_as="train_neural_bigram()")


@check(examples=1)
def the_neural_bigram_learns_the_counting_model(learner):
    """train_neural_bigram(names.txt) returns a W whose softmax rows give an NLL within 0.01 of the counting model's
    (smoothing 1) — scored by the judge on every bigram of names.txt, within the training budget."""
    from mldojo.graders.engine.calibration import calibrate

    words = names_or_skip()
    target = average_nll(words, normalise(count(words), 1))
    calibration = calibrate()
    budget = TRAIN_LIMIT_S * calibration.factor
    started = time.perf_counter()
    try:
        with learner._session.separate_budget(budget):
            W = np.asarray(_drive(learner, "train", words, LECTURE_SEED), dtype=np.float64)
    except LearnerGone as exc:
        if exc.kind == "timeout":
            exc.detail = (f"train_neural_bigram did not finish within the {budget:.0f} s it is given on this machine "
                          f"({calibration.describe(TRAIN_LIMIT_S)}): index W by the first characters (W[xs]) instead of "
                          "multiplying a one-hot matrix, or take fewer steps with a larger learning rate")
            exc.during = "train_neural_bigram()"
        raise
    if W.shape != (27, 27) or not np.all(np.isfinite(W)):
        fail(f"train_neural_bigram returned {W.shape} values{' with NaN or inf' if W.shape == (27, 27) else ''}; expected a finite (27, 27) W")
    probs = np.exp(W - W.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    value = average_nll(words, probs)
    if value > target + NEURAL_MARGIN:
        fail(f"the trained W gives an NLL of {value:.4f} on names.txt after {time.perf_counter() - started:.1f} s; the counting "
             f"model's is {target:.4f}, so at most {target + NEURAL_MARGIN:.4f} was expected: train longer or with a larger "
             "learning rate (gradient descent on this convex loss gets there), and keep any regularisation small")


setattr(the_neural_bigram_learns_the_counting_model, TRAINING_MARK, NEURAL)  # runs last, once the others pass
