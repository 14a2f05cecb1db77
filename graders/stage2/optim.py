"""Grader for stage2/optim: SGD, momentum, RMSprop and Adam as CS231n-style update rules.

Each rule runs 50 steps in the learner's process (optim_driver.trajectory), fed either a fixed
sequence of gradients or the gradient of a quadratic bowl at its own current parameters, and
every step is compared with torch.optim's trajectory in float64: to 1e-10 on fixed gradients
(no feedback, so nothing amplifies rounding), to 1e-8 in the bowl (where each step depends on
the last). The judge computes that trajectory with `expected_trajectory`, torch.optim's update
rules written out in NumPy, because constructing or stepping any torch.optim optimizer imports
torch._dynamo (about 1.8 s on 2 cores, twice the import of torch itself) and would put a cold
`grade stage2/optim` over its 3 s; tests/test_stage2_optim.py proves the two equal, within a tenth
of the tolerances below, on this grader's own drawn runs and explicit examples, against torch.optim itself (`torch_trajectory`).
The explicit examples run on every grading: the defaults (config None), every hyperparameter set
away from its default, zero gradients, a scalar and a matrix of parameters.
Known mistakes are simulated in NumPy on the same gradients and named when the learner's
trajectory is theirs (and not torch's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, check, example, fail, given
from mldojo.graders.kit.formatting import show_pair

VERSION = "1"
DRIVER = "mldojo.graders.stage2.optim_driver:trajectory"
STEPS = 50
FIXED_RTOL, BOWL_RTOL, ATOL = 1e-10, 1e-8, 1e-12

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
STATE = {"sgd": (), "sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}
# Values away from the defaults, so that a rule that ignores a given hyperparameter shows it.
# Each decay also takes a value below 1/2: for b in [1/2, 1), 1 % b is exactly 1 - b in floating
# point, so `(1 % beta2)` typed for `(1 - beta2)` would pass on every larger value.
OTHER_VALUES = {"learning_rate": (0.1, 0.003), "momentum": (0.5, 0.99), "decay_rate": (0.9, 0.5, 0.3),
                "epsilon": (1e-4, 1e-6), "beta1": (0.8, 0.5, 0.3), "beta2": (0.99, 0.9, 0.4)}


@dataclass
class Run:
    """One trajectory to run: the rule, its start, its config, where its gradients come from."""

    rule: str
    w0: np.ndarray
    config: dict | None
    gradients: np.ndarray | None = None  # (STEPS, *shape): fixed gradients
    bowl: dict | None = None  # {"scale": (shape), "target": (shape)}: the gradient scale * (w - target)

    def describe_for_learner(self) -> dict:
        """What the failure message shows of this input."""
        shown = {"rule": self.rule, "w0": self.w0, "config": "None (the defaults)" if self.config is None else self.config}
        if self.gradients is not None:
            shown["dw (first steps)"] = self.gradients[:3]
        else:
            shown["dw"] = "scale * (w - target), the gradient of 0.5 * scale * (w - target)**2"
            shown["scale"], shown["target"] = self.bowl["scale"], self.bowl["target"]
        return shown

    def settings(self) -> dict:
        """The hyperparameters in force: the config's, else the defaults."""
        return {**DEFAULTS[self.rule], **{k: v for k, v in (self.config or {}).items() if k in DEFAULTS[self.rule]}}


# -- inputs --------------------------------------------------------------------------------------
SHAPES = st.sampled_from([(), (1,), (3,), (2, 3), (2, 2, 2)])


