"""Grader for stage1/metrics: confusion matrix, precision / recall / F1, ROC curve and AUC,
log loss, each compared with `sklearn.metrics` (zero_division=0) on generated labels.

Labels include classes that are never predicted, classes that never occur and names that
are not 0..K-1; scores sit on a grid of eight values so that ties are common, with a
separate tie-free check so a learner can tell a tie bug from a general one. Every
structural case the stub names (a label only in y_pred, a single class, a single row,
an unseen label in `labels`, each average, pos_label 0, the defaults, a 0/0 score, all
scores tied, probabilities of exactly 0 and 1) is an explicit example that runs in every
grading, whatever the seed. A mistake is named only when the learner's answer is its
answer here and on a second, fixed input where it shows (_metrics_mistakes.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sklearn.metrics  # noqa: F401 - the oracles need it; imported while the learner process starts
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, assert_close, assert_equal, assert_scalar, check, example, fail, given
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.label_problems import (
    LabelPair,
    ProbabilityProblem,
    ScoredLabels,
    binary_label_pairs,
    label_pairs,
    probability_problems,
    scored_labels,
)
from mldojo.graders.stage1 import _metrics_mistakes as M
from mldojo.graders.stage1._second_input import confirmer

VERSION = "3"

TOLERANCE = 1e-12  # every score is a ratio of small counts: only rounding may differ

# Kept for other modules and tests that import the oracles from the grader.
sk_confusion_matrix, sk_scores, sk_roc_curve, sk_roc_auc, sk_log_loss = (
    M.sk_confusion_matrix, M.sk_scores, M.sk_roc_curve, M.sk_roc_auc, M.sk_log_loss)


def _pair(y_true, y_pred) -> LabelPair:
    return LabelPair(np.array(y_true, dtype=np.int64), np.array(y_pred, dtype=np.int64))


def _scored(y_true, y_score) -> ScoredLabels:
    return ScoredLabels(np.array(y_true, dtype=np.int64), np.array(y_score, dtype=np.float64))


def _probabilities(y_true, y_prob) -> ProbabilityProblem:
    return ProbabilityProblem(np.array(y_true, dtype=np.int64), np.array(y_prob, dtype=np.float64))


# -- the structural cases, run in every grading ---------------------------------------------

RENAMED = _pair([3, 3, 7, 9, 7, 3, 9, 3], [3, 7, 7, 3, 12, 3, 3, 12])  # 9 only true, 12 only predicted
NEVER_PREDICTED = _pair([0, 1, 2, 1, 0, 2, 2], [0, 0, 2, 2, 0, 2, 1])  # 0..K-1; class 1 never right
ONE_CLASS = _pair([4, 4, 4], [4, 4, 4])
ONE_ROW = _pair([1], [0])
NEGATIVE = _pair([-1, 2, 2, 0, -1], [2, -1, 2, 2, 0])

BINARY_ASYMMETRIC = _pair([1, 1, 1, 0, 0, 1, 0, 1, 1], [1, 0, 1, 1, 0, 0, 0, 1, 1])  # P != R for both classes
NOTHING_PREDICTED_POSITIVE = _pair([1, 0, 1], [0, 0, 0])  # precision of class 1 is 0/0
NO_TRUE_POSITIVE_ROW = _pair([0, 0, 0], [1, 0, 0])  # recall of class 1 is 0/0
ALL_NEGATIVE = _pair([0, 0], [0, 0])  # every score of class 1 is 0/0
NO_HIT = _pair([1, 0, 1], [0, 1, 0])  # precision = recall = 0: F1 is 0/0

ALL_TIED = _scored([0, 1, 1, 0], [0.5, 0.5, 0.5, 0.5])
TIES_ACROSS_CLASSES = _scored([1, 0, 1, 0, 1, 0, 0, 1], [0.3, 0.3, -0.2, 0.9, 0.9, -0.2, 0.1, 0.6])
ONE_POSITIVE_TIED = _scored([0, 0, 0, 1], [0.4, 0.4, 0.1, 0.4])
GAUSSIAN_SCORES = _scored([0, 1, 1, 0, 1, 0, 0], [0.8123, -0.331, 1.2734, 0.0421, 0.5112, -1.2071, 0.9976])
BACKWARDS = _scored([0, 1], [0.2, 0.1])  # AUC 0
PERFECT = _scored([0, 0, 1, 1], [-1.5, 0.25, 0.3, 2.0])  # AUC 1

GAUSSIAN_BINARY = _probabilities([0, 1, 1, 0, 1], [0.2113, 0.7071, 0.9312, 0.4142, 0.3517])
BINARY_ONLY_ZEROS = _probabilities([0, 0, 0], [0.1, 0.3, 0.25])
CLASS_NEVER_TRUE = _probabilities([0, 2, 0, 2], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1], [0.2, 0.2, 0.6]])
TWO_COLUMNS = _probabilities([1, 0, 1], [[0.3, 0.7], [0.55, 0.45], [0.9, 0.1]])
ONE_ROW_THREE_CLASSES = _probabilities([2], [[0.2, 0.3, 0.5]])
CONFIDENTLY_WRONG_BINARY = _probabilities([0, 1, 1, 0], [1.0, 0.0, 0.5, 0.0])
CONFIDENTLY_WRONG_MULTI = _probabilities([0, 2, 1], [[0.0, 0.5, 0.5], [0.0, 0.0, 1.0], [0.25, 0.75, 0.0]])


def _diagnoses(mistakes, args, call, correct, second_inputs) -> list[Diagnosis]:
    """Diagnosis objects for (message, mistake) pairs on the input `args`, each confirmed on
    the first of `second_inputs` where it shows."""
    return [Diagnosis(message, lambda f=f: f(*args), confirmer(call, f, correct, second_inputs, TOLERANCE))
            for message, f in mistakes]


def _three_scores(result, call: str, expected: np.ndarray | None = None) -> np.ndarray:
    """The learner's (precision, recall, f1) as an array (3,) (`expected`: sklearn's, to name a NaN's cause)."""
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(f"{call} must return three floats (precision, recall, f1); got {show(result)}", result)
    if expected is not None:
        _assert_no_nan_from_zero_division(result, expected, call)
    return np.array([assert_scalar(v, f"{call}[{i}]") for i, v in enumerate(result)])


