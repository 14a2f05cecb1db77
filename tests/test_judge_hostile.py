"""The judge against hostile learner code: a real learner process, ad-hoc checks, small limits.

Every learner module here is written to misbehave: it loops, exits, segfaults, eats memory,
prints megabytes, raises BaseExceptions, patches NumPy, returns lying objects, forks, closes
its output, forges protocol frames. For each one the judge must survive, give the right
verdict within the time limit + SLACK_S (more on a busy machine: process_start_s), never call it a
pass, and leave no process behind.

The grader is a tiny module registered for the test as `mldojo.graders.stagetest.hostile`
(the runner imports `mldojo.graders.<stage>.<name>`); the learner's file is
WORKSPACE/stagetest/hostile.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import numpy as np
import pytest

from mldojo.graders.engine import results as R
from mldojo.graders.engine.results import GradeReport
from mldojo.graders.engine.runner import GradeRequest, grade, grader_module_name
from mldojo.graders.kit import assert_close, assert_equal, check

EXERCISE = "stagetest/hostile"
LIMIT_S = 3.0  # the learner's time budget in these tests
SLACK_S = 2.0  # the judge may take this much longer than the budget, no more (on a quiet machine)
STARTS_IN_SLACK = 3  # ...plus this many fresh-process start-ups, timed in the same minute (a busy machine)
MEMORY_MB = 1024


def process_start_s() -> float:
    """Seconds a fresh Python takes to start and import NumPy right now: the judge's own start-up
    work (spawning the learner process, its imports) slows down by as much on a busy machine."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    return time.monotonic() - started


# -- the grader's checks ---------------------------------------------------------------------
@check()
def f_squares(learner):
    """f(2.0) is 4.0."""
    assert_close(learner.f(2.0), 4.0, what="f(2.0)", rtol=1e-9)


@check()
def g_doubles(learner):
    """g(3.0) is 6.0."""
    assert_close(learner.g(3.0), 6.0, what="g(3.0)", rtol=1e-9)


@check()
def h_is_exactly_four(learner):
    """h() is exactly 4 (compared with assert_equal)."""
    assert_equal(learner.h(), 4, what="h()")


@check()
def numpy_in_the_judge_is_not_patched(learner):
    """np.allclose / isclose / testing.assert_allclose in the judge reject f(2.0) != 4."""
    got = learner.f(2.0)
    assert np.allclose(got, 4.0), f"np.allclose: f(2.0) returned {got!r}"
    assert np.isclose(got, 4.0).all(), f"np.isclose: f(2.0) returned {got!r}"
    np.testing.assert_allclose(got, 4.0)


@pytest.fixture
def use_checks(monkeypatch):
    """Register the grader module for EXERCISE with the given checks (default: f and g)."""
    grader = types.ModuleType(grader_module_name(EXERCISE))
    grader.__doc__ = "Grader for the hostile-learner tests."
    monkeypatch.setitem(sys.modules, grader.__name__, grader)

    def use(*checks):
        for name in [n for n in vars(grader) if not n.startswith("__")]:
            delattr(grader, name)
        for function in checks:
            setattr(grader, function.__name__, function)
        return grader

    use(f_squares, g_doubles)
    return use


# -- processes -------------------------------------------------------------------------------
HAVE_PROC = Path("/proc/self/stat").exists()


def _is_live(pid: int) -> bool:
    """True for a running process; a zombie (dead, not yet reaped) counts as gone."""
    if not HAVE_PROC:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _processes_of(workspace: Path) -> list[int]:
    """Live processes whose command line names the workspace (the learner host and its forks)."""
    if not HAVE_PROC:
        return []
    marker = str(workspace).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline and _is_live(int(entry.name)):
            found.append(int(entry.name))
    return found


