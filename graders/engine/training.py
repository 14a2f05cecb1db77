"""Training tasks: the learner's code trains on real data in the learner process; the judge scores it.

The public entry point, also used by `grade bench` to time a training call:

    run_training(learner, task, on_progress=None) -> TrainingResult

    learner      the `Learner` proxy of a started learner process (graders.engine.proxy)
    task         a TrainingTask: which drivers to call, the accuracy goal, the time limit
    on_progress  optional; called in the judge with dicts {"event": "start" | "phase" | "progress" | "end", ...}
                 ("progress": what the learner's callback reported, always with "epoch", maybe
                 "loss", plus the judge's "elapsed_s"; "phase": {"phase": "data sent in 1.2 s; training"})
    returns      TrainingResult(accuracy, wall_s, epochs, goal, n_test, ...); raises
                 TrainingDataMissing when the data set is not on this machine, and the
                 engine's LearnerGone / LearnerRaised / NotImplementedYet for the learner's code

How it goes, and who is trusted with what:

1. The judge loads the data set (mldojo.datasets) and sends the training images and labels
   and the test images, never the test labels, to the learner process in one call to the
   task's `load_driver`, which keeps them there (on the GPU when the task uses one) and
   answers with a handle. Images travel as uint8 when that is lossless (47 MB for MNIST's
   training set instead of 188 MB of float32) and are turned back into the same float32
   values there.
2. The judge times the call to `train_driver` (training plus prediction of the test
   images) with its own clock. Meanwhile the driver's callback sends progress frames
   (graders.engine.channel), shown live and never trusted.
3. The judge checks the predictions' shape and values and scores them against the test
   labels it kept. The accuracy, the judge's wall time and the epochs the learner reported
   make the TrainingResult.

A grader declares its training check with `training_check(task, probe=...)`. The runner
runs such a check last and only when every other check passed (it costs about a minute);
otherwise it runs the cheap `probe` driver instead, to tell "not written yet" from "fix the
failing checks first". A training check draws no Hypothesis inputs and takes no seed, so
seed sweeps skip it (`is_training_check`).

Graders whose goal is a held-out loss (stage2/makemore_mlp, stage3/wavenet, stage3/gpt) score the
trained model themselves: `train_with_progress` times the training call and gives back the run
without its loss; the grader computes the loss, fills it in (TrainingResult.metric "dev loss" or
"validation loss") and returns the result, or fails inside `carrying(result)`, so that `grade`
shows and the tracker records a loss run as it does an accuracy run.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from mldojo.graders.engine.driver_support import fewer_threads_when_busy, restore_images  # noqa: F401 - re-exported
from mldojo.graders.engine.results import ACCURACY_METRIC, is_loss_metric

TRAINING_MARK = "__mldojo_training__"


class TrainingDataMissing(Exception):
    """The data set a training task needs is not on this machine (the message says how to get it)."""


@dataclass(frozen=True)
class TrainingTask:
    """One training task: the data set, the drivers that run in the learner process, the goal."""

    exercise: str  # "stage2/mlp"
    load_driver: str  # "module:function(learner_module, train_images, train_labels, test_images, divisor) -> data"
    train_driver: str  # "module:function(learner_module, data) -> {'predictions', 'epochs', 'device', ...}"
    goal_accuracy: float  # from the catalogue's goals
    time_limit_s: float  # the training run's own budget (loading, training, predicting)
    dataset: str = "MNIST"
    probe_driver: str = ""  # cheap call that touches every function the training uses
    shown_as: str = "train_mnist()"  # how the learner knows the call that trains
    train_rows: int | None = None  # the first N training images only (a test's reduced goal); None: all of them


@dataclass
class TrainingResult:
    """What the judge measured: a test accuracy, or a held-out loss, and the wall time of the training call."""

    accuracy: float | None  # None for a loss task (and a run that did not finish)
    wall_s: float
    epochs: int | None
    goal: float  # an accuracy to reach, or for a loss metric a loss to get down to
    n_test: int  # the test images, or the held-out pairs / characters the loss averages
    dataset: str = "MNIST"
    data_source: str = ""
    device: str = "cpu"
    transfer_s: float = 0.0
    last_loss: float | None = None
    status: str = "finished"  # "finished" | "timeout" | "interrupted" | "failed"
    budget_s: float = 0.0  # the training run's time limit on this machine (calibration.py)
    calibration: str = ""  # how that limit was reached, in words
    metric: str = ACCURACY_METRIC  # or a loss the judge computes: "dev loss", "validation loss"
    loss: float | None = None  # the judge's held-out loss, for a loss metric
    train_loss: float | None = None  # the judge's loss on the training data, where the grader computes it

    @property
    def met(self) -> bool:
        """True when the judge's accuracy reaches the goal, or its loss gets down to it."""
        if self.status != "finished":
            return False
        if is_loss_metric(self.metric):
            return self.loss is not None and self.loss <= self.goal
        return self.accuracy is not None and self.accuracy >= self.goal

    def to_dict(self) -> dict:
        """Plain data for the report, the tracker and JSON output."""
        data = asdict(self)
        data["met"] = self.met
        return data

    def describe(self) -> str:
        """'test accuracy 98.21 % (goal 98.00 %) in 41.3 s, 8 epochs, cpu', or 'dev loss 2.1534 (goal ≤ 2.20) in ...'."""
        epochs = f", {self.epochs} epoch{'s' if self.epochs != 1 else ''}" if self.epochs else ""
        if self.status != "finished":
            return f"training {self.status} after {self.wall_s:.1f} s{epochs}"
        if is_loss_metric(self.metric):
            return f"{self.metric} {self.loss:.4f} (goal ≤ {self.goal:.2f}) in {self.wall_s:.1f} s{epochs}, {self.device}"
        return f"test accuracy {100 * self.accuracy:.2f} % (goal {100 * self.goal:.2f} %) in {self.wall_s:.1f} s{epochs}, {self.device}"


