"""Known wrong variants of the stage1/metrics functions, as functions of the input (judge side).

Each mistake maps the input a check drew to the answer a learner who made it would return;
the grader names it only when the learner's answer is that answer on the failing input and
again on a fixed second input where the mistake shows (the SECOND_* inputs below).
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

Mistake = tuple[str, Callable]  # (message, function of the check's input -> wrong answer)
EPS = np.finfo(np.float64).eps


def quiet(function, *args, **kwargs):
    """Call a scikit-learn metric without its warnings (undefined ratios, one class)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def sk_confusion_matrix(y_true, y_pred, labels=None):
    from sklearn.metrics import confusion_matrix

    return quiet(confusion_matrix, y_true, y_pred, labels=labels)


def sk_scores(y_true, y_pred, average, pos_label=1, labels=None, zero_division=0.0):
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = quiet(precision_recall_fscore_support, y_true, y_pred, average=average, pos_label=pos_label,
                       labels=labels, zero_division=zero_division)
    return np.array([p, r, f], dtype=np.float64)


def sk_roc_curve(y_true, y_score):
    from sklearn.metrics import roc_curve

    return quiet(roc_curve, y_true, y_score, drop_intermediate=False)


def sk_roc_auc(y_true, y_score):
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y_true, y_score))


def sk_log_loss(y_true, y_prob):
    from sklearn.metrics import log_loss

    labels = [0, 1] if np.ndim(y_prob) == 1 else list(range(np.shape(y_prob)[1]))
    return float(quiet(log_loss, y_true, y_prob, labels=labels))


# -- second inputs: small, fixed, and rich enough that every mistake below shows on one -------

A = np.array
SECOND_BINARY = [  # (y_true, y_pred) in {0, 1}
    (A([0, 1, 1, 0, 0, 1, 1, 0, 1, 1]), A([1, 0, 0, 1, 0, 1, 0, 0, 0, 0])),  # every binary mistake differs here
    (A([1, 0, 1, 1]), A([0, 0, 0, 0])),  # class 1 never predicted: its precision is 0/0
    (A([0, 1, 0]), A([1, 1, 1])),  # class 0 never predicted: its precision is 0/0
]
SECOND_MULTI = [  # (y_true, y_pred)
    (A([1, 1, 3, 3, 3, 0, 0, 1]), A([1, 3, 3, 3, 0, 0, 4, 3])),  # 2 never occurs, 4 only predicted
    (A([2, 2, 2, 5, 5, 6, 6, 6, 2, 5, 2, 6]), A([2, 5, 9, 5, 2, 2, 9, 5, 2, 5, 2, 9])),  # 9 only predicted
]
SECOND_TIED = [  # (y_true, y_score) with ties across classes, in an order that is not by label
    (A([1, 0, 1, 0, 1, 1, 0, 0, 1, 0]), A([0.5, 0.5, 0.25, 0.75, 0.75, 0.5, 0.25, 0.125, 0.25, 0.5])),
    (A([0, 1, 0, 1, 1, 0]), A([0.3, 0.3, 0.7, 0.7, 0.1, 0.1])),
]
SECOND_LOG_BINARY = [(A([0, 1, 1, 0, 1, 0]), A([0.1, 0.8, 0.35, 0.45, 0.9, 0.2]))]
SECOND_LOG_MULTI = [(A([0, 2, 1, 2, 0]), A([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.7, 0.2],
                                              [0.5, 0.25, 0.25], [0.3, 0.3, 0.4]]))]
SECOND_LOG_EXTREME_BINARY = [(A([0, 1, 1, 0]), A([1.0, 0.0, 0.75, 0.25]))]
SECOND_LOG_EXTREME_MULTI = [(A([0, 1, 2]), A([[0.0, 0.5, 0.5], [0.25, 0.75, 0.0], [0.0, 0.0, 1.0]]))]


# -- confusion matrix ----------------------------------------------------------------------


