"""Grader for stage3/rnn: a tanh RNN and an LSTM (gates i, f, g, o), steps and sequences, forward and backward.

The learner's weights are loaded into torch's own modules (weight_ih = Wx.T, weight_hh = Wh.T,
bias_ih = b, bias_hh = 0: nn.RNNCell and nn.RNN with tanh, nn.LSTMCell and nn.LSTM with
batch_first) and everything is compared in float64: forwards to 1e-10, backwards with torch
autograd of sum(out * upstream) (CS231n's relative error, at most 1e-8). A small case checks
both sequence backwards against central differences of the learner's own forwards. The explicit
examples run on every grading: T = 1, N = 1, H > D and H < D, and N, T, D, H all at least 2.
Known mistakes are simulated in NumPy on the same input and named when the numbers are theirs:
the gates read in another order (i and f swapped, or i, f, o, g), tanh(next_c) left out, the
state not carried between steps, tanh's derivative taken from its input, dnext_c or the
carried cell gradient left out, the upstream gradient of each hidden state not added (or only
the last one used), dWh from next_h, db averaged or not summed over the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, assert_close, assert_gradient_close, check, example, fail, given, numerical_gradient
from mldojo.graders.kit.asserts import assert_shape, returned_parts

VERSION = "1"
RTOL, ATOL = 1e-10, 1e-12  # forwards
AUTOGRAD_ERROR = 1e-8  # backwards against torch autograd (relative error)
FD_ERROR, FD_H = 1e-7, 1e-5  # central differences (the fixed cases below stay under 1e-8 with a correct backward)


# -- inputs ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sequence:
    """A sequence problem: x (N, T, D), h0 (N, H), the weights, and dh (N, T, H), the upstream gradient of every
    hidden state. A single step is a sequence of T = 1 (then prev_c and dnext_c matter for the LSTM)."""

    x: np.ndarray
    h0: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    b: np.ndarray
    dh: np.ndarray
    c0: np.ndarray | None = field(default=None, repr=False)  # prev_c of an LSTM step (zero for sequences)
    dc: np.ndarray | None = field(default=None, repr=False)  # dnext_c of an LSTM step (zero for sequences)

    @property
    def hidden(self) -> int:
        return self.h0.shape[1]

    def step_view(self) -> dict:
        """The arguments of a single step, in the stub's names."""
        shown = {"x": self.x[:, 0], "prev_h": self.h0}
        if self.c0 is not None:
            shown["prev_c"] = self.c0
        shown.update(Wx=self.Wx, Wh=self.Wh, b=self.b, dnext_h=self.dh[:, 0])
        if self.dc is not None:
            shown["dnext_c"] = self.dc
        return shown


@dataclass(frozen=True)
class Step:
    """One time step (rnn_step_* or lstm_step_*), shown to the learner in the stub's names."""

    sequence: Sequence

    def describe_for_learner(self) -> dict:
        return self.sequence.step_view()


@dataclass(frozen=True)
class Whole:
    """A whole sequence (rnn_forward / lstm_forward and their backwards)."""

    sequence: Sequence

    def describe_for_learner(self) -> dict:
        s = self.sequence
        return {"x": s.x, "h0": s.h0, "Wx": s.Wx, "Wh": s.Wh, "b": s.b, "dh": s.dh}


def make_sequence(n, t, d, h, lstm=False, seed=0, grid=False, step=False) -> Sequence:
    """Gaussian inputs and weights scaled by 1 / sqrt(fan-in) (tanh and the gates away from saturation), or
    quarters in [-1, 1]; a step also gets prev_c and dnext_c for the LSTM."""
    rng = np.random.default_rng(seed)
    gates = 4 if lstm else 1

    def draw(shape, scale=1.0):
        return rng.integers(-4, 5, shape) * 0.25 if grid else rng.standard_normal(shape) * scale

    x, h0 = draw((n, t, d)), draw((n, h))
    Wx, Wh, b = draw((d, gates * h), 1 / np.sqrt(d)), draw((h, gates * h), 1 / np.sqrt(h)), draw((gates * h,), 0.5)
    dh = draw((n, t, h))
    extra = (draw((n, h)), draw((n, h))) if lstm and step else (None, None)
    return Sequence(x, h0, Wx, Wh, b, dh, *extra)


