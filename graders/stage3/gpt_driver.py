"""Trusted code that runs inside the learner process for stage3/gpt (grading and bench).

It builds the learner's GPT from a config the judge sends, loads the judge's weights (float64),
runs forward / generate on the judge's tokens, and sends back plain arrays. Generators cannot
travel: a seed comes, the torch.Generator is made here. For the training task it keeps the
trained model in this process and answers one scoring call at a time: the last position's
logits for one window of validation text (the judge decides which windows, and when).
Nothing here decides a verdict.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np
import torch

from mldojo.graders.engine.channel import report_progress
from mldojo.graders.engine.driver_support import fewer_threads_when_busy

_TRAINED: dict = {}


def _one_thread():
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)  # tiny models: a second thread only spins


def _problem(text):
    return {"problem": text}


def _build(module, config, state=None, dtype=torch.float64, seed=0):
    """(model, problem): GPT(GPTConfig(**config)) in `dtype`, with the judge's state loaded when given."""
    _one_thread()
    torch.manual_seed(int(seed))
    model = module.GPT(module.GPTConfig(**config))
    if not isinstance(model, torch.nn.Module):
        return None, f"GPT(config) made a {type(model).__name__}, not an nn.Module"
    model = model.to(dtype)
    if state is not None:
        tensors = {name: torch.tensor(np.asarray(array), dtype=dtype) for name, array in state.items()}
        try:
            missing, unexpected = model.load_state_dict(tensors, strict=False)
        except RuntimeError as exc:
            return None, "load_state_dict(the grader's nanoGPT-named weights) failed:\n" + str(exc).strip()[:1500]
        buffers = {name for name, _ in model.named_buffers()}
        missing = [name for name in missing if name not in buffers]  # a causal-mask buffer of your own is fine
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"your GPT has parameters the grader's state dict does not: {', '.join(missing[:8])}")
            if unexpected:
                parts.append(f"your GPT has no parameters named {', '.join(unexpected[:8])}")
            return None, "the state dict does not match nanoGPT's names: " + "; ".join(parts)
    model.eval()
    return model, None


def describe(module, config, seed=0):
    """A fresh GPT(config): its parameter count, state-dict names and shapes, buffers, and whether wte is lm_head."""
    model, problem = _build(module, config, seed=seed, dtype=torch.float32)
    if problem:
        return _problem(problem)
    try:
        tied = model.transformer.wte.weight is model.lm_head.weight
    except AttributeError as exc:
        return _problem(f"the GPT has no {str(exc).split()[-1]}: nanoGPT keeps transformer.wte and lm_head")
    return {"problem": None, "count": int(sum(p.numel() for p in model.parameters())),
            "shapes": {name: list(t.shape) for name, t in model.state_dict().items()},
            "buffers": [name for name, _ in model.named_buffers()], "tied": bool(tied)}


def init_statistics(module, config, seed):
    """A fresh GPT(config) (torch.manual_seed(seed)): mean, std and size of every state-dict tensor."""
    model, problem = _build(module, config, seed=seed, dtype=torch.float32)
    if problem:
        return _problem(problem)
    stats = {}
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point():
            values = tensor.detach().double().reshape(-1)
            stats[name] = [float(values.mean()), float(values.std()) if values.numel() > 1 else 0.0, int(values.numel()),
                           float(values.min()), float(values.max())]
    return {"problem": None, "stats": stats}


def _full_logits(model, idx):
    """Every position's logits (B, T, V): nanoGPT returns them all only when it gets targets."""
    B, T = idx.shape
    logits, _ = model(idx, torch.zeros_like(idx))
    return logits.reshape(B, T, -1)


def forward(module, config, state, idx, targets):
    """Logits and loss with targets; the logits without targets (all positions or the last only)."""
    model, problem = _build(module, config, state)
    if problem:
        return _problem(problem)
    idx, targets = torch.tensor(np.asarray(idx), dtype=torch.long), torch.tensor(np.asarray(targets), dtype=torch.long)
    with torch.no_grad():
        logits, loss = model(idx, targets)
        plain, none_loss = model(idx)
    return {"problem": None, "logits": _array(logits), "loss": None if loss is None else _array(loss),
            "plain": _array(plain), "plain_loss": None if none_loss is None else "not None",
            "dtype": str(logits.dtype).removeprefix("torch.")}


def _array(value):
    if not isinstance(value, torch.Tensor):
        return f"<{type(value).__name__}>"
    return value.detach().to("cpu", torch.float64).numpy()


