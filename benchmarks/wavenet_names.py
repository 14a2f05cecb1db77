"""Does the stage3/wavenet reference reach the dev-loss goal of 2.00, and how long does it take? (the README's figure)

    python benchmarks/wavenet_names.py            # in this process: wall time, dev and training loss
    python benchmarks/wavenet_names.py --judge    # the way `grade` runs it: the training check, learner process, judge's clock

In-process the reference's train runs with one thread (as `grade` runs it on a small or busy
machine) and the dev loss is the judge's: graders.stage3.wavenet.model_logits on the trained
state dict, in eval mode, over every pair of the dev names. The load average before and after
is printed: on a shared machine the wall time moves with it. Needs names.txt (MLDOJO_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

EXERCISE = "stage3/wavenet"
TRAINING_CHECK = "train_reaches_a_dev_loss_of_2_00"


def in_process(threads: int) -> dict:
    """Train the reference here; the judge's dev loss of its state dict."""
    import importlib

    import torch
    import torch.nn.functional as F

    from mldojo.graders.stage2.makemore_mlp import dataset, names_or_skip, split
    from mldojo.graders.stage3 import wavenet as grader

    torch.set_num_threads(threads)
    reference = importlib.import_module("mldojo.reference.stage3.wavenet")
    train_words, dev_words, _ = split(names_or_skip())
    started = time.perf_counter()
    model = reference.train(train_words)
    wall = time.perf_counter() - started
    state = {k: v.detach().numpy() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    block_size = grader.trained_sizes(state)[0]
    with torch.no_grad():
        losses = {name: float(F.cross_entropy(grader.model_logits(state, X, False), torch.as_tensor(Y)))
                  for name, (X, Y) in (("dev", dataset(dev_words, block_size)), ("train", dataset(train_words, block_size)))}
    return {"wall_s": wall, **losses}


def judged() -> dict:
    """The training check through `grade`: verdict, message and the judge's time for the check."""
    from mldojo.graders.engine.runner import GradeRequest, grade

    root = Path(tempfile.mkdtemp(prefix="wavenet-bench-"))
    target = root / "stage3" / "wavenet.py"
    target.parent.mkdir(parents=True)
    target.write_text((Path(__file__).resolve().parents[1] / "reference" / "stage3" / "wavenet.py").read_text())
    started = time.perf_counter()
    report = grade(GradeRequest(exercise=EXERCISE, root=root, file=target, time_limit_s=60.0, only=(TRAINING_CHECK,)))
    check = report.checks[0] if report.checks else None
    return {"verdict": report.verdict, "message": getattr(check, "message", report.problem), "wall_s": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", action="store_true", help="run the training check through grade")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in-process (default 1, as grade uses)")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    result = judged() if args.judge else in_process(args.threads)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for key, value in result.items():
        print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