@contextmanager
def carrying(result: TrainingResult) -> Iterator[None]:
    """A check failure raised inside carries result, so that the runner reports and records the run."""
    try:
        yield
    except AssertionError as exc:
        exc.training = result  # type: ignore[attr-defined] - read by the runner
        raise


@dataclass
class _Watch:
    """Progress seen so far (for a partial result when the run is stopped)."""

    epochs: int | None = None
    last_loss: float | None = None
    started: float = field(default_factory=time.perf_counter)


def run_training(learner, task: TrainingTask, on_progress: Callable[[dict], None] | None = None) -> TrainingResult:
    """Send the data, time the learner's training and prediction, score the predictions here."""
    data = load_dataset(task.dataset)
    session = learner._session
    watch = _Watch()
    emit = on_progress or session.on_progress or (lambda fields: None)

    def forward(fields: dict) -> None:
        epoch, loss = fields.get("epoch"), fields.get("loss")
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            return  # the driver always sends an epoch; anything else is not a progress frame
        watch.epochs = epoch
        if isinstance(loss, (int, float)) and not isinstance(loss, bool):
            watch.last_loss = float(loss)
        emit({**_plain(fields), "event": "progress", "elapsed_s": time.perf_counter() - watch.started})  # the judge's clock wins

    from mldojo.graders.engine.calibration import calibrate

    calibration = calibrate()  # a slow or busy machine gets a longer budget, never a shorter one
    budget_s = task.time_limit_s * calibration.factor
    emit({"event": "start", "dataset": task.dataset, "goal": task.goal_accuracy, "time_limit_s": budget_s,
          "budget": calibration.describe(task.time_limit_s)})
    status = "interrupted"
    try:
        with session.separate_budget(budget_s), session.listening(forward):
            sent_at = time.perf_counter()
            rows = slice(None, task.train_rows)
            images, divisor = compact_images(data.train_images[rows])
            test_images, _ = compact_images(data.test_images, divisor)
            handle = learner._drive(task.load_driver, images, data.train_labels[rows], test_images, divisor)
            transfer_s = time.perf_counter() - sent_at
            emit({"event": "phase", "phase": f"data sent in {transfer_s:.1f} s; training"})
            watch.started = time.perf_counter()
            reply = learner._drive(task.train_driver, handle)  # the judge's clock, around the whole call
            wall_s = time.perf_counter() - watch.started
        status = "finished"
    except BaseException as exc:
        if type(exc).__name__ == "LearnerGone" and getattr(exc, "kind", "") == "timeout":
            status = "timeout"
            seen = f" (last progress: epoch {watch.epochs}" + (f", loss {watch.last_loss:.4g})" if watch.last_loss is not None else ")") if watch.epochs else ""
            exc.detail = (f"training did not finish within the {budget_s:.0f} s this task allows on this machine "
                          f"({calibration.describe(task.time_limit_s)}){seen}")
            exc.during = task.shown_as
        elif not isinstance(exc, KeyboardInterrupt):
            status = "failed"
        exc.training = TrainingResult(  # type: ignore[attr-defined] - read by the runner
            accuracy=0.0, wall_s=time.perf_counter() - watch.started, epochs=watch.epochs,
            goal=task.goal_accuracy, n_test=len(data.test_labels), dataset=task.dataset,
            data_source=str(getattr(data, "source", "")), last_loss=watch.last_loss, status=status,
            budget_s=budget_s, calibration=calibration.describe(task.time_limit_s),
        )
        raise
    finally:
        emit({"event": "end", "status": status})
    predictions = predicted_labels(reply, len(data.test_labels), task.dataset)
    epochs = reply.get("epochs") if isinstance(reply.get("epochs"), int) else watch.epochs
    return TrainingResult(
        accuracy=float(np.mean(predictions == data.test_labels)),
        wall_s=wall_s,
        epochs=epochs,
        goal=task.goal_accuracy,
        n_test=len(data.test_labels),
        dataset=task.dataset,
        data_source=str(getattr(data, "source", "")),
        device=str(reply.get("device", "cpu"))[:100],
        transfer_s=transfer_s,
        last_loss=watch.last_loss,
        budget_s=budget_s,
        calibration=calibration.describe(task.time_limit_s),
    )


