"""The sandbox around the learner process (issue: the judge's trust boundary).

Each test is a hostile learner module, graded through the real engine, that tries one way
around the judge: running the shipped reference, lifting the forbidden-import list, reading the
judge's data or memory, writing where the judge runs, forging benchmark numbers, leaving
processes behind. Each must end in a not-pass verdict, a refused benchmark or a clear
message, and leave no process behind.

The sandbox needs Linux namespaces through bubblewrap; where they are missing these tests skip
with the reason, and `test_unsandboxed_grading_is_labelled_everywhere` proves the fallback says
"unsandboxed". CI runs as root on a machine where bubblewrap is installed by .ci/run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from test_judge_hostile import (  # noqa: F401 - fixtures
    EXERCISE,
    _is_live,
    _processes_with,
    _wait_gone,
    g_doubles,
    grade_learner,
    outcome,
    use_checks,
    verdicts,
    workspace,
)

from mldojo.graders.engine import results as R
from mldojo.graders.engine import sandbox
from mldojo.graders.kit import check

REPO = Path(__file__).resolve().parents[1]
GRADE = [sys.executable, "-m", "mldojo.cli"]
STATUS = sandbox.status()
needs_sandbox = pytest.mark.skipif(not STATUS.available, reason=f"no sandbox here: {STATUS.reason}")


def marker() -> str:
    """A word unique to this test, for finding its processes in /proc."""
    return f"mldojo-sandbox-test-{os.getpid()}-{time.monotonic_ns()}"


# -- what the learner's code can see --------------------------------------------------------------
PROBE = """\
import json, os, sys
def probe(paths, judge_pid):
    found = {}
    for name, path in paths.items():
        try:
            with open(path, "rb") as handle:
                handle.read(16)
            found[name] = "read"
        except OSError as exc:
            found[name] = type(exc).__name__
    try:
        with open(f"/proc/{judge_pid}/mem", "rb") as handle:
            found["judge memory"] = "read"
    except OSError as exc:
        found["judge memory"] = type(exc).__name__
    try:
        os.kill(judge_pid, 0)
        found["signal the judge"] = "sent"
    except OSError as exc:
        found["signal the judge"] = type(exc).__name__
    found["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    found["data variables"] = sorted(k for k in os.environ if k.startswith(("MLDOJO", "XDG")))
    for module in ("mldojo.datasets", "mldojo.reference.stage1.linreg", "mldojo.graders.kit.oracles", "mldojo.tracker"):
        try:
            __import__(module)
            found[module] = "imported"
        except BaseException as exc:
            found[module] = type(exc).__name__
    try:
        import socket
        socket.create_connection(("127.0.0.1", 1), timeout=0.5)
    except OSError as exc:
        found["network"] = type(exc).__name__
    for where in ("stagetest/written.py", "/written", os.path.expanduser("~/written")):
        try:
            with open(where, "w") as handle:
                handle.write("x")
            found["write " + where] = "written"
        except OSError as exc:
            found["write " + where] = type(exc).__name__
    return json.dumps(found)
def g(x):
    return 2 * x
"""


@needs_sandbox
def test_the_learner_sees_no_reference_no_data_no_judge_and_no_network(use_checks, workspace, tmp_path):
    from mldojo.datasets import paths

    cache = paths.decoded_dir()
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "secret.npy").write_bytes(b"labels")
    (workspace / ".mldojo").mkdir()
    (workspace / ".mldojo" / "tracker.sqlite").write_bytes(b"history")
    (workspace / "stagetest" / "notes.csv").write_text("Survived\n1\n")
    secrets = {
        "the reference": str(Path(__import__("mldojo.reference.stage1.linreg", fromlist=["x"]).__file__)),
        "a grader's oracle": str(Path(__import__("mldojo.graders.kit.oracles", fromlist=["x"]).__file__)),
        "the decoded cache": str(cache / "secret.npy"),
        "the tracker": str(workspace / ".mldojo" / "tracker.sqlite"),
        "a data file in the workspace": str(workspace / "stagetest" / "notes.csv"),
        "this test file": __file__,
    }
    if os.environ.get("MLDOJO_DATA_DIR"):
        data = Path(os.environ["MLDOJO_DATA_DIR"])
        secrets["the data folder"] = str(next((p for p in sorted(data.iterdir()) if p.is_file()), data))
    seen = {}

    @check()
    def probe_sees_nothing(learner):
        """The probe reports what it could reach."""
        seen.update(json.loads(learner.probe(secrets, os.getpid())))

    use_checks(probe_sees_nothing, g_doubles)
    report = grade_learner(workspace, PROBE, may_pass=True)
    assert report.sandboxed is True
    assert outcome(report, "probe_sees_nothing").verdict == R.PASSED, report
    for name in secrets:
        assert seen[name] == "FileNotFoundError", (name, seen[name])
    assert seen["judge memory"] == "FileNotFoundError" and seen["signal the judge"] == "ProcessLookupError"
    assert seen["processes"] == [1, 2], seen["processes"]  # bubblewrap's init and the learner host
    assert seen["data variables"] == []
    assert seen["mldojo.datasets"] == seen["mldojo.tracker"] == seen["mldojo.graders.kit.oracles"] == "ModuleNotFoundError"
    assert seen["mldojo.reference.stage1.linreg"] in ("ImportError", "ModuleNotFoundError")
    assert seen["network"] in ("OSError", "ConnectionRefusedError")  # loopback only, nothing listens
    assert seen["write /written"] == "OSError"  # read-only root
    assert not (workspace / "stagetest" / "written.py").exists()  # never reaches the real workspace


@needs_sandbox
def test_running_the_shipped_reference_from_its_file_is_not_a_pass(tmp_path):
    from grading import grade_source

    reference = Path(__import__("mldojo.reference.stage1.linreg", fromlist=["x"]).__file__)
    report = grade_source("stage1/linreg", f"exec(open({str(reference)!r}).read())\n", tmp_path / "ws")
    assert report.verdict != R.PASSED
    assert "No such file" in report.problem or "FileNotFoundError" in report.problem, report.problem


@needs_sandbox
def test_lifting_the_import_hook_does_not_bring_back_a_forbidden_package(tmp_path):
    from grading import grade_source

    reference = (REPO / "reference" / "stage1" / "linreg.py").read_text()
    sneaky = textwrap.dedent("""\
        import sys
        sys.meta_path[:] = [f for f in sys.meta_path if "Forbidden" not in type(f).__name__]
        _torch = __import__("to" + "rch")
        """) + reference
    report = grade_source("stage1/linreg", sneaky, tmp_path / "ws")
    assert report.verdict == R.ERROR, report
    assert "torch" in report.problem and "No module named" in report.problem, report.problem


@needs_sandbox
def test_titanic_labels_from_the_learners_own_copy_are_out_of_reach(tmp_path):
    from grading import grade_source

    from mldojo.datasets import DatasetMissing, find_dataset

    try:
        train_csv = find_dataset("titanic")
    except DatasetMissing as exc:
        pytest.skip(str(exc))
    reference = (REPO / "reference" / "stage1" / "titanic.py").read_text()
    cheat = reference + textwrap.dedent(f"""\
        import pandas as _pd
        _TRUE = _pd.read_csv({str(train_csv)!r}).set_index("Name")["Survived"]
        class _Oracle:
            def fit(self, X, y):
                return self
            def predict(self, X):
                return _TRUE.reindex(X["Name"]).fillna(0).astype(int).to_numpy()
        """)
    report = grade_source("stage1/titanic", cheat, tmp_path / "ws")
    assert report.verdict != R.PASSED
    assert "FileNotFoundError" in report.problem, report.problem


# -- code in the judge ----------------------------------------------------------------------------------
def test_the_tui_starts_the_judge_without_the_workspace_on_its_path(tmp_path):
    """A module the learner's code wrote into the workspace (sqlmodel.py) never runs in the judge."""
    from mldojo.tui.grade_server import GradeServer

    subprocess.run([*GRADE, "init", str(tmp_path / "ws")], check=True, capture_output=True)
    planted = tmp_path / "planted"
    (tmp_path / "ws" / "sqlmodel.py").write_text(f"open({str(planted)!r}, 'w').write('ran in the judge')\nraise SystemExit(3)\n")
    server = GradeServer(tmp_path / "ws")
    command = server.command
    assert command[1] == "-P"
    result = subprocess.run(command, cwd=tmp_path / "ws", input="stage1/linreg\n", capture_output=True, text=True, timeout=120)
    assert not planted.exists(), result.stdout + result.stderr
    assert "not implemented" in result.stdout, result.stdout + result.stderr
    assert f"{server.marker} 1" in result.stdout, result.stdout + result.stderr


# -- processes ----------------------------------------------------------------------------------------
SETSID_GRANDCHILD = """\
import os, sys
def f(x):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "while True: pass", "MARKER"])
        os._exit(0)
    return x * x
def g(x):
    return 2 * x
"""


@needs_sandbox
def test_a_setsid_grandchild_does_not_outlive_the_verdict(use_checks, workspace):
    word = marker()
    grade_learner(workspace, SETSID_GRANDCHILD.replace("MARKER", word), may_pass=True)
    assert not _wait_gone(_processes_with(word), timeout=2.0), "a setsid grandchild outlived the grading"


LOOPING_MODULE = """\
import os, sys
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "while True: pass", "MARKER"])
def f(x):
    while True:
        pass
def g(x):
    return 2 * x
"""


def _start_grade(workspace: Path, source: str, exercise: str = "stage1/linreg", *args: str) -> subprocess.Popen:
    (workspace / (exercise + ".py")).write_text(source)
    return subprocess.Popen([*GRADE, exercise, *args], cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    subprocess.run([*GRADE, "init", str(root)], check=True, capture_output=True)
    return root


@needs_sandbox
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL, signal.SIGINT])
def test_killing_grade_leaves_no_learner_process(course, how):
    word = marker()
    source = LOOPING_MODULE.replace("MARKER", word).replace("def f(x)", "def mse(y, y_pred)")
    grade = _start_grade(course, source)
    try:
        assert _wait_for(lambda: _processes_with(word), 60), "the learner's process did not start"
        learners = _processes_with(word)
        started = time.monotonic()
        grade.send_signal(how)
        assert not _wait_gone(learners, timeout=2.0), "the grading went on more than 2 s after the signal"
        grade.wait(timeout=30)  # then it records the attempt as interrupted and exits
        assert not _wait_gone(_processes_with(word), timeout=1.0), "learner processes outlived a killed grade"
        if how != signal.SIGKILL:
            assert grade.returncode == 130, grade.stdout.read()
    finally:
        if grade.poll() is None:
            os.killpg(grade.pid, signal.SIGKILL)


