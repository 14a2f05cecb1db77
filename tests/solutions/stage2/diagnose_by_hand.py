"""stage2/diagnose written out by hand (a correct solution in another style): the ReLU's own
output tested for zeros, standard deviations from their sums, a loop over the modules."""

import math

import torch


def _std(t):
    # torch's std: the sample standard deviation (divide by n - 1) over every entry
    flat = t.detach().flatten().double()
    mean = flat.sum() / flat.numel()
    return math.sqrt(float(((flat - mean) ** 2).sum()) / (flat.numel() - 1))


def dead_relu_fraction(pre_activations):
    H = pre_activations.shape[-1]
    out = torch.relu(pre_activations).flatten(0, -2)  # (examples, H)
    dead = 0
    for unit in range(H):
        if bool((out[:, unit] == 0).all()):
            dead += 1
    return dead / H


def _weights(model):
    for module_name, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if p.dim() == 2 and p.grad is not None:
                yield (f"{module_name}.{name}" if module_name else name), p


def gradient_to_data_ratios(model):
    return {name: _std(p.grad) / _std(p) for name, p in _weights(model)}


def update_to_data_ratios(model, lr):
    ratios = {}
    for name, p in _weights(model):
        step = lr * _std(p.grad)  # std(lr * g) = lr * std(g) for lr > 0
        ratios[name] = math.log10(step / _std(p)) if step > 0 else float("-inf")
    return ratios
