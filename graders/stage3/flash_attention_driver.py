"""Learner-side driver for stage3/flash_attention: runs the learner's Triton kernel in Triton's
interpreter, on CPU tensors, and answers with plain arrays.

Why the interpreter, and why here: @triton.jit picks between compiling and interpreting when it
decorates a function, from TRITON_INTERPRET, so the variable must be set before the learner's
module is imported. The learner host imports this driver first (learner_host.import_drivers), so
setting it at the top of this module does it for this exercise's learner processes only, and the
same verdict comes out on every machine, with or without a GPU. Nothing of the sandbox changes:
the interpreter needs no compiler and no CUDA (triton is imported here, from the read-only
site-packages the sandbox shows), and Triton's cache (TRITON_CACHE_DIR, by default under $HOME)
points into the learner's private /tmp, the only place it may write.
The GPU benchmark imports flash_attention_bench_driver instead, which compiles.
"""

from __future__ import annotations

import os

os.environ["TRITON_INTERPRET"] = "1"
os.environ.setdefault("TRITON_CACHE_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "triton-cache"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402

try:  # the judge refuses to grade without triton (catalogue `requires`); this only keeps the import safe
    import triton  # noqa: E402, F401
    from triton.runtime.interpreter import InterpretedFunction  # noqa: E402
except ImportError:  # pragma: no cover - the judge stops before a learner process starts
    InterpretedFunction = None

# torch's own maths: refused while the learner's launcher runs, so the attention must come from the
# kernel (the interpreter itself uses only copies and NumPy, never these).
REFUSED_FRAGMENTS = ("attention", "softmax", "matmul", "bmm", "einsum", "baddbmm", "addmm", "linear", "tensordot")
REFUSED_EXACT = {"mm", "exp", "exp_", "__matmul__", "__rmatmul__", "dot", "mv"}


class RefusedTorchCall(RuntimeError):
    """The learner's launcher computed with torch instead of the kernel."""


# Triton's interpreter does not check bounds: a load past the end of a tensor reads whatever memory
# follows and a store there corrupts it (a crash, or nothing visible, as the heap decides). So every
# tensor the kernel can touch is the front of a larger buffer whose tail holds a fixed value: a read
# past the end always sees it, and a write past the end always changes it. The value is NaN, as the
# garbage past an allocation can be on a GPU: an unmasked load of V there turns 0 * NaN into NaN.
GUARD_ELEMENTS = 8192  # > (block_m - 1) rows * D of the last head for every shape the grader draws
ALLOCATORS = {"empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "new_empty",
              "new_zeros", "new_ones", "new_full", "empty_strided", "clone", "contiguous"}


def guarded_copy(tensor: torch.Tensor, buffers: list) -> torch.Tensor:
    """`tensor`'s values in the front of a buffer with GUARD_ELEMENTS canaries after them (recorded in `buffers`)."""
    if not tensor.is_floating_point() or not tensor.is_contiguous() or tensor.device.type != "cpu":
        return tensor
    count = tensor.numel()
    buffer = torch.full((count + GUARD_ELEMENTS,), float("nan"), dtype=tensor.dtype)
    front = buffer[:count].view(tensor.shape)
    front.copy_(tensor)
    buffers.append((buffer, count))
    return front


def overrun(buffers: list) -> int:
    """How many canaries a kernel overwrote past the end of its tensors (0: none)."""
    return sum(int((~torch.isnan(buffer[count:])).sum()) for buffer, count in buffers)


class TorchMathGuard(TorchFunctionMode):
    """Refuses torch's attention and matrix products while the learner's code runs (remembering each),
    and puts every tensor it allocates in front of canaries."""

    def __init__(self, buffers: list):
        super().__init__()
        self.refused: list[str] = []
        self.buffers = buffers

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "") or str(func)
        if name in REFUSED_EXACT or any(fragment in name for fragment in REFUSED_FRAGMENTS):
            self.refused.append(f"torch {name}")
            raise RefusedTorchCall(f"mldojo: torch's {name} is refused here; compute it in your Triton kernel")
        result = func(*args, **(kwargs or {}))
        if name in ALLOCATORS and isinstance(result, torch.Tensor) and not any(result is a for a in args):
            result = guarded_copy(result, self.buffers)
        return result


class LaunchCounter:
    """Counts the Triton kernel launches made while it is active (interpreted kernels only)."""

    def __init__(self):
        self.launches = 0
        self._saved = None

    def __enter__(self):
        if InterpretedFunction is not None:
            self._saved = InterpretedFunction.run
            counter = self

            def run(kernel, *args, **kwargs):
                if not kwargs.get("warmup"):
                    counter.launches += 1
                return counter._saved(kernel, *args, **kwargs)

            InterpretedFunction.run = run
        return self

    def __exit__(self, *exc):
        if self._saved is not None:
            InterpretedFunction.run = self._saved
        return False


def _reply(problem=None, refused=None, **fields):
    return {"problem": problem, "refused": refused, **fields}


def attend(module, q, k, v, causal=False, block_m=16, block_n=16, dtype="float32"):
    """Call the learner's flash_attention on CPU tensors made from the arrays (B, H, S, D).

    Reply: {"out": float64 array, "dtype": str, "shape": list, "launches": int, "problem", "refused"}.
    """
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)  # tiny tensors: a second thread only spins
    kind = getattr(torch, dtype)
    buffers: list = []
    tq, tk, tv = (guarded_copy(torch.tensor(np.asarray(x), dtype=kind), buffers) for x in (q, k, v))
    inputs = [t.clone() for t in (tq, tk, tv)]
    guard = TorchMathGuard(buffers)
    options = {**({"causal": True} if causal else {}), "block_m": int(block_m), "block_n": int(block_n)}
    try:
        with LaunchCounter() as counter, guard:
            out = module.flash_attention(tq, tk, tv, **options)
    except RefusedTorchCall:
        return _reply(refused=guard.refused[0])
    except Exception as exc:
        if guard.refused:
            return _reply(refused=guard.refused[0])
        if type(exc).__module__.startswith("triton"):
            # A compile or run error of the interpreter: its message names the kernel line.
            return _reply(problem=f"Triton could not run your kernel: {type(exc).__name__}: {str(exc).strip()[:3000]}")
        raise
    if guard.refused:
        return _reply(refused=guard.refused[0])
    spilled = overrun(buffers)
    if spilled:
        return _reply(problem=f"your kernel wrote {spilled} values past the end of a tensor (the grader keeps a guard "
                      "zone after each one): mask the tl.store of the query rows past S")
    if not isinstance(out, torch.Tensor):
        return _reply(problem=f"flash_attention(q, k, v, ...) returned {type(out).__name__}, not a torch tensor")
    changed = [name for name, t, before in zip("qkv", (tq, tk, tv), inputs) if not torch.equal(t, before)]
    if changed:
        return _reply(problem=f"flash_attention changed its input {changed[0]} in place: read q, k and v, write only the output")
    array = out.detach().to("cpu", torch.float64).numpy() if out.is_floating_point() else out.detach().cpu().numpy()
    return _reply(out=array, dtype=str(out.dtype).removeprefix("torch."), shape=list(out.shape), launches=counter.launches)
