"""Classification metrics from scratch, matching scikit-learn's numbers (NumPy only).

Write five functions that score a classifier's output:

1. `confusion_matrix(y_true, y_pred, labels=None)`: counts of (true class, predicted class)
   pairs. Row i is the true class labels[i], column j the predicted class labels[j]. When
   labels is None, use every label that appears in y_true or y_pred, sorted. When labels
   is given, the matrix has one row and one column per entry of labels, in the order
   given (not sorted); a label that occurs nowhere gets a row and a column of zeros, and
   a pair whose true or predicted label is not in labels is not counted.
   Labels are integers but need not be 0, 1, 2, ...: they can be 3 and 7, or negative.
2. `precision_recall_f1(y_true, y_pred, average="binary", pos_label=1)`: precision, recall
   and F1 as three floats.
   - "binary" (the default): for the class pos_label only (y_true and y_pred hold at
     most the labels 0 and 1; pos_label is 1 by default and may be 0).
   - "micro": count true positives, false positives and false negatives over all classes
     together, then compute the three scores once.
   - "macro": the three scores per class (every label in y_true or y_pred, and no
     other), then their plain mean.
   - "weighted": the same per-class scores, averaged with weights equal to each class's
     number of true rows (its support).
   A score whose denominator is zero is 0.0 (a class never predicted has precision 0.0,
   a class never present has recall 0.0, and F1 is 0.0 when precision + recall is 0).
   This is scikit-learn's `zero_division=0`.
3. `roc_curve(y_true, y_score)`: the ROC curve of a binary problem (y_true in {0, 1}, both
   present). Sweep a threshold down through every distinct score: at each one, predict 1
   for rows whose score is >= threshold and record the false and true positive rates. The
   first point is (0, 0) with threshold +inf; keep every distinct score (do not drop
   points that lie on a straight line). Rows with equal scores enter together.
4. `roc_auc(y_true, y_score)`: the area under that curve. It equals the probability that a
   random positive row scores higher than a random negative row, with ties counted as
   one half.
5. `log_loss(y_true, y_prob)`: the mean negative log-likelihood of the true class. y_prob
   is (n,), the probability of class 1 in a binary problem, or (n, K), one column per
   class 0..K-1. Clip probabilities into [eps, 1 - eps] with
   eps = np.finfo(np.float64).eps first, so a confident mistake costs a large finite loss,
   not inf.

The grader compares every answer with `sklearn.metrics` on generated labels and scores,
and on every grading also on the edge cases: ties, a single class, a single row, classes
that are never predicted, classes that never occur, scores whose denominator is zero, and
calls that rely on the defaults. You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


def confusion_matrix(y_true, y_pred, labels=None):
    """Counts (K, K) int64 for y_true (n,) and y_pred (n,) ints; rows true, columns predicted, in `labels` order."""
    raise NotImplementedError("TODO: count each (true, predicted) pair")


def precision_recall_f1(y_true, y_pred, average="binary", pos_label=1):
    """(precision, recall, f1) as floats for y_true (n,) and y_pred (n,) ints; average is binary|micro|macro|weighted."""
    raise NotImplementedError("TODO: true positives, false positives, false negatives, then the three ratios")


def roc_curve(y_true, y_score):
    """(fpr, tpr, thresholds), each (m,) float64, for y_true (n,) in {0, 1} and y_score (n,) float64."""
    raise NotImplementedError("TODO: sort by score, then count positives and negatives above each threshold")


def roc_auc(y_true, y_score):
    """Area under the ROC curve as a float, for y_true (n,) in {0, 1} and y_score (n,) float64."""
    raise NotImplementedError("TODO: the area under roc_curve, or the rank formulation with ties as 1/2")


def log_loss(y_true, y_prob):
    """Mean negative log-likelihood (float) of y_true (n,) ints under y_prob (n,) or (n, K) float64."""
    raise NotImplementedError("TODO: clip, pick the probability of the true class, average -log")
