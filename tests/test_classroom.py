"""Classrooms in CI: the JUnit XML and Gradescope exports of gradings, against their schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import xmlschema

from mldojo.classroom import gradescope_results, junit_xml, markdown_summary
from mldojo.graders.engine.results import CheckOutcome, GradeReport

SCHEMAS = Path(__file__).parent / "schemas"


def reports() -> list[GradeReport]:
    """A pass, a failure with a diagnosis, an error, a stub decided statically, a skipped check."""
    passed = GradeReport("stage1/linreg", "passed", [CheckOutcome("mse_is_right", "mse = mean", "passed", 0.1)], duration_s=1.2)
    failed = GradeReport("stage1/knn", "failed", [
        CheckOutcome("distances", "d = ||a-b||", "passed", 0.2),
        CheckOutcome("neighbours_sorted", "sorted", "failed", 0.3, message="kneighbors: got [1, 0]\nexpected [0, 1]",
                     inputs="X.shape=(2, 1)  X=[[0.], [1.]]", diagnosis="the k largest <&> not the smallest"),
        CheckOutcome("later", "later", "skipped", 0.0, message="not run: the time budget was used up"),
    ], duration_s=2.0)
    crashed = GradeReport("stage2/mlp", "crashed", [CheckOutcome("forward", "shapes", "crashed", 0.5, message="crashed with signal 11")])
    stub = GradeReport("stage1/tree", "not_implemented", [], problem="tree.py is still the stub", unwritten=["gini"])
    return [passed, failed, crashed, stub]


def test_the_junit_file_is_valid_and_counts_every_check():
    text = junit_xml(reports())
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(text)
    assert 'tests="6" failures="1" errors="1" skipped="2"' in text
    assert "the k largest &lt;&amp;&gt; not the smallest" in text  # escaped, whole


def test_the_gradescope_file_is_valid_and_scores_one_point_per_passing_exercise():
    results = gradescope_results(reports())
    jsonschema.validate(results, json.loads((SCHEMAS / "gradescope_results.schema.json").read_text()))
    assert results["score"] == 1.0 and results["max_score"] == 4.0
    knn = next(t for t in results["tests"] if t["name"] == "stage1/knn")
    assert knn["status"] == "failed" and "Diagnosis: the k largest" in knn["output"] and "✗ neighbours_sorted" in knn["output"]


def test_the_summary_is_one_table():
    text = markdown_summary(reports())
    assert text.startswith("### mldojo: 1 of 4 exercises pass") and text.count("\n| `") == 4
