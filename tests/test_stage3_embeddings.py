"""stage3/embeddings beyond the generic tests: a solution written with loops passes, every check reaches the learner's
code before anything else (so an untouched stub is 'not implemented' check by check), the judge's own NumPy models
(from which the known mistakes are simulated) are torch's when no mistake is made, and the structural cases that
catch the classic bugs are explicit examples, so they are tried on every grading."""

from __future__ import annotations

import numpy as np
import pytest

from grading import SOLUTIONS, explain, grade_source, mutants, package_file, verdicts_across_seeds
from mldojo.graders.kit.checks import checks_of
from mldojo.graders.stage3 import embeddings as grader

EXERCISE = "stage3/embeddings"


def test_a_solution_written_with_loops_passes_on_several_seeds(tmp_path):
    for seed in (None, 2, 11):
        report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "embeddings_loops.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def test_every_check_of_the_stub_is_not_implemented_when_run_one_by_one(tmp_path):
    # `only` skips the shortcut for an untouched file: each check must itself reach a stub function first.
    names = tuple(spec.name for spec in checks_of(grader))
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path, only=names)
    assert [c.name for c in report.checks] == list(names)
    assert all(c.verdict == "not_implemented" for c in report.checks), explain(report)


@pytest.mark.parametrize("case", grader.LOOKUP_EXAMPLES)
def test_the_judges_lookup_gradient_is_torchs(case):
    np.testing.assert_allclose(grader.lookup_dW(case), grader.torch_lookup(case)["dW"], rtol=1e-12, atol=1e-14)


def test_the_explicit_lookups_repeat_words_within_a_sequence_and_across_the_batch():
    def loses(mistake):
        return [not np.allclose(grader.lookup_dW(case, mistake), grader.lookup_dW(case)) for case in grader.LOOKUP_EXAMPLES]

    assert any(loses("fancy")) and any(loses("rows")) and any(loses("steps"))
    assert any((case.W.shape[0] > case.x.max() + 1) for case in grader.LOOKUP_EXAMPLES), "an unused row of W"


@pytest.mark.parametrize("case", grader.AFFINE_EXAMPLES)
def test_the_judges_affine_layer_is_torchs(case):
    own, want = grader.affine_numpy(case), grader.torch_affine(case)
    for name in ("out", "dx", "dw", "db"):
        np.testing.assert_allclose(own[name], want[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_an_explicit_affine_case_gives_a_wrongly_summed_db_the_right_shape():
    shapes = {(case.x.shape[0], case.x.shape[1], case.w.shape[1]) for case in grader.AFFINE_EXAMPLES}
    assert any(t == m for _, t, m in shapes) and any(n == m for n, _, m in shapes)


@pytest.mark.parametrize("case", grader.SCORE_EXAMPLES + grader.HUGE_SCORE_EXAMPLES)
def test_the_judges_softmax_loss_is_torchs(case):
    own, want = grader.softmax_numpy(case), grader.torch_softmax(case)
    assert own["loss"] == pytest.approx(want["loss"], rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(own["dx"], want["dx"], rtol=1e-12, atol=1e-14)


def test_the_explicit_masks_tell_the_conventions_apart():
    # Every way of normalising or of ignoring the mask gives another loss on at least one explicit example.
    for mistake in grader.SOFTMAX_LOSS_MISTAKES:
        assert any(not np.isclose(grader.softmax_numpy(case, mistake)["loss"], grader.softmax_numpy(case)["loss"])
                   for case in grader.SCORE_EXAMPLES), mistake
    for masked in grader.MASKED_EXAMPLES:
        out = ~masked.scores.mask
        assert out.any()
        assert np.all(masked.x_changed[out] != masked.scores.x[out]) and np.all(masked.y_changed[out] != masked.scores.y[out])
        assert np.array_equal(masked.x_changed[~out], masked.scores.x[~out])


def test_the_unstable_softmax_variants_break_on_the_explicit_huge_scores():
    for case in grader.HUGE_SCORE_EXAMPLES:
        for mistake, loss, dx in grader.huge_variants(case):
            if mistake != "batch_max":
                assert not (np.isfinite(loss) and np.isfinite(dx).all()), mistake


@pytest.mark.parametrize("case", grader.SKIPGRAM_EXAMPLES + grader.HUGE_SKIPGRAM_EXAMPLES)
def test_the_judges_skipgram_is_torchs(case):
    own, want = grader.skipgram_numpy(case), grader.torch_skipgram(case)
    assert own["loss"] == pytest.approx(want["loss"], rel=1e-12, abs=1e-14)
    for name in grader.SKIPGRAM_NAMES[1:]:
        np.testing.assert_allclose(own[name], want[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_the_explicit_huge_dot_products_reach_plus_and_minus_1000():
    dots = np.concatenate([np.r_[c.context_vec @ c.center_vec, c.negative_vecs @ c.center_vec] for c in grader.HUGE_SKIPGRAM_EXAMPLES])
    assert dots.max() >= 1000 and dots.min() <= -1000


@pytest.mark.parametrize("name", ["lookup_fancy_index_add", "softmax_no_max_subtracted"])
def test_the_classic_bugs_are_caught_and_named_on_every_seed(name, tmp_path):
    mutant = next(m for m in mutants(EXERCISE) if m.name == name)
    for seed, (verdict, diagnosis) in verdicts_across_seeds(mutant, range(1, 6), tmp_path).items():
        assert verdict == "failed", (seed, verdict)
        assert mutant.diagnosis in (diagnosis or ""), (seed, diagnosis)