def perturbed(module, config, state, idx, position, replacement):
    """Every position's logits for idx, and for idx with token `position` of every row replaced."""
    model, problem = _build(module, config, state)
    if problem:
        return _problem(problem)
    idx = torch.tensor(np.asarray(idx), dtype=torch.long)
    changed = idx.clone()
    changed[:, int(position)] = torch.tensor(np.asarray(replacement), dtype=torch.long)
    with torch.no_grad():
        return {"problem": None, "before": _array(_full_logits(model, idx)), "after": _array(_full_logits(model, changed))}


def dropout_outputs(module, config, state, idx):
    """Logits in eval mode twice, then in train mode twice (different global seeds)."""
    model, problem = _build(module, config, state)
    if problem:
        return _problem(problem)
    idx = torch.tensor(np.asarray(idx), dtype=torch.long)
    out = {"problem": None}
    with torch.no_grad():
        out["eval"] = _array(_full_logits(model, idx))
        model.train()
        torch.manual_seed(1)
        out["train1"] = _array(_full_logits(model, idx))
        torch.manual_seed(2)
        out["train2"] = _array(_full_logits(model, idx))
    return out


def loss_at_init(module, config, seed, idx, targets):
    """A fresh GPT(config)'s loss on the judge's tokens (float32, as it was built)."""
    model, problem = _build(module, config, seed=seed, dtype=torch.float32)
    if problem:
        return _problem(problem)
    with torch.no_grad():
        _, loss = model(torch.tensor(np.asarray(idx), dtype=torch.long), torch.tensor(np.asarray(targets), dtype=torch.long))
    return {"problem": None, "loss": _array(loss)}


def generate(module, config, state, idx, max_new_tokens, temperature, top_k, seed):
    """model.generate(idx, max_new_tokens, temperature, top_k, generator=torch.Generator().manual_seed(seed))."""
    model, problem = _build(module, config, state)
    if problem:
        return _problem(problem)
    generator = torch.Generator().manual_seed(int(seed))
    out = model.generate(torch.tensor(np.asarray(idx), dtype=torch.long), int(max_new_tokens),
                         temperature=float(temperature), top_k=None if top_k is None else int(top_k), generator=generator)
    if not isinstance(out, torch.Tensor):
        return _problem(f"generate(...) returned {type(out).__name__}, not a tensor")
    return {"problem": None, "tokens": out.detach().cpu().numpy().astype(np.int64)}


# -- the training task ---------------------------------------------------------------------------
def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train(module, data, vocab_size):
    """train_char_gpt(the training characters on the device, vocab_size, on_step); the model stays here."""
    dev = device()
    threads = fewer_threads_when_busy() if dev.type == "cpu" else ""
    tensor = torch.from_numpy(np.asarray(data, dtype=np.int64)).to(dev)
    seen = {"steps": None}

    def on_step(step, loss=None, *more, **extra):
        try:
            fields = {"epoch": int(step)}
            if loss is not None:
                fields["loss"] = float(loss)
        except (TypeError, ValueError, RuntimeError):
            return
        seen["steps"] = fields["epoch"]
        report_progress(fields)

    model = module.train_char_gpt(tensor, int(vocab_size), on_step=on_step)
    if not isinstance(model, torch.nn.Module):
        return _problem(f"train_char_gpt returned {type(model).__name__}; return the trained GPT")
    model.eval()
    if dev.type == "cuda":
        torch.cuda.synchronize()  # the judge's clock includes the kernels
    _TRAINED["model"] = model
    config = getattr(model, "config", None)
    block_size = getattr(config, "block_size", None)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu, {threads}"
    return {"problem": None, "block_size": block_size if isinstance(block_size, int) else None, "steps": seen["steps"],
            "device": name, "parameters": int(sum(p.numel() for p in model.parameters()))}


def score(module, window):
    """The trained model's last-position logits for one window (T,) of validation characters."""
    model = _TRAINED["model"]
    first = next(model.parameters())
    idx = torch.from_numpy(np.asarray(window, dtype=np.int64))[None, :].to(first.device)
    with torch.no_grad():
        logits, _ = model(idx)
    return _array(logits.reshape(-1, logits.shape[-1])[-1].float())


def probe(module):
    """A tiny GPT's forward, and train_char_gpt if it is still the stub (NotImplementedError either way)."""
    model = module.GPT(module.GPTConfig(block_size=4, vocab_size=5, n_layer=1, n_head=1, n_embd=4))
    model(torch.zeros((1, 2), dtype=torch.long), torch.zeros((1, 2), dtype=torch.long))
    if _is_stub(module.train_char_gpt):
        module.train_char_gpt(torch.zeros(10, dtype=torch.long), 5)


def _is_stub(function) -> bool:
    """True when the function's body only raises NotImplementedError (it is then safe to call: it raises at once)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = [s for s in tree.body[0].body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
