"""Does the stage3/resnet reference reach 91 % on Fashion-MNIST, and how long does it take? (the README's figure)

    python benchmarks/resnet_fashion.py            # in this process: wall time and test accuracy
    python benchmarks/resnet_fashion.py --judge    # the way `grade` runs it: the training check, learner process, judge's clock

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
