"""Reduced training runs: the real training check, judge and all, on a shorter run and a weaker goal.

stage3/wavenet, resnet and gpt train for minutes against their real goals. The slow tests and
`benchmarks/mutation.py --training-code` (which grades every mutant of the training code) run
the same path shortened: the reference's run length is edited down, as a learner could write
it, and the goal is weakened where only a test or a benchmark can reach it, as module constants
of the grader in the judge's process. Nothing the learner's file says can set a reduction.

One definition here, read by both, so the mutation figures and CI prove the same reduced goal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from grading import package_file


@dataclass(frozen=True)
class Reduction:
    """How one exercise's training is shortened and what the judge then asks of it."""

    edits: tuple[tuple[str, str], ...]  # (text of the reference, shorter text), each found exactly once
    judge: Callable[[object], dict[str, object]]  # the grader module -> its constants to set for the reduced goal
    goal: str  # the reduced goal in words, for the figures
    # Names in the grader's TRAINED_FUNCTIONS that a CPU-only, grayscale run never executes (a GPU
    # configuration, CIFAR-10's augmentation): their mutants cannot be told apart here.
    not_reached: tuple[str, ...] = field(default=())


REDUCTIONS = {
    "stage3/wavenet": Reduction(
        edits=(("steps=15000", "steps=600"),),
        # 600 of the reference's steps reach about 2.3; a fresh model has 3.30. The budget stays
        # the full one's share (300 s for 15,000 steps is far more than 600 steps need).
        judge=lambda grader: {"GOAL_DEV_LOSS": 2.45, "TRAIN_LIMIT_S": 180.0},
        goal="dev loss ≤ 2.45 after 600 of the reference's 15,000 steps",
    ),
    "stage3/resnet": Reduction(
        edits=(("(30 if colour else 4)", "(30 if colour else 2)"),),
        # 2 epochs on the first 8,000 images: 81.7 % in 40 s of training at load 3-4.
        judge=lambda grader: {"GOALS": {**grader.GOALS, "Fashion-MNIST": 0.75}, "TRAIN_ROWS": 8000,
                              "training_dataset": lambda: "Fashion-MNIST"},
        goal="≥ 75 % on Fashion-MNIST after 2 epochs on its first 8,000 images",
        not_reached=("_augment",),
    ),
    "stage3/gpt": Reduction(
        edits=(("max_iters=550", "max_iters=200"),),
        # 200 of the CPU run's 550 steps reach 2.22: below the plateau near 2.46 (the loss of a
        # bigram model) where 80 to 150 steps still sit, so a model that does not use its context
        # fails. A fresh model has ln 65 = 4.17. The budget is the full run's share, 600 s x 200/550.
        judge=lambda grader: {"GOAL_VAL_LOSS": 2.35, "TRAIN_LIMIT_S": 220.0},
        goal="validation loss ≤ 2.35 after 200 of the CPU run's 550 steps",
        not_reached=("GPU_RUN",),
    ),
}


def reduced_source(exercise: str, source: str | None = None) -> str:
    """The reference (or `source`) with the exercise's run shortened; KeyError when an edit's text is not there once."""
    text = package_file("reference", exercise).read_text() if source is None else source
    for old, new in REDUCTIONS[exercise].edits:
        if text.count(old) != 1:
            raise KeyError(f"{exercise}: {old!r} is not in the source exactly once")
        text = text.replace(old, new)
    return text


def reduce_goal(exercise: str, setattr_: Callable[[object, str, object], None]) -> None:
    """Set the reduced goal in the judge's process through setattr_ (pytest's monkeypatch.setattr, or setattr)."""
    from mldojo.graders.engine.runner import load_grader

    grader = load_grader(exercise)
    for name, value in REDUCTIONS[exercise].judge(grader).items():
        setattr_(grader, name, value)
