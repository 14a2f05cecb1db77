"""Grader for stage2/mlp: a NumPy MLP (CS231n-style layers, Adam) trained on real MNIST.

The pieces first, each on tiny float64 inputs against formulas written out here: the affine
and ReLU layers, softmax cross-entropy (also at scores of ±1e4), one Adam step against
torch.optim.Adam. Then the network: parameter layout, forward pass, loss and gradients
against central differences, `train` taking exactly Adam's steps, `predict`. Last, once all
of that passes, the learner's own `train_mnist` trains on MNIST in the learner process and
the judge scores the predictions on the test images (training.py).

Hidden-layer biases are drawn on a grid offset by 1/32, and nets with a hidden
pre-activation within 1e-3 of 0 are not used: central differences never straddle a ReLU
kink, and a correct solution always passes.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.catalogue import load_catalogue
from mldojo.graders.engine.training import TrainingTask, training_check
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, assert_scalar, check, fail, given
from mldojo.graders.kit.asserts import CheckFailed
from mldojo.graders.kit.gradcheck import numerical_gradient
from mldojo.graders.kit.strategies import grid_arrays

VERSION = "1"
DRIVER = "mldojo.graders.stage2.mlp_driver"
RTOL = 1e-9  # float64 results against the formulas here
FD_RTOL, FD_ATOL = 1e-6, 1e-7  # gradients against central differences (h = 1e-5)
ADAM_RTOL = 1e-10
OFFSET = 1 / 32  # hidden biases sit off the quarter grid: first-layer pre-activations are never 0

_GOALS = load_catalogue().exercise("stage2/mlp").goals
MNIST = TrainingTask(
    exercise="stage2/mlp",
    load_driver=f"{DRIVER}:load",
    train_driver=f"{DRIVER}:train_and_predict",
    probe_driver=f"{DRIVER}:probe",
    goal_accuracy=float(_GOALS.get("test_accuracy", 0.98)),
    time_limit_s=float(_GOALS.get("train_time_limit_s", 300)),
)


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


def adam_oracle(w: np.ndarray, dws: list, lr: float, bias_correction: bool = True) -> list:
    """Weights after each Adam step: torch.optim.Adam in float64, or the same without bias correction."""
    if not bias_correction:
        m, v, out = np.zeros_like(w), np.zeros_like(w), []
        for dw in dws:
            m = 0.9 * m + 0.1 * dw
            v = 0.999 * v + 0.001 * dw**2
            w = w - lr * m / (np.sqrt(v) + 1e-8)
            out.append(w)
        return out
    import torch

    param = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([param], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    out = []
    for dw in dws:
        param.grad = torch.tensor(dw, dtype=torch.float64)
        optimizer.step()
        out.append(param.detach().numpy().copy())
    return out


# -- inputs -------------------------------------------------------------------------------
@st.composite
def tiny_nets(draw, max_hidden_layers: int = 2, max_rows: int = 5):
    """Layer sizes, float64 parameters on grids, and a batch (X, y)."""
    sizes = [draw(st.integers(1, 4))]
    sizes += [draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, max_hidden_layers)))]
    sizes.append(draw(st.integers(2, 4)))
    layers = len(sizes) - 1
    params = {}
    for i in range(1, layers + 1):
        params[f"W{i}"] = draw(grid_arrays((sizes[i - 1], sizes[i]), -1.5, 1.5))
        bias = draw(grid_arrays((sizes[i],), -1.0, 1.0))
        params[f"b{i}"] = bias + OFFSET if i < layers else bias
    n = draw(st.integers(1, max_rows))
    X = draw(grid_arrays((n, sizes[0]), -2.0, 2.0))
    y = np.array(draw(st.lists(st.integers(0, sizes[-1] - 1), min_size=n, max_size=n)), dtype=np.int64)
    # Well conditioned for central differences (and for Adam, which divides by |grad|): no
    # hidden pre-activation within 1e-3 of ReLU's kink (a step of 1e-5 moves it < 2e-4), no
    # class probability below 1e-6 (where p - 1 would be all rounding).
    h = X
    for i in range(1, layers + 1):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < layers:
            assume(np.all(np.abs(z) > 1e-3))
            h = np.maximum(z, 0)
    assume(np.all(np.exp(log_softmax(z)) > 1e-6))
    return {"sizes": sizes, "params": params, "X": X, "y": y}


@st.composite
def score_batches(draw, scale: float = 1.0, min_rows: int = 1):
    """Scores (N, C) on a grid times `scale`, and labels y (N,)."""
    n, c = draw(st.integers(min_rows, 5)), draw(st.integers(2, 5))
    scores = draw(grid_arrays((n, c), -4.0, 4.0)) * scale
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return scores, y


def learner_model(learner, net):
    """The learner's MLP(sizes, seed=0) holding the drawn parameters (a handle)."""
    params = {k: v.copy() for k, v in net["params"].items()}
    model = learner._drive(f"{DRIVER}:with_params", net["sizes"], params)
    if isinstance(model, str):
        fail(model + "\nThe grader writes its weights into model.params (W1, b1, W2, b2, ...); keep them there.")
    return model