def _wait_gone(pids, timeout: float = 1.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        live = [pid for pid in pids if _is_live(pid)]
        if not live or time.monotonic() > deadline:
            return live
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def _few_blas_threads(monkeypatch):
    """The learner process inherits this; many BLAS threads reserve address space under RLIMIT_AS."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")


@pytest.fixture
def workspace(tmp_path):
    """A learner workspace; on teardown, any process the test left behind is killed by pid."""
    root = tmp_path / "ws"
    (root / "stagetest").mkdir(parents=True)
    yield root
    for pid in _processes_of(root) + _pids_in(root / "pids.txt"):
        if _is_live(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _pids_in(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


# -- grading ---------------------------------------------------------------------------------
def grade_learner(
    workspace: Path,
    source: str,
    *,
    time_limit_s: float = LIMIT_S,
    memory_limit_mb: int = MEMORY_MB,
    may_pass: bool = False,
    check_strays: bool = True,
) -> GradeReport:
    """Grade `source` as WORKSPACE/stagetest/hostile.py; assert it took at most limit + SLACK_S."""
    file = workspace / "stagetest" / "hostile.py"
    file.write_text(textwrap.dedent(source))
    request = GradeRequest(EXERCISE, workspace, file, time_limit_s=time_limit_s, memory_limit_mb=memory_limit_mb,
                           import_limit_s=time_limit_s)
    slack = SLACK_S + STARTS_IN_SLACK * process_start_s()
    started = time.monotonic()
    report = grade(request)
    wall = time.monotonic() - started
    assert wall <= time_limit_s + slack, f"grading took {wall:.2f} s with a {time_limit_s} s limit (slack {slack:.2f} s)"
    if not may_pass:
        assert not report.passed, f"a hostile module passed: {report}"
        assert report.verdict != R.PASSED
    if check_strays:
        left = _wait_gone(_processes_of(workspace))
        assert not left, f"learner processes still running after grading: {left}"
    return report


def verdicts(report: GradeReport) -> dict[str, str]:
    return {outcome.name: outcome.verdict for outcome in report.checks}


def outcome(report: GradeReport, name: str):
    return next(o for o in report.checks if o.name == name)


CORRECT_G = "def g(x):\n    return 2 * x\n"


# -- the control: a correct module passes, so the checks are not vacuous -------------------------
def test_correct_module_passes(use_checks, workspace):
    report = grade_learner(workspace, "def f(x):\n    return x * x\n" + CORRECT_G, may_pass=True)
    assert report.verdict == R.PASSED, report
    assert verdicts(report) == {"f_squares": R.PASSED, "g_doubles": R.PASSED}


# -- misbehaviour at import: no check runs, the report says what happened -------------------------
IMPORT_CASES = {
    "infinite_loop": ("while True:\n    pass\n", R.TIMEOUT, ["timeout after 3 s", "importing your module"]),
    "os_exit": ("import os\nos._exit(0)\n", R.EXITED, ["exited the process", "import", "exit code 0"]),
    "sys_exit_0": ("import sys\nsys.exit(0)\n", R.EXITED, ["sys.exit(0)", "import"]),
    "sys_exit_message": ("import sys\nsys.exit('bye')\n", R.EXITED, ["sys.exit('bye')", "import"]),
    "segfault": ("import ctypes\nctypes.string_at(0)\n", R.CRASHED, ["signal 11", "SIGSEGV", "importing"]),
    "huge_bytearray": ("blob = bytearray(10**12)\n", R.OUT_OF_MEMORY, ["out of memory", "512 MB"]),
    "growing_list": (
        "hoard = []\nwhile True:\n    hoard.append(bytearray(10**6))\n",
        R.OUT_OF_MEMORY,
        ["out of memory", "512 MB"],
    ),
}


@pytest.mark.parametrize("case", IMPORT_CASES, ids=list(IMPORT_CASES))
def test_misbehaving_at_import(use_checks, workspace, case):
    source, verdict, fragments = IMPORT_CASES[case]
    report = grade_learner(workspace, source, memory_limit_mb=512)
    assert report.verdict == verdict, report
    assert report.checks == [], "no check may run when the module did not import"
    for fragment in fragments:
        assert fragment in report.problem, f"{fragment!r} not in {report.problem!r}"


# -- misbehaviour inside a function -------------------------------------------------------------
FUNCTION_CASES = {
    "os_exit": ("import os\ndef f(x):\n    os._exit(0)\n", R.EXITED, ["exited the process", "f()", "exit code 0"]),
    "sys_exit": ("import sys\ndef f(x):\n    sys.exit(3)\n", R.EXITED, ["sys.exit(3)", "f()"]),
    "segfault": ("import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n", R.CRASHED, ["signal 11", "SIGSEGV", "f()"]),
    "numpy_bomb": (
        "import numpy as np\ndef f(x):\n    return np.ones((10**6, 10**5)).sum()\n",
        R.OUT_OF_MEMORY,
        ["out of memory", "512 MB", "f()"],
    ),
    "growing_list": (
        "def f(x):\n    hoard = []\n    while True:\n        hoard.append([x] * 10**5)\n",
        R.OUT_OF_MEMORY,
        ["out of memory", "f()"],
    ),
}


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=list(FUNCTION_CASES))
def test_misbehaving_function_fails_its_check_and_later_checks_run_in_a_fresh_process(use_checks, workspace, case):
    source, verdict, fragments = FUNCTION_CASES[case]
    report = grade_learner(workspace, source + CORRECT_G, memory_limit_mb=512)
    f = outcome(report, "f_squares")
    assert f.verdict == verdict, f
    for fragment in fragments:
        assert fragment in f.message, f"{fragment!r} not in {f.message!r}"
    # The budget was not used up, so g ran in a restarted learner process and passed...
    assert outcome(report, "g_doubles").verdict == R.PASSED
    # ...but one bad check is enough: the grading as a whole is not a pass.
    assert report.verdict == verdict


def test_infinite_loop_in_a_function_times_out_and_later_checks_are_skipped(use_checks, workspace):
    report = grade_learner(workspace, "def f(x):\n    while True:\n        x += 1\n" + CORRECT_G)
    assert verdicts(report) == {"f_squares": R.TIMEOUT, "g_doubles": R.SKIPPED}
    assert "timeout after 3 s" in outcome(report, "f_squares").message
    assert "f()" in outcome(report, "f_squares").message
    assert report.verdict == R.TIMEOUT


def test_checks_after_a_timeout_are_skipped_even_when_the_module_is_fine_otherwise(use_checks, workspace):
    """A loop in the middle check: the first passes, the second times out, the third is not run."""
    use_checks(f_squares, g_doubles, h_is_exactly_four)
    source = "def f(x):\n    return x * x\ndef g(x):\n    while True:\n        pass\ndef h():\n    return 4\n"
    report = grade_learner(workspace, source)
    assert verdicts(report) == {"f_squares": R.PASSED, "g_doubles": R.TIMEOUT, "h_is_exactly_four": R.SKIPPED}


# -- output ------------------------------------------------------------------------------------
FIFTY_MB = 50 * 2**20


@pytest.mark.parametrize("where", ["import", "function"])
def test_fifty_megabytes_of_printing_is_cut_and_grading_goes_on(use_checks, workspace, where):
    """Printed at import: shown once at the end; printed in a failing check: shown with that check."""
    spam = f"sys.stdout.write('x' * {FIFTY_MB})\nsys.stdout.flush()\n"
    if where == "import":
        source = "import sys\n" + spam + "def f(x):\n    return x * x\ndef g(x):\n    return 3 * x\n"
    else:
        source = "import sys\ndef f(x):\n    return x * x\ndef g(x):\n" + textwrap.indent(spam, "    ") + "    return 3 * x\n"
    report = grade_learner(workspace, source)
    assert verdicts(report) == {"f_squares": R.PASSED, "g_doubles": R.FAILED}
    printed = report.printed if where == "import" else outcome(report, "g_doubles").printed
    assert len(printed) < 16_000, "the captured output must be cut to a few KB"
    assert "50.0 MB printed in all" in printed
    assert printed.startswith("xxxx") and printed.rstrip().endswith("xxxx")


def test_closing_stdout_and_stderr_does_not_stop_grading(use_checks, workspace):
    source = "import os\nos.close(1)\nos.close(2)\ndef f(x):\n    return x * x\ndef g(x):\n    return 3 * x\n"
    report = grade_learner(workspace, source)
    assert verdicts(report) == {"f_squares": R.PASSED, "g_doubles": R.FAILED}


def test_binary_garbage_on_stdout_is_only_output(use_checks, workspace):
    source = """\
    import os
    os.write(1, bytes(range(256)) * 100)
    def f(x):
        os.write(1, b"\\xff\\xfe\\x00 not utf-8 " * 1000)
        os.write(2, b"\\x00\\x00\\x00\\x08{\\"ok\\": 4}")
        return x * x
    def g(x):
        return 3 * x
    """
    report = grade_learner(workspace, source)
    assert verdicts(report) == {"f_squares": R.PASSED, "g_doubles": R.FAILED}
    assert "\ufffd" in report.printed  # undecodable bytes are shown, replaced
    assert "printed in all" in report.printed


# -- exceptions that are not Exceptions ---------------------------------------------------------
@pytest.mark.parametrize(
    "raising, shown",
    [
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("raise GeneratorExit", "GeneratorExit"),
        ("raise Escape('out')", "Escape"),
        ("raise Unprintable()", "Unprintable"),
        ("raise ValueError('z' * 10**6)", "ValueError"),
    ],
)
def test_base_exceptions_from_the_learner_are_errors(use_checks, workspace, raising, shown):
    source = f"""\
    class Escape(BaseException):
        pass
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no message for you")
    def f(x):
        {raising}
    def g(x):
        return 2 * x
    """
    report = grade_learner(workspace, source)
    f = outcome(report, "f_squares")
    assert f.verdict == R.ERROR, f
    assert f.message == f"your code raised {shown} in f()"
    assert len(f.traceback) < 10_000
    assert outcome(report, "g_doubles").verdict == R.PASSED  # the same process went on answering
    assert report.verdict == R.ERROR


def test_endless_recursion_is_an_error_that_says_what_went_wrong(use_checks, workspace):
    source = """\
    def f(x):
        return f(x + 1)
    def g(x):
        return 2 * x
    """
    report = grade_learner(workspace, source)
    f = outcome(report, "f_squares")
    assert f.verdict == R.ERROR, f
    assert f.message.startswith("your code raised RecursionError in f(): a function went on calling itself")
    assert len(f.traceback) < 10_000  # thousands of identical frames are not all shown
    assert outcome(report, "g_doubles").verdict == R.PASSED


# -- lies -----------------------------------------------------------------------------------------
def test_patching_numpy_comparisons_in_the_learner_process_changes_nothing(use_checks, workspace):
    use_checks(f_squares, g_doubles, numpy_in_the_judge_is_not_patched)
    originals = (np.allclose, np.isclose, np.testing.assert_allclose)
    source = """\
    import numpy as np
    import numpy.testing
    np.allclose = lambda *a, **k: True
    np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
    np.testing.assert_allclose = lambda *a, **k: None
    np.array_equal = lambda *a, **k: True
    def f(x):
        return x + 1.0
    def g(x):
        return x
    """
    report = grade_learner(workspace, source)
    assert verdicts(report) == {
        "f_squares": R.FAILED,
        "g_doubles": R.FAILED,
        "numpy_in_the_judge_is_not_patched": R.FAILED,
    }
    assert "got 3" in outcome(report, "f_squares").message
    assert (np.allclose, np.isclose, np.testing.assert_allclose) == originals


LIAR = """\
import numpy as np
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *args, **kwargs): return np.array(4.0)
    def __float__(self): return 4.0
    def __int__(self): return 4
    def __index__(self): return 4
    def __len__(self): return 0
    def __bool__(self): return True
    def __repr__(self): return "4.0"