def _assert_matrix(got, expected: np.ndarray, what: str, diagnoses: list[Diagnosis]) -> None:
    """assert_equal, with the diagnoses also considered when the shape is wrong."""
    array = np.asarray(got)
    if array.shape != expected.shape and array.ndim == 2:
        shown_got, shown_want = show_pair(array, expected)
        fail(f"{what}: got shape {array.shape}, expected shape {expected.shape}\n"
             f"{' ' * len(what)}  got      {shown_got}\n{' ' * len(what)}  expected {shown_want}", got, diagnoses,
             passes=lambda value: value.shape == expected.shape and bool(np.array_equal(value, expected)))
    assert_equal(got, expected, what=what, diagnoses=diagnoses)


# -- checks: confusion matrix ---------------------------------------------------------------


@check(examples=30)
@example(pair=RENAMED)
@example(pair=NEVER_PREDICTED)
@example(pair=ONE_CLASS)
@example(pair=ONE_ROW)
@example(pair=NEGATIVE)
@given(pair=label_pairs(max_classes=5))
def confusion_matrix_matches_sklearn(learner, pair):
    """confusion_matrix(y_true, y_pred) equals sklearn's exactly (labels: every label seen, sorted)."""
    expected = sk_confusion_matrix(pair.y_true, pair.y_pred)
    got = learner.confusion_matrix(pair.y_true, pair.y_pred)
    seen = np.unique(np.concatenate([pair.y_true, pair.y_pred]))
    if np.ndim(got) == 2 and np.shape(got)[0] > len(seen) and seen.max() >= len(seen):
        fail(f"confusion_matrix returned shape {np.shape(got)} for {len(seen)} distinct labels: labels are "
             f"names, not positions ({show(seen)} here). Map each label to its index among the sorted labels", got,
             diagnosis="the labels are used as row and column numbers, as if they were always 0..K-1")
    call = lambda y_true, y_pred: learner.confusion_matrix(y_true, y_pred)  # noqa: E731
    _assert_matrix(got, expected, "confusion_matrix(y_true, y_pred)", _diagnoses(
        M.confusion_mistakes(labels_given=False), (pair.y_true, pair.y_pred), call, sk_confusion_matrix,
        M.SECOND_MULTI))


