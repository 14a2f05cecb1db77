"""Grader for stage2/init: Xavier and Kaiming initialisation, tested against torch.nn.init.

fans and calculate_gain are compared exactly with torch's answers, written out here (`expected_fans`,
`expected_gain`) because importing torch would be a third of a cold `grade stage2/init`;
tests/test_stage2_init.py proves them equal to torch.nn.init's helpers on every shape and
nonlinearity the checks use. Each initialiser's
samples (at least 50,000 values per case, pooled over draws) are tested against the
distribution torch.nn.init defines for the same shape and options — U(-a, a) or N(0, std**2),
with a and std computed by torch's helpers — by a one-sample Kolmogorov-Smirnov test. The
false-alarm rate is fixed per grading: every KS test of a grading runs at
FALSE_ALARM_PER_GRADING / MAX_TESTS, so a correct solution fails a grading with probability at
most 1e-6, whatever the seed. When the test rejects, the distributions of the known mistakes
are tested too, and those that fit are named. Draws use a seed the judge sends; np.random's
global state is scrambled before each draw, so an initialiser that ignores its rng shows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from scipy import stats

from mldojo.graders.kit import assert_close, check, example, fail, given
from mldojo.graders.kit.asserts import name_mistakes
from mldojo.graders.kit.formatting import show

VERSION = "1"
DRIVER = "mldojo.graders.stage2.init_driver:"
FALSE_ALARM_PER_GRADING = 1e-6
EXAMPLES = 6  # per distribution check
MAX_TESTS = 3 * (EXAMPLES + 4)  # three distribution checks, their drawn and explicit examples
ALPHA = FALSE_ALARM_PER_GRADING / MAX_TESTS  # per KS test (Bonferroni)
FIT_P = 1e-3  # a mistake's distribution "fits" the sample above this p-value
MIN_SAMPLES = 50_000


@dataclass(frozen=True)
class Case:
    """One initialiser call: the weight's shape and the options."""

    function: str
    shape: tuple
    options: dict

    def describe_for_learner(self) -> dict:
        """How the failure message shows it."""
        return {"call": f"{self.function}({self.shape}" + "".join(f", {k}={v!r}" for k, v in self.options.items()) + ", rng=...)"}


# -- torch's answers ---------------------------------------------------------------------------------
def expected_fans(shape) -> tuple[int, int]:
    """torch.nn.init's (fan_in, fan_out) for a weight of this shape (2 or more dimensions):
    shape[1] and shape[0], each times the receptive field (the product of the rest)."""
    receptive_field = math.prod(shape[2:])
    return int(shape[1]) * receptive_field, int(shape[0]) * receptive_field


