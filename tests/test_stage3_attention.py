"""stage3/attention beyond the generic proofs: other correct styles pass, the static and the
runtime refusal of torch's attention, and the known-mistake evaluators the diagnoses use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.stage3 import _attention_variants as variants
from mldojo.graders.stage3 import attention_driver as driver
from mldojo.graders.stage3.attention import torch_attention_in_source

EXERCISE = "stage3/attention"


def test_a_batch_first_solution_with_a_hand_written_softmax_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "attention_batch_first_style.py", tmp_path)
    assert report.passed, explain(report)


@pytest.mark.parametrize("line, expected", [
    ("out = F.scaled_dot_product_attention(q, k, v)", "F.scaled_dot_product_attention"),
    ("out = torch.nn.functional.scaled_dot_product_attention(q, k, v)", "torch.nn.functional.scaled_dot_product_attention"),
    ("inner = nn.MultiheadAttention(4, 2)", "nn.MultiheadAttention"),
    ("out = torch._native_multi_head_attention(q, k, v)", "torch._native_multi_head_attention"),
    ("out = torch.ops.aten._scaled_dot_product_attention_math(q, k, v)", "torch.ops.aten._scaled_dot_product_attention_math"),
])
def test_the_static_check_names_torch_attention_in_the_file(tmp_path, line, expected):
    path = tmp_path / "attention.py"
    path.write_text(f"import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\ndef f(q, k, v):\n    {line}\n")
    assert torch_attention_in_source(path) == [f"line 6: {expected}"]


def test_the_static_check_sees_imports_under_another_name(tmp_path):
    path = tmp_path / "attention.py"
    path.write_text("from torch.nn.functional import scaled_dot_product_attention as fast\n")
    assert torch_attention_in_source(path) == ["line 1: from torch.nn.functional import scaled_dot_product_attention"]


def test_the_static_check_leaves_the_learners_own_names_alone(tmp_path):
    path = tmp_path / "attention.py"
    path.write_text(
        "import torch\n# F.scaled_dot_product_attention is what we match\n"
        "def scaled_dot_product_attention(q, k, v):\n    '''like nn.MultiheadAttention'''\n    return q\n"
        "class MultiHeadAttention(torch.nn.Module):\n    def forward(self, x):\n"
        "        return scaled_dot_product_attention(x, x, x), self.scaled_dot_product_attention\n"
    )
    assert torch_attention_in_source(path) == []


@pytest.mark.parametrize("call, name", [
    (lambda q: F.scaled_dot_product_attention(q, q, q), "torch.nn.functional.scaled_dot_product_attention"),
    (lambda q: torch.ops.aten._scaled_dot_product_attention_math(q, q, q), "_scaled_dot_product_attention_math"),
    (lambda q: torch.nn.MultiheadAttention(4, 2)(q[0], q[0], q[0]), "multi_head_attention_forward"),
])
def test_the_runtime_guard_refuses_torch_attention_however_it_is_reached(call, name):
    q = torch.randn(1, 3, 4)
    _, refused = driver.guarded(lambda: call(q))
    assert refused is not None and name in refused


def test_the_runtime_guard_reports_a_refusal_the_code_swallowed():
    def sneaky():
        try:
            return F.scaled_dot_product_attention(*(torch.randn(2, 3),) * 3)
        except Exception:  # noqa: BLE001 - a learner hiding the refusal
            return torch.zeros(2, 3)

    result, refused = driver.guarded(sneaky)
    assert refused == "torch.nn.functional.scaled_dot_product_attention"


def test_the_runtime_guard_lets_ordinary_tensor_code_through():
    q = torch.randn(2, 3, 4)
    result, refused = driver.guarded(lambda: torch.softmax(q @ q.transpose(-2, -1), dim=-1) @ q)
    assert refused is None and result.shape == (2, 3, 4)


def test_a_refused_call_is_reported_with_its_name_and_the_reason(tmp_path):
    source = package_file("reference", EXERCISE).read_text().replace(
        "    L, S = q.size(-2), k.size(-2)\n",
        "    fast = getattr(torch.nn.functional, 'scaled_dot_' + 'product_attention')\n"
        "    return fast(q, k, v, attn_mask=attn_mask, is_causal=is_causal)\n", 1)
    report = grade_source(EXERCISE, source, tmp_path)
    by_name = {c.name: c for c in report.checks}
    message = by_name["torch_attention_functions_are_not_used"].message
    assert "your code called torch.nn.functional.scaled_dot_product_attention" in message
    assert "writing attention yourself" in message and "refused" in message
    assert by_name["sdpa_matches_torch_without_a_mask"].verdict == "failed"


def _problem(mask=None, causal=False, L=3, S=4):
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, L, 5)), rng.normal(size=(2, S, 5)), rng.normal(size=(2, S, 3))
    return q, k, v, mask, causal


def test_the_correct_evaluator_is_torch():
    for mask, causal in ((None, False), (None, True), (np.tril(np.ones((3, 4), bool), 1), False), (np.ones((3, 4)) * 0.5, False)):
        q, k, v, m, c = _problem(mask, causal)
        want = F.scaled_dot_product_attention(*(torch.tensor(x) for x in (q, k, v)), attn_mask=variants.t(m), is_causal=c).numpy()
        np.testing.assert_allclose(variants.sdpa(q, k, v, m, c), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mistake", sorted(variants.SDPA_MISTAKES))
def test_every_known_mistake_changes_the_answer_somewhere(mistake):
    bool_mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1]], bool)
    float_mask = np.array([[0.5, -1, 2, 0], [1, 0, -2, 0.5], [0, 1, 1, -1]])
    cases = [_problem(), _problem(causal=True), _problem(bool_mask), _problem(float_mask)]
    changed = [not np.allclose(variants.sdpa(*case), variants.sdpa(*case, mistake=mistake), equal_nan=True) for case in cases]
    assert any(changed), f"{mistake} never differs from the correct answer: its diagnosis could never be given"


def test_the_stub_explains_the_task_and_keeps_torchs_signature():
    text = package_file("exercises", EXERCISE).read_text()
    assert "def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False)" in text
    assert "def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True)" in text
    assert Path(package_file("reference", EXERCISE)).read_text().count("scaled_dot_product_attention(") == 1  # its own def only
