"""A correct stage1/metrics written unlike the reference: np.add.at for the confusion matrix,
per-class loops for the scores, AUC by the Mann-Whitney rank formula with average ranks."""

import numpy as np


def confusion_matrix(y_true, y_pred, labels=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = np.asarray(labels)
    k = len(labels)
    out = np.zeros((k, k), dtype=np.int64)
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            out[i, j] = np.count_nonzero((y_true == a) & (y_pred == b))
    return out


def _prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def precision_recall_f1(y_true, y_pred, average="binary", pos_label=1):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if average == "binary":
        labels = [pos_label]
    else:
        labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    rows = []
    for c in labels:
        tp = int(np.sum((y_true == c) & (y_pred == c)))
        fp = int(np.sum((y_true != c) & (y_pred == c)))
        fn = int(np.sum((y_true == c) & (y_pred != c)))
        rows.append((tp, fp, fn, int(np.sum(y_true == c))))
    if average == "binary":
        return _prf(*rows[0][:3])
    if average == "micro":
        tp, fp, fn = (sum(r[i] for r in rows) for i in range(3))
        return _prf(tp, fp, fn)
    scores = np.array([_prf(*r[:3]) for r in rows])  # (K, 3)
    if average == "macro":
        return tuple(float(x) for x in scores.mean(axis=0))
    weights = np.array([r[3] for r in rows], dtype=float)
    return tuple(float(x) for x in weights @ scores / weights.sum())


def roc_curve(y_true, y_score):
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    thresholds = np.unique(y_score)[::-1]
    P, N = np.sum(y_true == 1), np.sum(y_true == 0)
    tpr = [0.0] + [np.sum((y_score >= t) & (y_true == 1)) / P for t in thresholds]
    fpr = [0.0] + [np.sum((y_score >= t) & (y_true == 0)) / N for t in thresholds]
    return np.array(fpr), np.array(tpr), np.concatenate([[np.inf], thresholds])


def _average_ranks(x):
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    sorted_x = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def roc_auc(y_true, y_score):
    y_true = np.asarray(y_true)
    ranks = _average_ranks(np.asarray(y_score, dtype=float))
    n_pos = np.sum(y_true == 1)
    n_neg = len(y_true) - n_pos
    return float((ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def log_loss(y_true, y_prob):
    eps = np.finfo(np.float64).eps
    y_true = np.asarray(y_true).astype(int)
    y_prob = np.asarray(y_prob, dtype=float)
    total = 0.0
    for i, c in enumerate(y_true):
        if y_prob.ndim == 1:
            p = y_prob[i] if c == 1 else 1 - y_prob[i]
        else:
            p = y_prob[i, c]
        total -= np.log(min(max(p, eps), 1 - eps))
    return total / len(y_true)