@st.composite
def runs(draw, rule: str, bowl: bool | None = None) -> Run:
    """A start, a config (None, or some hyperparameters away from their defaults), gradients."""
    shape = draw(SHAPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w0 = rng.standard_normal(shape)
    config = None
    if draw(st.booleans()):
        config = {key: draw(st.sampled_from(OTHER_VALUES[key])) for key in DEFAULTS[rule] if draw(st.booleans())}
    use_bowl = draw(st.booleans()) if bowl is None else bowl
    if use_bowl:
        return Run(rule, w0, config, bowl={"scale": rng.uniform(0.1, 2.0, shape), "target": rng.standard_normal(shape)})
    scale = draw(st.sampled_from([1e-3, 1.0, 50.0]))
    gradients = scale * rng.standard_normal((STEPS, *shape))
    if draw(st.booleans()):
        gradients[rng.integers(0, STEPS, 5)] = 0.0  # steps with no gradient at all
    return Run(rule, w0, config, gradients=gradients)


def fixed_run(rule: str, shape=(3,), config=None, zero=False, seed=0) -> Run:
    """An explicit example: fixed gradients (all zero with `zero`)."""
    rng = np.random.default_rng(seed)
    gradients = np.zeros((STEPS, *shape)) if zero else rng.standard_normal((STEPS, *shape))
    return Run(rule, rng.standard_normal(shape), config, gradients=gradients)


def bowl_run(rule: str, shape=(2, 3), config=None, seed=1) -> Run:
    """An explicit example: the quadratic bowl, each step's gradient from the learner's own w."""
    rng = np.random.default_rng(seed)
    return Run(rule, rng.standard_normal(shape), config, bowl={"scale": rng.uniform(0.1, 2.0, shape), "target": rng.standard_normal(shape)})


def every_hyperparameter_changed(rule: str) -> dict:
    """A config with each hyperparameter of the rule set away from its default."""
    return {key: OTHER_VALUES[key][0] for key in DEFAULTS[rule]}


# -- the oracle: torch.optim's rules in NumPy, and the known mistakes --------------------------------
def expected_trajectory(run: Run) -> np.ndarray:
    """(STEPS, *shape) parameters after each step of torch.optim's version of the rule, computed in NumPy."""
    return simulated(run, None)


def torch_trajectory(run: Run) -> np.ndarray:
    """(STEPS, *shape) parameters after each step of torch.optim itself (the tests' proof of expected_trajectory)."""
    import torch  # only the project's tests call this: see the module docstring

    s = run.settings()
    w = torch.tensor(run.w0, dtype=torch.float64, requires_grad=True)
    optimizer = {
        "sgd": lambda: torch.optim.SGD([w], lr=s["learning_rate"]),
        "sgd_momentum": lambda: torch.optim.SGD([w], lr=s["learning_rate"], momentum=s["momentum"]),
        "rmsprop": lambda: torch.optim.RMSprop([w], lr=s["learning_rate"], alpha=s["decay_rate"], eps=s["epsilon"]),
        "adam": lambda: torch.optim.Adam([w], lr=s["learning_rate"], betas=(s["beta1"], s["beta2"]), eps=s["epsilon"]),
    }[run.rule]()
    out = []
    for step in range(STEPS):
        current = w.detach().numpy()
        dw = run.gradients[step] if run.gradients is not None else run.bowl["scale"] * (current - run.bowl["target"])
        w.grad = torch.tensor(np.asarray(dw), dtype=torch.float64)
        optimizer.step()
        out.append(w.detach().numpy().copy())
    return np.stack(out)


def simulated(run: Run, mistake: str | None) -> np.ndarray:
    """The trajectory a known mistake gives (None: no mistake), on the same gradients (NumPy, float64)."""
    s = run.settings()
    w = np.array(run.w0, dtype=np.float64)
    state = {"v": np.zeros_like(w), "m": np.zeros_like(w), "c": np.zeros_like(w), "t": 0}
    out = []
    for step in range(STEPS):
        dw = run.gradients[step] if run.gradients is not None else run.bowl["scale"] * (w - run.bowl["target"])
        with np.errstate(all="ignore"):  # some mistakes take the root of a negative number: NaN, never matched
            w = _step(run.rule, mistake, w, dw, s, state if mistake != "state_not_kept" else {"v": 0 * w, "m": 0 * w, "c": 0 * w, "t": 0})
        out.append(w.copy())
    return np.stack(out)


def _step(rule, mistake, w, dw, s, state):
    lr = DEFAULTS[rule]["learning_rate"] if mistake == "default_learning_rate" else s["learning_rate"]
    if rule == "sgd":
        return w + lr * dw if mistake == "sign" else w - lr * dw
    if rule == "sgd_momentum":
        mu = DEFAULTS[rule]["momentum"] if mistake == "default_momentum" else s["momentum"]
        if mistake == "sign":
            state["v"] = mu * state["v"] + lr * dw
            return w + state["v"]
        if mistake == "nesterov":
            state["v"] = mu * state["v"] - lr * dw
            return w + mu * state["v"] - lr * dw
        if mistake == "no_learning_rate_in_velocity":
            state["v"] = mu * state["v"] - dw
            return w + lr * state["v"]
        state["v"] = mu * state["v"] - lr * dw
        return w + state["v"]
    if rule == "rmsprop":
        decay, eps = s["decay_rate"], s["epsilon"]
        if mistake == "default_decay":
            decay = DEFAULTS[rule]["decay_rate"]
        state["c"] = decay * state["c"] + (dw**2 if mistake == "no_one_minus_decay" else (1 - decay) * dw**2)
        if mistake == "epsilon_inside_sqrt":
            return w - lr * dw / np.sqrt(state["c"] + eps)
        return w - lr * dw / (np.sqrt(state["c"]) + eps)
    b1, b2, eps = s["beta1"], s["beta2"], s["epsilon"]
    state["t"] += 1
    t = state["t"]
    state["m"] = b1 * state["m"] + (1 - b1) * dw
    state["v"] = b2 * state["v"] + (1 - b2) * (dw if mistake == "v_of_gradient_not_square" else dw**2)
    if mistake == "no_bias_correction":
        return w - lr * state["m"] / (np.sqrt(state["v"]) + eps)
    m_hat = state["m"] / (1 - b1**t)
    v_hat = state["v"] / (1 - b2**t) if mistake != "bias_correction_of_m_only" else state["v"]
    if mistake == "epsilon_inside_sqrt":
        return w - lr * m_hat / np.sqrt(v_hat + eps)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)