@dataclass
class LabelledPair:
    """True labels y_true (n,), predictions y_pred (n,) and the `labels` argument (K,)."""

    y_true: np.ndarray
    y_pred: np.ndarray
    labels: np.ndarray


@st.composite
def labelled_pairs(draw) -> LabelledPair:
    """A label pair and `labels`: the labels seen, in a drawn order, sometimes with an unseen one,
    sometimes without one that is seen (its pairs are left out; some true label always stays)."""
    pair = draw(label_pairs(max_classes=4))
    seen = np.unique(np.concatenate([pair.y_true, pair.y_pred])).tolist()
    droppable = [label for label in seen if set(pair.y_true.tolist()) - {label}]
    if len(seen) > 1 and draw(st.booleans()):
        seen.remove(draw(st.sampled_from(droppable)))
    if draw(st.booleans()):
        seen.append(draw(st.sampled_from([max(seen) + 1, min(seen) - 1])))
    return LabelledPair(pair.y_true, pair.y_pred, np.array(draw(st.permutations(seen)), dtype=np.int64))


SECOND_LABELLED = [(y_true, y_pred, np.array([9, 2, 11, 6, 5])) for y_true, y_pred in M.SECOND_MULTI[1:]]


@check(examples=20)
@example(case=LabelledPair(RENAMED.y_true, RENAMED.y_pred, np.array([12, 3, 20, 9, 7])))  # unseen 20, not sorted
@example(case=LabelledPair(NEVER_PREDICTED.y_true, NEVER_PREDICTED.y_pred, np.array([2, 1, 0])))
@example(case=LabelledPair(ONE_CLASS.y_true, ONE_CLASS.y_pred, np.array([1, 4])))  # unseen, sorted
@example(case=LabelledPair(NEGATIVE.y_true, NEGATIVE.y_pred, np.array([2, -1])))  # 0 left out: its pairs are not counted
@given(case=labelled_pairs())
def confusion_matrix_follows_the_labels_argument(learner, case):
    """confusion_matrix(y_true, y_pred, labels) orders rows and columns as `labels` (which may name unseen classes, or leave seen ones out)."""
    expected = sk_confusion_matrix(case.y_true, case.y_pred, labels=case.labels)
    got = learner.confusion_matrix(case.y_true, case.y_pred, labels=case.labels)
    call = lambda y_true, y_pred, labels: learner.confusion_matrix(y_true, y_pred, labels=labels)  # noqa: E731
    _assert_matrix(got, expected, f"confusion_matrix(y_true, y_pred, labels={case.labels.tolist()})", _diagnoses(
        M.confusion_mistakes(labels_given=True), (case.y_true, case.y_pred, case.labels), call,
        sk_confusion_matrix, SECOND_LABELLED))


# -- checks: precision, recall, F1 ----------------------------------------------------------

DEFAULTS = "defaults"  # precision_recall_f1(y_true, y_pred): average='binary', pos_label=1


def _binary_call(learner, how):
    """The learner's precision_recall_f1 called as `how` says, and how that call reads."""
    if how == DEFAULTS:
        return (lambda y_true, y_pred: learner.precision_recall_f1(y_true, y_pred)), \
            "precision_recall_f1(y_true, y_pred)", 1
    return (lambda y_true, y_pred: learner.precision_recall_f1(y_true, y_pred, average="binary", pos_label=how)), \
        f"precision_recall_f1(y_true, y_pred, average='binary', pos_label={how})", how


