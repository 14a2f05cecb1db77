"""stage3/conv: a convolutional layer and max pooling, forward and backward, written with loops.

Images are batches x of shape (N, C, H, W): N images, C channels, H rows, W columns (PyTorch's
layout). NumPy only, float64; loops over the output positions are fine (that is the point of
"naive"). Every forward returns (out, cache); the cache is yours: whatever the backward needs.

  - conv_forward_naive(x, w, b, conv_param) -> (out, cache)
        w (F, C, HH, WW): F filters of C channels, HH rows and WW columns; b (F,): one bias per
        filter; conv_param = {"stride": s, "pad": p}.
        First pad x with p zeros on BOTH sides of each spatial axis (x_pad is (N, C, H + 2p, W + 2p)),
        then slide every filter over x_pad in steps of s:
            out[n, f, i, j] = b[f] + sum over c, a, e of x_pad[n, c, i*s + a, j*s + e] * w[f, c, a, e]
        The filter is used as it is, not flipped (cross-correlation, which deep-learning libraries
        call convolution: torch.nn.functional.conv2d). out has shape (N, F, H_out, W_out) with
            H_out = 1 + (H + 2p - HH) / s    and    W_out = 1 + (W + 2p - WW) / s.
        The grader only uses sizes for which both divisions are exact (use //).
  - conv_backward_naive(dout, cache) -> (dx, dw, db): the gradients of sum(out * dout) with
        respect to x, w and b, with the shapes of x, w and b. dx is the gradient of the original
        x, not of x_pad: the padding is not an input. db sums dout over the batch and every position.
  - max_pool_forward_naive(x, pool_param) -> (out, cache)
        pool_param = {"pool_height": PH, "pool_width": PW, "stride": s}; no padding:
            out[n, c, i, j] = max of x[n, c, i*s : i*s + PH, j*s : j*s + PW]
        out (N, C, H_out, W_out) with H_out = 1 + (H - PH) / s, W_out = 1 + (W - PW) / s (exact
        divisions again). When s < PH or s < PW the windows overlap.
  - max_pool_backward_naive(dout, cache) -> dx (N, C, H, W): every window sends its gradient
        dout[n, c, i, j] to the position of its maximum, and nothing to the other positions.
        Where windows overlap, one position can be the maximum of several windows: it receives
        the SUM of their gradients (accumulate, never overwrite). Where several entries of one
        window tie for its maximum, the window's gradient goes to exactly ONE of them (torch takes
        the first in row-major order; the grader accepts any one), never to all of them.

The grader compares your forwards with torch.nn.functional.conv2d (to 1e-10) and max_pool2d
(exactly: a maximum is one of the inputs) in float64, your backwards with torch autograd of
the same (relative error at most 1e-8, where relative error = |a - b| / max(|a| + |b|, 1e-8)),
and, on a small case, with central differences of your own forwards (at most 1e-7). Every
grading tries: strides 1 and 2, padding 0 and 1, non-square kernels, 1x1 kernels, N, C and F
all at least 2 at once, a single image and filter, pooling windows that overlap, and windows
with ties. Gaussian and grid-valued inputs both come. NumPy only: importing torch is refused.
"""

import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    """Convolution layer forward.

    x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param {"stride": int, "pad": int}
    -> (out (N, F, H_out, W_out), cache).
    """
    raise NotImplementedError("TODO: conv_forward_naive")


def conv_backward_naive(dout, cache):
    """Convolution layer backward.

    dout (N, F, H_out, W_out), cache from conv_forward_naive
    -> (dx (N, C, H, W), dw (F, C, HH, WW), db (F,)).
    """
    raise NotImplementedError("TODO: conv_backward_naive")


def max_pool_forward_naive(x, pool_param):
    """Max pooling forward.

    x (N, C, H, W), pool_param {"pool_height": int, "pool_width": int, "stride": int}
    -> (out (N, C, H_out, W_out), cache).
    """
    raise NotImplementedError("TODO: max_pool_forward_naive")


def max_pool_backward_naive(dout, cache):
    """Max pooling backward.

    dout (N, C, H_out, W_out), cache from max_pool_forward_naive -> dx (N, C, H, W).
    """
    raise NotImplementedError("TODO: max_pool_backward_naive")
