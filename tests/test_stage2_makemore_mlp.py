"""stage2/makemore_mlp beyond the generic tests: the lecture's style passes, training included; the judge's dev loss
is reported and recorded like an accuracy run's score."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from grading import SOLUTIONS, explain, grade_source, package_file

EXERCISE = "stage2/makemore_mlp"
TRAINING_CHECK = "train_reaches_a_dev_loss_of_2_20"


@pytest.mark.slow  # trains on names.txt until the judge's dev loss is measured
def test_the_lectures_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "makemore_mlp_lecture_style.py", tmp_path)
    assert report.passed, explain(report)


REDUCED_STEPS, REDUCED_GOAL = 200, 2.45  # 150 of the reference's steps reach a dev loss of 2.34 in 0.6 s; a fresh model 3.30


@pytest.mark.slow  # a few seconds: the real training check on names.txt, judged on a goal only this test sets
def test_the_judges_dev_loss_is_reported_and_recorded_on_a_reduced_goal(tmp_path, monkeypatch):
    # The goal is a module constant of the grader, here in the judge's process: nothing in the learner's process can change it.
    from mldojo.grading import record_attempt
    from mldojo.graders.stage2 import makemore_mlp as grader
    from mldojo.tracker.store import Tracker
    from mldojo.workspace import Workspace

    monkeypatch.setattr(grader, "GOAL_DEV_LOSS", REDUCED_GOAL)
    short = package_file("reference", EXERCISE).read_text().replace("steps=2000", f"steps={REDUCED_STEPS}")
    started = dt.datetime.now(dt.timezone.utc)
    report = grade_source(EXERCISE, short, tmp_path, only=(TRAINING_CHECK,))
    assert report.passed, explain(report)
    run = report.checks[0].training
    assert run["metric"] == "dev loss" and run["status"] == "finished" and run["met"] and run["accuracy"] is None
    assert math.isfinite(run["loss"]) and run["loss"] <= REDUCED_GOAL and run["goal"] == REDUCED_GOAL
    assert math.isfinite(run["train_loss"]) and run["n_test"] > 20_000  # every (context, target) pair of the dev names
    assert 0 < run["wall_s"] < report.checks[0].duration_s and run["device"].startswith("cpu, ")
    recorded, problem = record_attempt(Workspace(tmp_path, "tester"), report, started)
    assert recorded, problem
    with Tracker.open(Workspace(tmp_path, "tester").tracker_path) as tracker:
        (attempt,) = tracker.attempts(EXERCISE)
        (row,) = tracker.training_runs(attempt_id=attempt.id)
    assert (row.metric, row.status, row.met, row.accuracy, row.dataset) == ("dev loss", "finished", True, None, "names.txt")
    assert row.loss == pytest.approx(run["loss"]) and row.wall_s == pytest.approx(run["wall_s"])
    assert json.loads(row.details)["train_loss"] == pytest.approx(run["train_loss"])
    assert f"dev loss {run['loss']:.4f} in {run['wall_s']:.1f} s" in attempt.summary
