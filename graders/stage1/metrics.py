"""Grader for stage1/metrics: confusion matrix, precision / recall / F1, ROC curve and AUC,
log loss, each compared with `sklearn.metrics` (zero_division=0) on generated labels.

Labels include classes that are never predicted, classes that never occur and names that
are not 0..K-1; scores sit on a grid of eight values so that ties are common, with a
separate tie-free check so a learner can tell a tie bug from a general one.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, assert_close, assert_equal, assert_scalar, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.label_problems import (
    binary_label_pairs,
    label_pairs,
    probability_problems,
    scored_labels,
)

VERSION = "1"

TOLERANCE = 1e-12  # every score is a ratio of small counts: only rounding may differ


# -- oracles (scikit-learn, run here in the judge) -----------------------------------------


def _quiet(function, *args, **kwargs):
    """Call a scikit-learn metric without its warnings (undefined ratios, one class)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def sk_confusion_matrix(y_true, y_pred, labels=None):
    from sklearn.metrics import confusion_matrix

    return _quiet(confusion_matrix, y_true, y_pred, labels=labels)


def sk_scores(y_true, y_pred, average, pos_label=1):
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = _quiet(precision_recall_fscore_support, y_true, y_pred, average=average,
                        pos_label=pos_label, zero_division=0)
    return np.array([p, r, f], dtype=np.float64)


def sk_roc_curve(y_true, y_score):
    from sklearn.metrics import roc_curve

    return _quiet(roc_curve, y_true, y_score, drop_intermediate=False)


def sk_roc_auc(y_true, y_score):
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y_true, y_score))


def sk_log_loss(y_true, y_prob):
    from sklearn.metrics import log_loss

    labels = [0, 1] if y_prob.ndim == 1 else list(range(y_prob.shape[1]))
    return float(_quiet(log_loss, y_true, y_prob, labels=labels))


# -- wrong variants, for diagnoses ---------------------------------------------------------


def _pairwise_auc(y_true, y_score, tie_value):
    """P(positive scores above negative), a tie between them counted as `tie_value`."""
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    diff = pos[:, None] - neg[None, :]  # (n_pos, n_neg)
    return float(np.mean((diff > 0) + tie_value * (diff == 0)))


def _row_by_row_auc(y_true, y_score, descending_labels_first):
    """Trapezoids over one point per row after a sort that breaks ties by label."""
    key = -y_true if descending_labels_first else y_true
    order = np.lexsort((key, -y_score))
    hits = y_true[order]
    tpr = np.r_[0, np.cumsum(hits)] / hits.sum()
    fpr = np.r_[0, np.cumsum(1 - hits)] / (len(hits) - hits.sum())
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def _auc_mistakes(y_true, y_score):
    return [
        Diagnosis("your AUC counts a tied (positive, negative) pair as 0 instead of 1/2: it either compares "
                  "scores with a strict >, or steps through tied rows one at a time (negatives first). A "
                  "tie is a coin flip: on the curve, rows with equal scores enter together and draw a "
                  "diagonal segment", lambda: _pairwise_auc(y_true, y_score, 0.0)),
        Diagnosis("your AUC counts a tied (positive, negative) pair as 1 instead of 1/2: it either compares "
                  "scores with >=, or steps through tied rows one at a time (positives first). A tie is "
                  "a coin flip: on the curve, rows with equal scores enter together and draw a diagonal "
                  "segment", lambda: _pairwise_auc(y_true, y_score, 1.0)),
        Diagnosis("your AUC depends on the order of rows with equal scores: it steps through the rows "
                  "one by one (positives of a tie first). Rows with equal scores must enter the curve "
                  "together, one point per distinct score", lambda: _row_by_row_auc(y_true, y_score, True)),
        Diagnosis("your AUC depends on the order of rows with equal scores: it steps through the rows "
                  "one by one (negatives of a tie first). Rows with equal scores must enter the curve "
                  "together, one point per distinct score", lambda: _row_by_row_auc(y_true, y_score, False)),
        Diagnosis("your AUC is 1 - AUC: higher scores should mean 'more likely positive', so sort "
                  "scores from high to low", lambda: 1.0 - sk_roc_auc(y_true, y_score)),
    ]