def load_dataset(name: str):
    """The data set by name ("MNIST", "Fashion-MNIST", "CIFAR-10"), or TrainingDataMissing with the data module's own advice."""
    from mldojo.datasets import DatasetError, load_cifar10, load_fashion_mnist, load_mnist

    loaders = {"MNIST": load_mnist, "Fashion-MNIST": load_fashion_mnist, "CIFAR-10": load_cifar10}
    if name not in loaders:
        raise ValueError(f"no training data set called {name!r}")
    try:
        return loaders[name]()
    except DatasetError as exc:
        raise TrainingDataMissing(str(exc)) from None


def compact_images(images: np.ndarray, divisor: float | None = None) -> tuple[np.ndarray, float]:
    """Images as uint8 plus the divisor that gives back the same float32 values, when lossless."""
    if images.dtype == np.uint8:  # already pixels 0-255 (CIFAR-10): sent as they are, read as k / 255
        return np.ascontiguousarray(images), float(divisor or 255.0)
    for candidate in (divisor,) if divisor else (255.0, 256.0):
        if not candidate:
            continue
        scaled = np.rint(images * np.float32(candidate))
        if scaled.min() >= 0 and scaled.max() <= 255:
            small = scaled.astype(np.uint8)
            if np.array_equal(small.astype(np.float32) / np.float32(candidate), images):
                return small, float(candidate)
    return np.ascontiguousarray(images, dtype=np.float32), 0.0


