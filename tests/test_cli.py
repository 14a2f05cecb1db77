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
    assert "1 new exercise file," in result.stdout


def test_outside_a_workspace_says_how_to_make_one(tmp_path):
    result = run("stage1/linreg", cwd=tmp_path)
    assert result.returncode == 2
    assert "grade init" in result.stderr


def test_unknown_exercise_suggests_the_right_id(course):
    result = run("stage1/linrg", cwd=course)
    assert result.returncode == 2
    assert "Did you mean stage1/linreg" in result.stderr
    result = run("linreg", cwd=course)  # a unique short name is not a mistake: it is graded
    assert result.returncode == 1 and result.stdout.startswith("stage1/linreg — Linear regression"), result.stderr


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
    assert "Next: stage1/ridge_lasso — Ridge and lasso: `grade stage1/ridge_lasso`" in passing.stdout  # named, not "see the list"
    history = run("history", "stage1/linreg", cwd=course)
    assert history.returncode == 0
    assert "2 attempts" in history.stdout
    status = json.loads(run("status", "--json", cwd=course).stdout)
    stage1 = next(s for s in status["stages"] if s["id"] == "stage1")
    assert stage1["passed"] == 1


def test_breaking_a_passed_exercise_shows_it_failing_everywhere(course):
    target = course / "stage1" / "linreg.py"
    reference = package_file("reference", "stage1/linreg").read_text()
    target.write_text(reference)
    assert run("stage1/linreg", cwd=course).returncode == 0
    target.write_text(reference.replace("return float(np.mean(", "return float(np.sum(", 1))  # a regression
    assert run("stage1/linreg", cwd=course).returncode == 1
    listed = run("list", cwd=course).stdout
    line = next(line for line in listed.splitlines() if "stage1/linreg " in line)
    assert "✗" in line and "failing now (passed before)" in line and "✓" not in line
    status = json.loads(run("status", "--json", cwd=course).stdout)
    linreg = next(e for s in status["stages"] for e in s["exercises"] if e["id"] == "stage1/linreg")
    assert linreg["state"] == "regressed" and linreg["words"] == "failing now (passed before)"
    assert status["current"] == "stage1/linreg"  # back at the front of the queue
    assert "failing now (passed before)" in run("status", cwd=course).stdout
    assert "Now: stage1/linreg" in run(cwd=course).stdout  # bare `grade`


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
    output, _ = watcher.communicate(timeout=180)
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
    # Wait for the event, not a guess at the time: once the learner process exists the grading has
    # begun, and Ctrl-C from then on is recorded (before it, nothing was attempted yet). Another,
    # short-lived child of grade (a probe) is not that event: under load it came and went between
    # two looks at /proc, and the test failed at load 6.
    deadline, found = time.monotonic() + 120, []
    while not found and time.monotonic() < deadline and process.poll() is None:
        found = learner_processes(process.pid)
        time.sleep(0.05)
    assert found, "the learner process never started"
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 130, errors
    assert "interrupted" in errors
    history = run("history", "stage1/linreg", cwd=course).stdout
    assert "interrupted" in history


def learner_processes(pid: int) -> list[int]:
    """The learner processes below pid (their command line runs mldojo's learner host)."""
    from test_judge_hostile import _processes_with

    hosts = set(_processes_with("learner_host"))
    return [child for child in descendants(pid) if child in hosts]


