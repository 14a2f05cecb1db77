"""stage2/batchnorm written with explicit sums and a flattened view (a correct solution in another style)."""

import torch
import torch.nn as nn


class BatchNorm1d(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.zeros((), dtype=torch.long))

    def _per_feature(self, x):
        # (N, C) or (N, C, L) -> (C, n): every value of a feature in one row
        if x.dim() == 2:
            return x.t()
        return x.transpose(0, 1).reshape(x.size(1), -1)

    def _expand(self, v, x):
        return v[None, :] if x.dim() == 2 else v[None, :, None]

    def forward(self, x):
        if self.training:
            flat = self._per_feature(x)
            n = flat.size(1)
            mean = flat.sum(dim=1) / n
            centred = flat - mean[:, None]
            var = (centred * centred).sum(dim=1) / n
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                if self.momentum is None:
                    factor = 1.0 / self.num_batches_tracked.item()
                else:
                    factor = self.momentum
                self.running_mean.copy_(self.running_mean + factor * (mean - self.running_mean))
                self.running_var.copy_(self.running_var + factor * (var * n / (n - 1) - self.running_var))
        else:
            mean, var = self.running_mean, self.running_var
        inv = torch.rsqrt(var + self.eps)
        return (x - self._expand(mean, x)) * self._expand(inv * self.weight, x) + self._expand(self.bias, x)
