"""stage2/diagnose: the numbers that tell you why a network does not learn.

A network that will not train rarely says why. Three statistics, watched per layer while it
trains, usually do: how many ReLU units are dead, how large each weight's gradient is next to
the weight itself, and how large each optimiser step is next to the weight it changes. Write
them in torch, with exactly these definitions (the grader compares your numbers with its own
in float64, to 1e-10):

  - dead_relu_fraction(pre_activations) -> float
        pre_activations: a tensor of shape (..., H), what a ReLU layer receives (before the
        ReLU) over a batch. The last axis indexes the H units; every other axis indexes
        examples: an (N, H) batch has N examples, an (N, T, H) batch of sequences has N * T.
        A unit is dead on the batch when its input is <= 0 on EVERY example: its output is 0
        everywhere, and so is the gradient through it (torch's ReLU passes none at exactly 0).
        Return the fraction of the H units that are dead, a Python float in [0, 1].

  - gradient_to_data_ratios(model) -> {name: float}
        model: an nn.Module after loss.backward(). One entry per parameter p with exactly
        two dimensions (p.ndim == 2: the weight matrices of linear and embedding layers;
        biases, norm gains and convolution kernels are left out) whose p.grad is not None
        (a frozen parameter has none), under the name model.named_parameters() gives it:
            p.grad.std() / p.std()
        with torch's std (over all the entries of the tensor). One ratio per weight tensor,
        each from its own tensor alone, never one number for the whole network.

  - update_to_data_ratios(model, lr) -> {name: float}
        model: after loss.backward(), before the plain SGD step p -= lr * p.grad that is
        about to be taken. For the same parameters as above, the base-10 logarithm of the
        step's size next to the weight:
            log10( (lr * p.grad).std() / p.std() )
        A parameter whose gradient is all zeros does not move: its entry is -inf
        (float('-inf')), not an error.

Both ratio functions only measure: they must not change the model's weights or gradients.

The grader tries each function on inputs chosen to tell the definitions apart, then trains
four small ReLU networks a few SGD steps, three of them broken on purpose (ReLUs killed by
large negative biases, gradients vanishing under tiny weights, a learning rate so large that
training diverges), and checks that your numbers, recorded at every step, are the judge's
and show what is wrong with each.
"""

import torch


def dead_relu_fraction(pre_activations):
    """Fraction of the H units whose ReLU input is <= 0 on every example: (..., H) tensor -> float."""
    raise NotImplementedError("TODO: dead_relu_fraction")


def gradient_to_data_ratios(model):
    """{name: p.grad.std() / p.std()} for every 2-D parameter of model that has a gradient."""
    raise NotImplementedError("TODO: gradient_to_data_ratios")


def update_to_data_ratios(model, lr):
    """{name: log10((lr * p.grad).std() / p.std())} for every 2-D parameter that has a gradient."""
    raise NotImplementedError("TODO: update_to_data_ratios")
