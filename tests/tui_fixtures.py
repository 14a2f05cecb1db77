"""A fixed catalogue and a workspace with a known history, for the TUI's tests and snapshots.

Everything shown on screen is fixed here (exercise texts, timestamps, check messages), so a
snapshot changes only when the TUI does, not when the real catalogue grows.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mldojo.catalogue import Catalogue, parse_catalogue
from mldojo.tracker.store import Tracker
from mldojo.workspace import Workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

CATALOGUE = {
    "format": 1,
    "stage": [
        {
            "id": "stage1",
            "title": "Classical ML",
            "summary": "Regression and classification in NumPy.",
            "criterion": [
                {"id": "exercises", "text": "Every stage-1 exercise passes", "kind": "automatic", "rule": "all-exercises-pass"},
                {"id": "write-up", "text": "A write-up on regularisation: when L1 beats L2, and why boosting overfits less than a deep tree", "kind": "self-reported", "prompt": "A link or a few sentences"},
            ],
        },
        {
            "id": "stage2",
            "title": "Neural networks",
            "summary": "Autograd and a network.",
            "criterion": [
                {"id": "micrograd", "text": "The autograd engine passes", "kind": "automatic", "rule": "exercises-pass", "exercises": ["stage2/micrograd"]},
            ],
        },
    ],
    "exercise": [
        {"id": "stage1/linreg", "title": "Linear regression", "summary": "Least squares two ways.", "hints": ["Start with the loss.", "Add a column of ones.", "Solve, do not invert.", "Check the shapes."]},
        {"id": "stage1/logreg", "title": "Logistic regression", "summary": "A classifier trained by gradient descent.", "prerequisites": ["stage1/linreg"], "hints": ["Probabilities come from a sigmoid.", "The gradient has the same form as before.", "Clip before the log.", "Average over rows."]},
        {"id": "stage1/knn", "title": "Nearest neighbours", "summary": "Vote among the closest points.", "prerequisites": ["stage1/linreg"], "hints": ["Distances first.", "Sort, then vote.", "Break ties the same way.", "Broadcast instead of looping."]},
        {"id": "stage1/tree", "title": "Decision tree", "summary": "Greedy splits on impurity.", "hints": ["Gini first.", "Try every threshold.", "Stop at max_depth.", "Leaves hold class counts."]},
        {
            "id": "stage2/micrograd", "title": "Autograd engine", "summary": "A scalar Value with backward().",
            "hints": ["Each op stores a closure.", "Topological order.", "Accumulate with +=.", "Seed the output grad with 1."],
            "benchmark": [{"id": "backward", "title": "backward() on a deep graph", "device": "cpu", "target": "within 3x of the reference", "target_ratio": 3.0}],
        },
    ],
}

TASKS = {
    "stage1/linreg": "Fit a line by least squares.\n\nWrite mse(), fit() and predict().",
    "stage1/logreg": "Fit a logistic regression by gradient descent.\n\nWrite sigmoid(), fit() and predict_proba().",
    "stage1/knn": "Classify by the majority of the k nearest training points.",
    "stage1/tree": "Grow a decision tree with Gini impurity.",
    "stage2/micrograd": "A scalar autograd engine: Value, its operators and backward().",
}

FAILED_CHECK = (
    "predict_proba returned probabilities that differ from scikit-learn's.\n"
    "Input:\n  X=[[0.], [1.]]  y=[0, 1]\n"
    "Diagnosis: every probability is exactly 1 - p: a sign flip in the sigmoid?"
)


def fixture_catalogue() -> Catalogue:
    """The small fixed catalogue the snapshots use."""
    return parse_catalogue(CATALOGUE, "tui fixture")


def make_workspace(root: Path, history: bool = True) -> Workspace:
    """A workspace at root with the fixture's exercise files and, if history, a known history."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mldojo.toml").write_text('format = 1\nhandle = "ada"\n', encoding="utf-8")
    for exercise_id in TASKS:
        path = root / f"{exercise_id}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(exercise_id), encoding="utf-8")
    workspace = Workspace(root, "ada")
    with Tracker.open(workspace.tracker_path) as tracker:
        if history:
            write_history(tracker)
    return workspace


def file_text(exercise_id: str) -> str:
    """The learner's file of an exercise in the fixture workspace."""
    return f'"""{TASKS[exercise_id]}"""\n\n\ndef fit(X, y):\n    raise NotImplementedError("TODO")\n'


def attempt(tracker: Tracker, exercise_id: str, minutes: int, verdict: str, checks: list[tuple[str, str, str]], duration_s: float = 1.5) -> None:
    """Record one attempt at T0 + minutes with these (name, verdict, message) checks, on the fixture's file."""
    passed = sum(1 for _, v, _ in checks if v == "passed")
    sha = hashlib.sha256(file_text(exercise_id).encode()).hexdigest()  # the file as it is: not "edited since graded"
    tracker.record_attempt(
        exercise_id=exercise_id, started_at=T0 + timedelta(minutes=minutes), duration_s=duration_s, verdict=verdict,
        grader_version="1", mldojo_version="0.1.0", file_sha256=sha, seed=None,
        summary=f"{passed}/{len(checks)} checks passed", checks=[(n, v, m, 0.1) for n, v, m in checks],
    )


def write_history(tracker: Tracker) -> None:
    """linreg passed after a failure, logreg failing, tree revealed early, micrograd passed and timed."""
    attempt(tracker, "stage1/linreg", 0, "failed", [("mse_is_a_mean", "failed", "mse returned the sum, not the mean."), ("fit_matches_sklearn", "passed", "")])
    attempt(tracker, "stage1/linreg", 12, "passed", [("mse_is_a_mean", "passed", ""), ("fit_matches_sklearn", "passed", "")], duration_s=1.8)
    attempt(tracker, "stage1/logreg", 30, "failed", [("sigmoid_is_stable", "passed", ""), ("probabilities_match_sklearn", "failed", FAILED_CHECK), ("fit_returns_self", "not_implemented", "fit is not written yet (it still raises NotImplementedError)")])
    attempt(tracker, "stage1/tree", 45, "failed", [("gini_of_a_pure_node_is_zero", "failed", "gini([1, 1]) returned 0.5; expected 0.0.")])
    tracker.record_reveal("stage1/tree", forced=True, passed_before=False)
    attempt(tracker, "stage2/micrograd", 60, "passed", [("adding_two_values", "passed", ""), ("backward_matches_torch", "passed", "")], duration_s=0.9)
    tracker.record_hint("stage1/logreg", 0)
    tracker.record_criterion("stage1", "write-up", "self-reported", "https://example.org/my-notes")
    for median_s, ratio in ((0.031, 4.1), (0.024, 3.2), (0.019, 2.5)):
        tracker.record_benchmark(
            exercise_id="stage2/micrograd", benchmark_id="backward", device="cpu", environment={"cpu": "fixture"},
            median_s=median_s, spread_s=0.001, baseline_s=median_s / ratio, ratio=ratio, target_ratio=3.0, met_target=ratio <= 3.0,
        )


def write_regression(tracker: Tracker) -> None:
    """After the usual history, linreg (passed) fails again: logreg and knn build on it."""
    attempt(tracker, "stage1/linreg", 70, "failed", [("mse_is_a_mean", "failed", "mse returned the sum, not the mean."), ("fit_matches_sklearn", "passed", "")])