def _score_mistakes(expected, y_true, y_pred, average):
    p, r, f = expected
    mistakes = [
        Diagnosis("precision and recall are swapped: precision divides by what was predicted "
                  "positive (tp + fp), recall by what truly is positive (tp + fn)", lambda: np.array([r, p, f])),
        Diagnosis("F1 is the arithmetic mean of precision and recall: it is their harmonic mean, "
                  "2PR / (P + R)", lambda: np.array([p, r, (p + r) / 2])),
    ]
    if average in ("macro", "weighted"):
        other = "weighted" if average == "macro" else "macro"
        mistakes.append(Diagnosis(
            f"your scores are the {other} average: '{average}' " + (
                "is the plain mean over classes" if average == "macro" else "weights each class by its support (true rows)"),
            lambda: sk_scores(y_true, y_pred, other)))
        mistakes.append(Diagnosis(
            "your F1 is the harmonic mean of the averaged precision and recall: compute F1 per "
            "class first, then average those F1 scores",
            lambda: np.array([p, r, 2 * p * r / (p + r) if p + r else 0.0])))
        present = np.unique(y_true)
        mistakes.append(Diagnosis(
            "your average leaves out classes that were predicted but never occur in y_true: average "
            "over every label in y_true or y_pred",
            lambda: _average_over(y_true, y_pred, present, average)))
    return mistakes


def _average_over(y_true, y_pred, labels, average):
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = _quiet(precision_recall_fscore_support, y_true, y_pred, labels=labels, average=average,
                        zero_division=0)
    return np.array([p, r, f])


def _three_scores(result, call: str) -> np.ndarray:
    """The learner's (precision, recall, f1) as an array (3,)."""
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(f"{call} must return three floats (precision, recall, f1); got {show(result)}", result)
    return np.array([assert_scalar(v, f"{call}[{i}]") for i, v in enumerate(result)])


# -- checks --------------------------------------------------------------------------------


@check(examples=30)
@given(pair=label_pairs(max_classes=5))
def confusion_matrix_matches_sklearn(learner, pair):
    """confusion_matrix(y_true, y_pred) equals sklearn's exactly (labels: every label seen, sorted)."""
    expected = sk_confusion_matrix(pair.y_true, pair.y_pred)
    got = learner.confusion_matrix(pair.y_true, pair.y_pred)
    k = len(np.unique(np.concatenate([pair.y_true, pair.y_pred])))
    if np.ndim(got) == 2 and np.shape(got)[0] > k and pair.y_true.max() >= k:
        fail(f"confusion_matrix returned shape {np.shape(got)} for {k} distinct labels: labels are "
             f"names, not positions ({show(np.unique(np.concatenate([pair.y_true, pair.y_pred])))} here). "
             "Map each label to its index among the sorted labels", got)
    assert_equal(got, expected, what="confusion_matrix(y_true, y_pred)", diagnoses=[
        Diagnosis("your matrix is transposed: rows are the true classes, columns the predicted ones",
                  lambda: expected.T),
        Diagnosis("your matrix only counts the classes present in y_true: a label seen only in y_pred "
                  "needs its row and column too", lambda: sk_confusion_matrix(pair.y_true, pair.y_pred,
                                                                             labels=np.unique(pair.y_true))),
    ])


