"""Trusted code that runs inside the learner process for stage3/attention (grading and bench).

Every call into the learner's code runs under `AttentionGuard`, a torch function mode
that sees each torch function the learner's code calls (also one imported under another
name, or reached through `torch.ops`) and refuses torch's own attention kernels. A refused
call is reported even when the learner's code catches the exception.

Replies are plain data: NumPy arrays, strings, numbers. A `problem` is something the
judge reports in the learner's terms; any other exception from the learner's code
(NotImplementedError included) propagates unchanged so the engine reports it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from mldojo.graders.engine.driver_support import backward_along

# Substrings of the torch function names that are attention kernels (F.scaled_dot_product_attention,
# F.multi_head_attention_forward, torch._native_multi_head_attention, aten's fused variants).
REFUSED_FRAGMENTS = ("scaled_dot_product", "multi_head_attention", "flash_attention", "efficient_attention",
                     "cudnn_attention", "_fused_sdp", "_sdpa")
PUBLIC_NAMES = {
    "scaled_dot_product_attention": "torch.nn.functional.scaled_dot_product_attention",
    "multi_head_attention_forward": "torch.nn.functional.multi_head_attention_forward (what nn.MultiheadAttention.forward runs)",
    "_native_multi_head_attention": "torch._native_multi_head_attention (nn.MultiheadAttention's fast path)",
}


class RefusedAttentionCall(RuntimeError):
    """The learner's code called one of torch's attention functions."""


class AttentionGuard(TorchFunctionMode):
    """Refuses torch's attention functions while the learner's code runs; remembers each one."""

    def __init__(self):
        super().__init__()
        self.refused: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "") or str(func)
        if any(fragment in name for fragment in REFUSED_FRAGMENTS):
            shown = PUBLIC_NAMES.get(name, f"{getattr(func, '__module__', None) or 'torch'}.{name}")
            self.refused.append(shown)
            raise RefusedAttentionCall(f"mldojo: {shown} is torch's own attention; write it yourself")
        return func(*args, **(kwargs or {}))


def guarded(call, guard_on=True):
    """(result, refused name or None): run call() under the guard; a refusal wins over any result."""
    if not guard_on:
        return call(), None
    guard = AttentionGuard()
    try:
        with guard:
            result = call()
    except RefusedAttentionCall:
        result = None
    except Exception:
        if guard.refused:  # the learner's code failed because of the refusal
            return None, guard.refused[0]
        raise
    return result, (guard.refused[0] if guard.refused else None)


def _tensor(array, dtype, requires_grad=False):
    if array is None:
        return None
    array = np.asarray(array)
    if array.dtype == np.bool_:
        return torch.from_numpy(array.copy())
    return torch.tensor(array, dtype=getattr(torch, dtype), requires_grad=requires_grad)


def _array(value, what):
    """A learner's tensor as a NumPy array, or a problem (a string) saying what came back."""
    if not isinstance(value, torch.Tensor):
        return f"{what} returned {type(value).__name__} {value!r:.80}, not a torch tensor"
    return value.detach().to("cpu", torch.float64).numpy() if value.is_floating_point() else value.detach().cpu().numpy()


def _reply(problem=None, refused=None, **fields):
    return {"problem": problem, "refused": refused, **fields}


def attend(module, q, k, v, attn_mask=None, is_causal=False, dtype="float64", grad_out=None):
    """Call the learner's scaled_dot_product_attention; with grad_out, also backward through it.

    Reply: {"out": array, "dtype": "float64", "grads": [dq, dk, dv] or None, "problem", "refused"}.
    """
    _one_thread()
    with_grad = grad_out is not None
    tq, tk, tv = (_tensor(x, dtype, requires_grad=with_grad) for x in (q, k, v))
    mask = _tensor(attn_mask, dtype)

    def call():
        # Arguments at their defaults are left out: the stub's defaults are part of the API.
        options = {**({"attn_mask": mask} if mask is not None else {}), **({"is_causal": True} if is_causal else {})}
        out = module.scaled_dot_product_attention(tq, tk, tv, **options)
        if with_grad and isinstance(out, torch.Tensor):
            if not out.requires_grad:
                return out, "no_graph"
            backward_along(out, _tensor(grad_out, dtype))
        return out, None

    result, refused = guarded(call)
    if refused:
        return _reply(refused=refused)
    out, graph_problem = result
    array = _array(out, "scaled_dot_product_attention(q, k, v, ...)")
    if isinstance(array, str):
        return _reply(problem=array)
    if graph_problem:
        return _reply(problem="the output does not require grad: gradients cannot flow back to q, k and v "
                      "(look for .detach(), .data, .numpy() or torch.no_grad() in your code)")
    grads = None
    if with_grad:
        grads = []
        for name, tensor in (("q", tq), ("k", tk), ("v", tv)):
            if tensor.grad is None:
                return _reply(problem=f"after backward, {name}.grad is None: {name} is not connected to the output")
            grads.append(tensor.grad.numpy())
    return _reply(out=array, dtype=str(out.dtype).removeprefix("torch."), grads=grads)