def predicted_labels(reply: Any, n: int, dataset: str = "MNIST") -> np.ndarray:
    """The learner's test predictions as int64 (n,), or a check failure that says what is wrong."""
    from mldojo.graders.kit.asserts import fail

    if not isinstance(reply, dict) or "predictions" not in reply:
        fail("the training driver sent no predictions (a grader bug, please report it)")
    got = reply["predictions"]
    what = f"predict(test images) (the {n} {dataset} test images)"
    array = np.asarray(got) if isinstance(got, np.ndarray) else None
    if array is None or array.shape != (n,):
        shape = getattr(array, "shape", type(got).__name__)
        fail(f"{what}: expected one label per image, an integer array of shape ({n},); got {shape}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            fail(f"{what}: expected class labels 0..9, got non-integer values — predict returns the argmax, not scores")
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        fail(f"{what}: expected integer labels, got dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() > 9):
        fail(f"{what}: labels must be 0..9, got values from {array.min()} to {array.max()}")
    return array.astype(np.int64)


def training_check(task: TrainingTask) -> Callable:
    """Declare a grader's training check: decorate `f(learner, result)` that judges the result."""
    from mldojo.graders.kit.checks import check

    def declare(judge: Callable) -> Callable:
        def run(learner) -> TrainingResult:
            result = run_training(learner, task)
            try:
                judge(learner, result)
            except AssertionError as exc:
                exc.training = result  # type: ignore[attr-defined] - read by the runner
                raise
            return result

        run.__name__ = judge.__name__
        run.__doc__ = judge.__doc__
        run.__wrapped__ = judge
        setattr(run, TRAINING_MARK, task)
        marked = check(examples=1)(run)
        marked.__mldojo_check__ = _with_line(marked.__mldojo_check__, judge.__code__.co_firstlineno)
        return marked

    return declare


def is_training_check(spec) -> bool:
    """True for a check declared with training_check (gated, unseeded)."""
    return hasattr(spec.function, TRAINING_MARK)


def task_of(spec) -> TrainingTask:
    """The TrainingTask behind a training check."""
    return getattr(spec.function, TRAINING_MARK)


def _with_line(spec, line: int):
    from dataclasses import replace

    return replace(spec, line=line)


def _plain(fields: dict) -> dict:
    """Only short plain values from a progress frame (it comes from the learner process)."""
    kept = {}
    for key, value in list(fields.items())[:8]:
        if isinstance(key, str) and isinstance(value, (int, float, str, bool)) and len(key) <= 20:
            kept[key] = value[:60] if isinstance(value, str) else value
    kept.pop("event", None)
    return kept


def train_with_progress(learner, driver: str, *args, budget_s: float, describe_budget: str, goal: float, dataset: str,
                        shown_as: str, advice: str, metric: str,
                        emit: Callable[[dict], None] | None = None) -> tuple[Any, TrainingResult]:
    """Call a training driver in the learner's process within budget_s, forwarding its progress; (reply, the run so far).

    For graders that score the trained model themselves (a `metric` such as "dev loss" rather than
    run_training's accuracy): the run comes back without its loss, which the grader fills in (with
    dataclasses.replace) once it has computed it. A timeout is reported as `shown_as` not finishing
    within the budget, followed by `advice`; as in run_training, a stopped run is attached to the
    exception as `exc.training`, so that the tracker records it too. Progress goes to `emit` (a
    benchmark's own printer) or else to the grading's progress display."""
    from mldojo.graders.engine.outcomes import LearnerGone

    session = learner._session
    emit = emit or session.on_progress or (lambda fields: None)
    watch = _Watch()

    def forward(fields: dict) -> None:
        epoch, loss = fields.get("epoch"), fields.get("loss")
        if isinstance(epoch, int) and not isinstance(epoch, bool):
            shown: dict = {"epoch": epoch}
            if isinstance(loss, (int, float)) and not isinstance(loss, bool):
                watch.last_loss = shown["loss"] = float(loss)
            emit({**shown, "event": "progress", "elapsed_s": time.perf_counter() - watch.started})

    def run(status: str, wall_s: float, reply: Any = None) -> TrainingResult:
        device = reply.get("device") if isinstance(reply, dict) else None  # the driver's words, as run_training takes them
        # epochs=None: these drivers send optimisation steps, every few seconds, in the progress frames' "epoch".
        return TrainingResult(accuracy=None, wall_s=wall_s, epochs=None, goal=goal, n_test=0, dataset=dataset,
                              device=device[:100] if isinstance(device, str) else "cpu", last_loss=watch.last_loss,
                              status=status, budget_s=budget_s, calibration=describe_budget, metric=metric)

    emit({"event": "start", "dataset": dataset, "goal": goal, "time_limit_s": budget_s, "budget": describe_budget})
    status = "failed"
    try:
        with session.separate_budget(budget_s), session.listening(forward):
            reply = learner._drive(driver, *args)
        wall_s = time.perf_counter() - watch.started  # the judge's clock, around the whole call
        status = "finished"
    except BaseException as exc:
        if isinstance(exc, LearnerGone) and exc.kind == "timeout":
            status = "timeout"
            exc.detail = f"{shown_as} did not finish within the {budget_s:.0f} s it is given on this machine ({describe_budget}): {advice}"
            exc.during = shown_as
        elif isinstance(exc, KeyboardInterrupt):
            status = "interrupted"
        exc.training = run(status, time.perf_counter() - watch.started)  # type: ignore[attr-defined] - read by the runner
        raise
    finally:
        emit({"event": "end", "status": status})
    return reply, run(status, wall_s, reply)
