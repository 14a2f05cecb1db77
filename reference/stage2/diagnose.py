"""Reference for stage2/diagnose: three statistics that show what is wrong inside a training network."""

import torch


def dead_relu_fraction(pre_activations):
    """Fraction of the H units whose ReLU input is <= 0 on every example: (..., H) tensor -> float."""
    examples = pre_activations.reshape(-1, pre_activations.shape[-1])  # (every leading position, H)
    dead = (examples <= 0).all(dim=0)  # (H,)
    return dead.double().mean().item()


def gradient_to_data_ratios(model):
    """{name: std(p.grad) / std(p)} for every 2-D parameter of model that has a gradient."""
    return {name: (p.grad.std() / p.detach().std()).item()
            for name, p in model.named_parameters() if p.ndim == 2 and p.grad is not None}


def update_to_data_ratios(model, lr):
    """{name: log10(std(lr * p.grad) / std(p))} for every 2-D parameter that has a gradient."""
    return {name: torch.log10((lr * p.grad).std() / p.detach().std()).item()
            for name, p in model.named_parameters() if p.ndim == 2 and p.grad is not None}
