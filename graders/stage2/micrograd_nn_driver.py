"""Trusted code that runs inside the learner process for stage2/micrograd_nn.

It builds the learner's modules, writes the judge's weights through parameters(), runs
forward and backward passes with the learner's own Value, and sends back plain numbers.
It decides nothing: the judge computes the same numbers itself and compares.
"""

from __future__ import annotations

import random

from mldojo.graders.engine.channel import report_progress


def _data(value):
    """A Value's .data (or a plain number) as a float; None for anything else."""
    data = getattr(value, "data", value)
    return float(data) if isinstance(data, (int, float)) and not isinstance(data, bool) else None


def _outputs(result):
    """A module's output as a list of floats: a single Value, or a list of them."""
    items = result if isinstance(result, (list, tuple)) else [result]
    return {"values": [_data(v) for v in items], "single": not isinstance(result, (list, tuple))}


def describe_parameters(module, kind, args, seed=0):
    """How many parameters Neuron / Layer / MLP(*args) has, their types, and their initial .data."""
    random.seed(int(seed))
    made = getattr(module, kind)(*args)
    params = list(made.parameters())
    return {"count": len(params), "types": sorted({f"{type(p).__module__}.{type(p).__name__}" for p in params}),
            "data": [_data(p) for p in params]}


def _with_weights(module, nin, nouts, weights):
    model = module.MLP(nin, list(nouts))
    params = list(model.parameters())
    if len(params) != len(weights):
        return None, f"MLP({nin}, {list(nouts)}).parameters() has {len(params)} parameters, expected {len(weights)}"
    for p, w in zip(params, weights):
        p.data = float(w)
    return model, None


def forward(module, nin, nouts, weights, inputs):
    """MLP(nin, nouts) with the judge's weights (in parameters() order), called on each input."""
    model, problem = _with_weights(module, nin, nouts, weights)
    if problem:
        return {"problem": problem}
    return {"problem": None, "outputs": [_outputs(model([float(v) for v in x])) for x in inputs]}


def neuron_and_layer(module, nin, weights, x):
    """A linear Neuron and a one-neuron Layer with the judge's weights, and both with nonlin left at its
    default: their outputs on x."""
    units = {"neuron": module.Neuron(nin, nonlin=False), "layer": module.Layer(nin, 1, nonlin=False),
             "default_neuron": module.Neuron(nin), "default_layer": module.Layer(nin, 1)}
    for unit in units.values():
        for p, w in zip(unit.parameters(), weights):
            p.data = float(w)
    return {name: _outputs(unit([float(v) for v in x])) for name, unit in units.items()}


def gradients(module, nin, nouts, weights, inputs, targets):
    """The gradients of sum((output - target)**2) over the inputs with respect to every parameter,
    then the gradients after zero_grad()."""
    model, problem = _with_weights(module, nin, nouts, weights)
    if problem:
        return {"problem": problem}
    loss = None
    for x, target in zip(inputs, targets):
        out = model([float(v) for v in x])
        outs = out if isinstance(out, (list, tuple)) else [out]
        for o, t in zip(outs, target):
            term = (o - float(t)) ** 2
            loss = term if loss is None else loss + term
    loss.backward()
    grads = [_data(p.grad) for p in model.parameters()]
    model.zero_grad()
    return {"problem": None, "loss": _data(loss), "grads": grads, "after_zero": [_data(p.grad) for p in model.parameters()]}


def train(module, X, y):
    """train_moons(X, y, on_step) with a progress callback; the trained model's sign on each training point."""

    def on_step(step, loss=None, *rest, **more):
        try:
            fields = {"epoch": int(step)}
            if loss is not None:
                fields["loss"] = float(getattr(loss, "data", loss))
            report_progress(fields)
        except (TypeError, ValueError):
            pass

    model = module.train_moons([list(map(float, x)) for x in X], [int(t) for t in y], on_step=on_step)
    if model is None or not callable(model):
        return {"problem": f"train_moons returned {type(model).__name__}; return the trained model (an MLP)"}
    signs = []
    for x in X:
        out = model([float(v) for v in x])
        value = _data(out[0] if isinstance(out, (list, tuple)) else out)
        signs.append(0 if value is None else (1 if value > 0 else -1))
    return {"problem": None, "signs": signs}


def probe(module):
    """train_moons on a single point: instant for written code, NotImplementedError for the stub."""
    module.train_moons([[0.0, 1.0]], [1])
