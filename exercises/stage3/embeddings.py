"""stage3/embeddings: word embeddings, a temporal affine layer, a masked softmax loss over sequences, and
word2vec's skip-gram loss with negative sampling, forward and backward.

NumPy only, float64, CS231n's layer functions: each forward returns its output and a cache (yours: whatever
the backward needs), each backward takes the upstream gradient and that cache. N is the batch, T the number of
time steps, V the vocabulary size, D the embedding (or input) size, M an output size.

Word embedding, a table lookup:
  - word_embedding_forward(x, W) -> (out, cache)
        x (N, T) integers, each in [0, V); W (V, D), one row per word.
        out (N, T, D) with out[n, t] = W[x[n, t]].
  - word_embedding_backward(dout, cache) -> dW
        dout (N, T, D), the upstream gradient of out; dW (V, D) is the gradient of sum(out * dout).
        A word that appears at several positions receives the SUM of the gradients of all of them, and a word
        that never appears gets a zero row. Beware: with NumPy, dW[x] += dout does not add up repeated
        indices (only one of the additions survives); np.add.at(dW, x, dout) does.

Temporal affine, the same affine map applied at every time step:
  - temporal_affine_forward(x, w, b) -> (out, cache)
        x (N, T, D), w (D, M), b (M,); out (N, T, M) with out[n, t] = x[n, t] @ w + b.
  - temporal_affine_backward(dout, cache) -> (dx, dw, db)
        dout (N, T, M); dx (N, T, D), dw (D, M), db (M,): the gradients of sum(out * dout). The weights are
        shared by every example and every time step, so dw and db are summed over both N and T.

Temporal softmax loss, for scoring a vocabulary at every time step:
  - temporal_softmax_loss(x, y, mask) -> (loss, dx)
        x (N, T, V) scores, y (N, T) integer targets in [0, V), mask (N, T) of booleans.
        loss = -(1 / N) * sum over every (n, t) with mask[n, t] True of log softmax(x[n, t])[y[n, t]]
        where softmax is over the last axis (V). This is CS231n's convention: the sum runs over the
        masked-in positions only, and it is divided by N, the batch size -- NOT by the number of masked-in
        positions, and not by N * T. Positions with mask False contribute nothing to the loss, and dx is
        exactly 0 there, whatever x and y hold at those positions.
        loss is a float; dx (N, T, V) is its gradient with respect to x.
        It must stay finite and exact for scores as large as +-1000.

Skip-gram with negative sampling (word2vec), for one (center, context) pair and K sampled negative words:
  - skipgram_negative_sampling_loss(center_vec, context_vec, negative_vecs)
        -> (loss, d_center, d_context, d_negatives)
        center_vec v_c (D,), context_vec u_o (D,), negative_vecs (K, D) whose row k is the vector u_k.
        loss = -log sigmoid(u_o . v_c) - sum over k of log sigmoid(-u_k . v_c),  a float,
        with sigmoid(z) = 1 / (1 + exp(-z)).
        d_center (D,), d_context (D,), d_negatives (K, D): the gradients of loss with respect to v_c, u_o and
        each row u_k. A word drawn twice as a negative is two rows, each with its own gradient row.
        It must stay finite and exact when the dot products are as large as +-1000.

The grader compares in float64 with torch: forwards with torch.nn.functional.embedding, x @ w + b,
cross_entropy (masked and divided by N) and logsigmoid, to 1e-10 relative; backwards with torch autograd
(relative error at most 1e-8, where relative error = |a - b| / max(|a| + |b|, 1e-8)) and, on small fixed cases,
with central differences of your own forwards (at most 1e-7); at scores of +-1000, finite and within 1e-9. Every
grading tries an index repeated within a sequence and across the batch, masks with positions masked out (and a whole
sequence masked out), and scores of +-1000. NumPy only: importing torch, jax, tensorflow, keras or sklearn is refused.
"""

import numpy as np


def word_embedding_forward(x, W):
    """Look up one row of W per index.

    x (N, T) integers in [0, V), W (V, D) -> (out (N, T, D), cache).
    """
    raise NotImplementedError("TODO: word_embedding_forward")


def word_embedding_backward(dout, cache):
    """Gradient of the lookup with respect to W; repeated indices add up.

    dout (N, T, D), cache -> dW (V, D).
    """
    raise NotImplementedError("TODO: word_embedding_backward")


def temporal_affine_forward(x, w, b):
    """The affine map x[n, t] @ w + b at every time step.

    x (N, T, D), w (D, M), b (M,) -> (out (N, T, M), cache).
    """
    raise NotImplementedError("TODO: temporal_affine_forward")


def temporal_affine_backward(dout, cache):
    """Backward of the temporal affine layer; dw and db summed over N and T.

    dout (N, T, M), cache -> (dx (N, T, D), dw (D, M), db (M,)).
    """
    raise NotImplementedError("TODO: temporal_affine_backward")


def temporal_softmax_loss(x, y, mask):
    """Masked softmax cross-entropy over sequences, summed over the masked-in positions and divided by N.

    x (N, T, V), y (N, T) integers, mask (N, T) booleans -> (loss (float), dx (N, T, V)).
    """
    raise NotImplementedError("TODO: temporal_softmax_loss")


def skipgram_negative_sampling_loss(center_vec, context_vec, negative_vecs):
    """-log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c) and its gradients.

    center_vec (D,), context_vec (D,), negative_vecs (K, D)
    -> (loss (float), d_center (D,), d_context (D,), d_negatives (K, D)).
    """
    raise NotImplementedError("TODO: skipgram_negative_sampling_loss")
