"""Does the stage3/resnet reference reach 91 % on Fashion-MNIST, and how long does it take? (the README's figure)

    python benchmarks/resnet_fashion.py            # in this process: wall time and test accuracy
    python benchmarks/resnet_fashion.py --judge    # the way `grade` runs it: the training check, learner process, judge's clock
    python benchmarks/resnet_fashion.py --checks 3 # every other check of the reference, graded cold in a fresh process, 3 times

(benchmarks/cli_speed.py leaves out exercises with a training task, since `grade ID` on their
reference trains; --checks times the rest the way `grade` runs it, learner process included.)

In-process the reference's build_model(1) and train run with one thread (as `grade` runs them
on a small or busy machine) and the accuracy is computed here on the 10,000 test images. The
load average before and after is printed: on a shared machine the wall time moves with it.
Needs Fashion-MNIST (`grade data fashion-mnist` says where it is found).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

EXERCISE = "stage3/resnet"
TRAINING_CHECK = "reaches_the_accuracy_goal"


def in_process(threads: int) -> dict:
    """Train the reference here; its accuracy on the test images."""
    import importlib

    import numpy as np
    import torch

    from mldojo.datasets import load_fashion_mnist

    torch.set_num_threads(threads)
    reference = importlib.import_module("mldojo.reference.stage3.resnet")
    data = load_fashion_mnist()
    images = torch.from_numpy(data.train_images).reshape(-1, 1, 28, 28)
    labels = torch.from_numpy(data.train_labels)
    torch.manual_seed(0)
    started = time.perf_counter()
    model = reference.build_model(1)
    reference.train(model, images, labels, on_epoch=lambda e, loss: print(f"  epoch {e}: loss {loss:.4f} at "
                                                                           f"{time.perf_counter() - started:.0f} s", flush=True))
    predictions = reference.predict(model, torch.from_numpy(data.test_images).reshape(-1, 1, 28, 28)).numpy()
    wall = time.perf_counter() - started
    return {"accuracy": float(np.mean(predictions == data.test_labels)), "wall_s": wall,
            "parameters": sum(p.numel() for p in model.parameters())}


def judged() -> dict:
    """The training check through `grade`: verdict, message and the judge's time for the check."""
    from mldojo.graders.engine.runner import GradeRequest, grade

    root = Path(tempfile.mkdtemp(prefix="resnet-bench-"))
    target = root / "stage3" / "resnet.py"
    target.parent.mkdir(parents=True)
    target.write_text((Path(__file__).resolve().parents[1] / "reference" / "stage3" / "resnet.py").read_text())
    started = time.perf_counter()
    report = grade(GradeRequest(exercise=EXERCISE, root=root, file=target, time_limit_s=60.0, only=(TRAINING_CHECK,)))
    check = report.checks[0] if report.checks else None
    training = getattr(check, "training", None) or {}
    return {"verdict": report.verdict, "message": getattr(check, "message", report.problem),
            "accuracy": training.get("accuracy"), "training_wall_s": training.get("wall_s"), "device": training.get("device"),
            "budget_s": training.get("budget_s"), "wall_s": time.perf_counter() - started}


CHECKS_SCRIPT = """
import sys, tempfile, time
from pathlib import Path
started = time.perf_counter()
from mldojo.graders.engine.runner import GradeRequest, grade, load_grader
from mldojo.graders.engine.training import is_training_check
from mldojo.graders.kit.checks import checks_of
only = tuple(s.name for s in checks_of(load_grader(sys.argv[1])) if not is_training_check(s))
root = Path(tempfile.mkdtemp(prefix="resnet-checks-"))
target = root / "stage3" / "resnet.py"
target.parent.mkdir(parents=True)
target.write_text(Path(sys.argv[2]).read_text())
report = grade(GradeRequest(exercise=sys.argv[1], root=root, file=target, time_limit_s=60.0, only=only))
print(report.verdict, len(report.checks), sum(c.duration_s for c in report.checks), time.perf_counter() - started)
"""


def checks(runs: int) -> dict:
    """Every check but the training on the reference, each run in a fresh Python (cold, as `grade ID` is)."""
    import statistics
    import subprocess
    import sys

    reference = Path(__file__).resolve().parents[1] / "reference" / "stage3" / "resnet.py"
    walls, in_checks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHECKS_SCRIPT, EXERCISE, str(reference)], capture_output=True, text=True,
                             check=True).stdout.split()
        walls.append(time.perf_counter() - started)
        if out[0] != "passed":
            raise SystemExit(f"the reference did not pass: {out}")
        in_checks.append(float(out[2]))
    return {"checks": int(out[1]), "median_wall_s": statistics.median(walls), "min_wall_s": min(walls), "max_wall_s": max(walls),
            "median_in_checks_s": statistics.median(in_checks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", action="store_true", help="run the training check through grade")
    parser.add_argument("--checks", type=int, default=0, metavar="RUNS", help="time the other checks instead (RUNS cold runs)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in-process (default 1, as grade uses)")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    result = checks(args.checks) if args.checks else judged() if args.judge else in_process(args.threads)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for key, value in result.items():
        print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