@needs_sandbox
def test_a_learner_that_stops_itself_does_not_hang_the_judge(use_checks, workspace):
    source = "import os, signal\ndef f(x):\n    os.kill(os.getpid(), signal.SIGSTOP)\n    return x * x\ndef g(x):\n    return 2 * x\n"
    started = time.monotonic()
    report = grade_learner(workspace, source, time_limit_s=30)
    assert time.monotonic() - started < 10
    assert "stopped its own process" in outcome(report, "f_squares").message


@needs_sandbox
def test_a_learner_that_stops_reading_cannot_block_a_large_request(use_checks, workspace):
    """The judge's writes have a deadline: a 40 MB argument to a stopped learner process."""

    @check()
    def big_argument(learner):
        """f(a 40 MB array) answers."""
        learner.stop_myself()
        time.sleep(0.6)  # the learner process stops itself 0.2 s after answering
        learner.f(np.zeros(5_000_000))

    use_checks(big_argument, g_doubles)
    source = "import os, signal\ndef stop_myself():\n    import threading\n    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGSTOP)).start()\n" \
             "def f(x):\n    return 0.0\ndef g(x):\n    return 2 * x\n"
    started = time.monotonic()
    report = grade_learner(workspace, source, time_limit_s=30)
    assert time.monotonic() - started < 10
    assert outcome(report, "big_argument").verdict == R.CRASHED
    assert "stopped" in outcome(report, "big_argument").message