@st.composite
def sequences(draw, lstm: bool, step: bool):
    """N 1-3, T 1-4 (1 for a step), D 1-4, H 1-4, Gaussian or grid values."""
    n, d, h = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    t = 1 if step else draw(st.integers(1, 4))
    made = make_sequence(n, t, d, h, lstm, draw(st.integers(0, 2**31 - 1)), draw(st.booleans()), step)
    return Step(made) if step else Whole(made)


STEP_SHAPES = [(2, 3, 4, False), (1, 2, 3, False), (3, 4, 2, False), (2, 2, 3, True)]  # (N, D, H, grid)
SEQUENCE_SHAPES = [(2, 3, 4, 5, False), (2, 1, 3, 2, False), (1, 4, 2, 3, False), (3, 2, 5, 2, True)]  # (N, T, D, H, grid)


def step_examples(lstm: bool):
    cases = [Step(make_sequence(n, 1, d, h, lstm, seed=10 + k, grid=grid, step=True)) for k, (n, d, h, grid) in enumerate(STEP_SHAPES)]
    return _attach(cases)


def sequence_examples(lstm: bool):
    cases = [Whole(make_sequence(n, t, d, h, lstm, seed=20 + k, grid=grid)) for k, (n, t, d, h, grid) in enumerate(SEQUENCE_SHAPES)]
    return _attach(cases)


def _attach(cases):
    def attach(function):
        for case in reversed(cases):
            function = example(case=case)(function)
        return function

    return attach


# -- torch's answers ---------------------------------------------------------------------------------------------
def _t(array, grad=True) -> torch.Tensor:
    torch.set_num_threads(1)  # tiny tensors: more threads only spin
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def _load(module: torch.nn.Module, s: Sequence, suffix: str = "") -> torch.nn.Module:
    """The learner's layout in torch's: weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = b, bias_hh = 0."""
    module.load_state_dict({f"weight_ih{suffix}": torch.tensor(s.Wx.T.copy()), f"weight_hh{suffix}": torch.tensor(s.Wh.T.copy()),
                            f"bias_ih{suffix}": torch.tensor(s.b), f"bias_hh{suffix}": torch.zeros(s.b.shape, dtype=torch.float64)})
    return module


def _parameter_grads(module: torch.nn.Module, suffix: str = "") -> dict:
    params = dict(module.named_parameters())
    return {"dWx": params[f"weight_ih{suffix}"].grad.numpy().T, "dWh": params[f"weight_hh{suffix}"].grad.numpy().T,
            "db": params[f"bias_ih{suffix}"].grad.numpy()}


def torch_step(s: Sequence, lstm: bool) -> dict:
    """nn.RNNCell / nn.LSTMCell: next_h (and next_c), and the gradients of sum(next_h * dnext_h) (+ sum(next_c * dnext_c))."""
    d, h = s.x.shape[2], s.hidden
    cell = _load((torch.nn.LSTMCell(d, h) if lstm else torch.nn.RNNCell(d, h, nonlinearity="tanh")).double(), s)
    x, prev_h = _t(s.x[:, 0]), _t(s.h0)
    if lstm:
        prev_c = _t(s.c0)
        next_h, next_c = cell(x, (prev_h, prev_c))
        (next_h * torch.tensor(s.dh[:, 0]) + next_c * torch.tensor(s.dc)).sum().backward()
        extra = {"next_c": next_c.detach().numpy(), "dprev_c": prev_c.grad.numpy()}
    else:
        next_h = cell(x, prev_h)
        (next_h * torch.tensor(s.dh[:, 0])).sum().backward()
        extra = {}
    return {"next_h": next_h.detach().numpy(), "dx": x.grad.numpy(), "dprev_h": prev_h.grad.numpy(), **extra, **_parameter_grads(cell)}