def build_mha(module, embed_dim, num_heads, bias, batch_first, state=None, dtype="float64"):
    """Make the learner's MultiHeadAttention and (with `state`) load a state dict into it.

    Returns (mha, problem): problem is a string when the parameters do not match torch's.
    """
    options = {**({"bias": False} if not bias else {}), **({"batch_first": True} if batch_first else {})}  # defaults left out
    mha, refused = guarded(lambda: module.MultiHeadAttention(embed_dim, num_heads, **options))
    if refused:
        return None, {"refused": refused}
    if not isinstance(mha, torch.nn.Module):
        return None, f"MultiHeadAttention(...) made a {type(mha).__name__}, not an nn.Module"
    mha = mha.to(getattr(torch, dtype))
    if state is not None:
        tensors = {name: _tensor(array, dtype) for name, array in state.items()}
        try:
            mha.load_state_dict(tensors, strict=True)
        except RuntimeError as exc:
            return None, "load_state_dict(nn.MultiheadAttention's state dict) failed:\n" + str(exc).strip()
    return mha, None


def parameter_shapes(module, embed_dim, num_heads, bias, batch_first):
    """{name: shape} of the learner's MultiHeadAttention state dict, or a problem."""
    mha, problem = build_mha(module, embed_dim, num_heads, bias, batch_first)
    if problem:
        return _reply(**_split(problem))
    return _reply(shapes={name: list(t.shape) for name, t in mha.state_dict().items()})


def mha_forward(module, config, state, query, key, value, options, dtype="float64"):
    """Build the learner's MultiHeadAttention from `config` + `state` and run forward(query, key, value, **options).

    options may hold key_padding_mask and attn_mask (arrays), need_weights, average_attn_weights.
    Reply: {"out": array, "weights": array or None, "dtype": str, "problem", "refused"}.
    """
    _one_thread()
    mha, problem = build_mha(module, config["embed_dim"], config["num_heads"], config["bias"], config["batch_first"], state, dtype)
    if problem:
        return _reply(**_split(problem))
    args = [_tensor(x, dtype) for x in (query, key, value)]
    defaults = {"key_padding_mask": None, "need_weights": True, "attn_mask": None, "average_attn_weights": True}
    kwargs = {name: value for name, value in options.items() if defaults.get(name, object()) is not value}  # defaults left out
    for name in ("key_padding_mask", "attn_mask"):
        if kwargs.get(name) is not None:
            kwargs[name] = _tensor(kwargs[name], dtype)
    result, refused = guarded(lambda: mha(*args, **kwargs))
    if refused:
        return _reply(refused=refused)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return _reply(problem=f"forward(...) returned {type(result).__name__}, not a pair (output, weights)")
    out = _array(result[0], "forward(...)[0] (the output)")
    if isinstance(out, str):
        return _reply(problem=out)
    weights = None
    if result[1] is not None:
        weights = _array(result[1], "forward(...)[1] (the weights)")
        if isinstance(weights, str):
            return _reply(problem=weights)
    return _reply(out=out, weights=weights, dtype=str(result[0].dtype).removeprefix("torch."))


def _one_thread():
    # Grading tensors are tiny: a second intra-op thread only adds spin-waiting (10-100x
    # slower on a busy machine). Benchmarks keep torch's default.
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def _split(problem):
    return problem if isinstance(problem, dict) else {"problem": problem}


# -- benchmarks -----------------------------------------------------------------------------------
# Inputs are made here, so their transfer is never timed, but never known in advance: each timed
# call brings a fresh seed from the judge, and every run in it attends over inputs derived from
# the base tensors by an elementwise non-linear map with parameters drawn from that seed. Each run
# answers with a digest of its output and gradients (random projections, also drawn from the
# seed); the judge compares every digest with the baseline's for the same seed before any time
# counts. So nothing here decides what is timed: a replaced driver, a cache of earlier outputs or
# a run skipped shows up as a wrong digest. Deriving and digesting cost the same on both sides.
_WORKLOADS: dict = {}
DIGEST_PROJECTIONS = 2


