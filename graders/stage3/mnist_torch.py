"""Grader for stage3/mnist_torch: the MNIST MLP as an nn.Module, a training step, a loop, predict.

Cheap checks first, on models the grader builds with known weights (so the judge computes
the expected values in its own process with the same weights): the model's output shape and
that it gives raw logits, one `train_step` = one optimiser step on the cross-entropy of
logits (twice, so gradients left over from the first step show up), `predict` in eval
mode, `train` in training mode. Last, once those pass, the learner's `build_model` and
`train` run on MNIST in the learner process (on CUDA when present) and the judge scores
`predict` on the test images (training.py).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mldojo.catalogue import load_catalogue
from mldojo.graders.engine.training import TrainingTask, training_check
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, assert_scalar, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.strategies import grid_arrays

VERSION = "1"
DRIVER = "mldojo.graders.stage3.mnist_torch_driver"
RTOL, ATOL = 1e-5, 1e-6  # float32 in both processes, same operations
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
    return {"state": state, "X": X, "y": y}


def judge_model(state: dict, dropout: float = 0.0):
    """The same probe model in the judge's process (driver.probe_model)."""
    from mldojo.graders.stage3.mnist_torch_driver import probe_model

    return probe_model(state, dropout)


def expected_steps(state: dict, batches, lr: float, mistake: str = ""):
    """Losses and state dicts after SGD steps on the cross-entropy of logits (or a known mistake)."""
    import torch
    import torch.nn.functional as F

    model = judge_model(state)
    losses, states = [], []
    for X, y in batches:
        if mistake != "accumulate":
            model.zero_grad()
        logits = model(torch.as_tensor(X))
        target = torch.as_tensor(y)
        loss = F.cross_entropy(torch.softmax(logits, dim=1) if mistake == "softmax" else logits, target)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(float(loss.detach()))
        states.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
    return losses, states


# -- checks ---------------------------------------------------------------------------------------
@check(examples=1)
def build_model_gives_ten_logits_per_image(learner):
    """build_model() maps (B, 784) float32 images to (B, 10) raw logits (not probabilities)."""
    sizes = [1, 7]
    got = learner._drive(f"{DRIVER}:logits_of_a_fresh_model", sizes)
    if "problem" in got:
        fail(got["problem"])
    if not got["parameters"]:
        fail("build_model() returned a module without parameters: nothing can train")
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


@check(examples=30)
@given(problem=probe_problems(), second=st.data(), lr=st.sampled_from([0.1, 0.5]))
def train_step_takes_one_optimizer_step(learner, problem, second, lr):
    """Two calls of train_step(model, optimizer, X, y) with SGD(lr): each returns the cross-entropy of the logits and moves the weights by exactly one step on its own batch."""
    state, X1, y1 = problem["state"], problem["X"], problem["y"]
    n2 = second.draw(st.integers(1, 6), label="rows of the second batch")
    X2 = second.draw(grid_arrays((n2, X1.shape[1]), -2.0, 2.0), label="X2").astype(np.float32)
    c = state["3.bias"].shape[0]
    y2 = np.array(second.draw(st.lists(st.integers(0, c - 1), min_size=n2, max_size=n2), label="y2"), dtype=np.int64)
    batches = [(X1, y1), (X2, y2)]
    losses, states = expected_steps(state, batches, lr)
    trace = learner._drive(f"{DRIVER}:two_train_steps", state, X1, y1, X2, y2, lr)
    for step in (1, 2):
        call = f"train_step(model, optimizer, X{step}, y{step}) (call {step}, optimizer = SGD(lr={lr:g}))"
        with after_calling(call):
            loss = assert_scalar(_numpy(trace[f"loss{step}"]), "returned loss")
            if not np.isclose(loss, losses[step - 1], rtol=RTOL, atol=ATOL):
                wrong, _ = expected_steps(state, batches, lr, mistake="softmax")
                diagnosis = SOFTMAX_TWICE if np.isclose(loss, wrong[step - 1], rtol=1e-4) else None
                fail(f"returned loss: got {loss!r}, expected the cross-entropy of the logits {losses[step - 1]!r}", diagnosis=diagnosis)
            for name, want in states[step - 1].items():
                assert_close(trace[f"state{step}"][name], want, what=f"model.state_dict()[{name!r}] after the step", rtol=RTOL, atol=ATOL,
                             diagnoses=[Diagnosis("the first batch's gradients were still in .grad: call optimizer.zero_grad() before backward() in every step",
                                                  lambda name=name, step=step: expected_steps(state, batches, lr, mistake="accumulate")[1][step - 1][name]),
                                        Diagnosis(SOFTMAX_TWICE, lambda name=name, step=step: expected_steps(state, batches, lr, mistake="softmax")[1][step - 1][name])])


