"""stage3/embeddings with explicit loops over the batch and the time steps, dict caches, math-module scalars and a
softmax through probabilities (a correct solution in another style)."""

import math

import numpy as np


def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softplus(z):
    # log(1 + exp(z)), exact for large |z|
    if z > 0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


def word_embedding_forward(x, W):
    N, T = x.shape
    D = W.shape[1]
    out = np.zeros((N, T, D))
    for n in range(N):
        for t in range(T):
            out[n, t, :] = W[x[n, t], :]
    cache = {"x": x, "V": W.shape[0], "D": D}
    return out, cache


def word_embedding_backward(dout, cache):
    x = cache["x"]
    N, T = x.shape
    dW = np.zeros((cache["V"], cache["D"]))
    for n in range(N):
        for t in range(T):
            dW[x[n, t], :] += dout[n, t, :]  # one row at a time: a repeated word adds up
    return dW


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = np.zeros((N, T, M))
    for t in range(T):
        out[:, t, :] = x[:, t, :].dot(w) + b
    cache = {"x": x, "w": w}
    return out, cache


def temporal_affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    N, T, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, T, D))
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for t in range(T):
        dx[:, t, :] = dout[:, t, :].dot(w.T)
        dw += x[:, t, :].T.dot(dout[:, t, :])
        db += dout[:, t, :].sum(axis=0)
    return dx, dw, db


def temporal_softmax_loss(x, y, mask):
    N, T, V = x.shape
    loss = 0.0
    dx = np.zeros((N, T, V))
    for n in range(N):
        for t in range(T):
            if not mask[n, t]:
                continue  # this position is padding: no loss, no gradient
            scores = x[n, t] - np.max(x[n, t])
            total = np.sum(np.exp(scores))
            loss -= scores[y[n, t]] - math.log(total)
            probs = np.exp(scores) / total
            probs[y[n, t]] -= 1.0
            dx[n, t] = probs / N
    return loss / N, dx


def skipgram_negative_sampling_loss(center_vec, context_vec, negative_vecs):
    K = negative_vecs.shape[0]
    s_o = float(np.dot(context_vec, center_vec))
    loss = _softplus(-s_o)
    coef_o = -_sigmoid(-s_o)
    d_center = coef_o * context_vec
    d_context = coef_o * center_vec
    d_negatives = np.zeros_like(negative_vecs)
    for k in range(K):
        s_k = float(np.dot(negative_vecs[k], center_vec))
        loss += _softplus(s_k)
        coef_k = 1.0 - _sigmoid(-s_k)
        d_center = d_center + coef_k * negative_vecs[k]
        d_negatives[k] = coef_k * center_vec
    return loss, d_center, d_context, d_negatives