# -- layers -------------------------------------------------------------------------------
@check(examples=40)
@given(
    shapes=st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4)),
    data=st.data(),
)
def affine_layer_forward_and_backward(learner, shapes, data):
    """affine_forward gives x @ w + b; affine_backward gives dx = dout @ w.T, dw = x.T @ dout, db = sum of dout."""
    n, d, m = shapes
    x = data.draw(grid_arrays((n, d)), label="x")
    w = data.draw(grid_arrays((d, m)), label="w")
    b = data.draw(grid_arrays((m,)), label="b")
    dout = data.draw(grid_arrays((n, m)), label="dout")
    result = learner.affine_forward(x, w, b)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("affine_forward(x, w, b) should return a pair (out, cache)")
    out, cache = result
    assert_close(out, x @ w + b, what="affine_forward out", rtol=RTOL, atol=1e-12)
    grads = learner.affine_backward(dout, cache)
    if not isinstance(grads, tuple) or len(grads) != 3:
        fail("affine_backward(dout, cache) should return (dx, dw, db)")
    dx, dw, db = grads
    with after_calling("affine_backward(dout, cache)"):
        assert_close(dx, dout @ w.T, what="dx", rtol=RTOL, atol=1e-12,
                     diagnoses=[Diagnosis("dx uses w instead of w.T? dx = dout @ w.T has x's shape", lambda: dout @ w)])
        assert_close(dw, x.T @ dout, what="dw", rtol=RTOL, atol=1e-12,
                     diagnoses=[Diagnosis("dw is averaged over the batch: the layer's gradient is a sum; the loss already divides by N", lambda: x.T @ dout / n)])
        assert_close(db, dout.sum(axis=0), what="db", rtol=RTOL, atol=1e-12,
                     diagnoses=[Diagnosis("db sums over the wrong axis? db has one entry per output unit: dout.sum(axis=0)", lambda: dout.sum(axis=1))])


@check(examples=40)
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), data=st.data())
def relu_layer_forward_and_backward(learner, shape, data):
    """relu_forward gives max(x, 0); relu_backward lets dout through only where x > 0."""
    x = data.draw(grid_arrays(shape, nonzero=True), label="x")
    dout = data.draw(grid_arrays(shape, nonzero=True), label="dout")
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