def torch_sequence(s: Sequence, lstm: bool) -> dict:
    """nn.RNN / nn.LSTM (batch_first, c0 = 0): h, and the gradients of sum(h * dh)."""
    d, h = s.x.shape[2], s.hidden
    module = (torch.nn.LSTM(d, h, batch_first=True) if lstm else torch.nn.RNN(d, h, nonlinearity="tanh", batch_first=True)).double()
    _load(module, s, "_l0")
    x, h0 = _t(s.x), _t(s.h0[None])
    out, _ = module(x, (h0, torch.zeros_like(h0)) if lstm else h0)
    (out * torch.tensor(s.dh)).sum().backward()
    return {"h": out.detach().numpy(), "dx": x.grad.numpy(), "dh0": h0.grad[0].numpy(), **_parameter_grads(module, "_l0")}


# -- known mistakes, as NumPy ---------------------------------------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def rnn_numpy(s: Sequence, mistake: str | None = None) -> dict:
    """The RNN forward and backward over s with one known mistake (None: the right numbers)."""
    n, t_max, _ = s.x.shape
    prev, hs, pre, prevs = (np.zeros_like(s.h0) if mistake == "zero_h0" else s.h0), [], [], []
    for t in range(t_max):
        start = s.h0 if mistake == "from_h0" else prev
        a = s.x[:, t] @ s.Wx + start @ s.Wh + (0.0 if mistake == "no_bias" else s.b)
        prev = np.tanh(a)
        prevs.append(start), pre.append(a), hs.append(prev)
    dx, dWx, dWh, db = np.zeros_like(s.x), np.zeros_like(s.Wx), np.zeros_like(s.Wh), np.zeros_like(s.b)
    dprev, batch_db = np.zeros_like(s.h0), np.zeros((n, s.hidden))
    for t in reversed(range(t_max)):
        if mistake == "no_carry":
            up = s.dh[:, t]
        elif mistake == "last_only":
            up = dprev + (s.dh[:, t] if t == t_max - 1 else 0.0)
        else:
            up = s.dh[:, t] + dprev
        da = up * (1 - (pre[t] if mistake == "tanh_from_input" else hs[t]) ** 2)
        dx[:, t] = da @ s.Wx.T
        dWx += s.x[:, t].T @ da
        dWh += (hs[t] if mistake == "dWh_from_next_h" else prevs[t]).T @ da
        db += da.mean(axis=0) if mistake == "db_mean" else da.sum(axis=0)
        batch_db += da
        dprev = da @ s.Wh.T
    return {"h": np.stack(hs, axis=1), "dx": dx, "dh0": dprev, "dWx": dWx, "dWh": dWh, "db": db, "db_per_row": batch_db}


