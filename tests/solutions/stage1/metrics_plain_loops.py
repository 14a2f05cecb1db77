"""A correct stage1/metrics written the way a learner who typed along might: Python loops and
dicts, per-class counts one label at a time, the ROC curve by sweeping the sorted distinct
scores, the AUC by the trapezoid rule with np.trapezoid-free sums, log loss row by row."""

import math

import numpy as np


def confusion_matrix(y_true, y_pred, labels=None):
    y_true = [int(v) for v in y_true]
    y_pred = [int(v) for v in y_pred]
    if labels is None:
        labels = sorted(set(y_true) | set(y_pred))
    labels = [int(v) for v in labels]
    position = {}
    for i, label in enumerate(labels):
        position[label] = i
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        if t in position and p in position:
            matrix[position[t]][position[p]] += 1
    return matrix


def _divide(a, b):
    if b == 0:
        return 0.0
    return a / b


def _counts(y_true, y_pred, label):
    tp = fp = fn = 0
    for t, p in zip(y_true, y_pred):
        if p == label and t == label:
            tp += 1
        elif p == label:
            fp += 1
        elif t == label:
            fn += 1
    return tp, fp, fn


def _prf(tp, fp, fn):
    precision = _divide(tp, tp + fp)
    recall = _divide(tp, tp + fn)
    f1 = _divide(2 * precision * recall, precision + recall)
    return precision, recall, f1


def precision_recall_f1(y_true, y_pred, average="binary", pos_label=1):
    y_true = [int(v) for v in y_true]
    y_pred = [int(v) for v in y_pred]
    if average == "binary":
        return _prf(*_counts(y_true, y_pred, pos_label))
    labels = sorted(set(y_true) | set(y_pred))
    if average == "micro":
        total = [0, 0, 0]
        for label in labels:
            for k, count in enumerate(_counts(y_true, y_pred, label)):
                total[k] += count
        return _prf(*total)
    scores = [_prf(*_counts(y_true, y_pred, label)) for label in labels]
    if average == "macro":
        weights = [1.0] * len(labels)
    else:
        weights = [float(y_true.count(label)) for label in labels]
    return tuple(sum(w * s[k] for w, s in zip(weights, scores)) / sum(weights) for k in range(3))


def roc_curve(y_true, y_score):
    y_true = [int(v) for v in y_true]
    y_score = [float(v) for v in y_score]
    positives = sum(y_true)
    negatives = len(y_true) - positives
    fpr, tpr, thresholds = [0.0], [0.0], [math.inf]
    for threshold in sorted(set(y_score), reverse=True):
        tp = sum(1 for t, s in zip(y_true, y_score) if s >= threshold and t == 1)
        fp = sum(1 for t, s in zip(y_true, y_score) if s >= threshold and t == 0)
        fpr.append(fp / negatives)
        tpr.append(tp / positives)
        thresholds.append(threshold)
    return np.array(fpr), np.array(tpr), np.array(thresholds)


def roc_auc(y_true, y_score):
    fpr, tpr, _ = roc_curve(y_true, y_score)
    area = 0.0
    for i in range(1, len(fpr)):
        area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2
    return area


def log_loss(y_true, y_prob):
    eps = np.finfo(np.float64).eps
    y_prob = np.asarray(y_prob, dtype=float)
    total = 0.0
    for i, label in enumerate(y_true):
        if y_prob.ndim == 1:
            p = y_prob[i] if label == 1 else 1 - y_prob[i]
        else:
            p = y_prob[i][int(label)]
        p = min(max(p, eps), 1 - eps)
        total += -math.log(p)
    return total / len(y_true)