@check(examples=20)
@given(pair=label_pairs(max_classes=4), data=st.data())
def confusion_matrix_follows_the_labels_argument(learner, pair, data):
    """confusion_matrix(y_true, y_pred, labels) orders rows and columns as `labels` (which may name unseen classes)."""
    seen = np.unique(np.concatenate([pair.y_true, pair.y_pred]))
    extra = np.array([seen.max() + 1]) if data.draw(st.booleans(), label="add an unseen label") else np.array([], np.int64)
    labels = np.array(data.draw(st.permutations(list(np.concatenate([seen, extra]).tolist())), label="labels"))
    expected = sk_confusion_matrix(pair.y_true, pair.y_pred, labels=labels)
    got = learner.confusion_matrix(pair.y_true, pair.y_pred, labels=labels)
    assert_equal(got, expected, what=f"confusion_matrix(y_true, y_pred, labels={labels.tolist()})", diagnoses=[
        Diagnosis("your matrix uses the sorted labels, not the order given in `labels`",
                  lambda: sk_confusion_matrix(pair.y_true, pair.y_pred, labels=np.sort(labels))),
        Diagnosis("your matrix is transposed: rows are the true classes, columns the predicted ones",
                  lambda: expected.T),
    ])


@check(examples=30)
@given(pair=binary_label_pairs(), pos_label=st.sampled_from([1, 1, 0]))
def binary_precision_recall_f1_match_sklearn(learner, pair, pos_label):
    """precision_recall_f1(average='binary', pos_label) equals sklearn's (zero_division=0) to 1e-12, also with no positives."""
    expected = sk_scores(pair.y_true, pair.y_pred, "binary", pos_label=pos_label)
    call = f"precision_recall_f1(y_true, y_pred, average='binary', pos_label={pos_label})"
    got = _three_scores(learner.precision_recall_f1(pair.y_true, pair.y_pred, average="binary",
                                                    pos_label=pos_label), call)
    mistakes = _score_mistakes(expected, pair.y_true, pair.y_pred, "binary") + [
        Diagnosis(f"your scores are for class {1 - pos_label}: with average='binary' they are for "
                  f"pos_label ({pos_label})", lambda: sk_scores(pair.y_true, pair.y_pred, "binary", pos_label=1 - pos_label)),
    ]
    assert_close(got, expected, what=f"{call} (precision, recall, f1)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=mistakes)


@check(examples=45)
@given(pair=label_pairs(max_classes=4), average=st.sampled_from(["micro", "macro", "weighted"]))
def averaged_precision_recall_f1_match_sklearn(learner, pair, average):
    """precision_recall_f1 with average micro, macro or weighted equals sklearn's (zero_division=0) to 1e-12."""
    expected = sk_scores(pair.y_true, pair.y_pred, average)
    call = f"precision_recall_f1(y_true, y_pred, average={average!r})"
    got = _three_scores(learner.precision_recall_f1(pair.y_true, pair.y_pred, average=average), call)
    assert_close(got, expected, what=f"{call} (precision, recall, f1)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=_score_mistakes(expected, pair.y_true, pair.y_pred, average))


@check(examples=30)
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
             "distinct score", result[0])
    if got_fpr.shape == (m - 1,):
        fail(f"roc_curve returned {m - 1} points, expected {m}: the curve starts at (0, 0) with "
             "threshold +inf (nothing predicted positive)", result[0])
    assert_close(got_fpr, fpr, what="fpr", rtol=TOLERANCE, atol=TOLERANCE, diagnoses=[
        Diagnosis("fpr and tpr are swapped: fpr is the share of negatives predicted positive", lambda: tpr)])
    assert_close(got_tpr, tpr, what="tpr", rtol=TOLERANCE, atol=TOLERANCE)
    if got_thresholds.shape != thresholds.shape or got_thresholds[0] != np.inf:
        fail(f"thresholds: got {show(got_thresholds)}\n            expected {show(thresholds)} "
             "(the first threshold is +inf: nothing scores that high)", result[2])
    assert_close(got_thresholds[1:], thresholds[1:], what="thresholds[1:]", rtol=0, atol=0, diagnoses=[
        Diagnosis("your thresholds run from low to high: sweep from the highest score down", lambda: thresholds[1:][::-1])])


@check(examples=25)
@given(problem=scored_labels(ties=False))
def roc_auc_matches_sklearn_on_distinct_scores(learner, problem):
    """roc_auc equals sklearn's roc_auc_score to 1e-12 when no two scores are equal."""
    expected = sk_roc_auc(problem.y_true, problem.y_score)
    got = assert_scalar(learner.roc_auc(problem.y_true, problem.y_score), "roc_auc(y_true, y_score)")
    assert_close(got, expected, what="roc_auc(y_true, y_score)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=_auc_mistakes(problem.y_true, problem.y_score))


@check(examples=45)
@given(problem=scored_labels(ties=True))
def roc_auc_counts_tied_scores_as_half(learner, problem):
    """roc_auc equals sklearn's roc_auc_score to 1e-12 when many scores are tied (a tied pair counts 1/2)."""
    expected = sk_roc_auc(problem.y_true, problem.y_score)
    got = assert_scalar(learner.roc_auc(problem.y_true, problem.y_score), "roc_auc(y_true, y_score)")
    assert_close(got, expected, what="roc_auc(y_true, y_score)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=_auc_mistakes(problem.y_true, problem.y_score))


def _log_loss_mistakes(y_true, y_prob, expected):
    return [
        Diagnosis("your loss uses log base 2 (or 10): use the natural log, np.log",
                  lambda: expected / np.log(2)),
        Diagnosis("your loss uses log base 10: use the natural log, np.log", lambda: expected / np.log(10)),
        Diagnosis("your loss is the sum over rows: take the mean", lambda: expected * len(y_true)),
        Diagnosis("your loss is negative: it is the mean of -log(p), and log(p) <= 0", lambda: -expected),
    ]


@check(examples=30)
@given(problem=probability_problems())
def log_loss_matches_sklearn(learner, problem):
    """log_loss(y_true, y_prob) equals sklearn's to 1e-12, for binary (n,) and multiclass (n, K) probabilities."""
    expected = sk_log_loss(problem.y_true, problem.y_prob)
    got = assert_scalar(learner.log_loss(problem.y_true, problem.y_prob), "log_loss(y_true, y_prob)")
    mistakes = _log_loss_mistakes(problem.y_true, problem.y_prob, expected)
    if problem.y_prob.ndim == 1:
        mistakes.append(Diagnosis(
            "your loss always uses the probability of class 1: for a row whose true class is 0, "
            "the probability of the truth is 1 - y_prob",
            lambda: float(-np.mean(np.log(problem.y_prob)))))
    assert_close(got, expected, what="log_loss(y_true, y_prob)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=mistakes)


@check(examples=20)
@given(problem=probability_problems(extremes=True))
def log_loss_clips_probabilities_of_zero_and_one(learner, problem):
    """With probabilities of exactly 0 and 1, log_loss is finite and equals sklearn's (clipped at eps) to 1e-12."""
    expected = sk_log_loss(problem.y_true, problem.y_prob)
    got = learner.log_loss(problem.y_true, problem.y_prob)
    value = np.asarray(got, dtype=np.float64) if isinstance(got, (float, int, np.ndarray, np.generic)) else None
    if value is not None and value.size == 1 and not np.isfinite(value).all():
        fail(f"log_loss returned {show(float(value.reshape(())))} when a row gives its true class probability 0: "
             "clip y_prob into [eps, 1 - eps] with eps = np.finfo(np.float64).eps before taking the log", got)
    got = assert_scalar(got, "log_loss(y_true, y_prob)")
    mistakes = _log_loss_mistakes(problem.y_true, problem.y_prob, expected)
    for eps in (1e-15, 1e-12, 1e-10, 1e-8, 1e-7):
        mistakes.append(Diagnosis(
            f"your loss clips probabilities at {eps:g}: clip at eps = np.finfo(np.float64).eps (about 2.2e-16)",
            lambda eps=eps: _clipped_log_loss(problem.y_true, problem.y_prob, eps)))
    assert_close(got, expected, what="log_loss(y_true, y_prob)", rtol=TOLERANCE, atol=TOLERANCE,
                 diagnoses=mistakes)


def _clipped_log_loss(y_true, y_prob, eps):
    p = np.column_stack([1 - y_prob, y_prob]) if y_prob.ndim == 1 else y_prob
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(np.log(p[np.arange(len(y_true)), y_true])))
