"""Grader for stage2/mlp: a NumPy MLP (CS231n-style layers, Adam) trained on real MNIST.

The pieces first, each on tiny float64 inputs against formulas written out here: the affine
and ReLU layers, softmax cross-entropy (also at scores of ±1e4), three Adam steps against
torch.optim.Adam's update (written out in NumPy; tests prove it equal to torch's). Then the
network: parameter layout and seed, forward pass, loss and gradients against central
differences, `train` taking exactly Adam's steps (one per batch, every row once per epoch,
shuffled, on_epoch after each epoch), `predict`. Last, once all of that passes, the learner's
own `train_mnist` trains on MNIST in the learner process and the judge scores the
predictions on the test images (training.py).

Inputs are on grids (readable counterexamples) or Gaussian (rounding shows); the structural
cases (1-D and 3-D ReLU inputs, N = D = M, rows far apart at ±1e4, Adam's defaults and its
own betas and epsilon, tiny gradients, 0-2 hidden layers, batches that do not divide N) are
explicit examples tried on every grading (_mlp_inputs.py). Nets with a hidden pre-activation
within 1e-3 of 0 are not used: central differences never straddle a ReLU kink, and a
correct solution always passes.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from hypothesis import strategies as st

from mldojo.catalogue import load_catalogue
from mldojo.graders.engine.training import TrainingTask, training_check
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, assert_scalar, check, example, fail, given
from mldojo.graders.kit.asserts import MATCH_ATOL, MATCH_RTOL, name_mistakes
from mldojo.graders.kit.softmax_mistakes import huge_variants, same_numbers
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.gradcheck import numerical_gradient
from mldojo.graders.stage2 import _mlp_inputs as inputs
from mldojo.graders.stage2._mlp_inputs import AdamCase, ScoreBatch, TinyNet, TrainCase

VERSION = "2"
DRIVER = "mldojo.graders.stage2.mlp_driver"
RTOL = 1e-9  # float64 results against the formulas here
FD_RTOL, FD_ATOL = 1e-6, 1e-7  # gradients against central differences (h = 1e-5)
ADAM_RTOL = 1e-10
CHANCE = 0.10  # ten classes

_GOALS = load_catalogue().exercise("stage2/mlp").goals
MNIST = TrainingTask(
    exercise="stage2/mlp",
    load_driver=f"{DRIVER}:load",
    train_driver=f"{DRIVER}:train_and_predict",
    probe_driver=f"{DRIVER}:probe",
    goal_accuracy=float(_GOALS.get("test_accuracy", 0.98)),
    time_limit_s=float(_GOALS.get("train_time_limit_s", 300)),
)


def examples(name: str, cases):
    """@example(name=case) for each case, in order: inputs tried on every grading."""
    def attach(function):
        for case in reversed(cases):
            function = example(**{name: case})(function)
        return function

    return attach


# -- formulas the learner's code is compared with (float64) ----------------------------------
def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, stable for any finite scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_loss_oracle(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient with respect to the scores."""
    n = scores.shape[0]
    logp = log_softmax(scores)
    dscores = np.exp(logp)
    dscores[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), dscores / n


def forward_oracle(params: dict, X: np.ndarray) -> np.ndarray:
    """Scores of affine - ReLU - ... - affine."""
    layers = len(params) // 2
    h = X
    for i in range(1, layers + 1):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < layers:
            h = np.maximum(h, 0)
    return h


