"""Classrooms and instructors from the command line: grade all with its exports, the CI workflow,
grade group regrade, and a notebook graded through --notebook."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from grading import package_file

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).parent / "schemas"
GRADE = [sys.executable, "-m", "mldojo.cli"]


def grade(*args, cwd, timeout=600, env=None):
    return subprocess.run([*GRADE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "140", **(env or {})})


@pytest.fixture
def course(tmp_path):
    subprocess.run([*GRADE, "init", str(tmp_path / "course"), "--ci", "github"], check=True, capture_output=True)
    return tmp_path / "course"


def test_grade_all_writes_valid_junit_and_gradescope_files_with_the_same_verdicts(course):
    (course / "stage1" / "linreg.py").write_text(package_file("reference", "stage1/linreg").read_text())
    result = grade("all", "--stage", "stage1", "--junit", "junit.xml", "--gradescope", "results.json", "--summary", "s.md", cwd=course)
    assert result.returncode == 1, result.stdout + result.stderr  # the other stage-1 exercises are stubs
    assert "✓ stage1/linreg" in result.stdout and "✗ stage1/knn" in result.stdout
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(str(course / "junit.xml"))
    results = json.loads((course / "results.json").read_text())
    jsonschema.validate(results, json.loads((SCHEMAS / "gradescope_results.schema.json").read_text()))
    passed = {t["name"] for t in results["tests"] if t["status"] == "passed"}
    assert passed == {"stage1/linreg"} and results["score"] == 1.0
    junit = (course / "junit.xml").read_text()
    assert 'testsuite name="stage1/linreg"' in junit and "<failure" not in junit.split('testsuite name="stage1/ridge_lasso"')[0]
    assert "1 of" in (course / "s.md").read_text()


def test_init_writes_a_github_workflow_whose_commands_run_here(course):
    workflow = (course / ".github" / "workflows" / "mldojo.yml").read_text()
    assert "grade all --junit mldojo-junit.xml --gradescope results.json" in workflow
    assert "bubblewrap" in workflow and "upload-artifact" in workflow


@pytest.mark.slow  # a fresh virtualenv with torch and mldojo in it
@pytest.mark.timeout(1500)  # installing torch and mldojo, then `grade all` over every exercise: minutes on a busy machine
def test_the_workflows_commands_pass_in_a_fresh_virtualenv(course):
    """The workflow's `run:` steps, as GitHub would run them, with the local torch and this checkout."""
    import yaml

    steps = yaml.safe_load((course / ".github" / "workflows" / "mldojo.yml").read_text())["jobs"]["grade"]["steps"]
    env = {**os.environ, "TORCH_INSTALL": "torch==2.13.0", "MLDOJO_PACKAGE": str(REPO), "GITHUB_STEP_SUMMARY": str(course / "summary")}
    env.pop("VIRTUAL_ENV", None)
    for step in steps:
        if "run" not in step or "apt-get" in step["run"]:
            continue
        done = subprocess.run(["bash", "-c", step["run"]], cwd=course, capture_output=True, text=True, timeout=1500, env=env)
        if "grade all" in step["run"]:
            assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # stubs: graded, not passed
        else:
            assert done.returncode == 0, step["run"] + "\n" + done.stdout[-3000:] + done.stderr[-3000:]
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(str(course / "mldojo-junit.xml"))
    jsonschema.validate(json.loads((course / "results.json").read_text()),
                        json.loads((SCHEMAS / "gradescope_results.schema.json").read_text()))


def test_the_instructor_view_flags_a_claimed_pass_that_does_not_regrade(tmp_path):
    from mldojo.graders.engine import sandbox
    from mldojo.tracker.group.repository import init_group, join_group, sync_group
    from mldojo.tracker.group.summary import build_member_file
    from mldojo.tracker.store import Tracker
    from mldojo.workspace import init_workspace
    from mldojo.catalogue import load_catalogue

    if not sandbox.status().available:
        pytest.skip(f"re-grading peers' code needs the sandbox: {sandbox.status().reason}")
    remote = tmp_path / "remote.git"
    init_group(str(remote), "teacher")
    catalogue = load_catalogue()
    sources = {"honest": package_file("reference", "stage1/linreg").read_text(),
               "bluffer": package_file("reference", "stage1/linreg").read_text().replace("return float(np.mean((y_pred - y) ** 2))", "return float(np.sum((y_pred - y) ** 2))")}
    for handle, source in [("teacher", None), *sources.items()]:
        workspace = init_workspace(tmp_path / handle, ["stage1/linreg"], handle).workspace
        join_group(workspace, str(remote))
        if source is not None:
            assert source != sources["honest"] or handle == "honest"
            (workspace.root / "stage1" / "linreg.py").write_text(source)
            with Tracker.open(workspace.tracker_path) as tracker:  # both claim a pass of the file they share
                tracker.record_attempt("stage1/linreg", datetime.now(UTC), 1.0, "passed", "1", "0.1.0",
                                       hashlib.sha256(source.encode()).hexdigest(), None, "passed", sandboxed=True)
                member = build_member_file(workspace, catalogue, tracker, share_code=True)
            sync_group(workspace, member)
    assert grade("group", "sync", cwd=tmp_path / "teacher").returncode == 0  # fetch what the members shared
    result = grade("group", "regrade", "--json", cwd=tmp_path / "teacher")
    assert result.returncode == 1, result.stdout + result.stderr
    found = {r["member"]: r for r in json.loads(result.stdout)["results"]}
    assert found["honest"]["verdict"] == "passed" and not found["honest"]["disagrees"]
    assert found["bluffer"]["verdict"] == "failed" and found["bluffer"]["disagrees"] and found["bluffer"]["same_file"] is True


@pytest.mark.slow  # starts a Jupyter kernel
def test_a_notebook_graded_through_the_magic_and_the_cli_gets_the_verdict_of_the_py_file(course):
    import nbformat
    from nbclient import NotebookClient

    engine = package_file("reference", "stage2/micrograd").read_text()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# micrograd, typed along with the lecture"),
        nbformat.v4.new_code_cell("#| export\n" + engine),
        nbformat.v4.new_code_cell("a = Value(2.0)\nb = a * a\nb.backward()\nprint(a.grad)"),
        nbformat.v4.new_code_cell("%load_ext mldojo"),
        nbformat.v4.new_code_cell(f"%grade stage2/micrograd --workspace {course}"),
    ]
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(course)}})
    client.execute()
    html = "".join(output.get("data", {}).get("text/html", "") for output in notebook.cells[-1].outputs)
    assert "stage2/micrograd" in html and "passed" in html and "code cells 1" in html, notebook.cells[-1].outputs
    path = course / "lecture.ipynb"
    nbformat.write(notebook, path)
    from_cli = json.loads(grade("stage2/micrograd", "--notebook", str(path), "--json", cwd=course).stdout)
    (course / "stage2" / "micrograd.py").write_text(engine)
    from_file = json.loads(grade("stage2/micrograd", "--json", cwd=course).stdout)
    assert from_cli["verdict"] == from_file["verdict"] == "passed"
    assert [c["verdict"] for c in from_cli["checks"]] == [c["verdict"] for c in from_file["checks"]]
    history = grade("history", "stage2/micrograd", "--json", cwd=course)
    assert len(json.loads(history.stdout)["attempts"]) >= 3  # the magic's, the --notebook one's, the file's
