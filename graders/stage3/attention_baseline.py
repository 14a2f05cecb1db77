"""The benchmark baseline for stage3/attention: torch's own scaled dot-product attention.

Imported in a sandboxed process of its own, in the learner's place, by graders/bench/stage3_attention.py.
"""

from torch.nn.functional import scaled_dot_product_attention  # noqa: F401