def descendants(pid: int) -> list[int]:
    """The processes below pid (children, grandchildren, …), read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def test_demo_grades_a_solved_and_a_wrong_exercise(tmp_path):
    result = run("demo", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b(\d+) of \1 checks passed", result.stdout), result.stdout
    assert "Diagnosis:" in result.stdout and "grade status" in result.stdout


# -- what next, reset, names, JSON, closed pipes -------------------------------------------
def test_bare_grade_names_the_current_exercise(course):
    result = run(cwd=course)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Now: stage1/linreg — Linear regression")
    assert "grade watch stage1/linreg" in result.stdout and "state:  not started" in result.stdout
    assert "[Y/n]" not in result.stdout  # no question without a terminal
    same = run("next", cwd=course)
    assert same.stdout == result.stdout
    data = json.loads(run("next", "--json", cwd=course).stdout)
    assert data["current"]["id"] == "stage1/linreg" and data["passed"] == 0 and data["total"] >= 17


def test_bare_grade_outside_a_workspace_says_how_to_start(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 2
    assert "grade init course" in result.stdout and "no mldojo workspace" in result.stderr


def test_init_makes_a_first_commit_holding_the_stubs(course):
    log = subprocess.run(["git", "log", "--format=%s", "--name-only"], cwd=course, capture_output=True, text=True, check=True).stdout
    assert "The exercise stubs" in log and "stage1/linreg.py" in log and ".mldojo" not in log


def test_reset_saves_the_file_in_git_then_restores_the_stub(course):
    mine = "# my attempt, to be kept\n" + package_file("exercises", "stage1/linreg").read_text()
    (course / "stage1" / "linreg.py").write_text(mine)
    result = run("reset", "linreg.py", cwd=course / "stage1")
    assert result.returncode == 0, result.stderr
    assert (course / "stage1" / "linreg.py").read_text() == package_file("exercises", "stage1/linreg").read_text()
    commit = re.search(r"commit ([0-9a-f]{7,})", result.stdout).group(1)
    kept = subprocess.run(["git", "show", f"{commit}:stage1/linreg.py"], cwd=course, capture_output=True, text=True, check=True).stdout
    assert kept == mine
    clean = subprocess.run(["git", "status", "--porcelain"], cwd=course, capture_output=True, text=True, check=True).stdout
    assert clean == ""
    again = run("reset", "stage1/linreg", cwd=course)
    assert again.returncode == 0 and "stub already" in again.stdout


def test_reset_without_git_keeps_a_copy(course):
    shutil.rmtree(course / ".git")
    (course / "stage1" / "knn.py").write_text("# mine\n")
    result = run("reset", "knn", cwd=course)
    assert result.returncode == 0, result.stderr
    copies = list((course / ".mldojo" / "reset").glob("stage1-knn-*.py"))
    assert len(copies) == 1 and copies[0].read_text() == "# mine\n"
    assert str(copies[0]) in result.stdout


def test_a_mistyped_command_gets_a_command(course):
    for typed, meant in (("statsu", "status"), ("lsit", "list"), ("hnt", "hint"), ("rest", "reset")):
        result = run(typed, cwd=course)
        assert result.returncode == 2
        assert f"Did you mean `grade {meant}`?" in result.stderr, result.stderr
        assert "stage1/" not in result.stderr  # not an exercise suggestion
    assert "Did you mean stage1/svm" in run("svn", cwd=course).stderr  # close to an exercise: the exercise


def test_short_ids_and_paths_name_exercises(course):
    def exercise_of(*args, cwd):
        result = run("history", *args, "--json", cwd=cwd)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["exercise"]

    assert exercise_of("linreg", cwd=course) == "stage1/linreg"
    assert exercise_of("linreg.py", cwd=course / "stage1") == "stage1/linreg"
    assert exercise_of("stage1/linreg.py", cwd=course) == "stage1/linreg"
    assert exercise_of("../stage1/forest.py", cwd=course / "stage2") == "stage1/forest"
    assert exercise_of(str(course / "stage2" / "mlp.py"), cwd=course.parent) == "stage2/mlp"
    outside = course.parent / "notes.py"
    outside.write_text("")
    wrong = run("history", str(outside), cwd=course)
    assert wrong.returncode == 2 and "not an exercise file" in wrong.stderr


def test_every_command_that_prints_data_has_json(course):
    for args in (["list"], ["status"], ["next"], ["history", "linreg"], ["data"], ["doctor"], ["bench", "stage3/attention", "--list"],
                 ["group", "show"]):
        result = run(*args, "--json", cwd=course)
        assert result.returncode in (0, 1), (args, result.stderr)
        data = json.loads(result.stdout)  # nothing but JSON on stdout
        assert isinstance(data, dict), args
    listed = json.loads(run("list", "--json", cwd=course).stdout)
    first = listed["stages"][0]["exercises"][0]
    assert set(first) >= {"id", "title", "state", "words", "last_verdict", "attempts", "notes", "regressed_prerequisites", "edited_since_graded"}


def test_json_keys_are_documented(course):
    """docs/json.md names every top-level key each command prints."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "json.md").read_text()
    for args in (["list"], ["status"], ["next"], ["history", "linreg"], ["data"], ["doctor"], ["bench", "stage3/attention", "--list"]):
        data = json.loads(run(*args, "--json", cwd=course).stdout)
        section = docs.split(f"## `grade {args[0]}", 1)[1].split("\n## ", 1)[0]
        for key in data:
            assert f"`{key}`" in section, (args, key)


@pytest.mark.parametrize("args", [["list"], ["data"], ["status"], ["--help"], ["list", "--json"]])
def test_a_closed_pipe_ends_quietly(course, args):
    """`grade list | head` exits without a traceback, like `git log | head`."""
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before the first byte: every write fails with EPIPE
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    try:
        done = subprocess.run(command + args, cwd=course, stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert done.returncode in (0, 141)


def test_bench_json_measures_and_skips_in_json(course):
    shutil.copyfile(package_file("reference", "stage3/attention"), course / "stage3" / "attention.py")
    measured = run("bench", "attention", "--only", "cpu-fwd-bwd", "--warmup", "0", "--repeats", "2", "--json", cwd=course, timeout=300)
    data = json.loads(measured.stdout)  # nothing but JSON: no header, no progress lines
    (result,) = data["results"]
    assert result["status"] == "measured" and result["recorded"] is True, result
    assert isinstance(result["ratio"], float) and result["learner"]["timing"]["n"] == 2
    skipped = run("bench", "attention", "--only", "cuda-fwd-bwd", "--json", cwd=course, env={"CUDA_VISIBLE_DEVICES": ""})
    assert skipped.returncode == 1
    assert json.loads(skipped.stdout)["results"][0]["status"] == "skipped"