class Sneaky(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, dtype=bool)
    def __array__(self, *args, **kwargs): return np.array(4.0)
"""


def _returning(name: str, expression: str) -> str:
    return f"def {name}(x):\n    return {expression}\n"


def _fails_on(report: GradeReport, name: str, *fragments: str) -> None:
    o = outcome(report, name)
    assert o.verdict in (R.FAILED, R.ERROR), o
    for fragment in fragments:
        assert fragment in o.message, f"{fragment!r} not in {o.message!r}"


def test_lying_and_non_numeric_return_values_never_pass(use_checks, workspace):
    """Each function returns something that is not the number 4; each check must fail clearly."""
    cases = {
        "liar": ("Liar()", "where numbers were expected"),
        "list_of_liars": ("[Liar(), Liar()]", "expected numbers"),
        "none": ("None", "forget a `return`"),
        "dict": ("{'value': 4.0}", "expected numbers"),
        "text_bytes": ("b'4.0'", "where numbers were expected"),
        "a_set": ("{4.0}", "where numbers were expected"),
        "complex": ("complex(4, 1)", "expected numbers"),
        "nan": ("float('nan')", "contains NaN"),
        "function": ("f", "where numbers were expected"),
        "ndarray_subclass": ("np.array(5.0).view(Sneaky)", "got"),
    }
    checks = []
    for index, (name, _) in enumerate(cases.items()):
        checks.append(_squares_check(f"returns_{name}", index))
    use_checks(h_is_exactly_four, *checks)
    source = LIAR + "def f(x):\n    return x * x\ndef h():\n    return Liar()\n"
    source += "".join(_returning(f"returns_{name}", expression) for name, (expression, _) in cases.items())
    report = grade_learner(workspace, source)
    _fails_on(report, "h_is_exactly_four", "h()")
    for name, (_, fragment) in cases.items():
        _fails_on(report, f"returns_{name}", fragment)
    assert report.verdict in (R.FAILED, R.ERROR)


def _squares_check(name: str, line: int):
    def body(learner):
        assert_close(getattr(learner, name)(2.0), 4.0, what=f"{name}(2.0)", rtol=1e-9)

    body.__name__ = name
    body.__doc__ = f"{name}(2.0) is 4.0."
    spec = check()(body)
    # checks run in source-line order; give each its own line so the order is the order above
    object.__setattr__(spec.__mldojo_check__, "line", line)
    return spec


def test_returning_the_answer_as_text_does_not_pass(use_checks, workspace):
    report = grade_learner(workspace, "def f(x):\n    return '4.0'\n" + CORRECT_G)
    _fails_on(report, "f_squares", "expected numbers")


def test_an_unsendable_return_value_is_reported_as_such(use_checks, workspace):
    source = """\
    def f(x):
        loop = []
        loop.append(loop)
        return loop
    def g(x):
        return 10 ** 5000
    """
    report = grade_learner(workspace, source)
    f = outcome(report, "f_squares")
    assert f.verdict in (R.FAILED, R.ERROR), f
    assert "cannot read" in f.message + f.traceback, f
    # 10**5000 may be refused the same way or arrive and fail the comparison; never "exited".
    assert outcome(report, "g_doubles").verdict in (R.FAILED, R.ERROR), report


def test_a_zero_dimensional_array_answer_keeps_its_shape(use_checks, workspace):
    source = "import numpy as np\ndef f(x):\n    return np.array(x * x)\ndef g(x):\n    return np.array(2 * x)\n"
    report = grade_learner(workspace, source, may_pass=True)
    assert report.verdict == R.PASSED, report


# -- syntax errors ---------------------------------------------------------------------------------
def test_syntax_error_is_reported_with_line_and_caret_without_starting_a_process(use_checks, workspace):
    source = "def f(x):\n    y = x * 2\n    return (y +* 2)\n"
    report = grade_learner(workspace, source)
    assert report.verdict == R.SYNTAX_ERROR
    assert report.checks == []
    lines = report.problem.splitlines()
    assert lines[0].startswith("SyntaxError in stagetest/hostile.py, line 3")
    assert lines[1] == "    return (y +* 2)"
    assert lines[2] == "    " + " " * lines[1].strip().index("*") + "^"


def test_syntax_error_in_a_module_the_learner_imports(use_checks, workspace):
    (workspace / "stagetest" / "helper.py").write_text("def helper(:\n    pass\n")
    report = grade_learner(workspace, "from stagetest import helper\ndef f(x):\n    return x * x\n")
    assert report.verdict == R.SYNTAX_ERROR, report
    assert "stagetest/helper.py, line 1" in report.problem
    assert report.problem.splitlines()[-1].strip() == "^"


# -- children ------------------------------------------------------------------------------------
FORK_AT_IMPORT = """\
import os, sys, time
child = os.fork()
if child == 0:
    # Re-exec so that the child carries a marker the test can find in /proc (inside the sandbox
    # it cannot write anywhere the test could read).
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(1000)", "MARKER"])
def f(x):
    return x * x
