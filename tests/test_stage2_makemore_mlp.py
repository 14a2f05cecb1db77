"""stage2/makemore_mlp beyond the generic tests: the lecture's style passes, training included."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage2/makemore_mlp"


@pytest.mark.slow  # trains on names.txt until the judge's dev loss is measured
def test_the_lectures_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "makemore_mlp_lecture_style.py", tmp_path)
    assert report.passed, explain(report)
