"""Grader for stage3/mnist_torch: the MNIST MLP as an nn.Module, a training step, a loop, predict.

Cheap checks first, on models the grader builds with known weights (so the judge computes
the expected values in its own process with the same weights): the model's output shape and
that it gives raw logits, one `train_step` = one optimiser step on the cross-entropy of
logits (twice, so gradients left over from the first step show up), `predict` in eval mode
without gradients, `train` in training mode, every row once per epoch in shuffled batches of
batch_size, on_epoch after each epoch, at the learning rate it is given. The driver watches
the model through a forward hook, so the rules are checked on what the code did, not on
what its output happens to show. Last, once those pass, the learner's `build_model` and
`train` run on MNIST in the learner process (on CUDA when present) and the judge scores
`predict` on the test images (training.py).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from mldojo.catalogue import load_catalogue
from mldojo.graders.engine.training import TrainingTask, training_check
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_scalar, check, example, fail, given
from mldojo.graders.kit.asserts import MATCH_RTOL
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.strategies import grid_arrays

VERSION = "2"
DRIVER = "mldojo.graders.stage3.mnist_torch_driver"
RTOL, ATOL = 1e-5, 1e-6  # float32 in both processes, same operations
CHANCE = 0.10  # ten classes
SOFTMAX_TWICE = "softmax before the cross-entropy: F.cross_entropy / nn.CrossEntropyLoss take raw logits and apply log-softmax themselves"

_GOALS = load_catalogue().exercise("stage3/mnist_torch").goals
MNIST = TrainingTask(
    exercise="stage3/mnist_torch",
    load_driver=f"{DRIVER}:load",
    train_driver=f"{DRIVER}:train_and_predict",
    probe_driver=f"{DRIVER}:probe",
    shown_as="build_model() / train() / predict()",
    goal_accuracy=float(_GOALS.get("test_accuracy", 0.98)),
    time_limit_s=float(_GOALS.get("train_time_limit_s", 300)),
)


# -- inputs -------------------------------------------------------------------------------------
@dataclass
class ProbeProblem:
    """A Linear-ReLU-Dropout-Linear state dict (float32), as 0.weight, 0.bias, 3.weight, 3.bias, and a batch (X, y)."""

    state: dict
    X: np.ndarray
    y: np.ndarray

    def describe_for_learner(self) -> dict:
        return {**self.state, "X": self.X, "y": self.y}


@dataclass
class StepProblem:
    """Two calls of train_step on a probe model with SGD(lr): batch (X1, y1), then (X2, y2)."""

    state: dict
    X1: np.ndarray
    y1: np.ndarray
    X2: np.ndarray
    y2: np.ndarray
    lr: float

    @property
    def batches(self):
        return [(self.X1, self.y1), (self.X2, self.y2)]

    def describe_for_learner(self) -> dict:
        return {"optimizer": _Text(f"SGD(model.parameters(), lr={self.lr:g})"), **self.state,
                "X1": self.X1, "y1": self.y1, "X2": self.X2, "y2": self.y2}


class _Text(str):
    """Text that a counterexample prints as is, without quotes."""

    def __repr__(self) -> str:
        return str(self)


def _state(rng, d: int, h: int, c: int) -> dict:
    """Probe weights on the quarter grid in [-1, 1]; hidden biases off it (no pre-activation is 0)."""
    grid = lambda shape: rng.integers(-4, 5, size=shape) / 4  # noqa: E731
    return {"0.weight": grid((h, d)).astype(np.float32), "0.bias": (grid((h,)) + 1 / 32).astype(np.float32),
            "3.weight": grid((c, h)).astype(np.float32), "3.bias": grid((c,)).astype(np.float32)}


def _batch(rng, n: int, d: int, c: int, distinct: bool = False):
    """X (n, d) float32 on the quarter grid in [-2, 2] (rows all different with `distinct`), y (n,) int64."""
    while True:
        X = (rng.integers(-8, 9, size=(n, d)) / 4).astype(np.float32)
        if not distinct or len({row.tobytes() for row in X}) == n:
            return X, rng.integers(0, c, size=n).astype(np.int64)


def seeded_problem(seed: int, d: int = 3, h: int = 4, c: int = 3, n: int = 4, distinct: bool = False) -> ProbeProblem:
    """A probe problem from a seed (for examples, and the second inputs diagnoses are confirmed on)."""
    rng = np.random.default_rng(seed)
    state = _state(rng, d, h, c)
    return ProbeProblem(state, *_batch(rng, n, d, c, distinct))


@st.composite
def probe_problems(draw, max_rows: int = 6):
    """A small Linear-ReLU-Linear state dict (float32) and a batch (X, y)."""
    d, h, c = draw(st.integers(2, 5)), draw(st.integers(2, 6)), draw(st.integers(2, 4))
    state = {
        "0.weight": draw(grid_arrays((h, d), -1.0, 1.0)).astype(np.float32),
        "0.bias": (draw(grid_arrays((h,), -1.0, 1.0)) + 1 / 32).astype(np.float32),  # no pre-activation is 0
        "3.weight": draw(grid_arrays((c, h), -1.0, 1.0)).astype(np.float32),
        "3.bias": draw(grid_arrays((c,), -1.0, 1.0)).astype(np.float32),
    }
    n = draw(st.integers(1, max_rows))
    X = draw(grid_arrays((n, d), -2.0, 2.0)).astype(np.float32)
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return ProbeProblem(state, X, y)


@st.composite
def step_problems(draw) -> StepProblem:
    """A probe model, two batches of their own sizes, and SGD's learning rate."""
    first = draw(probe_problems())
    d, c = first.X.shape[1], first.state["3.bias"].shape[0]
    n2 = draw(st.integers(1, 6))
    X2 = draw(grid_arrays((n2, d), -2.0, 2.0)).astype(np.float32)
    y2 = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n2, max_size=n2)), dtype=np.int64)
    return StepProblem(first.state, first.X, first.y, X2, y2, draw(st.sampled_from([0.1, 0.5])))


