"""Oracles answer a repeated question from memory, and only an exactly repeated one (graders/kit/memo.py)."""

from __future__ import annotations

import numpy as np

from mldojo.graders.kit.memo import exact_key, remembered
from mldojo.graders.kit.oracles import sklearn_linear_regression, torch_program


def test_only_exactly_equal_arguments_share_a_key():
    assert exact_key(0.0) != exact_key(-0.0)
    assert exact_key(1) != exact_key(True) and exact_key(1) != exact_key(1.0)
    assert exact_key((1, 2)) != exact_key([1, 2])
    same = np.arange(4.0)
    assert exact_key(same) == exact_key(same.copy())
    assert exact_key(same) != exact_key(same.astype(np.float32))
    assert exact_key(same) != exact_key(same.reshape(2, 2))
    assert exact_key(np.array([0.0])) != exact_key(np.array([-0.0]))
    # Bytes (the tokenizer's chunks) are keys of their own, never equal to the same text.
    assert exact_key([b"ab", b"c"]) == exact_key([b"ab", b"c"]) and exact_key([b"ab", b"c"]) != exact_key([b"a", b"bc"])
    assert exact_key(b"ab") != exact_key("ab")


def test_an_answer_comes_from_memory_and_cannot_be_changed_by_its_caller():
    calls = []

    @remembered
    def oracle(x):
        calls.append(x)
        return [x * 2.0]

    first = oracle(1.5)
    first.append("edited by a check")
    assert oracle(1.5) == [3.0] and calls == [1.5]
    assert oracle(-0.0) == [-0.0] and oracle(0.0) == [0.0] and calls == [1.5, -0.0, 0.0]


def test_arguments_that_cannot_be_keyed_are_simply_passed_on():
    calls = []

    @remembered
    def oracle(thing):
        calls.append(thing)
        return 1

    marker = object()
    assert oracle(marker) == 1 and oracle(marker) == 1 and len(calls) == 2


def test_the_oracles_answer_from_memory_as_they_answer_anew():
    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.5])
    fresh = sklearn_linear_regression.__wrapped__(X, y)
    for _ in range(2):
        coef, intercept = sklearn_linear_regression(X, y)
        assert np.array_equal(coef, fresh[0]) and intercept == fresh[1]
    program = [("leaf", 0.5), ("leaf", -2.0), ("mul", 0, 1), ("tanh", 2)]
    assert torch_program(program) == torch_program.__wrapped__(program) == torch_program(program)


def test_a_drawn_problem_is_keyed_by_its_type_and_every_field():
    from mldojo.graders.stage3._attention_inputs import AttentionProblem

    q = np.ones((1, 2, 3))
    first = AttentionProblem(q, q.copy(), q.copy())
    assert exact_key(first) == exact_key(AttentionProblem(q.copy(), q.copy(), q.copy()))
    assert exact_key(first) != exact_key(AttentionProblem(q, q, q, is_causal=True))
    assert exact_key(first) != exact_key(AttentionProblem(q, q, q, attn_mask=np.ones((2, 2), dtype=bool)))