def lstm_numpy(s: Sequence, mistake: str | None = None) -> dict:
    """The LSTM forward and backward over s (a step when s.c0 / s.dc are set) with one known mistake."""
    n, t_max, _ = s.x.shape
    H = s.hidden
    order = {"figo": "figo", "ifog": "ifog", "ifog_backward": "ifgo"}.get(mistake, "ifgo")
    h, c = s.h0, (np.zeros_like(s.h0) if s.c0 is None else s.c0)
    steps = []
    for t in range(t_max):
        a = s.x[:, t] @ s.Wx + h @ s.Wh + s.b
        blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        g = np.tanh(blocks["g"])
        c_prev = np.zeros_like(c) if mistake == "c_reset" else c
        c = f * c_prev + i * g
        tc = np.tanh(c)
        steps.append(dict(x=s.x[:, t], h_prev=h, c_prev=c_prev, i=i, f=f, g=g, o=o, c=c, tc=tc))
        h = o * (c if mistake == "no_tanh_c" else tc)
        steps[-1]["h"] = h
    dx, dWx, dWh, db = np.zeros_like(s.x), np.zeros_like(s.Wx), np.zeros_like(s.Wh), np.zeros_like(s.b)
    dprev_h = np.zeros_like(s.h0)
    dprev_c = np.zeros_like(s.h0) if s.dc is None else s.dc
    batch_db = np.zeros((n, 4 * H))
    for t in reversed(range(t_max)):
        st_ = steps[t]
        if mistake == "no_carry":
            up = s.dh[:, t]
        elif mistake == "last_only":
            up = dprev_h + (s.dh[:, t] if t == t_max - 1 else 0.0)
        else:
            up = s.dh[:, t] + dprev_h
        slope = 1 - (st_["c"] if mistake == "tanh_from_input" else st_["tc"]) ** 2
        through_h = up * st_["o"] * slope
        dc = through_h if mistake == "c_path" else dprev_c + through_h
        do = up * st_["tc"]
        di, df, dg = dc * st_["g"], dc * st_["c_prev"], dc * st_["i"]
        parts = {"i": di * st_["i"] * (1 - st_["i"]), "f": df * st_["f"] * (1 - st_["f"]), "g": dg * (1 - st_["g"] ** 2),
                 "o": do * st_["o"] * (1 - st_["o"])}
        da = np.concatenate([parts[name] for name in ("ifog" if mistake == "ifog_backward" else "ifgo")], axis=1)
        dx[:, t] = da @ s.Wx.T
        dWx += st_["x"].T @ da
        dWh += st_["h_prev"].T @ da
        db += da.mean(axis=0) if mistake == "db_mean" else da.sum(axis=0)
        batch_db += da
        dprev_h = da @ s.Wh.T
        dprev_c = (dprev_c if mistake == "dprev_c_short" else dc) * st_["f"]  # dprev_c: still the incoming dnext_c
    return {"h": np.stack([st_["h"] for st_ in steps], axis=1), "c": steps[-1]["c"], "dx": dx, "dh0": dprev_h,
            "dc0": dprev_c, "dWx": dWx, "dWh": dWh, "db": db, "db_per_row": batch_db}


RNN_FORWARD_MISTAKES = {
    "no_bias": "the bias b is not added: tanh(x @ Wx + prev_h @ Wh + b)",
    "from_h0": "every step starts from h0: the state after step t is prev_h of step t + 1",
    "zero_h0": "the first step starts from zeros; it starts from h0",
}
RNN_BACKWARD_MISTAKES = {
    "tanh_from_input": "tanh's derivative is taken at its input: 1 - a**2 with a the pre-activation; it is 1 - tanh(a)**2, "
                       "1 - next_h**2 from the output you kept",
    "dWh_from_next_h": "dWh uses next_h; the weights Wh multiplied prev_h: dWh = prev_h.T @ da",
    "db_mean": "db is averaged over the batch: the gradient is a sum, da.sum(axis=0)",
}
SEQUENCE_BACKWARD_MISTAKES = {
    "no_carry": "the gradient from later steps is not carried back: step t's upstream gradient is dh[:, t] plus the dprev_h "
                "that step t + 1 returned",
    "last_only": "only dh[:, -1] enters the backward pass, as if the loss read the last state only: every h[:, t] has its own "
                 "upstream gradient dh[:, t], added to the dprev_h coming back from step t + 1",
}
LSTM_FORWARD_MISTAKES = {
    "figo": "the input and forget gates are swapped: i = sigmoid(a[:, 0:H]), f = sigmoid(a[:, H:2H])",
    "ifog": "the gates are read in the order i, f, o, g; here (as in torch) the order is i, f, g, o: g = tanh(a[:, 2H:3H]) "
            "and o = sigmoid(a[:, 3H:4H])",
    "no_tanh_c": "next_h = o * next_c leaves out a tanh: next_h = o * tanh(next_c)",
}
LSTM_STEP_BACKWARD_MISTAKES = {
    "c_path": "dnext_c is left out: next_c reaches the loss directly (dnext_c) and through next_h, so "
              "dc = dnext_c + dnext_h * o * (1 - tanh(next_c)**2)",
    "dprev_c_short": "dprev_c = f * dnext_c leaves out the path through next_h: dprev_c = f * dc with "
                     "dc = dnext_c + dnext_h * o * (1 - tanh(next_c)**2)",
    "tanh_from_input": "tanh's derivative is taken at its input: 1 - next_c**2; it is 1 - tanh(next_c)**2",
    "ifog_backward": "the gate gradients are stacked in the order i, f, o, g; they follow the forward's order i, f, g, o",
    "db_mean": "db is averaged over the batch: the gradient is a sum, da.sum(axis=0)",
}
LSTM_SEQUENCE_BACKWARD_MISTAKES = {
    **SEQUENCE_BACKWARD_MISTAKES,
    "c_path": "the cell state's gradient is not carried back through time: pass the dprev_c of step t as the dnext_c of "
              "step t - 1 (it starts at zero after the last step)",
    "tanh_from_input": LSTM_STEP_BACKWARD_MISTAKES["tanh_from_input"],
    "ifog_backward": LSTM_STEP_BACKWARD_MISTAKES["ifog_backward"],
}


