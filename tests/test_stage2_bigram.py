"""stage2/bigram beyond the generic tests: the lecture's style passes; names.txt is a data set mldojo knows."""

from __future__ import annotations

import os

import pytest

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage2/bigram"


@pytest.mark.slow  # trains on every bigram of names.txt
def test_the_lectures_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "bigram_lecture_style.py", tmp_path)
    assert report.passed, explain(report)


def test_names_txt_is_found_and_verified_by_its_checksum():
    from mldojo.datasets import load_names
    from mldojo.datasets.checksums import VERIFIED, check_found, overall_state
    from mldojo.datasets.locate import locate

    if not os.environ.get("MLDOJO_DATA_DIR"):
        pytest.skip("no MLDOJO_DATA_DIR with names.txt")
    assert overall_state(check_found(locate("names"))) == VERIFIED
    words = load_names()
    assert len(words) == 32033 and words[:3] == ["emma", "olivia", "ava"]


def test_without_names_txt_the_checks_that_need_it_say_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path / "empty"))
    from grading import package_file

    report = grade_source(EXERCISE, package_file("reference", EXERCISE), tmp_path / "ws", only=("counts_names_txt_exactly",))
    (outcome,) = report.checks
    assert outcome.verdict == "skipped" and "grade data fetch names" in outcome.message, explain(report)