def g(x):
    return 3 * x
"""


def _processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes() and _is_live(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def forking_source(marker: str, source: str = FORK_AT_IMPORT) -> str:
    """The learner module with its child's marker."""
    return source.replace("MARKER", marker)


def test_a_forked_child_that_sleeps_forever_does_not_hold_up_the_judge(use_checks, workspace):
    report = grade_learner(workspace, forking_source(f"mldojo-test-{os.getpid()}-{time.monotonic_ns()}"), check_strays=False)
    assert verdicts(report) == {"f_squares": R.PASSED, "g_doubles": R.FAILED}


@pytest.mark.skipif(not HAVE_PROC, reason="needs /proc to see the child")
def test_a_forked_child_is_killed_with_the_learner_process(use_checks, workspace):
    marker = f"mldojo-test-{os.getpid()}-{time.monotonic_ns()}"
    seen: list[int] = []

    @check()
    def f_squares_while_the_child_lives(learner):
        """f(2.0) is 4.0 (and the judge looks for the learner's child meanwhile)."""
        assert_close(learner.f(2.0), 4.0, what="f(2.0)", rtol=1e-9)
        deadline = time.monotonic() + 2.0
        while not seen and time.monotonic() < deadline:
            seen.extend(_processes_with(marker))
            time.sleep(0.02)

    use_checks(f_squares_while_the_child_lives, g_doubles)
    grade_learner(workspace, forking_source(marker), check_strays=False)
    assert seen, "the forked child did not start"
    assert not _wait_gone(seen), "the learner's forked child outlived the grading"
    assert not _processes_with(marker)