def _diagnoses(simulate, mistakes: dict, key: str) -> list[Diagnosis]:
    return [Diagnosis(message, lambda m=m: simulate(m)[key]) for m, message in mistakes.items()]


# -- calling the learner -------------------------------------------------------------------------------------------


def compare_gradients(got: dict, want: dict, simulate, mistakes: dict, call: str) -> None:
    """Each gradient against autograd, in the order the stub returns them; db's shape first."""
    if "db" in got:
        assert_shape(got["db"], want["db"].shape, f"db from {call}", diagnoses=[
            Diagnosis("db keeps the batch axis: sum over the batch, da.sum(axis=0)", lambda: simulate(None)["db_per_row"])])
    for name, value in got.items():
        assert_gradient_close(value, want[name], what=f"{name} from {call}", max_relative_error=AUTOGRAD_ERROR,
                              diagnoses=_diagnoses(simulate, mistakes, name))


# -- checks: the RNN --------------------------------------------------------------------------------------------------
@check(examples=10)
@step_examples(lstm=False)
@given(case=sequences(lstm=False, step=True))
def rnn_step_forward_matches_torch(learner, case):
    """rnn_step_forward(x, prev_h, Wx, Wh, b) = nn.RNNCell(tanh) with weight_ih = Wx.T, weight_hh = Wh.T (1e-10)."""
    s = case.sequence
    result = returned_parts(learner.rnn_step_forward(s.x[:, 0], s.h0, s.Wx, s.Wh, s.b), 2, "rnn_step_forward(...)", "next_h, cache")
    assert_close(result[0], torch_step(s, lstm=False)["next_h"], what="next_h", rtol=RTOL, atol=ATOL,
                 diagnoses=[Diagnosis(RNN_FORWARD_MISTAKES["no_bias"], lambda: rnn_numpy(s, "no_bias")["h"][:, 0])])


@check(examples=10)
@step_examples(lstm=False)
@given(case=sequences(lstm=False, step=True))
def rnn_step_backward_matches_autograd(learner, case):
    """rnn_step_backward(dnext_h, cache) gives autograd's dx, dprev_h, dWx, dWh, db for sum(next_h * dnext_h) (1e-8)."""
    s = case.sequence
    _h, cache = returned_parts(learner.rnn_step_forward(s.x[:, 0], s.h0, s.Wx, s.Wh, s.b), 2, "rnn_step_forward(...)", "next_h, cache")
    call = "rnn_step_backward(dnext_h, cache)"
    grads = returned_parts(learner.rnn_step_backward(s.dh[:, 0], cache), 5, call, "dx, dprev_h, dWx, dWh, db")
    want = torch_step(s, lstm=False)

    def simulate(mistake):
        out = rnn_numpy(s, mistake)
        return {**out, "dx": out["dx"][:, 0], "dprev_h": out["dh0"]}

    compare_gradients(dict(zip(("dx", "dprev_h", "dWx", "dWh", "db"), grads)), want, simulate, RNN_BACKWARD_MISTAKES, call)


