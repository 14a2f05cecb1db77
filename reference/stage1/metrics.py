"""Reference solution for stage1/metrics: confusion matrix, precision / recall / F1 with
their averages, the ROC curve and its area, and the log loss (NumPy only).

Hidden from the learner. Every function matches `sklearn.metrics` with zero_division=0.
"""

import numpy as np

EPS = np.finfo(np.float64).eps


def _labels(y_true, y_pred):
    """Every label in y_true or y_pred, sorted."""
    return np.unique(np.concatenate([y_true, y_pred]))


def confusion_matrix(y_true, y_pred, labels=None):
    """Counts (K, K): row i = true labels[i], column j = predicted labels[j]."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = _labels(y_true, y_pred) if labels is None else np.asarray(labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        if t in index and p in index:  # pairs outside `labels` are not counted
            counts[index[t], index[p]] += 1
    return counts


def _ratio(numerator, denominator):
    """numerator / denominator elementwise, 0.0 where the denominator is 0 (zero_division=0)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _scores(tp, fp, fn):
    """Precision, recall and F1 from counts (arrays of the same shape)."""
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)  # = 2PR / (P + R), and 0 when both are 0
    return precision, recall, f1


def precision_recall_f1(y_true, y_pred, average="binary", pos_label=1):
    """(precision, recall, f1) for average in binary | micro | macro | weighted."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if average == "binary":
        tp = np.sum((y_true == pos_label) & (y_pred == pos_label))
        fp = np.sum((y_true != pos_label) & (y_pred == pos_label))
        fn = np.sum((y_true == pos_label) & (y_pred != pos_label))
        return tuple(float(s) for s in _scores(tp, fp, fn))
    counts = confusion_matrix(y_true, y_pred)  # (K, K)
    tp = np.diag(counts)  # (K,)
    fp = counts.sum(axis=0) - tp  # predicted as the class, truly another
    fn = counts.sum(axis=1) - tp  # truly the class, predicted as another
    if average == "micro":
        return tuple(float(s) for s in _scores(tp.sum(), fp.sum(), fn.sum()))
    per_class = _scores(tp, fp, fn)  # three (K,) arrays
    if average == "macro":
        return tuple(float(np.mean(s)) for s in per_class)
    if average == "weighted":
        support = counts.sum(axis=1)  # (K,) true rows per class
        return tuple(float(np.sum(s * support) / support.sum()) for s in per_class)
    raise ValueError(f"average must be 'binary', 'micro', 'macro' or 'weighted', not {average!r}")


def roc_curve(y_true, y_score):
    """(fpr, tpr, thresholds): one point per distinct score, highest first, after (0, 0) at +inf."""
    y_true = np.asarray(y_true) == 1
    y_score = np.asarray(y_score, dtype=np.float64)
    order = np.argsort(-y_score, kind="stable")
    scores, hits = y_score[order], y_true[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # ends of runs of equal scores
    tps = np.cumsum(hits)[last_of_each]  # positives scoring >= each threshold
    fps = last_of_each + 1 - tps
    fpr = np.r_[0.0, fps / fps[-1]]
    tpr = np.r_[0.0, tps / tps[-1]]
    return fpr, tpr, np.r_[np.inf, scores[last_of_each]]


def roc_auc(y_true, y_score):
    """Area under the ROC curve by the trapezoidal rule (a tie between classes counts 1/2)."""
    fpr, tpr, _ = roc_curve(y_true, y_score)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def log_loss(y_true, y_prob):
    """Mean of -log(probability of the true class), probabilities clipped to [eps, 1 - eps]."""
    y_true = np.asarray(y_true)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_prob.ndim == 1:  # binary: the probability of class 1
        y_prob = np.column_stack([1.0 - y_prob, y_prob])  # (n, 2)
    y_prob = np.clip(y_prob, EPS, 1 - EPS)
    picked = y_prob[np.arange(len(y_true)), y_true.astype(np.int64)]  # (n,)
    return float(-np.mean(np.log(picked)))