@check(examples=30)
@example(pair=BINARY_ASYMMETRIC, how=DEFAULTS)
@example(pair=BINARY_ASYMMETRIC, how=0)
@example(pair=BINARY_ASYMMETRIC, how=1)
@example(pair=NOTHING_PREDICTED_POSITIVE, how=1)
@example(pair=NO_TRUE_POSITIVE_ROW, how=1)
@example(pair=ALL_NEGATIVE, how=1)
@example(pair=NO_HIT, how=0)
@example(pair=ONE_ROW, how=DEFAULTS)
@given(pair=binary_label_pairs(), how=st.sampled_from([1, 0, DEFAULTS]))
def binary_precision_recall_f1_match_sklearn(learner, pair, how):
    """precision_recall_f1 with average='binary' (the default) and pos_label 1 (the default) or 0 equals sklearn's (zero_division=0) to 1e-12."""
    call, text, pos_label = _binary_call(learner, how)
    expected = sk_scores(pair.y_true, pair.y_pred, "binary", pos_label=pos_label)
    got = _three_scores(call(pair.y_true, pair.y_pred), text, expected)
    correct = lambda y_true, y_pred: sk_scores(y_true, y_pred, "binary", pos_label=pos_label)  # noqa: E731
    assert_close(got, expected, what=f"{text} (precision, recall, f1)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=_diagnoses(M.binary_mistakes(pos_label, how == DEFAULTS), (pair.y_true, pair.y_pred),
                                      call, correct, M.SECOND_BINARY))


def _assert_no_nan_from_zero_division(result, expected: np.ndarray, text: str) -> None:
    """Fail, naming the unguarded division, where a score is NaN and sklearn's (zero_division=0) is a number
    (anything else about the three values is left to the checks that follow)."""
    try:
        got = np.array([float(v) for v in result])
    except (TypeError, ValueError, OverflowError):
        return
    nan = np.isnan(got) & np.isfinite(expected)
    if not nan.any():
        return
    shown = f"{text}: got {show(got)}, expected {show(expected)}"
    if nan[:2].any():
        fail(shown, got, diagnosis="a zero denominator gives NaN: precision is 0 when nothing is predicted positive, "
                                   "recall 0 when no row is positive (zero_division=0)")
    if got[0] == 0 and got[1] == 0:
        fail(shown, got, diagnosis="2PR / (P + R) is 0 / 0 when precision and recall are both 0: F1 is 0 then")


AVERAGES = ("micro", "macro", "weighted")


def _multiclass_examples(function):
    """Every average on the cases that tell the averages apart, as explicit examples (run in this order)."""
    for pair in reversed((RENAMED, NEVER_PREDICTED, ONE_CLASS, ONE_ROW)):
        for average in reversed(("macro", "weighted", "micro")):
            function = example(pair=pair, average=average)(function)  # each one goes before those added so far
    return function


@check(examples=45)
@_multiclass_examples
@given(pair=label_pairs(max_classes=4), average=st.sampled_from(AVERAGES))
def averaged_precision_recall_f1_match_sklearn(learner, pair, average):
    """precision_recall_f1 with average micro, macro or weighted equals sklearn's (zero_division=0) to 1e-12."""
    expected = sk_scores(pair.y_true, pair.y_pred, average)
    text = f"precision_recall_f1(y_true, y_pred, average={average!r})"
    call = lambda y_true, y_pred: learner.precision_recall_f1(y_true, y_pred, average=average)  # noqa: E731
    got = _three_scores(call(pair.y_true, pair.y_pred), text, expected)
    correct = lambda y_true, y_pred: sk_scores(y_true, y_pred, average)  # noqa: E731
    assert_close(got, expected, what=f"{text} (precision, recall, f1)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=_diagnoses(M.averaged_mistakes(average), (pair.y_true, pair.y_pred), call, correct,
                                      M.SECOND_MULTI))


# -- checks: ROC ------------------------------------------------------------------------------