@check(examples=20)
@given(problem=probe_problems(max_rows=12))
def predict_uses_eval_mode(learner, problem):
    """predict(model, X) gives the argmax labels (N,) of the model in eval mode, even when it was left in training mode."""
    import torch

    state, X = problem["state"], problem["X"]
    model = judge_model(state, dropout=0.5).eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X)).numpy()
    ordered = np.sort(logits, axis=1)
    from hypothesis import assume

    assume(np.all(ordered[:, -1] - ordered[:, -2] > 1e-4))  # no near-ties
    got = learner._drive(f"{DRIVER}:predictions_with_dropout", state, X)
    labels = _numpy(got)
    if labels.dtype.kind not in "iu":
        fail(f"predict(model, X) returned dtype {labels.dtype}; expected integer labels (argmax gives int64)")
    want = logits.argmax(axis=1)
    with after_calling("predict(model, X) on a model with Dropout(0.5), left in training mode"):
        assert_equal(labels.shape, want.shape, what="labels.shape")
        if not np.array_equal(labels, want):
            # Dropout is random, so no wrong answer can be computed to compare with; with
            # the right shape, dropout left on is what makes the labels differ.
            fail(f"labels: got {show(labels)}\n        expected {show(want)} (the argmax of the logits in eval mode)",
                 diagnosis="predict ran with dropout still on: call model.eval() before predicting (torch.no_grad() saves memory too)")


@check(examples=5)
@given(problem=probe_problems(max_rows=8))
def train_runs_the_model_in_training_mode(learner, problem):
    """train(model, X, y, epochs=1, batch_size=4, lr=1e-3) runs every forward pass in training mode (dropout on)."""
    modes = learner._drive(f"{DRIVER}:modes_during_train", problem["state"], problem["X"], problem["y"])
    if not modes:
        fail("train(model, X, y, epochs=1, batch_size=4, lr=1e-3) never called the model")
    if not all(modes):
        fail(
            f"train(model, X, y, epochs=1, ...) on a model left in eval mode: {modes.count(False)} of {len(modes)} "
            "forward passes ran in eval mode, so dropout (and batch norm) behave as at test time.",
            diagnosis="call model.train() at the start of train(); predict switches to model.eval(), and training must switch back",
        )


@training_check(MNIST)
def reaches_the_accuracy_goal_on_mnist(learner, result):
    """build_model and train on MNIST's 60,000 training images reach the goal accuracy on the 10,000 test images (scored by the judge)."""
    if not result.met:
        fail(
            f"test accuracy {100 * result.accuracy:.2f} %, the goal is {100 * result.goal:.2f} % "
            f"(after {result.wall_s:.1f} s on {result.device}{f', {result.epochs} epoch' + ('s' if result.epochs != 1 else '') if result.epochs else ''}).\n"
            "A wider hidden layer, a few more epochs or a learning rate that decays usually close the gap."
        )


def _numpy(value) -> np.ndarray:
    """A tensor or array from the learner process as a NumPy array."""
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