@check(examples=50)
@given(batch=score_batches())
def softmax_loss_matches_cross_entropy(learner, batch):
    """softmax_loss(scores, y) gives the mean cross-entropy and its gradient (scores in [-4, 4])."""
    scores, y = batch
    n = scores.shape[0]
    loss, dscores = softmax_loss_oracle(scores, y)
    result = learner.softmax_loss(scores, y)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("softmax_loss(scores, y) should return a pair (loss, dscores)")
    got_loss, got_dscores = result
    with after_calling("softmax_loss(scores, y)"):
        got = assert_scalar(got_loss, "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-12):
            diagnosis = "the loss is summed over the batch: take the mean (divide by N)" if np.isclose(got, loss * n, rtol=1e-9) and n > 1 else None
            fail(f"loss: got {got!r}, expected {loss!r} (rtol={RTOL:g})", diagnosis=diagnosis)
        assert_close(got_dscores, dscores, what="dscores", rtol=RTOL, atol=1e-12, diagnoses=[
            Diagnosis(f"dscores is N = {n} times too big: the loss is a mean over the batch, so its gradient is divided by N too", lambda: dscores * n),
            Diagnosis("dscores misses the -1 at the true class: d loss / d scores = softmax - one_hot(y), over N", lambda: np.exp(log_softmax(scores)) / n),
        ])


@check(examples=30)
@given(batch=score_batches(scale=1e4 / 4))
def softmax_loss_is_stable_for_huge_scores(learner, batch):
    """softmax_loss stays finite and exact for scores up to ±1e4 (exp must not overflow)."""
    scores, y = batch
    loss, dscores = softmax_loss_oracle(scores, y)
    result = learner.softmax_loss(scores, y)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("softmax_loss(scores, y) should return a pair (loss, dscores)")
    overflow = "exp overflows for scores this large: subtract each row's maximum from its scores before exp (softmax does not change)"
    with after_calling("softmax_loss(scores, y) with scores up to ±1e4"):
        try:
            raw = np.asarray(result[0], dtype=float)
        except (TypeError, ValueError):
            raw = None
        if raw is not None and raw.size == 1 and not np.isfinite(raw).all():
            fail(f"loss: got {float(raw.reshape(()))!r}, expected {loss!r}", diagnosis=overflow)
        got = assert_scalar(result[0], "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-9):
            fail(f"loss: got {got!r}, expected {loss!r} (rtol={RTOL:g})")
        try:
            assert_close(result[1], dscores, what="dscores", rtol=RTOL, atol=1e-12)
        except CheckFailed as exc:
            bad = not np.all(np.isfinite(np.asarray(result[1], dtype=float)))
            raise CheckFailed(exc.message, diagnosis=overflow if bad else None) from None


@check(examples=30)
@given(
    w=st.integers(1, 4).flatmap(lambda d: grid_arrays((d,), -2.0, 2.0)),
    lr=st.sampled_from([1e-3, 1e-2, 0.1]),
    data=st.data(),
)
def adam_steps_match_torch(learner, w, lr, data):
    """Three calls adam(w, dw, config), passing config along, give torch.optim.Adam's weights (float64)."""
    dws = [data.draw(grid_arrays(w.shape, -2.0, 2.0), label=f"dw{t}") for t in (1, 2, 3)]
    expected = adam_oracle(w, dws, lr)
    unbiased = adam_oracle(w, dws, lr, bias_correction=False)
    config = {"learning_rate": lr}
    current = w.copy()
    for t, dw in enumerate(dws):
        result = learner.adam(current.copy(), dw, config)
        if not isinstance(result, tuple) or len(result) != 2:
            fail("adam(w, dw, config) should return a pair (next_w, config)")
        current, config = result
        if not isinstance(config, dict):
            fail(f"adam(w, dw, config) returned {type(config).__name__} as config; return the dict with m, v and t in it")
        with after_calling(f"step {t + 1} of adam(w, dw, config) with config = {{'learning_rate': {lr:g}}} at the start"):
            assert_close(current, expected[t], what="next_w", rtol=ADAM_RTOL, atol=1e-12, diagnoses=[
                Diagnosis("no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting steps from 1", lambda t=t: unbiased[t]),
            ])
        current = np.asarray(current, dtype=np.float64)


# -- the network ----------------------------------------------------------------------------
@check(examples=15)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4))
def mlp_parameters_have_the_documented_layout(learner, sizes):
    """MLP(sizes, seed).params holds W1 (sizes[0], sizes[1]), b1 (sizes[1],), ..., random weights fixed by the seed."""
    first = learner._drive(f"{DRIVER}:params_of", sizes, 0)
    again = learner._drive(f"{DRIVER}:params_of", sizes, 0)
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
        assert_equal(again[name], array, what=f"params[{name!r}] of a second MLP({sizes}, seed=0) (the seed fixes the weights)")
        if name.startswith("W") and array.size > 1 and np.all(array == array.flat[0]):
            fail(f"MLP({sizes}, seed=0).params[{name!r}] has every entry equal to {array.flat[0]!r}: "
                 "random weights break the symmetry between hidden units")


@check(examples=40)
@given(net=tiny_nets())
def forward_gives_the_scores(learner, net):
    """forward(X) gives the scores of affine - ReLU - ... - affine for the model's params."""
    model = learner_model(learner, net)
    expected = forward_oracle(net["params"], net["X"])
    no_relu = {**net["params"]}
    with after_calling("model.forward(X)"):
        assert_close(model.forward(net["X"]), expected, what="scores", rtol=RTOL, atol=1e-12, diagnoses=[
            Diagnosis("no ReLU between the layers?", lambda: _linear_forward(no_relu, net["X"])),
        ])