# -- resources -----------------------------------------------------------------------------------------
def test_a_huge_reply_is_refused_before_it_is_read(use_checks, workspace):
    source = "import numpy as np\ndef f(x):\n    return np.ones(25_000_000)  # 200 MB for a float argument\ndef g(x):\n    return 2 * x\n"
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = grade_learner(workspace, source, memory_limit_mb=2048, time_limit_s=10)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    message = outcome(report, "f_squares").message
    assert "far too large" in message, message
    assert grown_mb < 200, f"the judge grew by {grown_mb:.0f} MB"
    assert outcome(report, "g_doubles").verdict == R.PASSED


@pytest.mark.parametrize("kind", ["fifo", "large", "link_out"])
def test_learner_files_that_are_not_code_are_refused_at_once(course, kind):
    target = course / "stage1" / "linreg.py"
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "large":
        target.write_text("X = 0\n" * 2_100_000)  # 12.6 MB
    else:
        target.symlink_to(REPO / "reference" / "stage1" / "linreg.py")
    started = time.monotonic()
    result = subprocess.run([*GRADE, "stage1/linreg"], cwd=course, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 20
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    words = {"fifo": "pipe (FIFO)", "large": "at most 1 MB", "link_out": "outside your workspace"}[kind]
    assert words in result.stdout, result.stdout


def test_the_judges_own_time_is_not_charged_to_the_learner(use_checks, workspace):
    """A slow judge (oracles, a busy machine) never turns fast learner code into a timeout."""
    from mldojo.graders.engine.runner import GradeRequest, grade

    @check()
    def slow_oracle(learner):
        """f(2.0) is 4.0 while the judge itself takes longer than the learner's budget."""
        for _ in range(4):
            assert learner.f(2.0) == 4.0
            time.sleep(0.75)  # the judge's own work: 3 s in all, against a 2 s budget

    use_checks(slow_oracle, g_doubles)
    file = workspace / "stagetest" / "hostile.py"
    file.write_text("def f(x):\n    return x * x\ndef g(x):\n    return 2 * x\n")
    report = grade(GradeRequest(EXERCISE, workspace, file, time_limit_s=2.0, import_limit_s=30))
    assert report.verdict == R.PASSED, report


@needs_sandbox
def test_a_crash_shows_the_learners_frames_not_the_judges(use_checks, workspace):
    source = "import ctypes\ndef f(x):\n    return ctypes.string_at(0)\ndef g(x):\n    return 2 * x\n"
    report = grade_learner(workspace, source)
    shown = outcome(report, "f_squares").printed
    assert "hostile.py" in shown and "learner_host.py" not in shown, shown


# -- the fallback ----------------------------------------------------------------------------------------
def test_unsandboxed_grading_is_labelled_everywhere(course):
    (course / "stage1" / "linreg.py").write_text((REPO / "reference" / "stage1" / "linreg.py").read_text())
    env = {**os.environ, "MLDOJO_SANDBOX": "off", "COLUMNS": "120"}
    result = subprocess.run([*GRADE, "stage1/linreg"], cwd=course, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unsandboxed" in result.stdout and "grade doctor" in result.stdout
    as_json = subprocess.run([*GRADE, "stage1/linreg", "--json"], cwd=course, capture_output=True, text=True, timeout=120, env=env)
    assert json.loads(as_json.stdout)["sandboxed"] is False
    import sqlite3

    with sqlite3.connect(course / ".mldojo" / "tracker.sqlite") as db:
        columns = [row[1] for row in db.execute("pragma table_info(attempt)")]
        if "sandboxed" in columns:
            assert db.execute("select sandboxed from attempt order by id desc limit 1").fetchone()[0] == 0
    doctor = subprocess.run([*GRADE, "doctor"], capture_output=True, text=True, timeout=60, env=env)
    assert doctor.returncode == 1 and "MLDOJO_SANDBOX=off" in doctor.stdout and "unsandboxed" in doctor.stdout


def test_a_missing_bubblewrap_falls_back_with_advice(course, tmp_path):
    (course / "stage1" / "linreg.py").write_text((REPO / "reference" / "stage1" / "linreg.py").read_text())
    env = {**os.environ, "MLDOJO_BWRAP": str(tmp_path / "no-bwrap-here")}
    doctor = subprocess.run([*GRADE, "doctor"], capture_output=True, text=True, timeout=60, env=env)
    assert doctor.returncode == 1 and "not installed" in doctor.stdout and "apt install bubblewrap" in doctor.stdout
    required = subprocess.run([*GRADE, "stage1/linreg"], cwd=course, capture_output=True, text=True, timeout=120,
                              env={**env, "MLDOJO_SANDBOX": "require"})
    assert required.returncode == 1 and "MLDOJO_SANDBOX=require" in required.stdout, required.stdout


@needs_sandbox
def test_doctor_says_the_sandbox_works():
    doctor = subprocess.run([*GRADE, "doctor", "--json"], capture_output=True, text=True, timeout=60)
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["sandboxed"] is True


# -- forged benchmarks -----------------------------------------------------------------------------------
ATTENTION_REFERENCE = (REPO / "reference" / "stage3" / "attention.py").read_text()
BENCH = ["bench", "stage3/attention", "--only", "cpu-fwd-bwd", "--warmup", "1", "--repeats", "2"]

REPLAY = ATTENTION_REFERENCE + '''
import torch as _torch
_honest = scaled_dot_product_attention
_cache = {}


class _Replay(_torch.autograd.Function):
    """Answers with the output and gradients of the first call of each shape, for free."""

    @staticmethod
    def forward(ctx, q, k, v):
        return _cache["out"].clone()

    @staticmethod
    def backward(ctx, grad):
        return _cache["dq"], _cache["dk"], _cache["dv"]


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False):
    if "out" not in _cache and q.requires_grad:  # the first call: honest, and remembered
        out = _honest(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
        _cache["out"] = out.detach()
        for name, tensor in (("dq", q), ("dk", k), ("dv", v)):
            tensor.register_hook(lambda grad, name=name: _cache.__setitem__(name, grad.detach()))
        return out
    if len(_cache) == 4 and q.requires_grad and q.shape == _cache["out"].shape:
        return _Replay.apply(q, k, v)
    return _honest(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
'''

DRIVER_SWAP = ATTENTION_REFERENCE + '''
import gc as _gc
import time as _time


def _no_work(module, name, call_seed, repeats=1, reset_peak=False):
    return {"refused": None, "problem": None, "digests": None, "peak_bytes": None}


def _swap_the_driver():
    _gc.unfreeze()  # the host's objects are frozen after its imports: hidden from get_objects() until then
    for thing in _gc.get_objects():
        if type(thing).__name__ == "Host" and hasattr(thing, "drivers"):
            for key in list(thing.drivers):
                if key.endswith(":bench_run"):
                    thing.drivers[key] = _no_work


_swap_the_driver()
'''

STOP_THE_BASELINE = ATTENTION_REFERENCE + '''
import os as _os
import signal as _signal
import time as _time

if _os.fork() == 0:  # a grandchild in its own session, looking for the baseline to freeze
    _os.setsid()
    if _os.fork() == 0:
        while True:
            for _pid in _os.listdir("/proc"):
                try:
                    if _pid.isdigit() and b"attention_baseline" in open(f"/proc/{_pid}/cmdline", "rb").read():
                        _os.kill(int(_pid), _signal.SIGSTOP)
                except OSError:
                    pass
            _time.sleep(0.01)
    _os._exit(0)
'''


def _bench(course: Path, source: str) -> subprocess.CompletedProcess:
    (course / "stage3" / "attention.py").write_text(source)
    return subprocess.run([*GRADE, *BENCH], cwd=course, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "160"})


def _recorded_ratios(course: Path) -> list[float]:
    import sqlite3

    path = course / ".mldojo" / "tracker.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("select ratio from benchmark_result order by id")]


@needs_sandbox
@pytest.mark.slow
def test_replayed_outputs_and_a_swapped_driver_are_never_timed(course):
    for source, words in ((REPLAY, "on the same fresh inputs"), (DRIVER_SWAP, "did not answer for each of its")):
        result = _bench(course, source)
        assert result.returncode == 1 and words in result.stdout, result.stdout + result.stderr
    assert _recorded_ratios(course) == []


@needs_sandbox
@pytest.mark.slow
def test_a_grandchild_cannot_freeze_the_baseline(course):
    result = _bench(course, STOP_THE_BASELINE)
    assert result.returncode == 0, result.stdout + result.stderr
    (ratio,) = _recorded_ratios(course)
    assert ratio > 0.7, f"the honest attention measured {ratio:.2f}x SDPA: was the baseline slowed down?"


@needs_sandbox
@pytest.mark.slow
def test_killing_grade_bench_leaves_no_process_and_no_folder(course):
    import tempfile

    before = set(os.listdir(tempfile.gettempdir()))
    (course / "stage3" / "attention.py").write_text(ATTENTION_REFERENCE)
    bench = subprocess.Popen([*GRADE, "bench", "stage3/attention", "--only", "cpu-fwd-bwd", "--repeats", "50"], cwd=course,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def both_sides() -> list[int]:
            found = []
            for pid in sandbox.pids_of(bench.pid):
                try:
                    if b"learner_host" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        found.append(pid)
                except OSError:
                    pass
            return found

        assert _wait_for(lambda: len(both_sides()) >= 6, 120), "the baseline and the learner's process did not start"
        time.sleep(1.0)  # into the timed turns, with one side frozen
        processes = sandbox.pids_of(bench.pid)
        bench.kill()
        bench.wait(timeout=10)
        assert not _wait_gone(processes, timeout=3.0), "a benchmark process outlived grade bench"
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
    # The judge's own folders (a baseline module used to be written to one); other tools running
    # beside the tests make mldojo-* folders of their own.
    left = {name for name in set(os.listdir(tempfile.gettempdir())) - before if name.startswith(("mldojo-baseline", "mldojo-bench"))}
    assert not left, left


def test_a_timed_call_that_keeps_more_cores_busy_than_declared_is_refused():
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.bench.harness import BenchError
    from mldojo.graders.bench.stage3_attention import _check_cores

    bench = next(b for b in load_catalogue().exercise("stage3/attention").benchmarks if b.id == "cpu-fwd-bwd")
    _check_cores(cpu=0.11, wall=0.1, bench=bench)  # one thread, and the driver's bookkeeping
    with pytest.raises(BenchError, match="cores busy"):
        _check_cores(cpu=0.19, wall=0.1, bench=bench)


@needs_sandbox
def test_when_the_tui_dies_its_grading_and_the_learner_process_end(course):
    """The TUI's `grade serve` child dies with the TUI (PR_SET_PDEATHSIG), and takes the learner with it
    (whether it was forked from a warm template or started cold)."""
    from mldojo.tui.grade_server import GradeServer

    word = marker()
    (course / "stage1" / "linreg.py").write_text(LOOPING_MODULE.replace("MARKER", word).replace("def f(x)", "def mse(y, y_pred)"))
    command = GradeServer(course).command
    # A stand-in for the TUI: starts the grader the way the TUI does, asks for a grading, then waits forever.
    tui = subprocess.Popen([sys.executable, "-c", (
        "import os, subprocess, sys, time\n"
        "env = dict(os.environ, MLDOJO_DIE_WITH_PARENT=str(os.getpid()))\n"
        f"server = subprocess.Popen({command!r}, cwd={str(course)!r}, env=env, stdin=subprocess.PIPE, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "server.stdin.write(b'stage1/linreg\\n'); server.stdin.flush()\n"
        "time.sleep(1000)\n")], start_new_session=True)
    try:
        assert _wait_for(lambda: _processes_with(word), 60), "the learner's process did not start"
        os.kill(tui.pid, signal.SIGKILL)
        tui.wait(timeout=10)
        assert not _wait_gone(_processes_with(word), timeout=5.0), (
            f"the learner outlived the TUI; still running in the course folder: {_running_in(course)}")
    finally:
        if tui.poll() is None:
            os.killpg(tui.pid, signal.SIGKILL)


def _running_in(folder: Path) -> list[str]:
    """The command lines of the processes whose working directory is `folder` (is `grade serve` still there?)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(folder):
                found.append(f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:
            pass
    return found


@pytest.mark.slow
def test_eight_gradings_at_once_on_two_cores_all_pass(tmp_path):
    """Under load a correct solution is never a timeout: the budget counts its own calls only."""
    reference = (REPO / "reference" / "stage1" / "linreg.py").read_text()
    runs = []
    for i in range(8):
        root = tmp_path / f"course{i}"
        subprocess.run([*GRADE, "init", str(root)], check=True, capture_output=True)
        (root / "stage1" / "linreg.py").write_text(reference)
        runs.append(subprocess.Popen([*GRADE, "stage1/linreg"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for run in runs:
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output
