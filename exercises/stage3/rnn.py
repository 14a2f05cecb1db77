"""stage3/rnn: a vanilla RNN and an LSTM, one time step and whole sequences, forward and backward.

NumPy only, float64, CS231n's layer functions: each forward returns its output and a cache
(yours: whatever the backward needs), each backward takes the upstream gradient and that cache.
N is the batch, T the number of time steps, D the input size, H the hidden size (H and D differ
in general).

Vanilla RNN, with tanh:
  - rnn_step_forward(x, prev_h, Wx, Wh, b) -> (next_h, cache)
        x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,):
        next_h = tanh(x @ Wx + prev_h @ Wh + b)                                   (N, H)
  - rnn_step_backward(dnext_h, cache) -> (dx, dprev_h, dWx, dWh, db): the gradients of
        sum(next_h * dnext_h), each with the shape of its input (db (H,) is summed over the batch).
  - rnn_forward(x, h0, Wx, Wh, b) -> (h, cache): x (N, T, D), h0 (N, H) the state before the
        first step; h (N, T, H) holds the hidden state after every step, h[:, t] = next_h at step t.
  - rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db): dh (N, T, H) is the upstream gradient of
        EVERY hidden state h[:, t] (each one may feed a loss), and the gradients are those of
        sum(h * dh): dx (N, T, D), dh0 (N, H), and the parameters' gradients summed over the batch
        and over the time steps.

LSTM, with the four gates in the order i, f, g, o (torch.nn.LSTM's order):
  - lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> (next_h, next_c, cache)
        Wx (D, 4H), Wh (H, 4H), b (4H,); a = x @ Wx + prev_h @ Wh + b, of shape (N, 4H), is cut
        into four blocks of H columns, in this order:
            i = sigmoid(a[:, 0:H])      input gate
            f = sigmoid(a[:, H:2H])     forget gate
            g = tanh(a[:, 2H:3H])       candidate cell
            o = sigmoid(a[:, 3H:4H])    output gate
        next_c = f * prev_c + i * g,  next_h = o * tanh(next_c).
        (Some course notebooks order the blocks i, f, o, g: here g comes before o.)
  - lstm_step_backward(dnext_h, dnext_c, cache) -> (dx, dprev_h, dprev_c, dWx, dWh, db): the
        gradients of sum(next_h * dnext_h) + sum(next_c * dnext_c).
  - lstm_forward(x, h0, Wx, Wh, b) -> (h, cache): the cell state starts at zero (c0 = 0);
        x (N, T, D), h0 (N, H), h (N, T, H).
  - lstm_backward(dh, cache) -> (dx, dh0, dWx, dWh, db): the gradients of sum(h * dh), with dh the
        upstream gradient of every hidden state, as for the RNN.

The grader loads your weights into torch's modules (weight_ih = Wx.T, weight_hh = Wh.T,
bias_ih = b, bias_hh = 0: torch.nn.RNNCell / RNN with tanh, LSTMCell / LSTM, whose weight_ih
stacks the gates i, f, g, o the same way) and compares in float64: forwards to 1e-10, backwards
with torch autograd (relative error at most 1e-8, where relative error =
|a - b| / max(|a| + |b|, 1e-8)), and on a small case with central differences of your own
forwards (at most 1e-7). Every grading tries T = 1, N = 1, H != D, and N, T, D, H all at least 2.
NumPy only: importing torch is refused.
"""

import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One tanh RNN step.

    x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> (next_h (N, H), cache).
    """
    raise NotImplementedError("TODO: rnn_step_forward")


def rnn_step_backward(dnext_h, cache):
    """Backward of one RNN step.

    dnext_h (N, H), cache -> (dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,)).
    """
    raise NotImplementedError("TODO: rnn_step_backward")


def rnn_forward(x, h0, Wx, Wh, b):
    """A tanh RNN over a whole sequence.

    x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,) -> (h (N, T, H), cache).
    """
    raise NotImplementedError("TODO: rnn_forward")


def rnn_backward(dh, cache):
    """Backward of the RNN over a whole sequence.

    dh (N, T, H), cache -> (dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,)).
    """
    raise NotImplementedError("TODO: rnn_backward")


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step, gates i, f, g, o.

    x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)
    -> (next_h (N, H), next_c (N, H), cache).
    """
    raise NotImplementedError("TODO: lstm_step_forward")


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward of one LSTM step.

    dnext_h (N, H), dnext_c (N, H), cache
    -> (dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)).
    """
    raise NotImplementedError("TODO: lstm_step_backward")


def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM over a whole sequence, the cell state starting at zero.

    x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,) -> (h (N, T, H), cache).
    """
    raise NotImplementedError("TODO: lstm_forward")


def lstm_backward(dh, cache):
    """Backward of the LSTM over a whole sequence.

    dh (N, T, H), cache -> (dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)).
    """
    raise NotImplementedError("TODO: lstm_backward")