def seeded_step_problem(seed: int, d: int = 3, h: int = 4, c: int = 3, n1: int = 3, n2: int = 2, lr: float = 0.5) -> StepProblem:
    """A StepProblem from a seed."""
    rng = np.random.default_rng(seed)
    state = _state(rng, d, h, c)
    return StepProblem(state, *_batch(rng, n1, d, c), *_batch(rng, n2, d, c), lr)


@st.composite
def train_problems(draw) -> ProbeProblem:
    """Nine distinct rows (so the grader can tell which rows each batch holds) on a probe model."""
    return seeded_problem(draw(st.integers(0, 2**16)), d=draw(st.integers(2, 4)), h=draw(st.integers(2, 5)),
                          c=draw(st.integers(2, 4)), n=TRAIN_ROWS, distinct=True)


TRAIN_ROWS, TRAIN_BATCH, TRAIN_EPOCHS = 9, 4, 2  # batches of 4, 4, 1 rows, twice
STEP_EXAMPLES = (seeded_step_problem(1), seeded_step_problem(2, d=4, h=3, c=4, n1=4, n2=3, lr=0.1))
PREDICT_EXAMPLES = (seeded_problem(5, n=8),)  # no two logits of a row within 1e-4 (a test checks it)
TRAIN_EXAMPLES = (seeded_problem(4, n=TRAIN_ROWS, distinct=True),)


def judge_model(state: dict, dropout: float = 0.0):
    """The same probe model in the judge's process (driver.probe_model)."""
    from mldojo.graders.stage3.mnist_torch_driver import probe_model

    return probe_model(state, dropout)


STEP_MISTAKES = {
    "accumulate": "the first batch's gradients were still in .grad: call optimizer.zero_grad() before backward() in every step",
    "softmax": SOFTMAX_TWICE,
    "nll_on_logits": "F.nll_loss (nn.NLLLoss) expects log-probabilities; on raw logits it is just -logit[y]: use F.cross_entropy, "
    "which applies log-softmax itself",
    "no_step": "the weights did not move: after loss.backward() call optimizer.step() (and zero the gradients before the "
    "backward, not between backward and step)",
    "loss_after_step": "the returned loss was computed again after the step: return the loss of the batch you called backward on",
}
LOSS_MISTAKES = ("softmax", "nll_on_logits", "loss_after_step")
STATE_MISTAKES = ("accumulate", "softmax", "nll_on_logits", "no_step")