def bench_setup(module, name, shape, dtype, device, causal, backward, seed, guard_on=True, threads=None):
    """Make the base q, k, v (B, H, S, D) and output gradient on `device` from `seed`, run the
    attention once on them (guarded, checked against the shapes) and keep the workload under
    `name` for bench_run; the reply holds a slice of the output and gradients for the judge."""
    if threads:
        torch.set_num_threads(int(threads))
    B, H, S, D = shape
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    kind = getattr(torch, dtype)
    tensors = [torch.randn(B, H, S, D, generator=generator, dtype=torch.float32).to(device=device, dtype=kind)
               for _ in range(4)]
    workload = {"base": tensors, "causal": bool(causal), "backward": bool(backward), "device": device,
                "dtype": kind, "shape": (B, H, S, D)}
    if device == "cuda":
        torch.cuda.synchronize()
    q, k, v, grad_out = (t.detach().clone().requires_grad_(bool(backward) and i < 3) for i, t in enumerate(tensors))
    out, refused = guarded(lambda: _attend_once(module, q, k, v, grad_out, workload), guard_on)
    if refused:
        return {"refused": refused, "problem": None}
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (B, H, S, D):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        return {"refused": None, "problem": f"scaled_dot_product_attention returned {got}, expected a tensor of shape {(B, H, S, D)}"}
    workload.update(guard_on=guard_on, threads=torch.get_num_threads())
    _WORKLOADS[name] = workload
    # A slice of the output and gradients, so the judge can compare them with the baseline's.
    sample = {"out": out[0, 0]}
    if backward:
        for label, tensor in zip(("dq", "dk", "dv"), (q, k, v)):
            if tensor.grad is None:
                return {"refused": None, "problem": f"after backward, {label[1]}.grad is None: gradients do not reach {label[1]}"}
            sample[label] = tensor.grad[0, 0]
    sample = {key: value.detach().to("cpu", torch.float32).numpy() for key, value in sample.items()}
    return {"refused": None, "problem": None, "sample": sample}


def bench_environment(module, device):
    """What this process sees: torch threads, and on CUDA the GPU's name and CUDA version."""
    info = {"threads": torch.get_num_threads(), "torch_in_learner": torch.__version__}
    if device == "cuda":
        info.update(gpu=torch.cuda.get_device_name(), cuda=torch.version.cuda)
    return info


def bench_run(module, name, call_seed, repeats=1, reset_peak=False):
    """Run the workload `repeats` times on fresh inputs derived from `call_seed`, then wait for
    the device. Timed by the judge around this call. Reply: {"digests": (repeats, n) float64 —
    each run's projections of its output and gradients —, "peak_bytes": CUDA peak since
    `reset_peak` (None on CPU), "problem", "refused"}."""
    workload = _WORKLOADS[name]
    cuda = workload["device"] == "cuda"
    if cuda and reset_peak:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    digests = []

    def runs():
        for run in range(int(repeats)):
            params = _run_parameters(call_seed, run, workload)
            q, k, v, grad_out = fresh_inputs(workload, params)
            out = _attend_once(module, q, k, v, grad_out, workload)
            digests.append(digest(out, (q, k, v) if workload["backward"] else (), params))

    _, refused = guarded(runs, workload["guard_on"])
    if cuda:
        torch.cuda.synchronize()  # the judge's clock must include the kernels, not just their launch
    if refused:
        return {"refused": refused, "problem": None, "peak_bytes": None}
    stacked = torch.stack(digests).to("cpu", torch.float64).numpy() if digests else None
    return {"refused": None, "problem": None, "digests": stacked,
            "peak_bytes": int(torch.cuda.max_memory_allocated()) if cuda else None}


def _run_parameters(call_seed, run, workload):
    """The map's parameters and the projection vectors of one run, from the judge's seed."""
    generator = torch.Generator(device="cpu").manual_seed((int(call_seed) * 1_000_003 + run) % (1 << 62))
    B, H, S, D = workload["shape"]
    scales = 0.5 + torch.rand(4, generator=generator)  # per tensor, in [0.5, 1.5)
    shifts = 6.2832 * torch.rand(4, generator=generator)
    along_s = torch.randn(DIGEST_PROJECTIONS, S, generator=generator)
    along_d = torch.randn(DIGEST_PROJECTIONS, D, generator=generator)
    device = workload["device"]
    return {"scales": scales.tolist(), "shifts": shifts.tolist(),
            "along_s": along_s.to(device), "along_d": along_d.to(device)}


def fresh_inputs(workload, params):
    """q, k, v, grad_out for one run: sin(scale * base + shift) elementwise (non-linear, so an
    answer for the base tensors, or for any earlier run, is no answer for these)."""
    made = []
    for i, base in enumerate(workload["base"]):
        tensor = torch.sin(base * params["scales"][i] + params["shifts"][i])
        made.append(tensor.requires_grad_(workload["backward"] and i < 3))
    return made


def digest(out, inputs, params):
    """Projections of the output and the inputs' gradients: for each, sum over S and D of
    value * along_s[j, s] * along_d[j, d], per (B, H) and projection j; float32, flattened."""
    parts = []
    for tensor in (out, *(x.grad for x in inputs)):
        if not isinstance(tensor, torch.Tensor):
            return torch.full((1,), float("nan"))
        values = tensor.detach().float()
        for j in range(DIGEST_PROJECTIONS):
            weights = params["along_s"][j][:, None] * params["along_d"][j][None, :]  # (S, D)
            parts.append((values * weights).sum(dim=(-2, -1)).reshape(-1))
    return torch.cat(parts)


def _attend_once(module, q, k, v, grad_out, workload):
    for tensor in (q, k, v):
        tensor.grad = None
    out = module.scaled_dot_product_attention(q, k, v, is_causal=workload["causal"])
    if workload["backward"] and isinstance(out, torch.Tensor) and out.requires_grad:
        out.backward(grad_out)
    return out
