"""driver_support.backward_along: out.backward(grad) without torch's sympy import, same numbers."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mldojo.graders.engine.driver_support import backward_along


def _attention_like(q):
    """A few ops whose backward mixes matmul, softmax and masking, as the graders' callers do."""
    scores = q @ q.transpose(-2, -1)
    return scores.masked_fill(scores > 1.5, -2.0).softmax(-1) @ q


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4)), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([torch.float64, torch.float32]))
def test_gradients_are_those_of_backward_with_an_explicit_gradient_bit_for_bit(shape, seed, dtype):
    rng = np.random.default_rng(seed)
    base = torch.tensor(rng.normal(size=shape), dtype=dtype)
    grad = torch.tensor(rng.normal(size=shape), dtype=dtype)
    ours, torchs = base.clone().requires_grad_(), base.clone().requires_grad_()
    backward_along(_attention_like(ours), grad)
    _attention_like(torchs).backward(grad)
    assert torch.equal(ours.grad, torchs.grad)


def test_a_gradient_of_another_shape_is_refused_as_torch_refuses_it():
    x = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(1, 3\).*\(2, 3\)"):
        backward_along(x * 2, torch.ones(1, 3))  # would broadcast in out * grad


def test_a_fresh_process_does_not_import_sympy():
    program = ("import sys, torch\n"
               "from mldojo.graders.engine.driver_support import backward_along\n"
               "x = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)\n"
               "backward_along(x.softmax(-1), torch.ones(2, 3, dtype=torch.float64))\n"
               "print('sympy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