def loss_oracle(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    """Mean softmax cross-entropy of the network."""
    return softmax_loss_oracle(forward_oracle(params, X), y)[0]


def finite_difference_grads(params: dict, X: np.ndarray, y: np.ndarray) -> dict:
    """Central differences of the loss for every parameter (float64, h = 1e-5)."""
    grads = {}
    for name in params:
        def loss_at(value, name=name):
            return loss_oracle({**params, name: value}, X, y)

        grads[name] = numerical_gradient(loss_at, params[name], h=1e-5)
    return grads


ADAM_DEFAULTS = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
ADAM_MISTAKES = {
    "no_bias_correction": "no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting steps from 1",
    "betas_ignored": "beta1 and beta2 were not read from config: 0.9 and 0.999 are only the defaults for a config without them",
    "epsilon_ignored": "epsilon was not read from config: 1e-8 is only the default for a config without it",
    "epsilon_inside_sqrt": "epsilon went inside the square root; torch.optim.Adam divides by sqrt(v_hat) + epsilon",
    "state_not_kept": "every call started from m = v = 0 and t = 0: store the updated m, v and t in config and return it, "
    "so the next call carries on from them",
}


class Adam:
    """torch.optim.Adam's update for one array in float64 (tests prove it equal to torch's), or
    with one known `mistake`."""

    def __init__(self, config: dict | None, mistake: str | None = None):
        self.hyper = {**ADAM_DEFAULTS, **(config or {})}
        if mistake == "betas_ignored":
            self.hyper.update(beta1=0.9, beta2=0.999)
        if mistake == "epsilon_ignored":
            self.hyper["epsilon"] = 1e-8
        self.mistake = mistake
        self.m = self.v = None
        self.t = 0

    def step(self, w: np.ndarray, dw: np.ndarray) -> np.ndarray:
        """The next w."""
        lr, beta1, beta2, eps = (self.hyper[k] for k in ("learning_rate", "beta1", "beta2", "epsilon"))
        if self.m is None or self.mistake == "state_not_kept":
            self.m, self.v, self.t = np.zeros_like(w), np.zeros_like(w), 0
        self.t += 1
        self.m = beta1 * self.m + (1 - beta1) * dw
        self.v = beta2 * self.v + (1 - beta2) * dw**2
        m_hat, v_hat = self.m, self.v
        if self.mistake != "no_bias_correction":
            m_hat, v_hat = self.m / (1 - beta1**self.t), self.v / (1 - beta2**self.t)
        if self.mistake == "epsilon_inside_sqrt":
            return w - lr * m_hat / np.sqrt(v_hat + eps)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_trajectory(w: np.ndarray, dws: list, config: dict | None, mistake: str | None = None) -> list:
    """The weights after each of the steps (one Adam state, carried along)."""
    adam, out = Adam(config, mistake), []
    for dw in dws:
        w = adam.step(w, dw)
        out.append(w)
    return out


# -- running the learner's code ----------------------------------------------------------------------
def learner_model(learner, net: TinyNet):
    """The learner's MLP(sizes, seed=0) holding the drawn parameters (a handle)."""
    params = {k: v.copy() for k, v in net.params.items()}
    model = learner._drive(f"{DRIVER}:with_params", net.sizes, params)
    if isinstance(model, str):
        fail(model + "\nThe grader writes its weights into model.params (W1, b1, W2, b2, ...); keep them there.")
    return model


def learner_adam(learner, case: AdamCase) -> list:
    """The learner's w after each of three calls adam(w, dw, config), the config passed along."""
    config = None if case.config is None else dict(case.config)
    current, out = case.w.copy(), []
    for dw in case.dws:
        result = learner.adam(current.copy(), dw.copy()) if config is None else learner.adam(current.copy(), dw.copy(), config)
        if not isinstance(result, tuple) or len(result) != 2:
            fail("adam(w, dw, config) should return a pair (next_w, config)")
        current, config = result
        if not isinstance(config, dict):
            fail(f"adam(w, dw, config) returned {type(config).__name__} as config; return the dict with m, v and t in it")
        current = as_array(current, "next_w", case.w.shape)
        out.append(current)
    return out


def _matches(got, wrong) -> bool:
    got, wrong = np.asarray(got, dtype=float), np.asarray(wrong, dtype=float)
    return got.shape == wrong.shape and bool(np.all(np.abs(got - wrong) <= MATCH_ATOL + MATCH_RTOL * np.abs(wrong)))


def _second_adam_case(case: AdamCase) -> AdamCase:
    """Another w and other gradients of the same shape and scale, with the same first config."""
    seed = zlib.crc32(repr((case.w.tolist(), [dw.tolist() for dw in case.dws])).encode())
    scale = float(np.abs(np.concatenate([dw.ravel() for dw in case.dws])).max()) or 1.0
    w = inputs.gaussian(case.w.shape, seed=seed)
    return AdamCase(w, [inputs.gaussian(case.w.shape, scale, seed=seed + t + 1) for t in range(3)], case.config)


def adam_diagnoses(learner, case: AdamCase, step: int) -> list[Diagnosis]:
    """The known Adam mistakes at `step`, each confirmed on a second case the judge draws."""
    def confirm(mistake):
        second = _second_adam_case(case)
        wrong = adam_trajectory(second.w, second.dws, second.config, mistake)
        right = adam_trajectory(second.w, second.dws, second.config)
        if all(np.allclose(a, b, rtol=ADAM_RTOL, atol=1e-12) for a, b in zip(wrong, right)):
            return False  # invisible there: no evidence
        return all(_matches(g, w) for g, w in zip(learner_adam(learner, second), wrong))

    return [Diagnosis(message, lambda m=mistake: adam_trajectory(case.w, case.dws, case.config, m)[step], lambda m=mistake: confirm(m))
            for mistake, message in ADAM_MISTAKES.items()]


# -- layers -------------------------------------------------------------------------------
@check(examples=40)
@examples("case", inputs.AFFINE_EXAMPLES)
@given(case=inputs.affine_cases())
def affine_layer_forward_and_backward(learner, case):
    """affine_forward gives x @ w + b; affine_backward gives dx = dout @ w.T, dw = x.T @ dout, db = sum of dout."""
    x, w, b, dout = case.x, case.w, case.b, case.dout
    n = x.shape[0]
    result = learner.affine_forward(x, w, b)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("affine_forward(x, w, b) should return a pair (out, cache)")
    out, cache = result
    assert_close(out, x @ w + b, what="affine_forward out", rtol=RTOL, atol=1e-12, diagnoses=[
        Diagnosis("the bias b was not added: out = x @ w + b", lambda: x @ w)])
    grads = learner.affine_backward(dout, cache)
    if not isinstance(grads, tuple) or len(grads) != 3:
        fail("affine_backward(dout, cache) should return (dx, dw, db)")
    dx, dw, db = grads
    with after_calling("affine_backward(dout, cache)"):
        assert_close(dx, dout @ w.T, what="dx", rtol=RTOL, atol=1e-12,
                     diagnoses=[Diagnosis("dx uses w instead of w.T: dx = dout @ w.T has x's shape", lambda: dout @ w)])
        assert_close(dw, x.T @ dout, what="dw", rtol=RTOL, atol=1e-12,
                     diagnoses=[Diagnosis("dw is averaged over the batch: the layer's gradient is a sum; the loss already divides by N", lambda: x.T @ dout / n)])
        assert_close(db, dout.sum(axis=0), what="db", rtol=RTOL, atol=1e-12,
                     diagnoses=[Diagnosis("db sums over the wrong axis: db has one entry per output unit, dout.sum(axis=0)", lambda: dout.sum(axis=1)),
                                Diagnosis("db is averaged over the batch: like dw it is a sum, dout.sum(axis=0)", lambda: dout.mean(axis=0))])


@check(examples=40)
@examples("case", inputs.RELU_EXAMPLES)
@given(case=inputs.relu_cases())
def relu_layer_forward_and_backward(learner, case):
    """relu_forward gives max(x, 0) for x of any shape; relu_backward lets dout through only where x > 0."""
    x, dout = case.x, case.dout
    result = learner.relu_forward(x)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("relu_forward(x) should return a pair (out, cache)")
    out, cache = result
    assert_close(out, np.maximum(x, 0), what="relu_forward out", rtol=0, atol=0)
    with after_calling("relu_backward(dout, cache)"):
        assert_close(learner.relu_backward(dout, cache), dout * (x > 0), what="dx", rtol=0, atol=0, diagnoses=[
            Diagnosis("the gradient also flows where x < 0: ReLU's local derivative there is 0", lambda: dout),
            Diagnosis("the mask is read from dout instead of x: the gradient flows where the input was positive", lambda: dout * (dout > 0)),
        ])


def softmax_diagnoses(scores: np.ndarray, y: np.ndarray) -> list[Diagnosis]:
    """Known mistakes in the gradient of softmax_loss."""
    n = scores.shape[0]
    right = softmax_loss_oracle(scores, y)[1]
    return [
        Diagnosis(f"dscores is N = {n} times too big: the loss is a mean over the batch, so its gradient is divided by N too", lambda: right * n),
        Diagnosis("dscores misses the -1 at the true class: d loss / d scores = softmax - one_hot(y), over N", lambda: np.exp(log_softmax(scores)) / n),
    ]


@check(examples=50)
@examples("batch", inputs.SOFTMAX_EXAMPLES)
@given(batch=inputs.score_batches())
def softmax_loss_matches_cross_entropy(learner, batch):
    """softmax_loss(scores, y) gives the mean cross-entropy and its gradient (scores on a grid in [-4, 4], or Gaussian)."""
    scores, y = batch.scores, batch.y
    n = scores.shape[0]
    loss, dscores = softmax_loss_oracle(scores, y)
    result = learner.softmax_loss(scores, y)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("softmax_loss(scores, y) should return a pair (loss, dscores)")
    got_loss, got_dscores = result
    with after_calling("softmax_loss(scores, y)"):
        got = assert_scalar(got_loss, "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-12):
            shown_got, shown_want = show_pair(got, loss)
            fail(f"loss: got {shown_got}, expected {shown_want} (rtol={RTOL:g})", got, [
                Diagnosis("the loss is summed over the batch: take the mean (divide by N)", lambda: loss * n),
            ], passes=lambda value: bool(np.isclose(float(value), loss, rtol=RTOL, atol=1e-12)))
        assert_close(got_dscores, dscores, what="dscores", rtol=RTOL, atol=1e-12, diagnoses=softmax_diagnoses(scores, y))


OVERFLOW = ("exp overflows for scores this large: subtract each row's maximum from its scores before exp "
            "(softmax does not change)")
HUGE_MISTAKES = {
    "no_max_probs": OVERFLOW,
    "no_max_logsumexp": OVERFLOW,
    "batch_max": "you subtracted the largest score of the whole batch; a row whose scores all sit far below it "
    "underflows to exp(...) = 0: subtract each row's own maximum, scores.max(axis=1, keepdims=True)",
    "log_of_softmax": "log of a probability that underflowed to 0: compute the log-probabilities directly, "
    "shifted - log(sum(exp(shifted))), instead of taking log(softmax)",
}


def huge_mistakes_matching(batch: ScoreBatch, got_loss, got_dscores) -> str | None:
    """The mistakes whose (loss, dscores) the learner's are, NaN and inf included."""
    found = []
    for mistake, message in HUGE_MISTAKES.items():
        for wrong_loss, wrong_d in huge_variants(batch.scores, batch.y, mistake):
            if same_numbers(got_loss, wrong_loss) and same_numbers(got_dscores, wrong_d) and message not in found:
                found.append(message)
    return name_mistakes(found)


@check(examples=30)
@examples("batch", inputs.HUGE_EXAMPLES)
@given(batch=inputs.score_batches(scale=1e4 / 4))
def softmax_loss_is_stable_for_huge_scores(learner, batch):
    """softmax_loss stays finite and exact for scores up to ±1e4 (exp must not overflow, nor log see a 0)."""
    scores, y = batch.scores, batch.y
    loss, dscores = softmax_loss_oracle(scores, y)
    result = learner.softmax_loss(scores, y)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("softmax_loss(scores, y) should return a pair (loss, dscores)")
    with after_calling("softmax_loss(scores, y) with scores up to ±1e4"):
        try:
            got_loss, got_d = np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)
        except (TypeError, ValueError):
            got_loss = got_d = None
        if got_loss is not None and not (np.isfinite(got_loss).all() and np.isfinite(got_d).all()):
            diagnosis = huge_mistakes_matching(batch, got_loss, got_d)
            where = "loss" if not np.isfinite(got_loss).all() else "dscores"
            shown = show(got_loss) if where == "loss" else show(got_d)
            fail(f"{where}: got {shown}: not finite (expected loss {loss!r})", diagnosis=diagnosis)
        got = assert_scalar(result[0], "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-9):
            shown_got, shown_want = show_pair(got, loss)
            fail(f"loss: got {shown_got}, expected {shown_want} (rtol={RTOL:g})")
        assert_close(result[1], dscores, what="dscores", rtol=RTOL, atol=1e-12)


@check(examples=30)
@examples("case", inputs.ADAM_EXAMPLES)
@given(case=inputs.adam_cases())
def adam_steps_match_torch(learner, case):
    """Three calls adam(w, dw, config), passing config along, give torch.optim.Adam's weights (float64), with config's own or default hyperparameters."""
    expected = adam_trajectory(case.w, case.dws, case.config)
    shown = "None" if case.config is None else repr(case.config)
    config = None if case.config is None else dict(case.config)
    current = case.w.copy()
    for t, dw in enumerate(case.dws):
        # adam(w, dw) with config left at its default, None, for a first call without one.
        result = learner.adam(current.copy(), dw.copy()) if config is None else learner.adam(current.copy(), dw.copy(), config)
        if not isinstance(result, tuple) or len(result) != 2:
            fail("adam(w, dw, config) should return a pair (next_w, config)")
        current, config = result
        if not isinstance(config, dict):
            fail(f"adam(w, dw, config) returned {type(config).__name__} as config; return the dict with m, v and t in it")
        with after_calling(f"step {t + 1} of adam(w, dw, config), with config = {shown} at the first call"
                           + (" (adam(w, dw): config left out)" if shown == "None" else "")):
            assert_close(current, expected[t], what="next_w", rtol=ADAM_RTOL, atol=1e-12, diagnoses=adam_diagnoses(learner, case, t))
        current = np.asarray(current, dtype=np.float64)


# -- the network ----------------------------------------------------------------------------
@check(examples=15)
@example(sizes=[3, 4, 5, 2])
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4))
def mlp_parameters_have_the_documented_layout(learner, sizes):
    """MLP(sizes, seed).params holds W1 (sizes[0], sizes[1]), b1 (sizes[1],), ..., random weights fixed by the seed (default 0; another seed, other weights)."""
    first = learner._drive(f"{DRIVER}:params_of", sizes, 0)
    again = learner._drive(f"{DRIVER}:params_of", sizes, None)  # MLP(sizes): the default seed is 0
    other = learner._drive(f"{DRIVER}:params_of", sizes, 1)
    if isinstance(first, str):
        fail(first)
    expected = {}
    for i in range(1, len(sizes)):
        expected[f"W{i}"] = (sizes[i - 1], sizes[i])
        expected[f"b{i}"] = (sizes[i],)
    if sorted(first) != sorted(expected):
        fail(f"MLP({sizes}, seed=0).params has keys {sorted(first)}; expected {sorted(expected)}")
    for name, shape in expected.items():
        array = as_array(first[name], f"MLP({sizes}, seed=0).params[{name!r}]", shape)
        assert_equal(again[name], array, what=f"params[{name!r}] of MLP({sizes}) with the default seed, 0 (the seed fixes the weights)")
        if name.startswith("W") and array.size > 1 and np.all(array == array.flat[0]):
            fail(f"MLP({sizes}, seed=0).params[{name!r}] has every entry equal to {array.flat[0]!r}: "
                 "random weights break the symmetry between hidden units")
    if isinstance(other, dict) and all(
        np.array_equal(np.asarray(other.get(name)), np.asarray(first[name])) for name in expected if name.startswith("W")
    ):
        fail(f"MLP({sizes}, seed=1) has exactly the weights of MLP({sizes}, seed=0): the seed must choose the random "
             "weights (np.random.default_rng(seed), not a fixed seed or none)",
             diagnosis="MLP ignores its seed: draw the weights from np.random.default_rng(seed)")


