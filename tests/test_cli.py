"""The `grade` command run as a subprocess in a temporary workspace, as a learner runs it."""

from __future__ import annotations

import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading import package_file

GRADE = Path(sys.executable).with_name("grade")


def run(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `grade ARGS` in `cwd` and return the finished process (text output)."""
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    full_env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    full_env.update(env or {}, NO_COLOR="1", COLUMNS="120")
    return subprocess.run(command + list(args), cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def course(tmp_path) -> Path:
    """A fresh workspace made by `grade init course`."""
    result = run("init", "course", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "course"


def test_help_lists_the_commands(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "status", "history", "hint", "reveal", "watch", "done", "demo"):
        assert command in result.stdout


def test_help_and_list_import_neither_numpy_nor_torch(tmp_path):
    code = (
        "import sys, contextlib, io\n"
        "from mldojo.cli import main\n"
        "for args in (['--help'], ['list']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(args)\n"
        "heavy = sorted(m for m in ('numpy', 'torch', 'hypothesis', 'sqlmodel', 'sklearn') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_init_makes_a_workspace(course):
    for exercise in ("stage1/linreg", "stage2/micrograd"):
        assert (course / f"{exercise}.py").read_text() == package_file("exercises", exercise).read_text()
    assert ".mldojo/" in (course / ".gitignore").read_text().splitlines()
    assert (course / ".git").is_dir()
    assert "handle" in (course / "mldojo.toml").read_text()
    assert (course / "README.md").is_file()


def test_init_again_never_overwrites_the_learners_files(course):
    mine = course / "stage1" / "linreg.py"
    mine.write_text("# my work in progress\n")
    (course / "stage2" / "micrograd.py").unlink()
    result = run("init", ".", cwd=course)
    assert result.returncode == 0, result.stderr
    assert mine.read_text() == "# my work in progress\n"
    assert (course / "stage2" / "micrograd.py").is_file(), "a missing exercise is added back"
    assert "1 new exercise files" in result.stdout


def test_outside_a_workspace_says_how_to_make_one(tmp_path):
    result = run("stage1/linreg", cwd=tmp_path)
    assert result.returncode == 2
    assert "grade init" in result.stderr


def test_unknown_exercise_suggests_the_right_id(course):
    result = run("stage1/linrg", cwd=course)
    assert result.returncode == 2
    assert "Did you mean stage1/linreg" in result.stderr
    result = run("linreg", cwd=course)
    assert "Did you mean stage1/linreg" in result.stderr


def test_the_stub_is_not_implemented(course):
    result = run("stage1/linreg", cwd=course / "stage1")  # found by walking up
    assert result.returncode == 1
    assert "not implemented yet" in result.stdout
    assert "LinearRegression.fit" in result.stdout


def test_fail_then_fix_then_pass_then_history(course):
    target = course / "stage1" / "linreg.py"
    reference = package_file("reference", "stage1/linreg").read_text()
    target.write_text(reference + "\n\ndef mse(y, y_pred):\n    import numpy as np\n    return float(np.mean(np.abs(np.asarray(y) - np.asarray(y_pred))))\n")
    failing = run("stage1/linreg", cwd=course)
    assert failing.returncode == 1, failing.stdout
    assert "✗" in failing.stdout and "on this input" in failing.stdout
    target.write_text(reference)
    passing = run("stage1/linreg", cwd=course)
    assert passing.returncode == 0, passing.stdout
    assert "passed" in passing.stdout
    history = run("history", "stage1/linreg", cwd=course)
    assert history.returncode == 0
    assert "2 attempts" in history.stdout
    status = json.loads(run("status", "--json", cwd=course).stdout)
    stage1 = next(s for s in status["stages"] if s["id"] == "stage1")
    assert stage1["passed"] == 1


def test_json_output(course):
    result = run("stage1/linreg", "--json", cwd=course)
    data = json.loads(result.stdout)
    assert data["verdict"] == "not_implemented" and data["passed"] is False
    assert data["unwritten"] == ["mse", "mse_grad", "LinearRegression.fit", "LinearRegression.predict"]  # known without running


def test_syntax_error_shows_the_line_and_a_caret(course):
    (course / "stage1" / "linreg.py").write_text("def mse(y, y_pred):\n    return (y - y_pred) **\n")
    result = run("stage1/linreg", cwd=course)
    assert result.returncode == 1
    assert "SyntaxError in stage1/linreg.py, line 2" in result.stdout
    assert "^" in result.stdout


def test_hints_come_one_at_a_time_and_are_recorded(course):
    first = run("hint", "stage1/linreg", cwd=course)
    assert "Hint 1 of" in first.stdout and "(new)" in first.stdout
    second = run("hint", "stage1/linreg", cwd=course)
    assert "Hint 1 of" in second.stdout and "Hint 2 of" in second.stdout


def test_reveal_waits_for_a_pass_unless_forced(course):
    refused = run("reveal", "stage1/linreg", cwd=course)
    assert refused.returncode == 1 and "--force" in refused.stdout
    forced = run("reveal", "stage1/linreg", "--force", cwd=course)
    assert forced.returncode == 0 and "class LinearRegression" in forced.stdout
    status = json.loads(run("status", "--json", cwd=course).stdout)
    linreg = next(e for s in status["stages"] for e in s["exercises"] if e["id"] == "stage1/linreg")
    assert linreg["revealed"]


def test_done_records_self_reported_criteria_only(course):
    result = run("done", "stage1", "kaggle-titanic", "--evidence", "0.78468 on 2026-11-20", cwd=course)
    assert result.returncode == 0, result.stderr
    status = run("status", cwd=course)
    assert "0.78468 on 2026-11-20" in status.stdout
    automatic = run("done", "stage1", "exercises", "--evidence", "trust me", cwd=course)
    assert automatic.returncode == 2 and "automatically" in automatic.stderr
    unknown = run("done", "stage7", "x", "--evidence", "y", cwd=course)
    assert unknown.returncode == 2


def test_workspace_option_and_environment_variable(course, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run("status", "--workspace", str(course), cwd=elsewhere).returncode == 0
    assert run("status", cwd=elsewhere, env={"MLDOJO_WORKSPACE": str(course)}).returncode == 0
    wrong = run("status", "--workspace", str(elsewhere), cwd=elsewhere)
    assert wrong.returncode == 2 and "not an mldojo workspace" in wrong.stderr


def test_a_corrupt_tracker_is_reported_and_never_overwritten(course):
    database = course / ".mldojo" / "tracker.sqlite"
    database.write_bytes(b"this is not a database" * 100)
    before = database.read_bytes()
    status = run("status", cwd=course)
    assert status.returncode == 2
    assert str(database) in status.stderr
    graded = run("stage1/linreg", cwd=course)
    assert graded.returncode == 1 and "not recorded" in graded.stdout
    assert database.read_bytes() == before


def test_watch_waits_through_a_syntax_error_then_grades_the_fix(course):
    target = course / "stage1" / "linreg.py"
    target.write_text("def broken(:\n")
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    env = dict(os.environ, NO_COLOR="1")
    env.pop("MLDOJO_WORKSPACE", None)
    watcher = subprocess.Popen(command + ["watch", "stage1/linreg", "--interval", "0.1", "--max-runs", "2"], cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = watcher.stdout.readline()
        lines.append(line)
        if "Waiting for the next save" in line:
            break
    assert any("SyntaxError" in line for line in lines), "".join(lines)
    shutil.copyfile(package_file("reference", "stage1/linreg"), target)
    output, _ = watcher.communicate(timeout=90)
    assert watcher.returncode == 0, output
    assert "passed" in output


def test_two_gradings_at_once_both_get_recorded(course):
    shutil.copyfile(package_file("reference", "stage1/linreg"), course / "stage1" / "linreg.py")
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    env = dict(os.environ, NO_COLOR="1")
    env.pop("MLDOJO_WORKSPACE", None)
    runs = [subprocess.Popen(command + [exercise], cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for exercise in ("stage1/linreg", "stage2/micrograd", "stage1/linreg")]
    for process in runs:
        output, _ = process.communicate(timeout=120)
        assert "not recorded" not in output
    status = json.loads(run("status", "--json", cwd=course).stdout)
    attempts = {e["id"]: e["attempts"] for s in status["stages"] for e in s["exercises"] if e["attempts"]}
    assert attempts == {"stage1/linreg": 2, "stage2/micrograd": 1}


def test_an_attempt_is_recorded_even_when_the_reader_leaves_early(course):
    """`grade stage1/linreg | head -1` must still record the attempt."""
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    env = dict(os.environ, NO_COLOR="1")
    env.pop("MLDOJO_WORKSPACE", None)
    process = subprocess.Popen(command + ["stage1/linreg"], cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()
    process.wait(timeout=120)
    assert "1 attempt" in run("history", "stage1/linreg", cwd=course).stdout


def test_ctrl_c_stops_cleanly_and_is_recorded_as_interrupted(course):
    (course / "stage1" / "linreg.py").write_text("def mse(y, y_pred):\n    while True:\n        pass\n")
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    env = dict(os.environ, NO_COLOR="1")
    env.pop("MLDOJO_WORKSPACE", None)
    process = subprocess.Popen(command + ["stage1/linreg"], cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the learner process is inside its endless loop by now
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 130, errors
    assert "interrupted" in errors
    history = run("history", "stage1/linreg", cwd=course).stdout
    assert "interrupted" in history


def test_demo_grades_a_solved_and_a_wrong_exercise(tmp_path):
    result = run("demo", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b(\d+) of \1 checks passed", result.stdout), result.stdout
    assert "Diagnosis:" in result.stdout and "grade status" in result.stdout
