"""stage2/init: weight initialisation that keeps signals alive — Xavier (Glorot) and Kaiming (He).

A deep network trains only if its activations and gradients neither shrink to nothing nor
blow up from layer to layer. The scale of the initial weights decides it. Write NumPy
versions of torch.nn.init's rules, with torch's conventions:

  - a weight has torch's layout: shape (out_features, in_features) for a linear layer,
    (out_channels, in_channels, *kernel) for a convolution; fans(shape) gives
    fan_in = shape[1] * receptive and fan_out = shape[0] * receptive, where receptive is the
    product of the kernel sizes (1 for a linear layer); fewer than 2 dimensions: ValueError;
  - calculate_gain(nonlinearity, param=None): "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid" -> 1;
    "tanh" -> 5/3; "relu" -> sqrt(2); "leaky_relu" -> sqrt(2 / (1 + slope**2)) with
    slope = param (0.01 when param is None); "selu" -> 3/4; anything else: ValueError;
  - every draw comes from the `rng` given (a numpy.random.Generator; when it is None, make
    one with np.random.default_rng()), never from np.random's global state, so the same rng
    seed always gives the same weights.

The grader draws large samples from your functions and tests them against the distributions
torch.nn.init defines (a Kolmogorov-Smirnov test at a fixed seed), then initialises a
20-layer ReLU network with your kaiming_normal and checks that its activations keep their
scale. NumPy only.
"""

import numpy as np


def fans(shape):
    """(fan_in, fan_out) of a weight of this shape, as torch computes them."""
    raise NotImplementedError("TODO: fans")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (see the module docstring)."""
    raise NotImplementedError("TODO: calculate_gain")


def xavier_uniform(shape, gain=1.0, rng=None):
    """Weights drawn from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); float64 array of `shape`."""
    raise NotImplementedError("TODO: xavier_uniform")


def xavier_normal(shape, gain=1.0, rng=None):
    """Weights drawn from N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)); float64 array of `shape`."""
    raise NotImplementedError("TODO: xavier_normal")


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """Weights drawn from N(0, std**2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a).

    mode "fan_in" (fan = fan_in: keeps the forward pass's scale) or "fan_out" (the backward
    pass's); anything else: ValueError. float64 array of `shape`.
    """
    raise NotImplementedError("TODO: kaiming_normal")
