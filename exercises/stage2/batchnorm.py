"""stage2/batchnorm: a BatchNorm1d of your own, exactly as torch defines it.

Batch normalisation standardises each feature over the batch, then rescales it with learned
parameters, and keeps running averages of the batch statistics for evaluation. Write it as an
nn.Module from tensor operations (not nn.BatchNorm1d, not F.batch_norm), with the names and
the arithmetic of torch's nn.BatchNorm1d, so that torch's state dict loads into it:

  - BatchNorm1d(num_features, eps=1e-5, momentum=0.1);
  - parameters `weight` (ones) and `bias` (zeros), shape (num_features,);
  - buffers (self.register_buffer) `running_mean` (zeros), `running_var` (ones) and
    `num_batches_tracked` (a 0-d long tensor, 0);
  - forward(x) takes x of shape (N, C) or (N, C, L) and normalises each of the C features
    over every other dimension;
  - in training mode (module.training, set by .train() / .eval()):
        mean, var = the batch mean and the *biased* batch variance (divide by the number of
                    values n) — these normalise: y = (x - mean) / sqrt(var + eps) * weight + bias
        then, without tracking gradients, num_batches_tracked += 1 and
        running_mean = (1 - m) * running_mean + m * mean
        running_var  = (1 - m) * running_var  + m * var * n / (n - 1)   (the *unbiased* variance)
        where m = momentum, or 1 / num_batches_tracked when momentum is None (a plain average);
  - in evaluation mode: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, and
    nothing is updated.

The grader compares outputs, running statistics, evaluation outputs and gradients with
nn.BatchNorm1d's on the same inputs, loads nn.BatchNorm1d's state dict into yours, and runs
the property batch normalisation exists for: tanh layers with badly scaled weights stay out of
saturation once each is followed by your BatchNorm1d.
"""

import torch
from torch import nn


class BatchNorm1d(nn.Module):
    """Batch normalisation over (N, C) or (N, C, L) inputs, with torch's running statistics."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        raise NotImplementedError("TODO: BatchNorm1d.__init__ (parameters and buffers)")

    def forward(self, x):
        """Normalise x (N, C) or (N, C, L) per feature; update the running statistics in training mode."""
        raise NotImplementedError("TODO: BatchNorm1d.forward")