@check(examples=10)
@sequence_examples(lstm=False)
@given(case=sequences(lstm=False, step=False))
def rnn_forward_matches_torch(learner, case):
    """rnn_forward(x, h0, Wx, Wh, b) gives nn.RNN(tanh, batch_first)'s hidden state at every step (1e-10)."""
    s = case.sequence
    result = returned_parts(learner.rnn_forward(s.x, s.h0, s.Wx, s.Wh, s.b), 2, "rnn_forward(x, h0, Wx, Wh, b)", "h, cache")
    assert_close(result[0], torch_sequence(s, lstm=False)["h"], what="h from rnn_forward(x, h0, Wx, Wh, b)", rtol=RTOL, atol=ATOL,
                 diagnoses=_diagnoses(lambda m: rnn_numpy(s, m), RNN_FORWARD_MISTAKES, "h"))


@check(examples=10)
@sequence_examples(lstm=False)
@given(case=sequences(lstm=False, step=False))
def rnn_backward_matches_autograd(learner, case):
    """rnn_backward(dh, cache) gives autograd's dx, dh0, dWx, dWh, db for sum(h * dh), dh reaching every hidden state (1e-8)."""
    s = case.sequence
    _h, cache = returned_parts(learner.rnn_forward(s.x, s.h0, s.Wx, s.Wh, s.b), 2, "rnn_forward(x, h0, Wx, Wh, b)", "h, cache")
    call = "rnn_backward(dh, cache)"
    grads = returned_parts(learner.rnn_backward(s.dh, cache), 5, call, "dx, dh0, dWx, dWh, db")
    compare_gradients(dict(zip(("dx", "dh0", "dWx", "dWh", "db"), grads)), torch_sequence(s, lstm=False),
                      lambda m: rnn_numpy(s, m), {**SEQUENCE_BACKWARD_MISTAKES, **RNN_BACKWARD_MISTAKES}, call)


# -- checks: the LSTM -------------------------------------------------------------------------------------------------
def _lstm_step_forward(learner, s: Sequence):
    return returned_parts(learner.lstm_step_forward(s.x[:, 0], s.h0, s.c0, s.Wx, s.Wh, s.b), 3,
                  "lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)", "next_h, next_c, cache")


@check(examples=10)
@step_examples(lstm=True)
@given(case=sequences(lstm=True, step=True))
def lstm_step_forward_matches_torch(learner, case):
    """lstm_step_forward(...) = nn.LSTMCell with weight_ih = Wx.T (gates i, f, g, o): next_h and next_c (1e-10)."""
    s = case.sequence
    next_h, next_c, _cache = _lstm_step_forward(learner, s)
    want = torch_step(s, lstm=True)
    assert_close(next_c, want["next_c"], what="next_c", rtol=RTOL, atol=ATOL,
                 diagnoses=_diagnoses(lambda m: lstm_numpy(s, m), LSTM_FORWARD_MISTAKES, "c"))
    assert_close(next_h, want["next_h"], what="next_h", rtol=RTOL, atol=ATOL,
                 diagnoses=[Diagnosis(message, lambda m=m: lstm_numpy(s, m)["h"][:, 0]) for m, message in LSTM_FORWARD_MISTAKES.items()])


@check(examples=10)
@step_examples(lstm=True)
@given(case=sequences(lstm=True, step=True))
def lstm_step_backward_matches_autograd(learner, case):
    """lstm_step_backward(dnext_h, dnext_c, cache) gives autograd's dx, dprev_h, dprev_c, dWx, dWh, db for
    sum(next_h * dnext_h) + sum(next_c * dnext_c) (1e-8)."""
    s = case.sequence
    _h, _c, cache = _lstm_step_forward(learner, s)
    call = "lstm_step_backward(dnext_h, dnext_c, cache)"
    grads = returned_parts(learner.lstm_step_backward(s.dh[:, 0], s.dc, cache), 6, call, "dx, dprev_h, dprev_c, dWx, dWh, db")

    def simulate(mistake):
        out = lstm_numpy(s, mistake)
        return {**out, "dx": out["dx"][:, 0], "dprev_h": out["dh0"], "dprev_c": out["dc0"]}

    compare_gradients(dict(zip(("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"), grads)), torch_step(s, lstm=True), simulate,
                      LSTM_STEP_BACKWARD_MISTAKES, call)


