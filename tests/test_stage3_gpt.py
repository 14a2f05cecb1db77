"""stage3/gpt beyond the generic tests: a lecture-style solution passes, the judge's own forward
pass is nanoGPT's, its known mistakes are really different answers, the cheap checks run before
any training, a missing tiny Shakespeare is reported with the way to get it, and the GPU
benchmark skips cleanly without a GPU.

The reference reaching the validation-loss goal on the real text is proved by the generic
tests/test_exercises.py::test_reference_passes[stage3/gpt] (marked slow: it trains).
"""

from __future__ import annotations

import importlib.util
import math
import sys

import numpy as np
import pytest
import torch

from grading import SOLUTIONS, explain, grade_source, mutant_source, package_file

EXERCISE = "stage3/gpt"
LECTURE_STYLE = SOLUTIONS / "stage3" / "gpt_lecture_style.py"
TRAINING_CHECK = "train_char_gpt_reaches_a_validation_loss_of_1_90"
CHEAP_CHECKS = ("parameter_count_follows_the_formula", "state_dict_names_and_shapes_are_nanogpts",
                "the_head_is_tied_to_the_token_embedding", "forward_matches_the_judges_for_the_same_weights",
                "changing_a_token_changes_no_earlier_logits", "a_fresh_model_follows_nanogpts_initialisation",
                "a_fresh_model_starts_near_ln_vocab", "generate_draws_what_the_judges_loop_draws",
                "dropout_acts_in_train_mode_only")


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_the_cheap_checks_are_every_check_but_the_training():
    from mldojo.graders.engine.runner import load_grader
    from mldojo.graders.kit.checks import checks_of

    names = [spec.name for spec in checks_of(load_grader(EXERCISE))]
    assert sorted(names) == sorted(CHEAP_CHECKS + (TRAINING_CHECK,))


def test_a_lecture_style_solution_passes_every_check_but_the_training_on_several_seeds(tmp_path):
    # Its train_char_gpt is not run here: training takes minutes (the reference's run proves the task).
    for seed in (None, 3, 8):
        report = grade_source(EXERCISE, LECTURE_STYLE, tmp_path / f"s{seed}", seed=seed, only=CHEAP_CHECKS)
        assert report.passed and len(report.checks) == len(CHEAP_CHECKS), explain(report)


def test_the_judges_forward_pass_is_the_references_on_random_configs():
    from mldojo.graders.stage3 import gpt as grader

    reference = _module(package_file("reference", EXERCISE), "reference_gpt")
    for seed, c in enumerate([grader.config(), grader.config(bias=False, n_head=4, n_layer=3),
                              grader.config(block_size=5, vocab_size=3, n_layer=1, n_head=1, n_embd=2)]):
        p = grader.Problem(c, seed, 2, c["block_size"])
        model = reference.GPT(reference.GPTConfig(**c)).double().eval()
        model.load_state_dict({k: torch.tensor(v) for k, v in p.state.items()})
        with torch.no_grad():
            logits, loss = model(torch.tensor(p.idx), torch.tensor(p.targets))
        want = grader.judge_logits(p.state, c, p.idx)
        np.testing.assert_allclose(logits.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
        assert float(loss) == pytest.approx(grader.judge_loss(want, p.targets), rel=1e-12)
        assert sum(t.numel() for t in model.parameters()) == grader.parameter_count(c)
        assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == grader.expected_shapes(c)


@pytest.mark.parametrize("mistake", sorted(__import__("mldojo.graders.stage3.gpt", fromlist=["x"]).FORWARD_MISTAKES))
def test_every_known_forward_mistake_changes_the_lecture_examples_logits(mistake):
    from mldojo.graders.stage3 import gpt as grader

    p = grader.LECTURE
    right = grader.judge_logits(p.state, p.config, p.idx).numpy()
    wrong = grader.judge_logits(p.state, p.config, p.idx, mistake).numpy()
    assert np.abs(right - wrong).max() > 1e-3


@pytest.mark.parametrize("mistake", ["untied", "bias_always", "hidden_n_embd"])
def test_every_known_counting_mistake_changes_the_count(mistake):
    from mldojo.graders.stage3 import gpt as grader

    c = grader.config(bias=False)
    assert grader.parameter_count(c, mistake) != grader.parameter_count(c)


def test_the_judges_validation_windows_never_reach_past_the_scored_character():
    from mldojo.graders.stage3 import gpt as grader

    positions = grader.scored_positions(111_540, 256)
    assert len(positions) == grader.SCORED and positions[0] == 256 and positions[-1] == 111_539
    assert np.all(np.diff(positions) > 0)


def test_a_wrong_model_never_reaches_the_training(tmp_path):
    """The minutes of training run only once every cheap check passes."""
    report = grade_source(EXERCISE, mutant_source(EXERCISE, "post_norm"), tmp_path)
    gated = next(c for c in report.checks if c.name == TRAINING_CHECK)
    assert gated.verdict == "skipped" and "above first" in gated.message, explain(report)
    assert report.training == [] and gated.duration_s < 10


def test_without_tiny_shakespeare_the_training_check_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path / "empty"))
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), tmp_path / "ws", only=(TRAINING_CHECK,))
    (outcome,) = report.checks
    assert outcome.verdict == "skipped" and "grade data fetch tinyshakespeare" in outcome.message, explain(report)