# torch.nn.init.calculate_gain's table; leaky_relu's depends on its negative slope (0.01 when None).
FIXED_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0, "conv_transpose2d": 1.0,
               "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def expected_gain(nonlinearity: str, param=None) -> float:
    """torch.nn.init.calculate_gain(nonlinearity, param) for the nonlinearities the stub names."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    return FIXED_GAINS[nonlinearity]


def distribution(case: Case, mistake: str | None = None) -> tuple[str, float]:
    """("uniform", bound) or ("normal", std) that torch.nn.init uses (or a known mistake gives)."""
    fan_in, fan_out = expected_fans(case.shape)
    if case.function in ("xavier_uniform", "xavier_normal"):
        gain = 1.0 if mistake == "gain_ignored" else case.options.get("gain", 1.0)
        fans_used = {"fan_in_only": 2 * fan_in, "fan_out_only": 2 * fan_out}.get(mistake, fan_in + fan_out)
        if case.function == "xavier_uniform":
            if mistake == "normal_not_uniform":
                return "normal", gain * math.sqrt(2.0 / fans_used)
            if mistake == "std_as_bound":
                return "uniform", gain * math.sqrt(2.0 / fans_used)
            return "uniform", gain * math.sqrt(6.0 / fans_used)
        if mistake == "uniform_not_normal":
            return "uniform", gain * math.sqrt(6.0 / fans_used)
        if mistake == "missing_factor_two":
            return "normal", gain * math.sqrt(1.0 / fans_used)
        return "normal", gain * math.sqrt(2.0 / fans_used)
    mode = case.options.get("mode", "fan_in")
    if mistake == "mode_ignored":
        mode = "fan_in"
    if mistake == "fans_swapped":
        mode = "fan_out" if mode == "fan_in" else "fan_in"
    fan = fan_in if mode == "fan_in" else fan_out
    nonlinearity, a = case.options.get("nonlinearity", "leaky_relu"), case.options.get("a", 0.0)
    gain = math.sqrt(2.0) if mistake == "gain_fixed_at_sqrt2" else expected_gain(nonlinearity, a)
    if mistake == "variance_as_std":
        return "normal", gain**2 / fan
    return "normal", gain / math.sqrt(fan)


MISTAKES = {
    "xavier_uniform": {
        "fan_in_only": "the bound uses fan_in alone; Xavier averages the two fans: a = gain * sqrt(6 / (fan_in + fan_out))",
        "fan_out_only": "the bound uses fan_out alone; Xavier averages the two fans: a = gain * sqrt(6 / (fan_in + fan_out))",
        "gain_ignored": "the gain is ignored: the bound is gain * sqrt(6 / (fan_in + fan_out))",
        "normal_not_uniform": "the values are normally distributed; xavier_uniform draws from U(-a, a)",
        "std_as_bound": "the bound is the normal version's std, sqrt(2 / (fan_in + fan_out)); a uniform on (-a, a) has std a / sqrt(3), so a = sqrt(6 / (fan_in + fan_out))",
    },
    "xavier_normal": {
        "fan_in_only": "the std uses fan_in alone; Xavier averages the two fans: std = gain * sqrt(2 / (fan_in + fan_out))",
        "fan_out_only": "the std uses fan_out alone; Xavier averages the two fans: std = gain * sqrt(2 / (fan_in + fan_out))",
        "gain_ignored": "the gain is ignored: std = gain * sqrt(2 / (fan_in + fan_out))",
        "uniform_not_normal": "the values are uniform; xavier_normal draws from N(0, std**2)",
        "missing_factor_two": "the std misses its factor 2: std = gain * sqrt(2 / (fan_in + fan_out))",
    },
    "kaiming_normal": {
        "mode_ignored": "mode='fan_out' is ignored: with it the std is gain / sqrt(fan_out)",
        "fans_swapped": "fan_in and fan_out are swapped: fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field",
        "gain_fixed_at_sqrt2": "the gain is always sqrt(2); it comes from calculate_gain(nonlinearity, a)",
        "variance_as_std": "gain**2 / fan is the variance; the std is its square root, gain / sqrt(fan)",
    },
}


# -- drawing and testing -------------------------------------------------------------------------------
def sample(learner, case: Case, seed: int) -> np.ndarray:
    """At least MIN_SAMPLES values from the learner's initialiser, one draw per seed."""
    size = math.prod(case.shape)
    draws = []
    for k in range(max(1, math.ceil(MIN_SAMPLES / size))):
        got = learner._drive(DRIVER + "draw", case.function, list(case.shape), case.options, seed + k, seed * 7 + k)
        array = np.asarray(got)
        if array.shape != case.shape:
            fail(f"{case.describe_for_learner()['call']} returned shape {array.shape}, expected {case.shape}")
        if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
            fail(f"{case.describe_for_learner()['call']} returned {array.dtype} values with NaN or inf; expected finite floats")
        draws.append(array.astype(np.float64).ravel())
    return np.concatenate(draws)


def ks_p(values: np.ndarray, kind: str, scale: float) -> float:
    """The KS p-value of the sample against U(-scale, scale) or N(0, scale**2)."""
    if kind == "uniform":
        return float(stats.kstest(values, "uniform", args=(-scale, 2 * scale)).pvalue)
    return float(stats.kstest(values, "norm", args=(0.0, scale)).pvalue)


def assert_distribution(learner, case: Case, seed: int) -> None:
    """The learner's samples follow torch.nn.init's distribution for this case (KS at ALPHA)."""
    values = sample(learner, case, seed)
    kind, scale = distribution(case)
    p = ks_p(values, kind, scale)
    if p >= ALPHA:
        return
    fitting = [message for mistake, message in MISTAKES[case.function].items()
               if distribution(case, mistake) != (kind, scale) and ks_p(values, *distribution(case, mistake)) >= FIT_P]
    what = f"U(-{scale:.6g}, {scale:.6g})" if kind == "uniform" else f"N(0, {scale:.6g}**2)"
    seen = f"min {values.min():.4g}, max {values.max():.4g}, mean {values.mean():.3g}, std {values.std():.4g}"
    expected = f"std {scale / math.sqrt(3) if kind == 'uniform' else scale:.4g}"
    diagnosis = name_mistakes(fitting)  # one by name, a few that fit equally all, many none
    fail(f"{case.describe_for_learner()['call']}: {len(values)} values are not distributed as torch.nn.init's {what}\n"
         f"  yours: {seen}; expected {expected}\n"
         f"  (Kolmogorov-Smirnov p = {p:.2g}, below {ALPHA:.1g}: a correct solution fails this test in fewer than one "
         f"grading in a million)", diagnosis=diagnosis)