def expected_steps(problem: StepProblem, mistake: str = ""):
    """Losses and state dicts after SGD steps on the cross-entropy of logits (or a known mistake)."""
    import torch
    import torch.nn.functional as F

    model = judge_model(problem.state)
    losses, states = [], []
    for X, y in problem.batches:
        if mistake != "accumulate":
            model.zero_grad()
        logits = model(torch.as_tensor(X))
        target = torch.as_tensor(y)
        if mistake == "softmax":
            loss = F.cross_entropy(torch.softmax(logits, dim=1), target)
        elif mistake == "nll_on_logits":
            loss = F.nll_loss(logits, target)
        else:
            loss = F.cross_entropy(logits, target)
        loss.backward()
        if mistake != "no_step":
            with torch.no_grad():
                for p in model.parameters():
                    p -= problem.lr * p.grad
        if mistake == "loss_after_step":
            with torch.no_grad():
                loss = F.cross_entropy(model(torch.as_tensor(X)), target)
        losses.append(float(loss.detach()))
        states.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
    return losses, states


def _second_step_problem(problem: StepProblem) -> StepProblem:
    """Other weights and batches of the same shapes and the same lr, from the first problem's numbers."""
    h, d = problem.state["0.weight"].shape
    seed = zlib.crc32(repr((problem.X1.tolist(), problem.X2.tolist(), problem.state["0.weight"].tolist())).encode())
    return seeded_step_problem(seed, d, h, problem.state["3.bias"].shape[0], len(problem.y1), len(problem.y2), problem.lr)


def _close(got, want) -> bool:
    got, want = np.asarray(got, dtype=float).reshape(-1), np.asarray(want, dtype=float).reshape(-1)
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= ATOL + RTOL * np.abs(want)))


def step_diagnoses(learner, problem: StepProblem, mistakes, pick) -> list[Diagnosis]:
    """Known train_step mistakes, each confirmed on a second problem; pick(losses, states) is what is compared."""
    def confirm(mistake) -> bool:
        second = _second_step_problem(problem)
        wrong, right = pick(*expected_steps(second, mistake)), pick(*expected_steps(second))
        if _close(wrong, right):
            return False  # invisible there: no evidence
        trace = learner._drive(f"{DRIVER}:two_train_steps", second.state, second.X1, second.y1, second.X2, second.y2, second.lr)
        got = np.asarray(pick([_numpy(trace["loss1"]), _numpy(trace["loss2"])], [trace["state1"], trace["state2"]]), dtype=float).reshape(-1)
        wrong = np.asarray(wrong, dtype=float).reshape(-1)
        return got.shape == wrong.shape and bool(np.all(np.abs(got - wrong) <= 10 * ATOL + max(MATCH_RTOL, 10 * RTOL) * np.abs(wrong)))

    return [Diagnosis(STEP_MISTAKES[m], lambda m=m: pick(*expected_steps(problem, m)), lambda m=m: confirm(m)) for m in mistakes]


# -- checks ---------------------------------------------------------------------------------------
@check(examples=1)
def build_model_gives_ten_logits_per_image(learner):
    """build_model() makes a fresh module mapping (B, 784) float32 images to (B, 10) raw logits (not probabilities)."""
    sizes = [1, 7]
    got = learner._drive(f"{DRIVER}:logits_of_a_fresh_model", sizes)
    if "problem" in got:
        fail(got["problem"])
    if not got["parameters"]:
        fail("build_model() returned a module without parameters: nothing can train")
    if not got["fresh"]:
        fail("two calls of build_model() gave the same model (or models sharing parameters): build a new one each time, "
             "so that every training run starts from scratch",
             diagnosis="build_model returns one shared model: create the module inside build_model, at every call")
    for b, out in zip(sizes, got["outputs"]):
        with after_calling(f"model = build_model(); model(torch.rand({b}, 784))"):
            logits = as_array(out, "output", (b, 10))
        if b > 1 and np.all(logits >= 0) and np.allclose(logits.sum(axis=1), 1.0, atol=1e-5):
            fail(
                f"model(x) rows are non-negative and sum to 1: the model ends in a softmax.\n"
                "CrossEntropyLoss (F.cross_entropy) applies log-softmax itself and expects raw logits; "
                "a softmax before it squashes the gradients and training stalls.",
                diagnosis="remove the softmax at the end of the model; argmax of the logits gives the same labels",
            )
        if b > 1 and np.all(logits >= 0) and np.any(logits == 0):
            fail(f"model(x) has no negative score among {logits.size}, and some exactly 0: the model ends in a ReLU, so "
                 "the logits cannot say 'unlikely'.",
                 diagnosis="end the model with the last nn.Linear: no activation after it")