MISTAKES = {
    "sgd": {
        "sign": "the step goes up the gradient: subtract learning_rate * dw",
        "default_learning_rate": "config['learning_rate'] is ignored: every step uses the default 1e-2",
    },
    "sgd_momentum": {
        "sign": "the velocity adds the gradient: v = momentum * v - learning_rate * dw, then w + v",
        "nesterov": "this is Nesterov's momentum (a look-ahead step); the rule asked for is v = momentum * v - learning_rate * dw, next_w = w + v",
        "no_learning_rate_in_velocity": "the learning rate scales the step outside the velocity; it belongs inside: v = momentum * v - learning_rate * dw",
        "default_momentum": "config['momentum'] is ignored: every step uses the default 0.9",
        "default_learning_rate": "config['learning_rate'] is ignored: every step uses the default 1e-2",
        "state_not_kept": "the velocity starts from zero at every step: read it from config (config['velocity']) and store the new one there",
    },
    "rmsprop": {
        "epsilon_inside_sqrt": "epsilon is inside the square root: divide by sqrt(cache) + epsilon",
        "no_one_minus_decay": "the squared gradient enters the cache without its weight (1 - decay_rate)",
        "default_decay": "config['decay_rate'] is ignored: every step uses the default 0.99",
        "default_learning_rate": "config['learning_rate'] is ignored: every step uses the default 1e-2",
        "state_not_kept": "the cache starts from zero at every step: read it from config (config['cache']) and store the new one there",
    },
    "adam": {
        "no_bias_correction": "no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counted from 1",
        "bias_correction_of_m_only": "only m is bias-corrected: v needs its own correction, v / (1 - beta2**t)",
        "epsilon_inside_sqrt": "epsilon is inside the square root: divide by sqrt(v_hat) + epsilon",
        "v_of_gradient_not_square": "v averages the gradient itself; it must average the squared gradient dw**2",
        "default_learning_rate": "config['learning_rate'] is ignored: every step uses the default 1e-3",
        "state_not_kept": "m, v and t start afresh at every step: read them from config and store them back (t counts the steps)",
    },
}


# -- comparing --------------------------------------------------------------------------------------
def follow(learner, run: Run) -> dict:
    """Run the learner's trajectory and compare it with torch.optim's (expected_trajectory), step by step."""
    reply = learner._drive(DRIVER, run.rule, run.w0, run.config, gradients=run.gradients, bowl=run.bowl, steps=STEPS)
    if not isinstance(reply, dict) or reply.get("problem"):
        fail(reply.get("problem") if isinstance(reply, dict) else f"{run.rule} could not be run")
    got = np.asarray(reply["ws"], dtype=np.float64)
    want = expected_trajectory(run)
    rtol = FIXED_RTOL if run.gradients is not None else BOWL_RTOL

    def close(values: np.ndarray) -> bool:
        return values.shape == want.shape and bool(np.all(np.abs(values - want) <= ATOL + rtol * np.abs(want)))

    if not np.all(np.isfinite(got)):
        step = int(np.argwhere(~np.isfinite(got.reshape(STEPS, -1)).any(axis=1))[0][0])
        fail(f"step {step + 1} of {STEPS}: next_w holds NaN or inf — a division by zero (t starting at 0? "
             "epsilon missing?) or an overflow", got, _diagnoses(run, want))
    if not close(got):
        bad = np.abs(got - want) > ATOL + rtol * np.abs(want)
        step = int(np.argwhere(bad.reshape(STEPS, -1).any(axis=1))[0][0])
        shown_got, shown_want = show_pair(got[step], want[step])
        fail(f"step {step + 1} of {STEPS}: next_w differs from torch.optim's\n"
             f"  got      {shown_got}\n  expected {shown_want}\n"
             f"  (tolerance rtol={rtol:g}, atol={ATOL:g}; the steps before it agree)", got, _diagnoses(run, want), passes=close)
    return reply["config"]


