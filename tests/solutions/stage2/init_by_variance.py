"""stage2/init written from the variances (a correct solution in another style): each rule
computes the weight variance it wants, then draws the distribution with that variance."""

import numpy as np

GAINS = {"tanh": 5.0 / 3, "relu": 2.0 ** 0.5, "selu": 0.75}


def fans(shape):
    dims = list(shape)
    if len(dims) < 2:
        raise ValueError("need at least a 2-D weight")
    receptive = 1
    for size in dims[2:]:
        receptive *= size
    return dims[1] * receptive, dims[0] * receptive


def calculate_gain(nonlinearity, param=None):
    if nonlinearity in GAINS:
        return GAINS[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return (2.0 / (1.0 + slope * slope)) ** 0.5
    if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith(("conv1d", "conv2d", "conv3d", "conv_transpose")):
        return 1.0
    raise ValueError(nonlinearity)


def _variance_xavier(shape, gain):
    fan_in, fan_out = fans(shape)
    return gain * gain * 2.0 / (fan_in + fan_out)


def xavier_uniform(shape, gain=1.0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    half_width = np.sqrt(3.0 * _variance_xavier(shape, gain))  # U(-a, a) has variance a**2 / 3
    return (rng.random(tuple(shape)) * 2.0 - 1.0) * half_width


def xavier_normal(shape, gain=1.0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return rng.standard_normal(tuple(shape)) * np.sqrt(_variance_xavier(shape, gain))


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    fan_in, fan_out = fans(shape)
    fans_by_mode = {"fan_in": fan_in, "fan_out": fan_out}
    if mode not in fans_by_mode:
        raise ValueError(f"unknown mode {mode!r}")
    fan = fans_by_mode[mode]
    variance = calculate_gain(nonlinearity, a) ** 2 / fan
    return rng.standard_normal(tuple(shape)) * np.sqrt(variance)