def test_exiting_while_a_forked_child_holds_the_pipes_is_an_exit_not_a_timeout(use_checks, workspace):
    source = forking_source(f"mldojo-test-{os.getpid()}-{time.monotonic_ns()}").replace(
        "def f(x):\n    return x * x", "def f(x):\n    os._exit(0)")
    report = grade_learner(workspace, source, check_strays=False)
    assert outcome(report, "f_squares").verdict == R.EXITED
    assert outcome(report, "g_doubles").verdict == R.FAILED  # ran in a fresh process


# -- the protocol pipe ------------------------------------------------------------------------------
def test_garbage_written_to_the_reply_pipe_is_a_crash_not_an_answer(use_checks, workspace):
    source = """\
    import os, sys
    def f(x):
        os.write(int(sys.argv[3]), b"\\xff" * 64)
        return x * x
    def g(x):
        os.write(int(sys.argv[3]), b"\\x14" + b"\\x00" * 7 + b"\\x05\\x00\\x00\\x00not json at all!")
        return 2 * x
    """
    report = grade_learner(workspace, source)
    assert verdicts(report) == {"f_squares": R.CRASHED, "g_doubles": R.CRASHED}
    assert "too large" in outcome(report, "f_squares").message
    assert "unreadable" in outcome(report, "g_doubles").message