def test_the_gpu_benchmark_is_declared_and_skips_without_a_gpu(tmp_path, monkeypatch):
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.bench import stage3_gpt

    exercise = load_catalogue().exercise(EXERCISE)
    (bench,) = exercise.benchmarks
    assert (bench.id, bench.device, bench.target_s) == ("cuda-val-1.50", "cuda", 300.0)
    monkeypatch.setattr(stage3_gpt, "cuda_available", lambda: False)
    target = tmp_path / "stage3" / "gpt.py"
    target.parent.mkdir(parents=True)
    target.write_text(package_file("reference", EXERCISE).read_text())
    outcome = stage3_gpt.measure(exercise, bench, target, tmp_path)
    assert outcome.status == "skipped" and "needs a CUDA GPU" in outcome.message


def test_a_measured_benchmark_shows_the_judges_validation_loss():
    """Its runs hold a validation loss, not the accuracy of the MNIST benchmarks (as measure() writes them)."""
    from rich.console import Console

    from mldojo.catalogue import load_catalogue
    from mldojo.graders.bench.harness import BenchOutcome, Side
    from mldojo.graders.bench.stats import Verdict, summarize
    from mldojo.render import bench_outcome

    (bench,) = load_catalogue().exercise(EXERCISE).benchmarks
    runs = [{"val_loss": 1.4712, "wall_s": 200.0, "device": "NVIDIA H200", "parameters": 10_000_000, "block_size": 256, "steps": 5000}]
    outcome = BenchOutcome(bench, "measured", learner=Side("your training, to a validation loss of 1.5", summarize([200.0]), 1),
                           verdict=Verdict(None, True, False), details={"runs": runs, "target_s": 300.0, "goal_val_loss": 1.50})
    out = Console(record=True, width=160)
    bench_outcome(out, outcome)
    assert "the judge's score: validation loss 1.4712 (goal ≤ 1.50), trained on NVIDIA H200" in out.export_text()


def test_the_reference_starts_near_ln_vocab_and_its_cpu_run_is_small():
    reference = _module(package_file("reference", EXERCISE), "reference_gpt_run")
    torch.manual_seed(0)
    c = reference.GPTConfig(vocab_size=65, **reference.CPU_RUN["config"])
    model = reference.GPT(c)
    idx = torch.randint(0, 65, (4, c.block_size))
    with torch.no_grad():
        _, loss = model(idx, torch.randint(0, 65, (4, c.block_size)))
    assert abs(float(loss) - math.log(65)) < 0.1
    assert sum(p.numel() for p in model.parameters()) < 1_000_000


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_benchmark_reaches_1_50_in_time(tmp_path):
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.bench.stage3_gpt import measure

    exercise = load_catalogue().exercise(EXERCISE)
    (bench,) = exercise.benchmarks
    target = tmp_path / "stage3" / "gpt.py"
    target.parent.mkdir(parents=True)
    target.write_text(package_file("reference", EXERCISE).read_text())
    outcome = measure(exercise, bench, target, tmp_path)
    assert outcome.status == "measured", outcome.message
    (run,) = outcome.details["runs"]
    assert run["val_loss"] <= 1.50 and run["device"] == torch.cuda.get_device_name(0)
