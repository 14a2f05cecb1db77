"""Training tasks in the judge engine: data out, progress back, predictions scored here.

A small grader registered as `mldojo.graders.stagetest.training` declares one ordinary check
and one training check. The data set is a small synthetic stand-in for MNIST (the judge's
`load_dataset` is replaced), so these tests take seconds; the real MNIST runs are in
tests/test_stage2_mlp.py and tests/test_stage3_mnist_torch.py.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import textwrap
import time
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mldojo.catalogue import Exercise
from mldojo.graders.engine import results as R
from mldojo.graders.engine import training
from mldojo.graders.engine.runner import GradeRequest, grade, grader_module_name
from mldojo.graders.engine.training import TrainingTask, compact_images, restore_images, training_check
from mldojo.graders.kit import check, fail

EXERCISE = "stagetest/training"
DRIVER = "mldojo.graders.stage2.mlp_driver"
N_TRAIN, N_TEST = 300, 200


@dataclass
class FakeMnist:
    """Three well separated classes of 784-pixel images, values k/255 like the real loader's."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str = "synthetic (tests/test_training.py)"


def fake_mnist() -> FakeMnist:
    rng = np.random.default_rng(0)
    centres = rng.integers(0, 256, size=(3, 784))

    def draw(n):
        labels = rng.integers(0, 3, size=n)
        pixels = np.clip(centres[labels] + rng.integers(-20, 21, size=(n, 784)), 0, 255)
        return (pixels.astype(np.float32) / np.float32(255)), labels.astype(np.int64)

    train_images, train_labels = draw(N_TRAIN)
    test_images, test_labels = draw(N_TEST)
    test_labels[:7] = (test_labels[:7] + 1) % 3  # a few wrong on purpose: accuracy is 193/200, not 1
    return FakeMnist(train_images, train_labels, test_images, test_labels)


def task(time_limit_s: float = 20.0, goal: float = 0.9) -> TrainingTask:
    return TrainingTask(
        exercise=EXERCISE,
        load_driver=f"{DRIVER}:load",
        train_driver=f"{DRIVER}:train_and_predict",
        probe_driver=f"{DRIVER}:probe",
        goal_accuracy=goal,
        time_limit_s=time_limit_s,
    )


# A nearest-centroid "network": train_mnist reports three epochs through on_epoch.
LEARNER = """\
import time
import numpy as np

class Centroids:
    def __init__(self, X, y):
        self.centres = np.stack([X[y == k].mean(axis=0) for k in range(3)])
    def predict(self, X):
        return np.argmin(((X[:, None, :] - self.centres[None]) ** 2).sum(axis=2), axis=1)

def g(x):
    return 2 * x

def train_mnist(X, y, on_epoch=None):
    {before}
    for epoch in (1, 2, 3):
        {each_epoch}
        if on_epoch is not None:
            on_epoch(epoch, 1.0 / epoch)
    return Centroids(X, y)
"""


def learner_source(before: str = "pass", each_epoch: str = "time.sleep(0.15)", extra: str = "") -> str:
    return LEARNER.format(before=before, each_epoch=each_epoch) + textwrap.dedent(extra)


@check()
def g_doubles(learner):
    """g(3.0) is 6.0."""
    got = learner.g(3.0)
    if got != 6.0:
        fail(f"g(3.0) returned {got!r}")


@pytest.fixture
def data(monkeypatch):
    """The judge loads the synthetic set instead of MNIST."""
    fake = fake_mnist()
    monkeypatch.setattr(training, "load_dataset", lambda name: fake)
    return fake


@pytest.fixture
def use_task(monkeypatch):
    """Register the grader for EXERCISE: g_doubles plus a training check on the given task."""
    grader = types.ModuleType(grader_module_name(EXERCISE))
    monkeypatch.setitem(sys.modules, grader.__name__, grader)

    def use(the_task: TrainingTask):
        @training_check(the_task)
        def reaches_the_goal(learner, result):
            """train_mnist reaches the goal accuracy."""
            if not result.met:
                fail(f"accuracy {result.accuracy:.3f} below {result.goal}")

        grader.g_doubles = g_doubles
        grader.reaches_the_goal = reaches_the_goal
        return grader

    return use


def grade_learner(workspace: Path, source: str, on_progress=None, time_limit_s: float = 10.0):
    file = workspace / "stagetest" / "training.py"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(source)
    return grade(GradeRequest(EXERCISE, workspace, file, time_limit_s=time_limit_s), on_progress=on_progress)