@check(examples=30)
@example(problem=STEP_EXAMPLES[0])
@example(problem=STEP_EXAMPLES[1])
@given(problem=step_problems())
def train_step_takes_one_optimizer_step(learner, problem):
    """Two calls of train_step(model, optimizer, X, y) with SGD(lr): each returns the cross-entropy of the logits and moves the weights by exactly one step on its own batch."""
    losses, states = expected_steps(problem)
    trace = learner._drive(f"{DRIVER}:two_train_steps", problem.state, problem.X1, problem.y1, problem.X2, problem.y2, problem.lr)
    for step in (1, 2):
        call = f"train_step(model, optimizer, X{step}, y{step}) (call {step}, optimizer = SGD(lr={problem.lr:g}))"
        with after_calling(call):
            loss = assert_scalar(_numpy(trace[f"loss{step}"]), "returned loss")
            if not np.isclose(loss, losses[step - 1], rtol=RTOL, atol=ATOL):
                shown_got, shown_want = show_pair(loss, losses[step - 1])
                fail(f"returned loss: got {shown_got}, expected the cross-entropy of the logits {shown_want}", loss,
                     step_diagnoses(learner, problem, LOSS_MISTAKES, lambda ls, ss, step=step: ls[step - 1]),
                     passes=lambda value, step=step: bool(np.isclose(float(value), losses[step - 1], rtol=RTOL, atol=ATOL)))
            for name, want in states[step - 1].items():
                assert_close(trace[f"state{step}"][name], want, what=f"model.state_dict()[{name!r}] after the step", rtol=RTOL, atol=ATOL,
                             diagnoses=step_diagnoses(learner, problem, STATE_MISTAKES, lambda ls, ss, step=step, name=name: ss[step - 1][name]))


def eval_logits(problem: ProbeProblem) -> np.ndarray:
    """The probe model's logits for X in eval mode (dropout off), in the judge."""
    import torch

    with torch.no_grad():
        return judge_model(problem.state, dropout=0.5).eval()(torch.as_tensor(problem.X)).numpy()


def no_near_ties(problem: ProbeProblem) -> bool:
    """Every row's largest logit beats the others by 1e-4: its argmax does not hang on rounding."""
    ordered = np.sort(eval_logits(problem), axis=1)
    return bool(np.all(ordered[:, -1] - ordered[:, -2] > 1e-4))


@check(examples=20)
@example(problem=PREDICT_EXAMPLES[0])
@given(problem=probe_problems(max_rows=12).filter(no_near_ties))
def predict_uses_eval_mode(learner, problem):
    """predict(model, X) gives the argmax labels (N,) of the model in eval mode and without gradients, even when it was left in training mode."""
    state, X = problem.state, problem.X
    logits = eval_logits(problem)
    reply = learner._drive(f"{DRIVER}:predictions_with_dropout", state, X)
    labels, forwards = _numpy(reply["labels"]), reply["forwards"]
    want = logits.argmax(axis=1)
    call = "predict(model, X) on a model with Dropout(0.5), left in training mode"
    if labels.dtype.kind not in "iu":
        fail(f"{call} returned dtype {labels.dtype}; expected integer labels (argmax gives int64)")
    if labels.shape != want.shape:
        fail(f"{call} returned labels of shape {labels.shape}; expected {want.shape}, one label per row of X"
             + (" (argmax over dim=1, the classes)" if labels.shape == (logits.shape[1],) else ""))
    dropout_on = any(training for training, _ in forwards)
    if not np.array_equal(labels, want):
        shown_got, shown_want = show_pair(labels, want)
        diagnoses = [Diagnosis("argmin instead of argmax: the predicted class has the largest logit", lambda: logits.argmin(axis=1))]
        fail(f"after {call}:\nlabels: got {shown_got}\n        expected {shown_want} (the argmax of the logits in eval mode)", labels,
             diagnoses, diagnosis=DROPOUT_ON if dropout_on else None, passes=lambda value: bool(np.array_equal(value, want)))
    if dropout_on:
        fail(f"{call}: the model ran in training mode (dropout on); the labels happened to come out right on these rows, "
             "but dropout changes them at random.", diagnosis=DROPOUT_ON)
    if any(grad for _, grad in forwards):
        fail(f"{call}: the forward pass ran with gradients on, so torch kept the whole graph for a backward that never comes.",
             diagnosis="wrap predict's forward pass in torch.no_grad() (or torch.inference_mode())")


DROPOUT_ON = "predict ran with dropout still on: call model.eval() before predicting (torch.no_grad() saves memory too)"