@check(examples=10)
@sequence_examples(lstm=True)
@given(case=sequences(lstm=True, step=False))
def lstm_forward_matches_torch(learner, case):
    """lstm_forward(x, h0, Wx, Wh, b) gives nn.LSTM(batch_first)'s hidden state at every step, with c0 = 0 (1e-10)."""
    s = case.sequence
    result = returned_parts(learner.lstm_forward(s.x, s.h0, s.Wx, s.Wh, s.b), 2, "lstm_forward(x, h0, Wx, Wh, b)", "h, cache")
    mistakes = {**LSTM_FORWARD_MISTAKES, "c_reset": "the cell state is not carried: step t + 1 starts from the next_c of step t"}
    assert_close(result[0], torch_sequence(s, lstm=True)["h"], what="h from lstm_forward(x, h0, Wx, Wh, b)", rtol=RTOL, atol=ATOL,
                 diagnoses=_diagnoses(lambda m: lstm_numpy(s, m), mistakes, "h"))


@check(examples=10)
@sequence_examples(lstm=True)
@given(case=sequences(lstm=True, step=False))
def lstm_backward_matches_autograd(learner, case):
    """lstm_backward(dh, cache) gives autograd's dx, dh0, dWx, dWh, db for sum(h * dh), dh reaching every hidden state (1e-8)."""
    s = case.sequence
    _h, cache = returned_parts(learner.lstm_forward(s.x, s.h0, s.Wx, s.Wh, s.b), 2, "lstm_forward(x, h0, Wx, Wh, b)", "h, cache")
    call = "lstm_backward(dh, cache)"
    grads = returned_parts(learner.lstm_backward(s.dh, cache), 5, call, "dx, dh0, dWx, dWh, db")
    compare_gradients(dict(zip(("dx", "dh0", "dWx", "dWh", "db"), grads)), torch_sequence(s, lstm=True),
                      lambda m: lstm_numpy(s, m), LSTM_SEQUENCE_BACKWARD_MISTAKES, call)


# -- central differences -----------------------------------------------------------------------------------------------
FD_CASES = {"rnn": make_sequence(2, 3, 2, 3, lstm=False, seed=41), "lstm": make_sequence(2, 2, 1, 2, lstm=True, seed=42)}


@check(examples=1)
def backwards_match_central_differences(learner):
    """On small sequences (N = 2; T = 3, D = 2, H = 3 for the RNN; T = 2, D = 1, H = 2 for the LSTM), rnn_backward's and
    lstm_backward's gradients match central differences of sum(h * dh) through your own forwards (relative error <= 1e-7)."""
    for kind, s in FD_CASES.items():
        forward, backward = getattr(learner, f"{kind}_forward"), getattr(learner, f"{kind}_backward")
        _h, cache = returned_parts(forward(s.x, s.h0, s.Wx, s.Wh, s.b), 2, f"{kind}_forward(x, h0, Wx, Wh, b)", "h, cache")
        grads = returned_parts(backward(s.dh, cache), 5, f"{kind}_backward(dh, cache)", "dx, dh0, dWx, dWh, db")
        inputs = [s.x, s.h0, s.Wx, s.Wh, s.b]
        for index, (name, grad) in enumerate(zip(("dx", "dh0", "dWx", "dWh", "db"), grads)):
            def objective(value, index=index):
                args = [np.array(a, copy=True) for a in inputs]
                args[index] = value
                return float(np.sum(np.asarray(forward(*args)[0], dtype=float) * s.dh))

            numeric = numerical_gradient(objective, np.array(inputs[index]), h=FD_H)
            assert_gradient_close(grad, numeric, what=f"{name} from {kind}_backward against central differences",
                                  max_relative_error=FD_ERROR)