# -- cases ---------------------------------------------------------------------------------------------------
# (48, 40): fans 40 and 48 share set bits, so fan_in ^ fan_out or fan_in | fan_out typed for
# fan_in + fan_out shows; the other fans here are a power-of-two multiple of each other.
LINEAR = [(512, 64), (64, 512), (300, 200), (48, 40)]
CONV = [(64, 32, 3, 3), (16, 8, 5), (32, 4, 2, 2, 2)]


def cases(function: str):
    """Stratified: a linear or a convolution shape (never square), and the options that matter."""
    shapes = st.sampled_from(LINEAR + CONV)
    if function == "kaiming_normal":
        options = st.fixed_dictionaries({}, optional={
            "mode": st.sampled_from(["fan_in", "fan_out"]),
            "nonlinearity": st.sampled_from(["relu", "leaky_relu", "tanh", "linear"]),
            "a": st.sampled_from([0.0, 0.5, 1.0])})
    else:
        options = st.fixed_dictionaries({}, optional={"gain": st.sampled_from([1.0, 5.0 / 3, math.sqrt(2.0), 0.5])})
    return st.builds(Case, st.just(function), shapes, options)


SEEDS = st.integers(0, 2**31 - 1)


# -- checks --------------------------------------------------------------------------------------------------
@check(examples=20)
@example(shape=(3, 5))
@example(shape=(4, 2, 3, 3))
@example(shape=(8, 1, 5))
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5).map(tuple))
def fans_follow_torch(learner, shape):
    """fans(shape) = torch's (fan_in, fan_out): shape[1] and shape[0] times the receptive field."""
    got = learner.fans(shape)
    want = expected_fans(shape)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"fans({shape}) returned {got!r}; expected a pair (fan_in, fan_out)")
    assert_close(np.asarray(got, dtype=float), np.asarray(want, dtype=float), what=f"fans({shape})", rtol=0)


@check(examples=1)
def fans_refuse_fewer_than_two_dimensions(learner):
    """fans((5,)) raises ValueError, as torch does."""
    from mldojo.graders.engine.outcomes import LearnerRaised

    try:
        got = learner.fans((5,))
    except LearnerRaised as exc:
        if exc.type_name != "ValueError":
            fail(f"fans((5,)) raised {exc.type_name}; raise ValueError (a 1-D weight has no fan_in and fan_out)")
        return
    fail(f"fans((5,)) returned {got!r}; a weight with fewer than 2 dimensions has no fans: raise ValueError")


@check(examples=1)
def calculate_gain_matches_torch(learner):
    """calculate_gain gives torch's gain for every nonlinearity, leaky_relu's slope included."""
    cases_ = [(name, None) for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                        "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu")]
    cases_ += [("leaky_relu", 0.2), ("leaky_relu", 1.0), ("leaky_relu", 0)]
    for name, param in cases_:
        got = learner.calculate_gain(name, param)
        assert_close(got, expected_gain(name, param), what=f"calculate_gain({name!r}, {param!r})", rtol=1e-12)


# Names torch.nn.init does not know, on both sides of every known one in sort order: a comparison
# typed for == (nonlinearity <= "leaky_relu", >= "selu") takes them for a known name.
UNKNOWN_NONLINEARITIES = ("elu", "gelu", "mish", "silu", "softplus", "tanhshrink", "zeta")


@check(examples=1)
def unknown_names_raise_value_error(learner):
    """calculate_gain raises ValueError for a nonlinearity torch does not know, and kaiming_normal
    for a mode other than "fan_in" and "fan_out", as the stub states."""
    from mldojo.graders.engine.outcomes import LearnerRaised

    calls = [(f"calculate_gain({name!r})", lambda name=name: learner.calculate_gain(name))
             for name in UNKNOWN_NONLINEARITIES]
    calls += [(f"kaiming_normal((6, 4), mode={mode!r})",
               lambda mode=mode: learner._drive(DRIVER + "draw", "kaiming_normal", [6, 4], {"mode": mode}, 0, 0))
              for mode in ("fan_avg", "fan", "in")]
    for call, run in calls:
        try:
            got = run()
        except LearnerRaised as exc:
            if exc.type_name != "ValueError":
                fail(f"{call} raised {exc.type_name}; the stub asks for ValueError for a name it does not list")
            continue
        fail(f"{call} returned {show(got)}; the stub lists every name it accepts: raise ValueError for any other")


