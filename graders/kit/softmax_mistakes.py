"""Softmax cross-entropy as the known unstable mistakes compute it, for naming them on huge scores.

stage2/mlp and stage2/layers both ask for a softmax loss that stays exact at scores of ±1000;
when a learner's loss or gradient turns to NaN or inf there, these variants say which shortcut
(no max subtracted, the batch's max, log of the probabilities) gives the same broken numbers.
"""

from __future__ import annotations

import numpy as np

from mldojo.graders.kit.asserts import MATCH_ATOL, MATCH_RTOL


def huge_variants(scores: np.ndarray, y: np.ndarray, mistake: str) -> list[tuple[float, np.ndarray]]:
    """(loss, dscores) as a known mistake computes them, NaN and inf included: dscores formed
    from the probabilities, or as exp of the log-probabilities (learners do both)."""
    n, rows = scores.shape[0], np.arange(scores.shape[0])
    with np.errstate(all="ignore"):
        # The shift each mistake subtracts before exp: none, the whole batch's max, or (right) each row's.
        top = {"no_max_probs": 0.0, "no_max_logsumexp": 0.0, "batch_max": scores.max()}.get(mistake, scores.max(axis=1, keepdims=True))
        e = np.exp(scores - top)
        probs = e / e.sum(axis=1, keepdims=True)
        if mistake in ("no_max_probs", "log_of_softmax"):
            log_probs = np.log(probs)
        else:
            log_probs = (scores - top) - np.log(e.sum(axis=1, keepdims=True))
        loss = float(-log_probs[rows, y].mean())
        found = []
        for d in (probs.copy(), np.exp(log_probs)):
            d[rows, y] -= 1
            found.append((loss, d / n))
        return found


def same_numbers(got, wrong) -> bool:
    """Equal where finite (to the kit's matching tolerance), and NaN / ±inf in the same places."""
    got, wrong = np.asarray(got, dtype=float), np.asarray(wrong, dtype=float)
    if got.shape != wrong.shape or not np.array_equal(np.isnan(got), np.isnan(wrong)):
        return False
    infinite = np.isinf(got) | np.isinf(wrong)
    if not np.array_equal(got[infinite], wrong[infinite]):
        return False
    finite = ~(np.isnan(got) | infinite)
    return bool(np.all(np.abs(got[finite] - wrong[finite]) <= MATCH_ATOL + MATCH_RTOL * np.abs(wrong[finite])))