@check(examples=30)
@example(problem=ALL_TIED)
@example(problem=TIES_ACROSS_CLASSES)
@example(problem=ONE_POSITIVE_TIED)
@example(problem=GAUSSIAN_SCORES)
@example(problem=BACKWARDS)
@given(problem=scored_labels(ties=True))
def roc_curve_matches_sklearn(learner, problem):
    """roc_curve gives sklearn's fpr, tpr and thresholds (drop_intermediate=False) to 1e-12, ties included."""
    y_true, y_score = problem.y_true, problem.y_score
    fpr, tpr, thresholds = sk_roc_curve(y_true, y_score)
    result = learner.roc_curve(y_true, y_score)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(f"roc_curve must return three arrays (fpr, tpr, thresholds); got {show(result)}", result)
    got_fpr, got_tpr, got_thresholds = (np.asarray(r, dtype=np.float64) for r in result)
    m = len(fpr)
    if got_fpr.shape == (len(y_true) + 1,) and m < len(y_true) + 1:
        fail(f"roc_curve returned {len(y_true) + 1} points for {len(y_true)} rows, but only {m - 1} scores "
             "are distinct: rows with equal scores must enter the curve together, one point per "
             "distinct score", result[0], diagnosis="one point per row: tied rows must enter the curve together")
    if got_fpr.shape == (m - 1,):
        fail(f"roc_curve returned {m - 1} points, expected {m}: the curve starts at (0, 0) with "
             "threshold +inf (nothing predicted positive)", result[0])
    swapped = lambda y_true, y_score: sk_roc_curve(y_true, y_score)[1]  # noqa: E731
    fpr_of = lambda y_true, y_score: sk_roc_curve(y_true, y_score)[0]  # noqa: E731
    learner_fpr = lambda y_true, y_score: learner.roc_curve(y_true, y_score)[0]  # noqa: E731
    strict = lambda y_true, y_score: np.concatenate([[0.0], sk_roc_curve(y_true, y_score)[0][:-1]])  # noqa: E731
    assert_close(got_fpr, fpr, what="fpr", rtol=TOLERANCE, atol=TOLERANCE, diagnoses=_diagnoses(
        [("fpr and tpr are swapped: fpr is the share of negatives predicted positive", swapped),
         ("rows count as positive when score > threshold: use score >= threshold, so each threshold's own rows "
          "are in its point", strict)],
        (y_true, y_score), learner_fpr, fpr_of, M.SECOND_TIED))
    assert_close(got_tpr, tpr, what="tpr", rtol=TOLERANCE, atol=TOLERANCE)
    if got_thresholds.shape != thresholds.shape or got_thresholds[0] != np.inf:
        shown_got, shown_want = show_pair(got_thresholds, thresholds)
        plus_one = got_thresholds.shape == thresholds.shape and got_thresholds[0] == np.max(y_score) + 1
        fail(f"thresholds: got {shown_got}\n            expected {shown_want} "
             "(the first threshold is +inf: nothing scores that high)", result[2],
             diagnosis="the first threshold is max(score) + 1 (older scikit-learn): it is +inf" if plus_one else None)
    rising = lambda y_true, y_score: sk_roc_curve(y_true, y_score)[2][1:][::-1]  # noqa: E731
    falling = lambda y_true, y_score: sk_roc_curve(y_true, y_score)[2][1:]  # noqa: E731
    learner_thresholds = lambda y_true, y_score: np.asarray(learner.roc_curve(y_true, y_score)[2])[1:]  # noqa: E731
    in_float32 = lambda y_true, y_score: sk_roc_curve(  # noqa: E731
        y_true, np.asarray(y_score).astype(np.float32))[2][1:].astype(np.float64)
    assert_close(got_thresholds[1:], thresholds[1:], what="thresholds[1:]", rtol=0, atol=0, diagnoses=_diagnoses(
        [("your thresholds run from low to high: sweep from the highest score down", rising),
         ("the scores are rounded to float32: keep them in float64, the thresholds are the scores themselves", in_float32)],
        (y_true, y_score), learner_thresholds, falling, M.SECOND_TIED))