# Learner code that writes a hand-made frame (a JSON header, no buffers) to the reply pipe,
# whose number the learner host receives as argv[3].
FORGE = """\
import json, os, struct, sys
def forge(tree):
    header = json.dumps(tree).encode()
    payload = struct.pack("<I", len(header)) + header
    os.write(int(sys.argv[3]), struct.pack("<Q", len(payload)) + payload)
"""


def test_a_malformed_frame_forged_at_import_does_not_crash_the_judge(use_checks, workspace):
    source = FORGE + "forge({'__bigint__': 'x'})\ndef f(x):\n    return x * x\n"
    report = grade_learner(workspace, source)
    assert report.verdict == R.CRASHED
    assert "unreadable" in report.problem


def test_frames_forged_ahead_of_time_are_not_taken_as_later_answers(use_checks, workspace):
    source = FORGE + textwrap.dedent(
        """\
        def f(x):
            forge({"__dict__": {"ok": 4.0}})  # taken as the answer to f(2.0)
            forge({"__dict__": {"ok": {"__handle__": 1, "type": "function g"}}})  # to getattr g
            return 6.0  # the real reply, taken as the answer to g(3.0)
        def g(x):
            return 0.0
        """
    )
    report = grade_learner(workspace, source)
    assert outcome(report, "g_doubles").verdict != R.PASSED