@check(examples=5)
@given(problem=probe_problems(max_rows=8))
def train_runs_the_model_in_training_mode(learner, problem):
    """train(model, X, y, epochs=1, batch_size=4, lr=1e-3) (on_epoch left at its default) runs every training forward pass in training mode (dropout on)."""
    trace = learner._drive(f"{DRIVER}:train_trace", problem.state, problem.X, problem.y, 1, 4, 1e-3, False)
    training = [event for event in trace["events"] if event[0] == "forward" and event[2]]
    if not training:
        fail("train(model, X, y, epochs=1, batch_size=4, lr=1e-3) never called the model with gradients on: nothing was trained")
    off = sum(1 for event in training if not event[1])
    if off:
        fail(
            f"train(model, X, y, epochs=1, ...) on a model left in eval mode: {off} of {len(training)} "
            "training forward passes ran in eval mode, so dropout (and batch norm) behave as at test time.",
            diagnosis="call model.train() at the start of train(); predict switches to model.eval(), and training must switch back",
        )


@check(examples=3)
@example(problem=TRAIN_EXAMPLES[0])
@given(problem=train_problems())
def train_visits_every_row_once_per_epoch_in_shuffled_batches(learner, problem):
    """train(model, X, y, epochs=2, batch_size=4, lr=1e-3, on_epoch) on 9 rows: per epoch, shuffled batches of 4, 4 and 1 rows covering every row once, on_epoch(epoch, mean_loss) after each (from 1); it returns the model."""
    call = f"train(model, X, y, epochs={TRAIN_EPOCHS}, batch_size={TRAIN_BATCH}, lr=1e-3, on_epoch=...) on {TRAIN_ROWS} rows"
    trace = learner._drive(f"{DRIVER}:train_trace", problem.state, problem.X, problem.y, TRAIN_EPOCHS, TRAIN_BATCH, 1e-3)
    with after_calling(call):
        epochs = _epochs(trace["events"])
        for number, (batches, steps, reported) in enumerate(epochs, start=1):
            _check_epoch(number, batches, steps, reported)
        orders = [[i for batch in batches for i in batch] for batches, _, _ in epochs]
        if all(order == list(range(TRAIN_ROWS)) for order in orders):
            fail("every epoch took the rows in their own order (0, 1, 2, ...): shuffle them at the start of every epoch "
                 "(torch.randperm(N) on X's device)", diagnosis="the rows are never shuffled")
        if not trace["changed"]:
            fail("no parameter of the model changed: train must step the optimizer on the model's own parameters")
        if not trace["returned_model"]:
            fail(f"train returned {trace['returned']}; return the model it trained",
                 diagnosis="train does not return the model: end it with `return model`")


def _epochs(events) -> list:
    """[(batches: row lists of the training forward passes, step losses, (epoch, loss) reported)] per on_epoch call."""
    epochs, batches, steps = [], [], []
    for event in events:
        if event[0] == "forward" and event[2]:
            batches.append(event[3])
        elif event[0] == "step":
            steps.append(event[1])
        elif event[0] == "epoch":
            epochs.append((batches, steps, (event[1], event[2])))
            batches, steps = [], []
    if not epochs:
        fail(f"on_epoch was never called: train must call on_epoch(epoch, mean_loss) after each of the {TRAIN_EPOCHS} epochs",
             diagnosis="on_epoch is never called: call on_epoch(epoch, mean_loss) at the end of every epoch when it is given")
    numbers = [reported[0] for _, _, reported in epochs]
    if numbers != list(range(1, TRAIN_EPOCHS + 1)):
        diagnosis = None
        if numbers == list(range(TRAIN_EPOCHS)):
            diagnosis = "epochs counted from 0: report on_epoch(epoch + 1, ...) in a loop over range(epochs)"
        elif numbers == list(range(1, len(numbers) + 1)):
            diagnosis = f"train ignores epochs: it ran {len(numbers)} epochs when asked for {TRAIN_EPOCHS}"
        fail(f"on_epoch was called with epochs {numbers}; expected {list(range(1, TRAIN_EPOCHS + 1))}", diagnosis=diagnosis)
    return epochs


