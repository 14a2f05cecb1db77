"""The reduced training runs of tests/reduced_training.py stay in step with the references and graders
they shorten: every edit finds its text once, and every constant they set is one the grader reads."""

from __future__ import annotations

import pytest

from reduced_training import REDUCTIONS, reduced_source


@pytest.mark.parametrize("exercise", sorted(REDUCTIONS))
def test_every_edit_finds_its_text_once_in_the_reference(exercise):
    short = reduced_source(exercise)
    for old, new in REDUCTIONS[exercise].edits:
        assert old not in short and new in short


@pytest.mark.parametrize("exercise", sorted(REDUCTIONS))
def test_every_constant_set_is_one_the_grader_has(exercise):
    # setattr on a misspelt name would add a new attribute and leave the full goal in force, silently
    from mldojo.graders.engine.runner import load_grader

    grader = load_grader(exercise)
    for name in REDUCTIONS[exercise].judge(grader):
        assert hasattr(grader, name), f"{exercise}'s grader has no {name}"
    for name in REDUCTIONS[exercise].not_reached:
        assert name in grader.TRAINED_FUNCTIONS, f"{name} is not in {exercise}'s TRAINED_FUNCTIONS"