def test_importing_the_reference_is_refused(tmp_path):
    """A learner module that imports the shipped reference is refused, statically and at run time."""
    from grading import grade_source

    static = grade_source("stage1/linreg", "from mldojo.reference.stage1.linreg import *\n", tmp_path / "a")
    assert static.verdict == "forbidden", static
    sneaky = "import importlib\n_m = importlib.import_module('mldojo.reference.stage1.linreg')\nglobals().update(vars(_m))\n"
    dynamic = grade_source("stage1/linreg", sneaky, tmp_path / "b")
    assert dynamic.verdict == "forbidden", dynamic
    assert "reference" in dynamic.problem


# -- shrinking has its own limits ------------------------------------------------------------------
def test_shrinking_never_turns_a_wrong_answer_into_a_timeout(use_checks, workspace, monkeypatch):
    """Slow, wrong code: the first failure is found within the budget; the many smaller inputs
    Hypothesis then tries draw on shrinking's own budget and stop at its cap, and the verdict
    is the wrong answer on the smallest input found, never a timeout."""
    from hypothesis import strategies as st

    from mldojo.graders.engine import runner
    from mldojo.graders.kit import given

    monkeypatch.setattr(runner, "SHRINK_CALLS", 8)

    @check(examples=5)
    @given(xs=st.lists(st.integers(0, 1000), min_size=20, max_size=40))
    def total_is_sum(learner, xs):
        """total(xs) is sum(xs)."""
        assert_equal(learner.total(xs), sum(xs), what="total(xs)")

    use_checks(total_is_sum, g_doubles)
    source = "import time\ndef total(xs):\n    time.sleep(0.3)\n    return sum(xs) + 1\ndef g(x):\n    return 2 * x\n"
    report = grade_learner(workspace, source, time_limit_s=1.0)
    check_outcome = outcome(report, "total_is_sum")
    assert check_outcome.verdict == R.FAILED, check_outcome
    assert "xs" in check_outcome.inputs
    assert outcome(report, "g_doubles").verdict == R.PASSED  # the exercise's budget was not spent by shrinking


def test_a_diagnosis_that_cannot_be_worked_out_does_not_end_the_grading(use_checks, workspace):
    from mldojo.graders.kit import Diagnosis

    @check()
    def f_with_a_confirmation(learner):
        """f(2.0) is 4.0 (a diagnosis confirms on a second input, which times out)."""
        got = learner.f(2.0)
        assert_close(got, 4.0, what="f(2.0)", rtol=1e-9,
                     diagnoses=[Diagnosis("doubled", lambda: 4.0 * 0 + got, confirm=lambda: learner.f(-1.0) == -2.0)])

    use_checks(f_with_a_confirmation, g_doubles)
    source = "def f(x):\n    while x < 0:\n        pass\n    return 2 * x + 1\ndef g(x):\n    return 2 * x\n"
    report = grade_learner(workspace, source)
    first = outcome(report, "f_with_a_confirmation")
    assert first.verdict == R.FAILED and first.diagnosis is None, first