def _check_epoch(number: int, batches: list, steps: list, reported: tuple) -> None:
    """One epoch: batches of 4, 4, 1 rows, every row once, a mean loss among the steps' losses."""
    sizes = [len(batch) for batch in batches]
    want = [min(TRAIN_BATCH, TRAIN_ROWS - s) for s in range(0, TRAIN_ROWS, TRAIN_BATCH)]
    if any(i < 0 for batch in batches for i in batch):
        fail(f"in epoch {number} the model got rows that are not rows of X: pass X[batch] to the model as it is")
    if sizes != want:
        diagnosis = None
        if sizes == [TRAIN_ROWS]:
            diagnosis = "train ignores batch_size: it trained on all rows at once"
        elif sizes == want[:-1]:
            diagnosis = "the last, smaller batch of each epoch was skipped: loop over range(0, N, batch_size)"
        fail(f"epoch {number} trained on batches of {sizes} rows; with {TRAIN_ROWS} rows and batch_size={TRAIN_BATCH} "
             f"the batches have {want} rows (the last one smaller)", diagnosis=diagnosis)
    rows = sorted(i for batch in batches for i in batch)
    if rows != list(range(TRAIN_ROWS)):
        repeated = len(set(rows)) < len(rows)
        fail(f"epoch {number} trained on rows {rows}: every row of X once per epoch (a permutation, not a draw with replacement)",
             diagnosis="rows were drawn with replacement: cut one permutation of all rows (torch.randperm(N)) into batches"
             if repeated and len(rows) == TRAIN_ROWS else None)
    loss = reported[1]
    if not isinstance(loss, float) or not math.isfinite(loss):
        fail(f"on_epoch({number}, loss) got loss = {show(loss)}: report the epoch's mean training loss, a number")
    numbers = [s for s in steps if isinstance(s, float)]
    if len(numbers) == len(batches) and numbers:
        low, high = min(numbers), max(numbers)
        if not low - 1e-5 * abs(low) - 1e-6 <= loss <= high + 1e-5 * abs(high) + 1e-6:
            summed = abs(loss - sum(numbers)) <= 1e-5 * abs(sum(numbers)) + 1e-6
            fail(f"on_epoch({number}, loss) got loss = {show(loss)}, but train_step returned losses between {show(low)} and "
                 f"{show(high)} in that epoch: report their mean (is it a sum, or a batch loss times its size?)",
                 diagnosis="the epoch's loss is the sum of its batch losses: report their mean" if summed else None)


@check(examples=2)
@example(problem=TRAIN_EXAMPLES[0])
@given(problem=train_problems())
def train_uses_the_learning_rate_it_is_given(learner, problem):
    """train(model, X, y, epochs=2, batch_size=4, lr=0.0) leaves every parameter as it was: the optimizer steps at the lr it is given."""
    trace = learner._drive(f"{DRIVER}:train_trace", problem.state, problem.X, problem.y, TRAIN_EPOCHS, TRAIN_BATCH, 0.0)
    if trace["changed"]:
        fail(f"train(model, X, y, epochs={TRAIN_EPOCHS}, batch_size={TRAIN_BATCH}, lr=0.0) changed the model's parameters: "
             "it ignores its lr argument (pass lr to the optimizer; a schedule may scale it, but from lr)",
             diagnosis="train ignores lr: create the optimizer with lr=lr")


@training_check(MNIST)
def reaches_the_accuracy_goal_on_mnist(learner, result):
    """build_model and train on MNIST's 60,000 training images reach the goal accuracy on the 10,000 test images (scored by the judge)."""
    if not result.met:
        epochs = f", {result.epochs} epoch" + ("s" if result.epochs != 1 else "") if result.epochs else ""
        fail(f"test accuracy {100 * result.accuracy:.2f} %, the goal is {100 * result.goal:.2f} % "
             f"(after {result.wall_s:.1f} s on {result.device}{epochs}).\n" + training_advice(result))


def training_advice(result) -> str:
    """What the accuracy (and the last reported loss) says about what to look at next."""
    loss = result.last_loss
    if loss is not None and not math.isfinite(loss):
        return "The training loss became NaN or inf: the learning rate is too large, or the loss sees something it should not."
    if result.accuracy < 2 * CHANCE:
        return ("That is chance level: the model is not learning. Are the images and labels still in step after shuffling "
                "(the same permutation for X and y)? Does the loss reported each epoch go down? Is the learning rate neither "
                "0 nor huge, and does predict return the argmax of the trained model's logits?")
    if result.accuracy < 0.9:
        return ("The model learns, but far too little: check that train sees all of X for several epochs by default, that the "
                "learning rate suits the optimizer (Adam: around 1e-3), and that build_model's layers are wide enough.")
    return "Close: a wider hidden layer, a few more epochs or a learning rate that decays usually close the last points."


def _numpy(value) -> np.ndarray:
    """A tensor or array from the learner process as a NumPy array."""
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