def _assert_auc(learner, problem):
    expected = sk_roc_auc(problem.y_true, problem.y_score)
    got = assert_scalar(learner.roc_auc(problem.y_true, problem.y_score), "roc_auc(y_true, y_score)")
    assert_close(got, expected, what="roc_auc(y_true, y_score)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=_diagnoses(M.auc_mistakes(), (problem.y_true, problem.y_score), learner.roc_auc,
                                      sk_roc_auc, M.SECOND_TIED))


@check(examples=25)
@example(problem=GAUSSIAN_SCORES)
@example(problem=BACKWARDS)
@example(problem=PERFECT)
@given(problem=scored_labels(ties=False))
def roc_auc_matches_sklearn_on_distinct_scores(learner, problem):
    """roc_auc equals sklearn's roc_auc_score to 1e-12 when no two scores are equal."""
    _assert_auc(learner, problem)


@check(examples=45)
@example(problem=ALL_TIED)
@example(problem=TIES_ACROSS_CLASSES)
@example(problem=ONE_POSITIVE_TIED)
@given(problem=scored_labels(ties=True))
def roc_auc_counts_tied_scores_as_half(learner, problem):
    """roc_auc equals sklearn's roc_auc_score to 1e-12 when many scores are tied (a tied pair counts 1/2)."""
    _assert_auc(learner, problem)


# -- checks: log loss ---------------------------------------------------------------------------


def _assert_log_loss(learner, problem, got, extremes):
    binary = problem.y_prob.ndim == 1
    second = (M.SECOND_LOG_EXTREME_BINARY if binary else M.SECOND_LOG_EXTREME_MULTI) if extremes else \
        (M.SECOND_LOG_BINARY if binary else M.SECOND_LOG_MULTI)
    assert_close(got, sk_log_loss(problem.y_true, problem.y_prob), what="log_loss(y_true, y_prob)", rtol=TOLERANCE,
                 atol=TOLERANCE, diagnoses=_diagnoses(M.log_loss_mistakes(binary, extremes),
                                                      (problem.y_true, problem.y_prob), learner.log_loss,
                                                      sk_log_loss, second))


@check(examples=30)
@example(problem=GAUSSIAN_BINARY)
@example(problem=BINARY_ONLY_ZEROS)
@example(problem=CLASS_NEVER_TRUE)
@example(problem=TWO_COLUMNS)
@example(problem=ONE_ROW_THREE_CLASSES)
@given(problem=probability_problems())
def log_loss_matches_sklearn(learner, problem):
    """log_loss(y_true, y_prob) equals sklearn's to 1e-12, for binary (n,) and multiclass (n, K) probabilities."""
    got = assert_scalar(learner.log_loss(problem.y_true, problem.y_prob), "log_loss(y_true, y_prob)")
    _assert_log_loss(learner, problem, got, extremes=False)


@check(examples=20)
@example(problem=CONFIDENTLY_WRONG_BINARY)
@example(problem=CONFIDENTLY_WRONG_MULTI)
@given(problem=probability_problems(extremes=True))
def log_loss_clips_probabilities_of_zero_and_one(learner, problem):
    """With probabilities of exactly 0 and 1, log_loss is finite and equals sklearn's (clipped at eps) to 1e-12."""
    got = learner.log_loss(problem.y_true, problem.y_prob)
    value = np.asarray(got, dtype=np.float64) if isinstance(got, (float, int, np.ndarray, np.generic)) else None
    if value is not None and value.size == 1 and not np.isfinite(value).all():
        fail(f"log_loss returned {show(float(value.reshape(())))} when a row gives its true class probability 0: "
             "clip y_prob into [eps, 1 - eps] with eps = np.finfo(np.float64).eps before taking the log", got,
             diagnosis="y_prob is not clipped before the log: log(0) is -inf")
    got = assert_scalar(got, "log_loss(y_true, y_prob)")
    _assert_log_loss(learner, problem, got, extremes=True)