@check(examples=40)
@examples("net", inputs.NET_EXAMPLES)
@given(net=inputs.tiny_nets())
def forward_gives_the_scores(learner, net):
    """forward(X) gives the scores of affine - ReLU - ... - affine for the model's params (0 to 2 hidden layers)."""
    model = learner_model(learner, net)
    expected = forward_oracle(net.params, net.X)
    with after_calling("model.forward(X)"):
        assert_close(model.forward(net.X), expected, what="scores", rtol=RTOL, atol=1e-12, diagnoses=[
            Diagnosis("no ReLU between the layers: affine - ReLU - ... - affine", lambda: _linear_forward(net.params, net.X)),
            Diagnosis("a ReLU after the last layer too: the scores come straight from the last affine layer",
                      lambda: np.maximum(expected, 0)),
        ])


@check(examples=40)
@examples("net", inputs.NET_EXAMPLES)
@given(net=inputs.tiny_nets())
def loss_and_grads_match_finite_differences(learner, net):
    """loss_and_grads(X, y) gives the mean cross-entropy, and gradients equal to central differences (float64)."""
    model = learner_model(learner, net)
    X, y, params = net.X, net.y, net.params
    n = X.shape[0]
    result = model.loss_and_grads(X, y)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("loss_and_grads(X, y) should return a pair (loss, grads)")
    got_loss, grads = result
    loss = loss_oracle(params, X, y)
    with after_calling("model.loss_and_grads(X, y)"):
        got = assert_scalar(got_loss, "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-12):
            shown_got, shown_want = show_pair(got, loss)
            fail(f"loss: got {shown_got}, expected {shown_want} (rtol={RTOL:g})")
        if not isinstance(grads, dict):
            fail(f"grads: expected a dict with the keys of model.params, got {type(grads).__name__}")
        expected = finite_difference_grads(params, X, y)
        exact, leaky = _exact_grads(params, X, y), _leaky_grads(params, X, y)
        for name in params:
            if name not in grads:
                fail(f"grads has no {name!r} (keys: {sorted(grads)})")
            assert_close(grads[name], expected[name], what=f"grads[{name!r}]", rtol=FD_RTOL, atol=FD_ATOL, diagnoses=[
                Diagnosis(f"every gradient is N = {n} times too big: the loss is a mean over the batch, so divide dscores by N",
                          lambda name=name: exact[name] * n),
                Diagnosis("the gradient flows through ReLUs whose input was negative", lambda name=name: leaky[name]),
            ])


def _single_row_losses_and_params(case: TrainCase, steps_per_epoch: int, epochs: int | None = None, reset: str = "",
                                  sgd: bool = False, mistake: str | None = None):
    """Training on identical rows: each step's loss (before the step, and after the last) per
    epoch, and the final params, for a given number of Adam steps per epoch."""
    x, y = case.net.X[:1], case.net.y[:1]
    params = {k: v.copy() for k, v in case.net.params.items()}
    adams = {k: Adam({"learning_rate": case.lr}, mistake) for k in params}
    losses = []
    for _ in range(case.epochs if epochs is None else epochs):
        if reset == "epoch":
            adams = {k: Adam({"learning_rate": case.lr}) for k in params}
        seen = []
        for _ in range(steps_per_epoch):
            if reset == "batch":
                adams = {k: Adam({"learning_rate": case.lr}) for k in params}
            seen.append(loss_oracle(params, x, y))
            grads = _exact_grads(params, x, y)
            params = {k: (v - case.lr * grads[k]) if sgd else adams[k].step(v, grads[k]) for k, v in params.items()}
        seen.append(loss_oracle(params, x, y))
        losses.append(seen)
    return losses, params


TRAIN_MISTAKES = {
    # message (with {n}, {b}, {e}, {steps}, {sizes} from the case) -> the params such a train ends with
    "train ignores batch_size: it took one Adam step per epoch on all N rows; each epoch takes one step per batch, "
    "ceil(N / batch_size) = {steps} here": lambda c: _single_row_losses_and_params(c, 1)[1],
    "the last, smaller batch of each epoch was skipped: with N = {n} rows and batch_size = {b} the batches have "
    "{sizes} rows (range(0, N, batch_size))": lambda c: _single_row_losses_and_params(c, c.net.X.shape[0] // c.batch_size)[1],
    "train ran 1 epoch, not epochs = {e}": lambda c: _single_row_losses_and_params(c, _steps(c), epochs=1)[1],
    "Adam's state (m, v, t) started afresh every epoch: keep one config per parameter for the whole of train":
        lambda c: _single_row_losses_and_params(c, _steps(c), reset="epoch")[1],
    "Adam's state (m, v, t) started afresh every batch: keep one config per parameter and pass it back in at every step":
        lambda c: _single_row_losses_and_params(c, _steps(c), reset="batch")[1],
    "the parameters moved by plain gradient descent (w -= lr * dw): train with adam(), one config per parameter":
        lambda c: _single_row_losses_and_params(c, _steps(c), sgd=True)[1],
    ADAM_MISTAKES["no_bias_correction"]: lambda c: _single_row_losses_and_params(c, _steps(c), mistake="no_bias_correction")[1],
}


def _steps(case: TrainCase) -> int:
    return math.ceil(case.net.X.shape[0] / case.batch_size)


def _second_training(case: TrainCase) -> TrainCase:
    """Other weights and 7 rows in batches of 3 for 2 epochs: 6 steps, and every mistake above
    takes another number of steps or restarts Adam elsewhere (2, 4, 3, ...)."""
    net = inputs.fair_net(case.net.sizes, 1, seed=zlib.crc32(repr(case.net.X.tolist()).encode()))
    return TrainCase(inputs.identical_rows(net, 7), 2, 3, case.lr)


def train_diagnoses(learner, case: TrainCase, name: str) -> list[Diagnosis]:
    """The TRAIN_MISTAKES for params[name], each confirmed by the learner's train on a second case."""
    n, b = case.net.X.shape[0], case.batch_size
    words = {"n": n, "b": b, "e": case.epochs, "steps": _steps(case),
             "sizes": ", ".join(str(min(b, n - s)) for s in range(0, n, b))}

    def confirm(make) -> bool:
        second = _second_training(case)
        wrong, right = make(second), _single_row_losses_and_params(second, _steps(second))[1]
        if all(np.allclose(wrong[k], right[k], rtol=1e-8, atol=1e-12) for k in right):
            return False
        got = run_train(learner, second)["params"]
        return all(k in got and _matches(got[k], wrong[k]) for k in wrong)

    return [Diagnosis(message.format(**words), lambda make=make: make(case)[name], lambda make=make: confirm(make))
            for message, make in TRAIN_MISTAKES.items()]


def run_train(learner, case: TrainCase, with_callback: bool = True) -> dict:
    """The learner's train on case (with an on_epoch that records its calls, or none), and its params after."""
    model = learner_model(learner, case.net)
    reply = learner._drive(f"{DRIVER}:train_recording", model, case.net.X, case.net.y, case.epochs, case.batch_size, case.lr,
                           with_callback)
    if not isinstance(reply, dict) or not {"history", "calls", "params"} <= set(reply):
        fail(f"the grader could not read what train returned (it got {show(reply)})")
    return reply


@check(examples=25)
@example(case=TrainCase(inputs.NET_EXAMPLES[1], 2, inputs.NET_EXAMPLES[1].X.shape[0], 1e-2))
@given(case=st.builds(lambda net, lr: TrainCase(net, 2, net.X.shape[0], lr), inputs.tiny_nets(max_rows=4), st.sampled_from([1e-3, 1e-2])))
def train_takes_adam_steps(learner, case):
    """train(X, y, epochs=2, batch_size=N, lr) (on_epoch left at its default) on one full batch moves params by exactly two Adam steps."""
    net, lr = case.net, case.lr
    X, y, params = net.X, net.y, net.params
    after = run_train(learner, case, with_callback=False)["params"]
    expected, plain_sgd, unbiased = _two_steps(params, X, y, lr)
    with after_calling(f"model.train(X, y, epochs=2, batch_size={X.shape[0]}, lr={lr:g})"):
        for name in params:
            assert_close(after.get(name), expected[name], what=f"params[{name!r}]", rtol=1e-8, atol=1e-12, diagnoses=[
                Diagnosis("the parameters moved by plain gradient descent (w -= lr * dw): train with Adam, one adam() state per parameter", lambda name=name: plain_sgd[name]),
                Diagnosis("Adam without bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t)", lambda name=name: unbiased[name]),
            ])


@check(examples=15)
@examples("case", inputs.BATCH_TRAINING_EXAMPLES)
@given(case=inputs.batch_training())
def train_takes_one_adam_step_per_batch_and_reports_each_epoch(learner, case):
    """train(X, y, epochs, batch_size, lr) takes one Adam step per batch (the last one smaller when batch_size does not divide N), keeps Adam's state, returns and reports (on_epoch, from 1) each epoch's mean loss."""
    n, b, e = case.net.X.shape[0], case.batch_size, case.epochs
    steps = math.ceil(n / b)
    losses, expected = _single_row_losses_and_params(case, steps)
    reply = run_train(learner, case)
    call = f"model.train(X, y, epochs={e}, batch_size={b}, lr={case.lr:g}, on_epoch=...) on {n} identical rows"
    with after_calling(call):
        for name in case.net.params:
            assert_close(reply["params"].get(name), expected[name], what=f"params[{name!r}]", rtol=1e-8, atol=1e-12,
                         diagnoses=train_diagnoses(learner, case, name))
        _check_epoch_reports(reply, losses, e)


def _check_epoch_reports(reply: dict, losses: list, epochs: int) -> None:
    """on_epoch(epoch, loss) once per epoch, epochs 1..E, each loss a mean of that epoch's batch
    losses (between the smallest and largest loss seen in it); the returned list the same."""
    calls, history = reply["calls"], reply["history"]
    if not calls:
        fail(f"on_epoch was never called: train must call on_epoch(epoch, mean_loss) after each of the {epochs} epochs",
             diagnosis="on_epoch is never called: call on_epoch(epoch, mean_loss) at the end of every epoch when it is given")
    numbers = [c[0] for c in calls]
    if numbers != list(range(1, epochs + 1)):
        counted_from_0 = numbers == list(range(epochs))
        fail(f"on_epoch was called with epochs {numbers}; expected {list(range(1, epochs + 1))}",
             diagnosis="epochs counted from 0: report on_epoch(epoch + 1, ...) in a loop over range(epochs)" if counted_from_0 else None)
    for (epoch, loss), seen in zip(calls, losses):
        low, high = min(seen), max(seen)
        if not (isinstance(loss, float) and low - 1e-9 * abs(low) <= loss <= high + 1e-9 * abs(high)):
            fail(f"on_epoch({epoch}, loss) got loss = {show(loss)}; the epoch's batch losses lie between {show(low)} and "
                 f"{show(high)}, so their mean does too (is it a sum, or the loss of one batch times its size?)")
    if not isinstance(history, list) or len(history) != epochs:
        fail(f"train returned {show(history)}; expected the list of the {epochs} epochs' mean losses")
    if any(not isinstance(h, float) or abs(h - loss) > 1e-12 * max(1.0, abs(loss)) for h, (_, loss) in zip(history, calls)):
        fail(f"train returned the epoch losses {show(history)} but reported {show([c[1] for c in calls])} to on_epoch: "
             "both are each epoch's mean training loss")


@check(examples=3)
@examples("case", inputs.SHUFFLE_EXAMPLES)
@given(case=inputs.shuffled_training())
def train_shuffles_the_rows_every_epoch(learner, case):
    """train(X, y, epochs=2, batch_size=3, lr) on 8 distinct rows does not take the batches in the rows' own order."""
    in_order = _in_order_training(case)
    after = run_train(learner, case)["params"]
    if all(name in after and _matches(after[name], in_order[name]) for name in in_order):
        fail(f"model.train(X, y, epochs=2, batch_size=3, lr={case.lr:g}) took its batches in the order of the rows of X "
             "(rows 0-2, 3-5, 6-7) in both epochs: shuffle the rows at the start of every epoch "
             "(order = rng.permutation(N)), so that each epoch sees other batches",
             diagnosis="the rows are never shuffled")


def _in_order_training(case: TrainCase) -> dict:
    """Params after training on the batches in the rows' own order (no shuffle)."""
    params = {k: v.copy() for k, v in case.net.params.items()}
    adams = {k: Adam({"learning_rate": case.lr}) for k in params}
    n = case.net.X.shape[0]
    for _ in range(case.epochs):
        for start in range(0, n, case.batch_size):
            rows = slice(start, start + case.batch_size)
            grads = _exact_grads(params, case.net.X[rows], case.net.y[rows])
            params = {k: adams[k].step(v, grads[k]) for k, v in params.items()}
    return params


def without_ties(net: TinyNet) -> TinyNet:
    """The net with irregular small offsets on its params: ties between scores (on the grid) become practically impossible."""
    params = {k: v + 1e-3 * np.sin(np.arange(v.size) + 1.0).reshape(v.shape) for k, v in net.params.items()}
    return TinyNet(net.sizes, params, net.X, net.y)


def untied(net: TinyNet) -> bool:
    """Every row's top score beats the others by 1e-9."""
    ordered = np.sort(forward_oracle(net.params, net.X), axis=1)
    return bool(np.all(ordered[:, -1] - ordered[:, -2] > 1e-9))


@check(examples=30)
@examples("net", [without_ties(net) for net in inputs.NET_EXAMPLES])
@given(net=inputs.tiny_nets(max_rows=6).map(without_ties).filter(untied))
def predict_gives_the_most_likely_class(learner, net):
    """predict(X) gives the argmax of the scores for each row, as integers (N,)."""
    scores = forward_oracle(net.params, net.X)
    model = learner_model(learner, net)
    got = model.predict(net.X)
    array = np.asarray(got)
    if array.dtype.kind not in "iu":
        fail(f"predict(X) returned dtype {array.dtype}; expected integer class labels (np.argmax gives them)")
    with after_calling("model.predict(X)"):
        assert_equal(array, scores.argmax(axis=1), what="labels", diagnoses=[
            Diagnosis("argmin instead of argmax?", lambda: scores.argmin(axis=1)),
        ])


@training_check(MNIST)
def reaches_the_accuracy_goal_on_mnist(learner, result):
    """train_mnist on MNIST's 60,000 training images reaches the goal accuracy on the 10,000 test images (scored by the judge)."""
    if not result.met:
        epochs = f", {result.epochs} epoch" + ("s" if result.epochs != 1 else "") if result.epochs else ""
        fail(f"test accuracy {100 * result.accuracy:.2f} %, the goal is {100 * result.goal:.2f} % "
             f"(after {result.wall_s:.1f} s{epochs}).\n" + training_advice(result))


def training_advice(result) -> str:
    """What the accuracy (and the last reported loss) says about what to look at next."""
    loss = result.last_loss
    if loss is not None and not math.isfinite(loss):
        return ("The training loss became NaN or inf: the learning rate is too large for your weights' scale, or "
                "something overflows (softmax_loss passes its checks, so look at the initial weights).")
    if result.accuracy < 2 * CHANCE:
        return ("That is chance level: the model is not learning. Are the images and labels still in step after "
                "shuffling (the same permutation for X and y)? Does the loss reported each epoch go down? "
                "Is the learning rate neither 0 nor huge, and does predict return the argmax of the trained model's scores?")
    if result.accuracy < 0.9:
        return ("The model learns, but far too little: check that train_mnist uses all of X and y for several epochs, "
                "that the learning rate suits Adam (around 1e-3), and that the images are scaled as given (floats in [0, 1]).")
    return ("Close: more hidden units, a few more epochs, or a learning rate that shrinks towards the end usually "
            "close the last points.")


# -- helpers for the diagnoses ----------------------------------------------------------------
def _linear_forward(params: dict, X: np.ndarray) -> np.ndarray:
    layers = len(params) // 2
    h = X
    for i in range(1, layers + 1):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
    return h


def _leaky_grads(params: dict, X: np.ndarray, y: np.ndarray) -> dict:
    """Backprop whose ReLU backward passes every gradient (the classic mistake)."""
    layers = len(params) // 2
    hs = [X]
    for i in range(1, layers + 1):
        z = hs[-1] @ params[f"W{i}"] + params[f"b{i}"]
        hs.append(np.maximum(z, 0) if i < layers else z)
    _, d = softmax_loss_oracle(hs[-1], y)
    grads = {}
    for i in range(layers, 0, -1):
        grads[f"W{i}"], grads[f"b{i}"] = hs[i - 1].T @ d, d.sum(axis=0)
        d = d @ params[f"W{i}"].T
    return grads


def _exact_grads(params: dict, X: np.ndarray, y: np.ndarray) -> dict:
    layers = len(params) // 2
    hs, zs = [X], []
    for i in range(1, layers + 1):
        z = hs[-1] @ params[f"W{i}"] + params[f"b{i}"]
        zs.append(z)
        hs.append(np.maximum(z, 0) if i < layers else z)
    _, d = softmax_loss_oracle(hs[-1], y)
    grads = {}
    for i in range(layers, 0, -1):
        grads[f"W{i}"], grads[f"b{i}"] = hs[i - 1].T @ d, d.sum(axis=0)
        if i > 1:
            d = (d @ params[f"W{i}"].T) * (zs[i - 2] > 0)
    return grads


def _two_steps(params: dict, X: np.ndarray, y: np.ndarray, lr: float) -> tuple[dict, dict, dict]:
    """Parameters after two full-batch steps: Adam (torch's update), plain SGD, Adam without bias correction."""
    runs = {"adam": None, "sgd": None, "no_bias_correction": "no_bias_correction"}
    out = {}
    for label, mistake in runs.items():
        now = {k: v.copy() for k, v in params.items()}
        adams = {k: Adam({"learning_rate": lr}, mistake) for k in params}
        for _ in range(2):
            grads = _exact_grads(now, X, y)
            now = {k: (v - lr * grads[k]) if label == "sgd" else adams[k].step(v, grads[k]) for k, v in now.items()}
        out[label] = now
    return out["adam"], out["sgd"], out["no_bias_correction"]