@check(examples=40)
@given(net=tiny_nets())
def loss_and_grads_match_finite_differences(learner, net):
    """loss_and_grads(X, y) gives the mean cross-entropy, and gradients equal to central differences (float64)."""
    model = learner_model(learner, net)
    X, y, params = net["X"], net["y"], net["params"]
    n = X.shape[0]
    result = model.loss_and_grads(X, y)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("loss_and_grads(X, y) should return a pair (loss, grads)")
    got_loss, grads = result
    loss = loss_oracle(params, X, y)
    with after_calling("model.loss_and_grads(X, y)"):
        got = assert_scalar(got_loss, "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-12):
            fail(f"loss: got {got!r}, expected {loss!r} (rtol={RTOL:g})")
        if not isinstance(grads, dict):
            fail(f"grads: expected a dict with the keys of model.params, got {type(grads).__name__}")
        expected = finite_difference_grads(params, X, y)
        for name in params:
            if name not in grads:
                fail(f"grads has no {name!r} (keys: {sorted(grads)})")
            assert_close(grads[name], expected[name], what=f"grads[{name!r}]", rtol=FD_RTOL, atol=FD_ATOL, diagnoses=[
                Diagnosis(f"every gradient is N = {n} times too big: the loss is a mean over the batch, so divide dscores by N", lambda name=name: expected[name] * n),
                Diagnosis("the gradient flows through ReLUs whose input was negative", lambda name=name: _leaky_grads(params, X, y)[name]),
            ])


@check(examples=25)
@given(net=tiny_nets(max_rows=4), lr=st.sampled_from([1e-3, 1e-2]))
def train_takes_adam_steps(learner, net, lr):
    """train(X, y, epochs=2, batch_size=N, lr) on one full batch moves params by exactly two Adam steps."""
    model = learner_model(learner, net)
    X, y, params = net["X"], net["y"], net["params"]
    history = model.train(X, y, epochs=2, batch_size=X.shape[0], lr=lr)
    expected, plain_sgd, unbiased = _two_steps(params, X, y, lr)
    after = learner._drive(f"{DRIVER}:params_now", model)
    with after_calling(f"model.train(X, y, epochs=2, batch_size={X.shape[0]}, lr={lr:g})"):
        for name in params:
            assert_close(after[name], expected[name], what=f"params[{name!r}]", rtol=1e-8, atol=1e-12, diagnoses=[
                Diagnosis("the parameters moved by plain gradient descent (w -= lr * dw): train with Adam, one adam() state per parameter", lambda name=name: plain_sgd[name]),
                Diagnosis("Adam without bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t)", lambda name=name: unbiased[name]),
            ])
        if history is not None and np.ndim(history) == 1 and len(history) != 2:
            fail(f"train returned {len(history)} epoch losses for epochs=2")


@check(examples=30)
@given(net=tiny_nets(max_rows=6))
def predict_gives_the_most_likely_class(learner, net):
    """predict(X) gives the argmax of the scores for each row, as integers (N,)."""
    # Irregular small offsets make ties between scores (on the grid) practically impossible.
    params = {k: v + 1e-3 * np.sin(np.arange(v.size) + 1.0).reshape(v.shape) for k, v in net["params"].items()}
    net = {**net, "params": params}
    scores = forward_oracle(params, net["X"])
    ordered = np.sort(scores, axis=1)
    assume(np.all(ordered[:, -1] - ordered[:, -2] > 1e-9))
    model = learner_model(learner, net)
    got = model.predict(net["X"])
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
        fail(
            f"test accuracy {100 * result.accuracy:.2f} %, the goal is {100 * result.goal:.2f} % "
            f"(after {result.wall_s:.1f} s{f', {result.epochs} epoch' + ('s' if result.epochs != 1 else '') if result.epochs else ''}).\n"
            "More hidden units, more epochs, or a smaller learning rate towards the end usually close the gap; "
            "check that train_mnist uses all of X."
        )


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
    """Parameters after two full-batch steps: Adam (torch's), plain SGD, Adam without bias correction."""
    adam_now = {k: v.copy() for k, v in params.items()}
    sgd_now = {k: v.copy() for k, v in params.items()}
    unbiased_now = {k: v.copy() for k, v in params.items()}
    import torch

    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    optimizer = torch.optim.Adam(list(tensors.values()), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    state = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    for _ in range(2):
        grads = _exact_grads(adam_now, X, y)
        for k, t in tensors.items():
            t.grad = torch.tensor(grads[k], dtype=torch.float64)
        optimizer.step()
        adam_now = {k: t.detach().numpy().copy() for k, t in tensors.items()}
        sgd_grads = _exact_grads(sgd_now, X, y)
        sgd_now = {k: v - lr * sgd_grads[k] for k, v in sgd_now.items()}
        unbiased_grads = _exact_grads(unbiased_now, X, y)
        for k in unbiased_now:
            m, v = state[k]
            m = 0.9 * m + 0.1 * unbiased_grads[k]
            v = 0.999 * v + 0.001 * unbiased_grads[k] ** 2
            state[k] = (m, v)
            unbiased_now[k] = unbiased_now[k] - lr * m / (np.sqrt(v) + 1e-8)
    return adam_now, sgd_now, unbiased_now