@check(examples=EXAMPLES)
@example(case=Case("xavier_uniform", (512, 64), {}), seed=1)
@example(case=Case("xavier_uniform", (64, 32, 3, 3), {"gain": 5.0 / 3}), seed=2)
@example(case=Case("xavier_uniform", (16, 8, 5), {"gain": 0.5}), seed=3)
@example(case=Case("xavier_uniform", (48, 40), {}), seed=4)
@given(case=cases("xavier_uniform"), seed=SEEDS)
def xavier_uniform_follows_torch(learner, case, seed):
    """xavier_uniform's values follow torch.nn.init.xavier_uniform_'s U(-a, a) for the same shape and gain."""
    assert_distribution(learner, case, seed)


@check(examples=EXAMPLES)
@example(case=Case("xavier_normal", (64, 512), {}), seed=1)
@example(case=Case("xavier_normal", (32, 4, 2, 2, 2), {"gain": math.sqrt(2.0)}), seed=2)
@example(case=Case("xavier_normal", (40, 48), {}), seed=3)
@given(case=cases("xavier_normal"), seed=SEEDS)
def xavier_normal_follows_torch(learner, case, seed):
    """xavier_normal's values follow torch.nn.init.xavier_normal_'s N(0, std**2) for the same shape and gain."""
    assert_distribution(learner, case, seed)


@check(examples=EXAMPLES)
@example(case=Case("kaiming_normal", (512, 64), {}), seed=1)
@example(case=Case("kaiming_normal", (512, 64), {"mode": "fan_out", "nonlinearity": "relu"}), seed=2)
@example(case=Case("kaiming_normal", (64, 32, 3, 3), {"a": 1.0, "mode": "fan_in"}), seed=3)
@example(case=Case("kaiming_normal", (300, 200), {"nonlinearity": "tanh", "mode": "fan_out"}), seed=4)
@given(case=cases("kaiming_normal"), seed=SEEDS)
def kaiming_normal_follows_torch(learner, case, seed):
    """kaiming_normal's values follow torch.nn.init.kaiming_normal_'s N(0, std**2) for the same shape, a, mode and nonlinearity."""
    assert_distribution(learner, case, seed)


@check(examples=1)
def the_rng_given_decides_every_draw(learner):
    """The same rng seed gives the same weights whatever np.random's global state; another seed, other weights."""
    for function in ("xavier_uniform", "xavier_normal", "kaiming_normal"):
        first = np.asarray(learner._drive(DRIVER + "draw", function, [6, 4], {}, 11, 1))
        again = np.asarray(learner._drive(DRIVER + "draw", function, [6, 4], {}, 11, 2))
        other = np.asarray(learner._drive(DRIVER + "draw", function, [6, 4], {}, 12, 1))
        if first.shape != (6, 4) or again.shape != (6, 4):
            fail(f"{function}((6, 4), rng=...) returned shape {first.shape}; expected (6, 4)")
        if not np.array_equal(first, again):
            fail(f"{function}: the same rng seed gave different weights once np.random's global state changed: draw from "
                 "the rng you are given (rng.uniform / rng.normal), not from np.random")
        if np.array_equal(first, other):
            fail(f"{function}: two different rng seeds gave the same weights: draw from the rng you are given, do not "
                 "make a new generator with a fixed seed")


@check(examples=1)
def a_deep_relu_network_keeps_its_scale(learner):
    """Through 20 ReLU layers of width 256 initialised by kaiming_normal (fan_in, relu), the mean
    squared activation stays within a factor 2 of 1 (what the Kaiming rule is for)."""
    scales = np.asarray(learner._drive(DRIVER + "relu_network_scales", 256, 20, 256, 0), dtype=float)
    worst = int(np.argmax(np.abs(np.log2(scales))))
    if not np.all((scales >= 0.5) & (scales <= 2.0)):
        shown = ", ".join(f"{s:.3g}" for s in scales[[0, 4, 9, 14, 19]])
        fail(f"the mean squared activation drifts: after layers 1, 5, 10, 15, 20 it is {shown} (layer {worst + 1}: "
             f"{scales[worst]:.3g}); with kaiming_normal(mode='fan_in', nonlinearity='relu') it stays near 1, since each "
             "layer doubles the variance (gain**2 = 2) that ReLU halves")