def outcome(report, name):
    return next(o for o in report.checks if o.name == name)


def expected_accuracy(fake: FakeMnist) -> float:
    centres = np.stack([fake.train_images[fake.train_labels == k].mean(axis=0) for k in range(3)])
    predicted = np.argmin(((fake.test_images[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    return float(np.mean(predicted == fake.test_labels))


# -- the data on the wire ------------------------------------------------------------------
@pytest.mark.parametrize("divisor", [255, 256])
def test_images_travel_as_uint8_and_come_back_bit_for_bit(divisor):
    pixels = np.arange(256, dtype=np.float32).reshape(16, 16)
    images = pixels / np.float32(divisor)
    small, got_divisor = compact_images(images)
    assert small.dtype == np.uint8 and got_divisor == divisor
    assert np.array_equal(restore_images(small, got_divisor), images)
    assert restore_images(small, got_divisor).dtype == np.float32


def test_images_that_are_not_on_a_byte_grid_travel_as_float32():
    images = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    small, divisor = compact_images(images)
    assert divisor == 0.0 and small.dtype == np.float32
    assert np.array_equal(restore_images(small, divisor), images)


# -- a training run -------------------------------------------------------------------------------
def test_a_training_run_is_scored_by_the_judge_with_progress_while_it_runs(use_task, data, tmp_path):
    use_task(task())
    events = []
    report = grade_learner(tmp_path, learner_source(), on_progress=lambda e: events.append((time.perf_counter(), e)))
    assert report.passed, report
    (run,) = report.training
    assert run["status"] == "finished" and run["met"]
    assert run["accuracy"] == pytest.approx(expected_accuracy(data))  # 193/200: the judge's own scoring
    assert run["accuracy"] < 1.0
    assert run["epochs"] == 3 and run["n_test"] == N_TEST
    assert run["wall_s"] >= 0.45  # three sleeps of 0.15 s, on the judge's clock
    kinds = [e["event"] for _, e in events]
    assert kinds[:2] == ["start", "phase"] and kinds[-1] == "end" and events[-1][1]["status"] == "finished"
    progress = [e for _, e in events if e["event"] == "progress"]
    assert [p["epoch"] for p in progress] == [1, 2, 3]
    assert progress[-1]["loss"] == pytest.approx(1 / 3)
    # The frames arrived while the call ran, not all at the end.
    times = [t for t, e in events if e["event"] == "progress"]
    assert times[-1] - times[0] >= 0.25


def test_test_labels_never_reach_the_learner_process(use_task, data, tmp_path):
    use_task(task())
    seen = tmp_path / "seen.txt"
    spy = f"""
    def train_mnist(X, y, on_epoch=None, _train=train_mnist):
        import gc
        gc.unfreeze()  # the host freezes what its imports made: look at everything
        found = 0
        for obj in gc.get_objects():
            if isinstance(obj, np.ndarray) and obj.shape == ({N_TEST},) and obj.dtype.kind in "iu":
                found += 1
                open({str(seen)!r}, "a").write(" ".join(map(str, obj.tolist())) + "\\n")
        return _train(X, y, on_epoch)
    """
    report = grade_learner(tmp_path, learner_source(extra=spy))
    assert report.passed, report
    arrays = seen.read_text().splitlines() if seen.exists() else []
    labels = " ".join(map(str, data.test_labels.tolist()))
    assert labels not in arrays


def test_predictions_below_the_goal_fail_and_are_still_recorded(use_task, data, tmp_path):
    use_task(task(goal=0.99))
    report = grade_learner(tmp_path, learner_source())
    check = outcome(report, "reaches_the_goal")
    assert check.verdict == R.FAILED and "below 0.99" in check.message
    assert check.training["accuracy"] == pytest.approx(expected_accuracy(data))
    assert not check.training["met"]


@pytest.mark.parametrize(
    "predict, words",
    [
        ("return np.zeros(5, dtype=np.int64)", "shape (200,)"),
        ("return np.full(len(X), 12)", "labels must be 0..9"),
        ("return np.zeros((len(X), 10))", "shape (200,)"),
        ("return np.full(len(X), 0.5)", "non-integer"),
    ],
)
def test_malformed_predictions_fail_with_what_is_wrong(use_task, data, tmp_path, predict, words):
    use_task(task())
    extra = f"""
    Centroids.predict = lambda self, X: _bad(X)
    def _bad(X):
        {predict}
    """
    report = grade_learner(tmp_path, learner_source(extra=extra))
    check = outcome(report, "reaches_the_goal")
    assert check.verdict == R.FAILED and words in check.message, check


# -- gating ------------------------------------------------------------------------------------
def test_training_waits_until_the_other_checks_pass(use_task, data, tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_SANDBOX", "off")  # the learner's code leaves a trace where the test can read it
    use_task(task())
    marker = tmp_path / "trained.txt"
    source = learner_source(before=f"open({str(marker)!r}, 'a').write(str(len(X)) + chr(10))").replace("return 2 * x", "return 3 * x")
    report = grade_learner(tmp_path, source)
    check = outcome(report, "reaches_the_goal")
    assert check.verdict == R.SKIPPED
    assert "fix the 1 check above first" in check.message
    # Only the 20-image probe ran, never the real training set.
    assert marker.read_text().split() == ["20"]
    assert report.verdict == R.FAILED


def test_an_unwritten_train_function_is_not_implemented_even_while_gated(use_task, data, tmp_path):
    use_task(task())
    source = learner_source(before="raise NotImplementedError('TODO')").replace("return 2 * x", "raise NotImplementedError")
    report = grade_learner(tmp_path, source)
    assert {o.name: o.verdict for o in report.checks} == {"g_doubles": R.NOT_IMPLEMENTED, "reaches_the_goal": R.NOT_IMPLEMENTED}
    assert "train_mnist" in outcome(report, "reaches_the_goal").message


def test_the_training_check_runs_last_whatever_its_place_in_the_grader(use_task, data, tmp_path):
    from dataclasses import replace

    grader = use_task(task())
    # As if it were written at the top of the grader, before g_doubles.
    spec = grader.reaches_the_goal.__mldojo_check__
    grader.reaches_the_goal.__mldojo_check__ = replace(spec, line=0)
    report = grade_learner(tmp_path, learner_source())
    assert [o.name for o in report.checks] == ["g_doubles", "reaches_the_goal"]


def test_seed_sweeps_can_tell_a_training_check_apart(use_task):
    from mldojo.graders.engine.training import is_training_check
    from mldojo.graders.kit.checks import checks_of

    specs = {spec.name: spec for spec in checks_of(use_task(task()))}
    assert is_training_check(specs["reaches_the_goal"]) and not is_training_check(specs["g_doubles"])


# -- limits --------------------------------------------------------------------------------------
def test_training_has_its_own_budget_and_a_timeout_says_where_it_stopped(use_task, data, tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_CALIBRATION_FACTOR", "1")  # the catalogue's budget as it is, on any machine
    use_task(task(time_limit_s=2.0))
    started = time.monotonic()
    report = grade_learner(tmp_path, learner_source(each_epoch="time.sleep(0.2 if epoch == 1 else 60)"), time_limit_s=1.5)
    elapsed = time.monotonic() - started
    check = outcome(report, "reaches_the_goal")
    assert check.verdict == R.TIMEOUT
    assert "training did not finish within the 2 s" in check.message
    assert "epoch 1" in check.message and "train_mnist()" in check.message
    assert check.training["status"] == "timeout" and check.training["epochs"] == 1
    # The property checks' 1.5 s were not spent on training, and the kill came on time.
    assert outcome(report, "g_doubles").verdict == R.PASSED
    assert elapsed < 1.5 + 2.0 + 8.0


def test_a_slow_machine_gets_a_longer_training_budget_and_is_told_why(use_task, data, tmp_path, monkeypatch):
    """The budget is calibrated against a workload the judge times (never the learner's process)."""
    from mldojo.graders.engine import calibration

    monkeypatch.setattr(calibration, "measure", lambda repeats=5: 3 * calibration.REFERENCE_S)
    use_task(task(time_limit_s=1.0))
    report = grade_learner(tmp_path, learner_source(each_epoch="time.sleep(1.5 if epoch == 1 else 60)"), time_limit_s=1.5)
    check = outcome(report, "reaches_the_goal")
    assert check.verdict == R.TIMEOUT, check
    assert "within the 3 s this task allows on this machine" in check.message and "× 3.0" in check.message, check.message
    assert "epoch 1" in check.message  # 1.5 s of the 3 s: the first epoch finished, with a 1 s budget it would not have
    assert check.training["budget_s"] == pytest.approx(3.0)


def test_a_missing_data_set_is_reported_and_never_passes(use_task, monkeypatch, tmp_path):
    use_task(task())

    def missing(name):
        raise training.TrainingDataMissing("MNIST was not found. Run `grade data add mnist PATH`.")

    monkeypatch.setattr(training, "load_dataset", missing)
    report = grade_learner(tmp_path, learner_source())
    check = outcome(report, "reaches_the_goal")
    assert check.verdict == R.SKIPPED and "grade data add mnist" in check.message
    assert not report.passed


def test_ctrl_c_during_training_stops_the_learner_and_records_an_interrupted_attempt(use_task, data, tmp_path, monkeypatch):
    from mldojo.grading import grade_exercise
    from mldojo.tracker.store import Tracker
    from mldojo.workspace import Workspace

    use_task(task())
    workspace = Workspace(tmp_path, "tester")
    file = workspace.exercise_file(EXERCISE)
    file.parent.mkdir(parents=True)
    file.write_text(learner_source(each_epoch="time.sleep(0.3)"))
    exercise = Exercise(id=EXERCISE, title="t", summary="s", hints=("a", "b", "c", "d"), time_limit_s=10)

    def press_ctrl_c(event):
        if event["event"] == "progress" and event.get("epoch") == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_exercise(workspace, exercise, on_progress=press_ctrl_c)
    tracker = Tracker.open(workspace.tracker_path)
    (attempt,) = tracker.attempts(EXERCISE)
    assert attempt.verdict == "interrupted"
    (run,) = tracker.training_runs(EXERCISE)
    assert run.attempt_id == attempt.id and run.status == "interrupted" and run.epochs == 2
    assert run.accuracy is None and not run.met
    names = [c.name for c in tracker.checks_for(attempt.id)]
    assert names == ["g_doubles", "reaches_the_goal"]
    tracker.close()
    gc.collect()


def graded_as_grade_does(tmp_path):
    """(workspace, grade_exercise's result) for the learner's source in a fresh workspace, recorded as `grade` records it."""
    from mldojo.grading import grade_exercise
    from mldojo.workspace import Workspace

    workspace = Workspace(tmp_path, "tester")
    file = workspace.exercise_file(EXERCISE)
    file.parent.mkdir(parents=True)
    file.write_text(learner_source())
    exercise = Exercise(id=EXERCISE, title="t", summary="s", hints=("a", "b", "c", "d"), time_limit_s=10)
    return workspace, grade_exercise(workspace, exercise, on_progress=None)


def test_a_finished_run_is_recorded_and_summarised_for_history(use_task, data, tmp_path):
    from mldojo.tracker.store import Tracker

    use_task(task())
    workspace, graded = graded_as_grade_does(tmp_path)
    assert graded.recorded and graded.report.passed
    with Tracker.open(workspace.tracker_path) as tracker:
        (attempt,) = tracker.attempts(EXERCISE)
        (run,) = tracker.training_runs(attempt_id=attempt.id)
    assert run.status == "finished" and run.met and run.epochs == 3
    assert run.accuracy == pytest.approx(expected_accuracy(data))
    assert f"test accuracy {100 * run.accuracy:.2f} %" in attempt.summary
    assert attempt.started_at <= dt.datetime.now(dt.timezone.utc)


def test_a_history_made_before_training_runs_existed_still_opens_and_takes_them(tmp_path):
    """Schema 1 files written before the training_run table: reading gives no runs, the first write adds the table."""
    import sqlite3

    from mldojo.tracker import models
    from mldojo.tracker.store import Tracker

    path = tmp_path / "old" / "tracker.sqlite"
    with Tracker.open(path) as tracker:
        tracker.record_attempt(
            exercise_id=EXERCISE, started_at=dt.datetime.now(dt.timezone.utc), duration_s=1.0, verdict="passed",
            grader_version="1", mldojo_version="0.1.0", file_sha256="", seed=None, summary="1/1 checks passed",
        )
    with sqlite3.connect(path) as connection:  # as an mldojo from before this table left it
        connection.execute("DROP TABLE training_run")
    with Tracker.open(path) as tracker:
        (attempt,) = tracker.attempts()
        assert tracker.training_runs() == []
        tracker.record_training_run(
            attempt_id=attempt.id, exercise_id=EXERCISE, check_name="reaches_the_goal", dataset="MNIST",
            status="finished", accuracy=0.985, goal=0.98, met=True, wall_s=41.0, epochs=8, device="cpu",
        )
        (run,) = tracker.training_runs(EXERCISE)
    assert run.accuracy == 0.985 and run.epochs == 8 and run.met
    assert models.SCHEMA_VERSION == 1  # an added table needs no new schema number
    with pytest.raises(ValueError, match="unknown training status"):
        with Tracker.open(path) as tracker:
            tracker.record_training_run(
                attempt_id=attempt.id, exercise_id=EXERCISE, check_name="x", dataset="MNIST", status="great",
                accuracy=1.0, goal=0.98, met=True, wall_s=1.0,
            )


# -- goals on a loss the judge computes (stage2/makemore_mlp, stage3/wavenet, stage3/gpt) -------------------------------
LOSS_CHECK = "reaches_the_loss_goal"


@pytest.fixture
def use_loss_goal(monkeypatch):
    """Register the grader for EXERCISE: g_doubles plus a check judged by a loss, trained through train_with_progress."""
    from dataclasses import replace

    from mldojo.graders.engine.training import TRAINING_MARK, carrying, train_with_progress

    grader = types.ModuleType(grader_module_name(EXERCISE))
    monkeypatch.setitem(sys.modules, grader.__name__, grader)

    def use(goal: float, budget_s: float = 20.0):
        @check(examples=1)
        def reaches_the_loss_goal(learner):
            """The error rate of train_mnist's predictions, standing in for a dev loss, is at most the goal."""
            fake = training.load_dataset("MNIST")
            images, divisor = compact_images(fake.train_images)
            handle = learner._drive(f"{DRIVER}:load", images, fake.train_labels, compact_images(fake.test_images, divisor)[0], divisor)
            reply, run = train_with_progress(learner, f"{DRIVER}:train_and_predict", handle, budget_s=budget_s,
                                             describe_budget="as the test sets it", goal=goal, dataset="synthetic",
                                             shown_as="train_mnist()", advice="train faster", metric="dev loss")
            loss = float(np.mean(np.asarray(reply["predictions"]) != fake.test_labels))
            result = replace(run, loss=loss, n_test=len(fake.test_labels))
            if loss > goal:
                with carrying(result):
                    fail(f"dev loss {loss:.4f}; the goal is at most {goal}")
            return result

        setattr(reaches_the_loss_goal, TRAINING_MARK, task())  # runs last, as the real graders' loss checks do
        grader.g_doubles = g_doubles
        grader.reaches_the_loss_goal = reaches_the_loss_goal
        return grader

    return use


def test_a_loss_goal_is_met_at_or_below_it():
    from dataclasses import replace

    run = training.TrainingResult(accuracy=None, wall_s=118.24, epochs=None, goal=2.20, n_test=22655, dataset="names.txt",
                                  device="cpu, 1 thread", metric="dev loss", loss=2.15341)
    assert run.met and replace(run, loss=2.20).met and not replace(run, loss=2.2001).met
    assert not replace(run, loss=None).met and not replace(run, status="timeout").met
    assert run.describe() == "dev loss 2.1534 (goal ≤ 2.20) in 118.2 s, cpu, 1 thread"
    assert run.to_dict()["met"] and run.to_dict()["metric"] == "dev loss"
    accuracy = training.TrainingResult(accuracy=0.9821, wall_s=41.3, epochs=8, goal=0.98, n_test=10000)
    assert accuracy.metric == "test accuracy" and accuracy.loss is None and accuracy.met
    assert accuracy.describe() == "test accuracy 98.21 % (goal 98.00 %) in 41.3 s, 8 epochs, cpu"


def test_a_loss_run_reads_as_a_loss_in_the_check_line_and_the_attempts_summary():
    from dataclasses import replace

    from mldojo.grading import summary_line
    from mldojo.render import training_summary

    run = training.TrainingResult(accuracy=None, wall_s=118.24, epochs=None, goal=2.20, n_test=22655, dataset="names.txt",
                                  device="cpu, 1 thread", metric="dev loss", loss=2.15341)
    assert training_summary(run.to_dict()) == "dev loss 2.1534 (goal met: ≤ 2.20), 118.2 s wall, cpu, 1 thread"
    assert training_summary(replace(run, loss=2.31).to_dict()).startswith("dev loss 2.3100 (above the goal: ≤ 2.20), ")
    assert training_summary(replace(run, status="timeout").to_dict()) == "training timeout after 118.2 s"
    report = types.SimpleNamespace(checks=[types.SimpleNamespace(verdict="passed")], training=[run.to_dict()])
    assert summary_line(report) == "1/1 checks passed; dev loss 2.1534 in 118.2 s"
    # An accuracy run reads as it always did.
    accuracy = training.TrainingResult(accuracy=0.9821, wall_s=41.3, epochs=8, goal=0.98, n_test=10000)
    assert training_summary(accuracy.to_dict()) == "test accuracy 98.21 % (goal met: 98.00 %), 41.3 s wall, 8 epochs, cpu"
    assert summary_line(types.SimpleNamespace(checks=report.checks, training=[accuracy.to_dict()])) == (
        "1/1 checks passed; test accuracy 98.21 % in 41.3 s, 8 epochs")


def test_a_run_judged_by_a_loss_is_recorded_and_shown_as_a_loss(use_loss_goal, data, tmp_path):
    from rich.console import Console

    from mldojo.history_json import history_data
    from mldojo.render import training_history_table
    from mldojo.tracker.store import Tracker

    use_loss_goal(goal=0.05)
    workspace, graded = graded_as_grade_does(tmp_path)
    assert graded.recorded and graded.report.passed, graded.report
    run = outcome(graded.report, LOSS_CHECK).training
    error_rate = 1 - expected_accuracy(data)  # 7 / 200
    assert run["metric"] == "dev loss" and run["loss"] == pytest.approx(error_rate) and run["accuracy"] is None and run["met"]
    assert run["wall_s"] >= 0.45 and run["n_test"] == N_TEST and run["device"].startswith("cpu, NumPy")
    assert run["epochs"] is None and run["last_loss"] == pytest.approx(1 / 3)  # the drivers' "epoch" counts steps here
    with Tracker.open(workspace.tracker_path) as tracker:
        (attempt,) = tracker.attempts(EXERCISE)
        (row,) = tracker.training_runs(attempt_id=attempt.id)
        history = history_data(EXERCISE, [attempt], tracker.checks_for, [], [row])
    assert (row.metric, row.accuracy, row.met, row.status) == ("dev loss", None, True, "finished")
    assert row.loss == pytest.approx(error_rate) and row.wall_s == pytest.approx(run["wall_s"])
    assert f"dev loss {error_rate:.4f} in" in attempt.summary
    (shown,) = history["training_runs"]
    assert shown["metric"] == "dev loss" and shown["loss"] == pytest.approx(error_rate) and shown["details"]["n_test"] == N_TEST
    out = Console(record=True, width=160)
    training_history_table(out, EXERCISE, [row])
    table = out.export_text()
    # The metric is named once, in the header; a loss task has no epochs column (its drivers count steps).
    assert "dev loss (goal)" in table and f"{error_rate:.4f} (≤ 0.05)" in table and "epochs" not in table


def test_a_loss_above_the_goal_fails_and_still_carries_the_run(use_loss_goal, data, tmp_path):
    use_loss_goal(goal=0.01)
    report = grade_learner(tmp_path, learner_source())
    check = outcome(report, LOSS_CHECK)
    assert check.verdict == R.FAILED and "the goal is at most 0.01" in check.message, check
    assert check.training["status"] == "finished" and not check.training["met"]
    assert check.training["loss"] == pytest.approx(1 - expected_accuracy(data))


def test_a_loss_run_stopped_at_its_budget_carries_the_stopped_run(use_loss_goal, data, tmp_path):
    use_loss_goal(goal=0.05, budget_s=1.0)
    report = grade_learner(tmp_path, learner_source(each_epoch="time.sleep(0.2 if epoch == 1 else 60)"), time_limit_s=1.5)
    check = outcome(report, LOSS_CHECK)
    assert check.verdict == R.TIMEOUT, check
    assert "train_mnist() did not finish within the 1 s it is given on this machine" in check.message and "train faster" in check.message
    run = check.training
    assert (run["status"], run["metric"], run["loss"], run["met"]) == ("timeout", "dev loss", None, False)
    assert run["last_loss"] == 1.0 and run["budget_s"] == 1.0 and run["wall_s"] >= 1.0