def confusion_mistakes(labels_given: bool) -> list[Mistake]:
    """Wrong matrices for confusion_matrix(y_true, y_pred[, labels])."""
    found = [
        ("your matrix is transposed: rows are the true classes, columns the predicted ones",
         lambda y_true, y_pred, labels=None: sk_confusion_matrix(y_true, y_pred, labels).T),
    ]
    if labels_given:
        found += [
            ("your matrix ignores the order given in `labels` and uses the sorted labels",
             lambda y_true, y_pred, labels: sk_confusion_matrix(y_true, y_pred, np.sort(labels))),
            ("your matrix ignores `labels`: with labels given, its rows and columns are exactly those labels, in "
             "that order (a label that never occurs gets a row and a column of zeros)",
             lambda y_true, y_pred, labels: sk_confusion_matrix(y_true, y_pred)),
        ]
    else:
        found.append(("your matrix only has the classes present in y_true: a label seen only in y_pred needs its "
                      "row and column too",
                      lambda y_true, y_pred: sk_confusion_matrix(y_true, y_pred, np.unique(y_true))))
    return found


# -- precision, recall, F1 -----------------------------------------------------------------


def _nan_ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(a, dtype=np.float64) / np.asarray(b, dtype=np.float64)


def _skip_undefined_macro(y_true, y_pred):
    """Per-class ratios left NaN where undefined, then np.nanmean: undefined classes skipped, not counted as 0."""
    labels = np.unique(np.concatenate([y_true, y_pred]))
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in labels])
    predicted = np.array([np.sum(y_pred == c) for c in labels])
    support = np.array([np.sum(y_true == c) for c in labels])
    p, r = _nan_ratio(tp, predicted), _nan_ratio(tp, support)
    f = _nan_ratio(2 * p * r, p + r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([np.nanmean(p), np.nanmean(r), np.nanmean(f)])


def _weighted_by_predictions(y_true, y_pred):
    """Per-class scores averaged with weights = how often each class was predicted."""
    labels = np.unique(np.concatenate([y_true, y_pred]))
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = quiet(precision_recall_fscore_support, y_true, y_pred, labels=labels, average=None, zero_division=0)
    weights = np.array([np.sum(y_pred == c) for c in labels], dtype=np.float64)
    return np.array([np.sum(s * weights) / weights.sum() for s in (p, r, f)])


def _from_matrix(y_true, y_pred, average, labels):
    """Scores from confusion_matrix(labels=labels): pairs with a label outside `labels` are not counted."""
    counts = sk_confusion_matrix(y_true, y_pred, labels).astype(np.float64)  # (K, K)
    tp = np.diag(counts)
    predicted, support = counts.sum(axis=0), counts.sum(axis=1)
    if average == "micro":
        return np.array([_ratio0(tp.sum(), predicted.sum()), _ratio0(tp.sum(), support.sum()),
                         _ratio0(2 * tp.sum(), predicted.sum() + support.sum())])
    p, r, f = _ratio0(tp, predicted), _ratio0(tp, support), _ratio0(2 * tp, predicted + support)
    return np.array([np.mean(p), np.mean(r), np.mean(f)])


def _ratio0(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def _f1_of_averages(y_true, y_pred, average):
    p, r, _ = sk_scores(y_true, y_pred, average)
    return np.array([p, r, 2 * p * r / (p + r) if p + r else 0.0])


def _all_labels_up_to_the_largest(y_true, y_pred, average):
    largest = int(max(np.max(y_true), np.max(y_pred)))
    return sk_scores(y_true, y_pred, average, labels=np.arange(largest + 1))


SWAPPED = ("precision and recall are swapped: precision divides by what was predicted positive (tp + fp), recall "
           "by what truly is positive (tp + fn)")
ARITHMETIC_F1 = "F1 is the arithmetic mean of precision and recall: it is their harmonic mean, 2PR / (P + R)"
ZERO_DIVISION_ONE = ("a score whose denominator is 0 comes out as 1.0 in your code: it must be 0.0 (scikit-learn's "
                     "zero_division=0)")
AVERAGE_WORDS = {
    "micro": "'micro' counts tp, fp and fn over all classes together, then computes each score once",
    "macro": "'macro' is the plain mean of the per-class scores",
    "weighted": "'weighted' weights each class's scores by its support (its number of true rows)",
}


def _swap(scores):
    p, r, f = scores
    return np.array([r, p, f])


def _arithmetic(scores):
    p, r, _ = scores
    return np.array([p, r, (p + r) / 2])


def binary_mistakes(pos_label: int, defaults: bool) -> list[Mistake]:
    """Wrong (precision, recall, f1) for average='binary' with this pos_label (or the defaults)."""
    right = lambda y_true, y_pred: sk_scores(y_true, y_pred, "binary", pos_label)  # noqa: E731
    found = [
        (SWAPPED, lambda y_true, y_pred: _swap(right(y_true, y_pred))),
        (ARITHMETIC_F1, lambda y_true, y_pred: _arithmetic(right(y_true, y_pred))),
        (ZERO_DIVISION_ONE, lambda y_true, y_pred: sk_scores(y_true, y_pred, "binary", pos_label, zero_division=1.0)),
        (f"your scores are for class {1 - pos_label}: with average='binary' they are for pos_label ({pos_label})",
         lambda y_true, y_pred: sk_scores(y_true, y_pred, "binary", 1 - pos_label)),
        ("your scores are the mean over both classes: with average='binary' they are for pos_label alone",
         lambda y_true, y_pred: sk_scores(y_true, y_pred, "macro")),
    ]
    if defaults:
        for other in ("micro", "weighted"):
            found.append((f"called without `average`, your function computes the {other} average: the default is "
                          "average='binary' (scores of pos_label=1 alone)",
                          lambda y_true, y_pred, other=other: sk_scores(y_true, y_pred, other)))
    return found


def averaged_mistakes(average: str) -> list[Mistake]:
    """Wrong (precision, recall, f1) for average micro, macro or weighted (only those that can show there:
    micro has P = R = F, and a class with no true row weighs 0 in 'weighted')."""
    right = lambda y_true, y_pred: sk_scores(y_true, y_pred, average)  # noqa: E731
    found = []
    if average != "micro":
        found += [
            (SWAPPED, lambda y_true, y_pred: _swap(right(y_true, y_pred))),
            (ARITHMETIC_F1, lambda y_true, y_pred: _arithmetic(right(y_true, y_pred))),
            (ZERO_DIVISION_ONE, lambda y_true, y_pred: sk_scores(y_true, y_pred, average, zero_division=1.0)),
            ("your F1 is the harmonic mean of the averaged precision and recall: compute F1 per class first, then "
             "average those F1 scores", lambda y_true, y_pred: _f1_of_averages(y_true, y_pred, average)),
        ]
    for other in ("micro", "macro", "weighted"):
        if other != average:
            found.append((f"your scores are the {other} average: {AVERAGE_WORDS[average]}",
                          lambda y_true, y_pred, other=other: sk_scores(y_true, y_pred, other)))
    found.append((f"your function ignores `average`: these are the scores of class 1 alone, as average='binary' "
                  f"with pos_label=1 gives. With average={average!r}, {AVERAGE_WORDS[average]}",
                  lambda y_true, y_pred: sk_scores(y_true, y_pred, "macro", labels=[1])))
    if average == "weighted":
        found.append(("your weights count how often each class was predicted: weight by its support, the number of "
                      "true rows of that class", _weighted_by_predictions))
        return found
    leave_out = ("your scores leave out the classes that were predicted but never occur in y_true: count every "
                 "label in y_true or y_pred")
    found += [  # per class from all rows, or from a confusion matrix that drops the other labels' pairs
        (leave_out, lambda y_true, y_pred: sk_scores(y_true, y_pred, average, labels=np.unique(y_true))),
        (leave_out, lambda y_true, y_pred: _from_matrix(y_true, y_pred, average, np.unique(y_true))),
    ]
    if average == "macro":
        found += [
            ("your average runs over every integer from 0 to the largest label, including labels that occur in "
             "neither y_true nor y_pred: average over the labels that do occur",
             lambda y_true, y_pred: _all_labels_up_to_the_largest(y_true, y_pred, average)),
            ("your average skips the classes whose scores are undefined (0/0 left as NaN, then np.nanmean): such a "
             "score counts as 0.0 in the mean", _skip_undefined_macro),
        ]
    return found


# -- ROC -----------------------------------------------------------------------------------


def _pairwise_auc(y_true, y_score, tie_value):
    """P(positive scores above negative), a tie between them counted as `tie_value`."""
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    diff = pos[:, None] - neg[None, :]  # (n_pos, n_neg)
    return float(np.mean((diff > 0) + tie_value * (diff == 0)))


def _row_by_row_auc(y_true, y_score, reverse):
    """Trapezoids over one point per row, rows of equal score in file order (or reversed)."""
    order = np.argsort(-y_score, kind="stable") if not reverse else np.argsort(y_score, kind="stable")[::-1]
    hits = y_true[order]
    tpr = np.r_[0, np.cumsum(hits)] / hits.sum()
    fpr = np.r_[0, np.cumsum(1 - hits)] / (len(hits) - hits.sum())
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


ROW_BY_ROW = ("your AUC depends on the order of rows with equal scores: it steps through the rows one by one. Rows "
              "with equal scores must enter the curve together, one point per distinct score")


def auc_mistakes() -> list[Mistake]:
    """Wrong areas for roc_auc(y_true, y_score)."""
    return [
        ("your AUC counts a tied (positive, negative) pair as 0 instead of 1/2: it either compares scores with a "
         "strict >, or steps through tied rows one at a time (negatives first). A tie is a coin flip: on the curve, "
         "rows with equal scores enter together and draw a diagonal segment",
         lambda y_true, y_score: _pairwise_auc(y_true, y_score, 0.0)),
        ("your AUC counts a tied (positive, negative) pair as 1 instead of 1/2: it either compares scores with >=, "
         "or steps through tied rows one at a time (positives first). A tie is a coin flip: on the curve, rows with "
         "equal scores enter together and draw a diagonal segment",
         lambda y_true, y_score: _pairwise_auc(y_true, y_score, 1.0)),
        (ROW_BY_ROW, lambda y_true, y_score: _row_by_row_auc(y_true, y_score, False)),
        (ROW_BY_ROW, lambda y_true, y_score: _row_by_row_auc(y_true, y_score, True)),
        ("your AUC is 1 - AUC: higher scores should mean 'more likely positive', so sort scores from high to low",
         lambda y_true, y_score: 1.0 - sk_roc_auc(y_true, y_score)),
    ]


# -- log loss ------------------------------------------------------------------------------


def clipped_log_loss(y_true, y_prob, eps):
    """The log loss with probabilities clipped into [eps, 1 - eps]."""
    p = np.column_stack([1 - y_prob, y_prob]) if np.ndim(y_prob) == 1 else y_prob
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(np.log(p[np.arange(len(y_true)), y_true])))


def log_loss_mistakes(binary: bool, extremes: bool) -> list[Mistake]:
    """Wrong losses for log_loss(y_true, y_prob)."""
    found = [
        ("your loss uses log base 2: use the natural log, np.log", lambda t, p: sk_log_loss(t, p) / np.log(2)),
        ("your loss uses log base 10: use the natural log, np.log", lambda t, p: sk_log_loss(t, p) / np.log(10)),
        ("your loss is the sum over rows: take the mean", lambda t, p: sk_log_loss(t, p) * len(t)),
        ("your loss is negative: it is the mean of -log(p), and log(p) <= 0", lambda t, p: -sk_log_loss(t, p)),
    ]
    if binary:
        found.append(("your loss always uses the probability of class 1: for a row whose true class is 0, the "
                      "probability of the truth is 1 - y_prob",
                      lambda t, p: float(-np.mean(np.log(np.clip(p, EPS, 1 - EPS))))))
    if extremes:
        for eps in (1e-15, 1e-12, 1e-10, 1e-8, 1e-7):
            found.append((f"your loss clips probabilities at {eps:g}: clip at eps = np.finfo(np.float64).eps "
                          "(about 2.2e-16)", lambda t, p, eps=eps: clipped_log_loss(t, p, eps)))
    return found
