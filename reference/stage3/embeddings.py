"""Reference for stage3/embeddings: a word-embedding lookup, a temporal affine layer, a masked temporal softmax loss
and the skip-gram negative-sampling loss, forward and backward, in NumPy."""

import numpy as np


def sigmoid(z):
    """A logistic sigmoid that never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def word_embedding_forward(x, W):
    """x (N, T) integers in [0, V), W (V, D) -> (out (N, T, D), cache): out[n, t] = W[x[n, t]]."""
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    """dout (N, T, D) -> dW (V, D); a word used several times gets the sum of all its gradients."""
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)  # unbuffered: repeated indices add up
    return dW


def temporal_affine_forward(x, w, b):
    """x (N, T, D), w (D, M), b (M,) -> (out (N, T, M), cache): the same affine map at every time step."""
    return x @ w + b, (x, w)


def temporal_affine_backward(dout, cache):
    """dout (N, T, M) -> (dx (N, T, D), dw (D, M), db (M,)), the parameters' gradients summed over N and T."""
    x, w = cache
    D, M = w.shape
    dx = dout @ w.T
    dw = x.reshape(-1, D).T @ dout.reshape(-1, M)
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask):
    """x (N, T, V) scores, y (N, T) targets, mask (N, T) bool -> (loss, dx (N, T, V)).

    loss = -(1 / N) * sum over the positions with mask True of log softmax(x[n, t])[y[n, t]]."""
    N, T, V = x.shape
    flat_x, flat_y, flat_mask = x.reshape(N * T, V), y.reshape(N * T), mask.reshape(N * T)
    shifted = flat_x - flat_x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N * T)
    loss = -np.sum(log_probs[rows, flat_y] * flat_mask) / N
    dx = np.exp(log_probs)
    dx[rows, flat_y] -= 1.0
    dx *= flat_mask[:, None] / N
    return loss, dx.reshape(N, T, V)


def skipgram_negative_sampling_loss(center_vec, context_vec, negative_vecs):
    """center_vec v_c (D,), context_vec u_o (D,), negative_vecs (K, D), one u_k a row
    -> (loss, d_center (D,), d_context (D,), d_negatives (K, D)).

    loss = -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c)."""
    pos = context_vec @ center_vec
    neg = negative_vecs @ center_vec  # (K,)
    # -log sigmoid(z) = log(1 + exp(-z)), computed without overflow
    loss = np.logaddexp(0.0, -pos) + np.sum(np.logaddexp(0.0, neg))
    g_pos = sigmoid(pos) - 1.0  # d loss / d (u_o . v_c)
    g_neg = sigmoid(neg)  # d loss / d (u_k . v_c)
    d_center = g_pos * context_vec + g_neg @ negative_vecs
    d_context = g_pos * center_vec
    d_negatives = np.outer(g_neg, center_vec)
    return float(loss), d_center, d_context, d_negatives
