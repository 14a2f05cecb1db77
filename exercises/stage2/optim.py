"""stage2/optim: the update rules that train every network — SGD, SGD with momentum, RMSprop, Adam.

Each rule is a function `rule(w, dw, config=None) -> (next_w, config)`, CS231n style:
  - w is a NumPy array of parameters (any shape), dw the gradient of the loss with respect
    to w (same shape);
  - config is a dict of hyperparameters and of the rule's own state (a velocity, running
    averages, a step count). When config is None, or lacks a key, use the default stated
    below and store it in config. The state starts as zeros of w's shape (t at 0) the first
    time and is read back from config on every later call: the caller passes the config
    returned by one step to the next step;
  - return the updated parameters and that config.

The grader runs 50-step trajectories of each rule against torch.optim (SGD, SGD with
momentum, RMSprop, Adam) in float64 and compares them to 1e-10, so follow these formulas
exactly (they are the ones torch.optim computes, written CS231n's way):

  sgd:          next_w = w - learning_rate * dw
  sgd_momentum: v = momentum * v - learning_rate * dw;  next_w = w + v
  rmsprop:      cache = decay_rate * cache + (1 - decay_rate) * dw**2
                next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)
  adam:         t = t + 1  (first, so the first step has t = 1)
                m = beta1 * m + (1 - beta1) * dw
                v = beta2 * v + (1 - beta2) * dw**2
                m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
                next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

epsilon goes outside the square root, added to it. NumPy only: importing torch is refused.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Plain stochastic gradient descent.

    config: learning_rate (default 1e-2).
    """
    raise NotImplementedError("TODO: sgd")


def sgd_momentum(w, dw, config=None):
    """SGD with momentum.

    config: learning_rate (default 1e-2), momentum (default 0.9),
            velocity (state: zeros like w at first).
    """
    raise NotImplementedError("TODO: sgd_momentum")


def rmsprop(w, dw, config=None):
    """RMSprop: a running average of squared gradients scales each step.

    config: learning_rate (default 1e-2), decay_rate (default 0.99), epsilon (default 1e-8),
            cache (state: zeros like w at first).
    """
    raise NotImplementedError("TODO: rmsprop")


def adam(w, dw, config=None):
    """Adam: running averages of the gradient and of its square, with bias correction.

    config: learning_rate (default 1e-3), beta1 (default 0.9), beta2 (default 0.999),
            epsilon (default 1e-8), m and v (state: zeros like w at first), t (state: 0 at first).
    """
    raise NotImplementedError("TODO: adam")