def _diagnoses(run: Run, want: np.ndarray) -> list[Diagnosis]:
    return [Diagnosis(message, lambda mistake=mistake: simulated(run, mistake)) for mistake, message in MISTAKES[run.rule].items()]


# -- checks -----------------------------------------------------------------------------------------
@check(examples=25)
@example(run=fixed_run("sgd"))
@example(run=fixed_run("sgd", shape=(2, 3), config=every_hyperparameter_changed("sgd")))
@example(run=bowl_run("sgd", shape=(), config={"learning_rate": 0.1}))
@given(run=runs("sgd"))
def sgd_follows_torch_sgd(learner, run):
    """50 steps of sgd(w, dw, config) give torch.optim.SGD's parameters (1e-10; 1e-8 when dw depends on w)."""
    follow(learner, run)


@check(examples=25)
@example(run=fixed_run("sgd_momentum"))
@example(run=fixed_run("sgd_momentum", shape=(2, 3), config=every_hyperparameter_changed("sgd_momentum")))
@example(run=bowl_run("sgd_momentum", config={"momentum": 0.99}))
@example(run=fixed_run("sgd_momentum", config={"learning_rate": 0.1}, zero=True))
@given(run=runs("sgd_momentum"))
def sgd_momentum_follows_torch_sgd_with_momentum(learner, run):
    """50 steps of sgd_momentum give torch.optim.SGD(momentum=...)'s parameters, the velocity carried in config."""
    follow(learner, run)


@check(examples=25)
@example(run=fixed_run("rmsprop"))
@example(run=fixed_run("rmsprop", shape=(2, 3), config=every_hyperparameter_changed("rmsprop")))
@example(run=bowl_run("rmsprop", config={"decay_rate": 0.5}))
@example(run=fixed_run("rmsprop", config={"decay_rate": 0.3}))
@example(run=fixed_run("rmsprop", zero=True))
@given(run=runs("rmsprop"))
def rmsprop_follows_torch_rmsprop(learner, run):
    """50 steps of rmsprop give torch.optim.RMSprop's parameters (epsilon outside the square root)."""
    follow(learner, run)


@check(examples=25)
@example(run=fixed_run("adam"))
@example(run=fixed_run("adam", shape=(2, 3), config=every_hyperparameter_changed("adam")))
@example(run=bowl_run("adam", config={"learning_rate": 0.1}))
@example(run=fixed_run("adam", config={"beta1": 0.3, "beta2": 0.4}))
@example(run=fixed_run("adam", zero=True))
@given(run=runs("adam"))
def adam_follows_torch_adam(learner, run):
    """50 steps of adam give torch.optim.Adam's parameters: bias-corrected moments, t counted from 1."""
    follow(learner, run)


@check(examples=1)
def the_config_keeps_the_defaults_and_the_state(learner):
    """Called with config=None, each rule returns a config holding its default hyperparameters and
    its state (velocity; cache; m, v and t = the number of steps)."""
    for rule in DEFAULTS:
        run = fixed_run(rule, shape=(2,), seed=3)
        config = follow(learner, run)
        for key, value in DEFAULTS[rule].items():
            if key not in config:
                fail(f"{rule}: the config returned after {STEPS} steps has no {key!r}: store the default you used in config")
            if not np.isclose(float(config[key]), value, rtol=1e-12):
                fail(f"{rule}: config[{key!r}] is {float(config[key])!r} after {STEPS} steps, but its default is {value!r}")
        for key in STATE[rule]:
            if key not in config:
                fail(f"{rule}: the config returned has no {key!r}: keep the rule's state in config so the next call continues from it")
        if rule == "adam" and float(config["t"]) != STEPS:
            fail(f"adam: config['t'] is {float(config['t']):g} after {STEPS} steps; it counts the steps taken ({STEPS})")
