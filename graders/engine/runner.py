"""Grade one learner file: start the learner process, run the grader's checks, decide.

This module is the judge. It imports the grader (trusted), never the learner's module; the
learner's code runs only in the process that `LearnerSession` starts.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mldojo.graders.engine import results as R
from mldojo.graders.engine import source
from mldojo.graders.engine.outcomes import ImportFailed, LearnerGone, LearnerRaised, NotImplementedYet
from mldojo.graders.engine.process import IMPORT_LIMIT_S, Budget, LearnerModule
from mldojo.graders.engine.proxy import Learner, LearnerSession
from mldojo.graders.engine.defaults import CLAIM as STATED_DEFAULTS_CLAIM
from mldojo.graders.engine.defaults import NAME as STATED_DEFAULTS_NAME
from mldojo.graders.engine.defaults import has_stated_defaults, stated_defaults_outcome
from mldojo.graders.engine.hypothesis_pin import fixed_constants
from mldojo.graders.engine.imports_gc import collector_paused
from mldojo.graders.engine.replay import Diverged, Recording, replay
from mldojo.graders.engine.results import CheckOutcome, GradeReport


@dataclass(frozen=True)
class StaticSpec:
    """A check the engine reads from the files instead of running (no grader function)."""

    name: str
    claim: str


STATED_DEFAULTS = StaticSpec(STATED_DEFAULTS_NAME, STATED_DEFAULTS_CLAIM)

DEFAULT_SEED = 0
# Shrinking a failure stops after this many tries of smaller inputs (a count, so that the same
# code gets the same counterexample however busy the machine is), or after SHRINK_CAP_S as a
# safety net for examples that are slow in themselves.
SHRINK_CALLS = 300
SHRINK_CAP_S = 60.0


@dataclass(frozen=True)
class GradeRequest:
    """What to grade and under which limits."""

    exercise: str  # "stage1/linreg"
    root: Path  # the learner's workspace
    file: Path  # the learner's module
    time_limit_s: float = 30.0
    memory_limit_mb: int = 3072
    forbid: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # import names the exercise needs beyond mldojo's dependencies (catalogue)
    seed: int | None = None  # None: the default, reproducible seed
    examples_scale: float = 1.0  # >1 tries more inputs per check
    import_limit_s: float = IMPORT_LIMIT_S  # importing the module has its own limit, outside the budget
    # Run only these checks (the project's tests use it to prove one check catches one bug).
    # A partial grade says nothing about the exercise: never record one as an attempt.
    only: tuple[str, ...] = ()
    # Stop at the first check that does not pass (mutation testing needs only "killed or not").
    # Like `only`, a partial grade: never record one as an attempt.
    stop_at_first_failure: bool = False


def grader_module_name(exercise: str) -> str:
    """'stage1/linreg' -> 'mldojo.graders.stage1.linreg'."""
    return "mldojo.graders." + exercise.replace("/", ".")


def load_grader(exercise: str):
    """Import the grader module of an exercise."""
    return importlib.import_module(grader_module_name(exercise))


def grade(
    request: GradeRequest,
    on_check: Callable[[CheckOutcome], None] | None = None,
    on_progress: Callable[[dict], None] | None = None,
) -> GradeReport:
    """Grade the learner's file; `on_check` is told about each check as it finishes and
    `on_progress` about a training run while it goes (see training.py). On Ctrl-C the
    KeyboardInterrupt carries the partial report as `.report`."""
    started = time.perf_counter()
    report = GradeReport(exercise=request.exercise, verdict=R.ERROR, seed=request.seed, file_sha256=file_sha256(request.file, request.root))
    specs = []

    def prepare_grader() -> None:
        # Runs while the learner process starts up: the two imports overlap on two cores.
        from mldojo.graders.kit.checks import checks_of

        with collector_paused():
            grader = load_grader(request.exercise)
        report.grader_version = str(getattr(grader, "VERSION", "1"))
        specs[:] = checks_of(grader)

    try:
        if not _static_checks(request, report):
            # Known without running anything, and said before any heavy import (the grader
            # imports scikit-learn or torch): the version is read from the grader's source.
            report.grader_version = grader_version(request.exercise)
            return report
        replays = _replays()
        try:
            _run_checks(request, prepare_grader, specs, report, on_check, on_progress, replays)
        except Diverged:
            # A replayed input did not pass (replay.py): what Hypothesis would do next is unknown,
            # so the grading starts over, from a fresh learner process, with every input drawn.
            shown = list(report.checks)
            _reset(report)
            _run_checks(request, prepare_grader, specs, report, _unrepeated(on_check, shown), on_progress, None)
        return report
    except KeyboardInterrupt as exc:
        report.verdict = R.INTERRUPTED
        report.problem = "stopped with Ctrl-C"
        exc.report = report  # type: ignore[attr-defined] - grading.py records it
        raise
    finally:
        report.duration_s = time.perf_counter() - started


def stated_defaults_scope(exercise: str, training: bool) -> tuple[bool, tuple[str, ...] | None]:
    """(whether the stated-defaults check runs, the functions it compares: None for all). In a training
    exercise only the grader's API_DEFAULTS are compared, and the check runs only when it lists some."""
    listed = getattr(load_grader(exercise), "API_DEFAULTS", None) if training else None
    functions = tuple(listed) if listed else None
    return (not training or functions is not None) and has_stated_defaults(exercise, functions), functions


def _replays():
    """The warm judge's recordings of passing checks (replay.py), or None outside `grade watch`."""
    from mldojo.graders.engine import warm

    pool = warm.active()
    return pool.replays if pool is not None else None


def _reset(report: GradeReport) -> None:
    """Forget what a grading thrown away had found."""
    report.checks.clear()
    report.verdict, report.problem, report.printed = R.ERROR, "", ""


def _unrepeated(on_check, shown: list[CheckOutcome]):
    """on_check for a grading done again: the checks already shown are not shown twice, as
    long as they end as they did (they do, unless the learner's code is not deterministic)."""
    if on_check is None:
        return None
    pending = list(shown)

    def notify(outcome: CheckOutcome) -> None:
        if pending and pending[0].name == outcome.name and pending[0].verdict == outcome.verdict:
            pending.pop(0)
            return
        pending.clear()
        on_check(outcome)

    return notify


def grader_version(exercise: str) -> str:
    """The grader's VERSION, read from its source without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(grader_module_name(exercise))
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return "1"
    return source.module_version(Path(spec.origin))


def file_sha256(path: Path, root: Path | None = None) -> str:
    """The sha256 of the learner's file ('' when it is missing or refused)."""
    try:
        return hashlib.sha256(source.read_learner_file(path, root)).hexdigest()
    except (OSError, source.FileRefused):
        return ""


def _static_checks(request: GradeRequest, report: GradeReport) -> bool:
    """Syntax and forbidden imports, read without running anything. False stops grading."""
    try:
        tree = source.parse(request.file, request.root)
    except source.FileRefused as exc:
        report.verdict = R.ERROR
        report.problem = str(exc)
        return False
    except FileNotFoundError:
        report.verdict = R.ERROR
        report.problem = f"{request.file} does not exist. Run `grade init` in your workspace to restore missing exercises."
        return False
    except SyntaxError as exc:
        from mldojo.graders.engine.process import format_syntax_error

        report.verdict = R.SYNTAX_ERROR
        info = {"file": str(request.file), "line": exc.lineno, "column": exc.offset, "text": exc.text, "message": exc.msg}
        report.problem = format_syntax_error(info, request.root)
        return False
    except (RecursionError, MemoryError, ValueError) as exc:
        report.verdict = R.ERROR
        report.problem = f"your file could not be read as Python ({type(exc).__name__})"
        return False
    report.unwritten = source.unwritten_functions(tree)
    missing = missing_requirements(request.requires)
    if missing:
        # An optional package (triton) is not installed: nothing can run, and nothing is wrong with
        # the learner's code. The verdict is "skipped", which no stage criterion counts as a pass or a failure.
        report.verdict = R.SKIPPED
        report.problem = (f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed, and {request.exercise} "
                          f"needs {'it' if len(missing) == 1 else 'them'}: pip install {' '.join(missing)}\n"
                          "  (triton publishes wheels for Linux; its interpreter runs these checks on the CPU, "
                          "no GPU needed.) Nothing was run; grade again once it is installed.")
        return False
    hits = source.forbidden_imports(tree, request.forbid)
    if hits:
        report.verdict = R.FORBIDDEN
        lines = [f"line {hit.line}: {source.quoted_line(request.file, hit.line, request.root) or 'import ' + hit.module}" for hit in hits]
        report.problem = (
            f"{request.exercise} is written from scratch: it may not use "
            f"{', '.join(sorted({h.module.partition('.')[0] for h in hits}))}.\n  " + "\n  ".join(lines)
        )
        return False
    if source.untouched_stub(tree) and not request.only:
        report.verdict = R.NOT_IMPLEMENTED
        report.problem = (f"{request.file.name} is still the stub: every function raises NotImplementedError "
                          f"({', '.join(report.unwritten)}). Write one, then grade again.")
        return False
    return True


def missing_requirements(names: tuple[str, ...]) -> list[str]:
    """The required packages that cannot be imported here (the learner process sees the same installation)."""
    import importlib.util

    missing = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def _run_checks(request, prepare_grader, specs, report: GradeReport, on_check, on_progress=None, replays=None) -> None:
    from mldojo.graders.engine.training import is_training_check

    # `--examples 4` tries four times the inputs: the budget grows with it (never shrinks).
    budget = Budget(request.time_limit_s * max(1.0, request.examples_scale))
    module = LearnerModule(request.exercise, request.root.resolve(), request.file.resolve(), request.forbid, request.memory_limit_mb,
                           import_limit_s=request.import_limit_s)
    session = LearnerSession(module, budget)
    session.on_progress = on_progress
    first_import_output: list[str] = []
    try:
        if not _start(session, report, prepare=prepare_grader):
            return
        first_import_output.append(session.import_output())
        # Training checks go last: they run only once every other check has passed. The stated
        # defaults (read from the files, never run): in a training exercise the defaults of the
        # learner's training code (epochs, lr) are theirs to tune, so only the functions the grader
        # lists in API_DEFAULTS are compared there.
        training = [s for s in specs if is_training_check(s)]
        checked, api_defaults = stated_defaults_scope(request.exercise, bool(training))
        static = [STATED_DEFAULTS] if checked else []
        specs[:] = [s for s in specs if not is_training_check(s)] + static + training
        if request.only:
            unknown = sorted(set(request.only) - {s.name for s in specs})
            if unknown:
                report.problem = f"the grader has no check {unknown[0]!r}; its checks: {', '.join(s.name for s in specs)}"
                return
            specs[:] = [s for s in specs if s.name in request.only]
        for spec in specs:
            if spec is STATED_DEFAULTS:  # read from the files: no learner process needed
                outcome = stated_defaults_outcome(request.exercise, request.file, request.root, report.unwritten, report.checks,
                                                  api_defaults)
                report.checks.append(outcome)
                _notify(on_check, outcome)
                if request.stop_at_first_failure and outcome.verdict != R.PASSED:
                    break
                continue
            if not session.alive():
                why = "the time budget for this exercise was used up" if budget.exhausted() else ""
                if not why and not _start(session, report, restarting=True):
                    why = "your module could not be imported again after the last check stopped the learner process"
                if why:
                    outcome = CheckOutcome(spec.name, spec.claim, R.SKIPPED, message=f"not run: {why}")
                    report.checks.append(outcome)
                    _notify(on_check, outcome)
                    continue
            if is_training_check(spec) and any(o.verdict != R.PASSED for o in report.checks):
                outcome = gated_outcome(spec, Learner(session), report.checks)
            else:
                try:
                    outcome = run_check(spec, Learner(session), request.seed, request.examples_scale, replays)
                except KeyboardInterrupt as exc:
                    stopped = CheckOutcome(spec.name, spec.claim, R.INTERRUPTED, message="stopped with Ctrl-C")
                    stopped.training = _training_of(exc)
                    report.checks.append(stopped)
                    raise
            if outcome.verdict in (R.TIMEOUT, R.CRASHED, R.EXITED, R.OUT_OF_MEMORY):
                session.close()
            report.checks.append(outcome)
            _notify(on_check, outcome)
            if request.stop_at_first_failure and outcome.verdict != R.PASSED:
                break
        report.printed = first_import_output[0] if first_import_output else ""
        session.close()
        report.verdict = R.overall_verdict(report.checks)
    finally:
        session.close()


def _start(session: LearnerSession, report: GradeReport, restarting: bool = False, prepare=None) -> bool:
    from mldojo.graders.engine.sandbox import SandboxRequired

    try:
        session.start(prepare)
        report.sandboxed = session.sandboxed
        return True
    except SandboxRequired as exc:
        report.verdict = R.ERROR
        report.problem = f"{exc}\nRun `grade doctor` for the details."
        return False
    except ImportFailed as exc:
        report.verdict = {"syntax_error": R.SYNTAX_ERROR, "forbidden": R.FORBIDDEN}.get(exc.kind, R.ERROR)
        report.problem, report.printed = exc.detail, exc.output
    except LearnerGone as exc:
        report.verdict = exc.kind
        detail = exc.detail if "import" in exc.detail else f"{exc.detail} while importing your module"
        report.problem, report.printed = detail, exc.output
    report.sandboxed = session.sandboxed
    if restarting:
        report.verdict = R.overall_verdict(report.checks)
    return False


def _notify(on_check, outcome: CheckOutcome) -> None:
    if on_check is not None:
        on_check(outcome)


def gated_outcome(spec, learner: Learner, earlier: list[CheckOutcome]) -> CheckOutcome:
    """A training check that waits for the others: 'not written yet' if its probe says so, else not run."""
    from mldojo.graders.engine.training import task_of

    task = task_of(spec)
    started = time.perf_counter()
    outcome = CheckOutcome(spec.name, spec.claim, R.SKIPPED)
    waiting = sum(1 for o in earlier if o.verdict != R.PASSED)
    outcome.message = (
        f"not run: fix the {waiting} check{'s' if waiting > 1 else ''} above first; training on real "
        f"{task.dataset} (up to {task.time_limit_s:g} s) starts once every other check passes"
    )
    try:
        if task.probe_driver:
            learner._drive(task.probe_driver)
    except NotImplementedYet as exc:
        outcome.verdict = R.NOT_IMPLEMENTED
        outcome.message = f"{exc.function} is not written yet (it still raises NotImplementedError)"
    except (LearnerGone, Exception):  # noqa: BLE001 - the failing checks above already say what is wrong
        pass
    outcome.duration_s = time.perf_counter() - started
    return outcome


def _diagnosis_of(exc: BaseException) -> str | None:
    """The failure's diagnosis; none when working it out failed (a confirmation that ran the
    learner's code into a timeout or a crash proves nothing, and must not end the grading)."""
    diagnose = getattr(exc, "diagnose", None)
    if diagnose is None:
        return None
    try:
        return diagnose()
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - LearnerGone, NotImplementedYet, a grader's slip
        return None


def _training_of(exc: BaseException) -> dict | None:
    result = getattr(exc, "training", None)
    return result.to_dict() if result is not None else None


def run_check(spec, learner: Learner, seed: int | None, examples_scale: float = 1.0, replays=None) -> CheckOutcome:
    """Run one check (a Hypothesis property when it draws inputs) and describe the result.
    With `replays` (a warm judge), a check that passed before is called with the inputs it was
    called with then (replay.py); Diverged is raised when that proves nothing."""
    from mldojo.graders.engine.training import TrainingDataMissing, TrainingResult

    drawn: dict = {}
    started = time.perf_counter()
    outcome = CheckOutcome(spec.name, spec.claim, R.PASSED)
    shrinking = Shrinking(learner._session)
    learner._session.take_output()  # printed between checks: nobody's
    key = replays.key(spec, seed, examples_scale) if replays is not None and spec.strategies else None
    recorded = replays.get(key) if key is not None else None
    try:
        if recorded is not None:
            try:
                replay(recorded, _body(spec, learner, drawn, shrinking))
            except Diverged:
                replays.forget(key)
                raise
            replays.replayed += 1
        elif spec.strategies:
            recording = Recording(spec) if key is not None else None
            try:
                with fixed_constants():
                    _property_test(spec, learner, seed, drawn, examples_scale, shrinking, recording)()
                if recording is not None:
                    replays.keep(key, recording)
            except StopShrinking:
                # The smallest failing input found before shrinking's own cap ran out.
                drawn.clear()
                drawn.update(shrinking.inputs)
                raise shrinking.failure from None
            finally:
                shrinking.finish()
        else:
            try:
                result = spec.function(learner)
            except Exception:
                shrinking.output = learner._session.take_output()
                raise
            if isinstance(result, TrainingResult):  # a training check's measurements
                outcome.training = result.to_dict()
    except TrainingDataMissing as exc:
        outcome.verdict = R.SKIPPED
        outcome.message = f"not run: the data set is not on this machine.\n{exc}"
    except NotImplementedYet as exc:
        outcome.verdict = R.NOT_IMPLEMENTED
        outcome.message = f"{exc.function} is not written yet (it still raises NotImplementedError)"
    except LearnerGone as exc:
        outcome.verdict = exc.kind
        outcome.message = f"{exc.detail} (in {exc.during})"
        outcome.printed = exc.output
        outcome.training = _training_of(exc)
    except LearnerRaised as exc:
        outcome.verdict = R.ERROR
        qualname = exc.info.get("qualname")  # the learner's function, not a driver's name
        outcome.message = f"your code raised {exc.type_name} in {f'{qualname}()' if qualname else exc.info.get('during')}"
        if exc.type_name == "RecursionError":
            outcome.message += (": a function went on calling itself (thousands of calls deep) without reaching the case "
                                "that stops it; check that every recursive call gets a smaller problem than its caller")
        outcome.traceback = exc.describe()
    except AssertionError as exc:
        outcome.verdict = R.FAILED
        outcome.message = str(exc) or "the property does not hold"
        outcome.diagnosis = _diagnosis_of(exc)
        outcome.training = _training_of(exc)
    except Exception as exc:  # noqa: BLE001 - the verdict must never be a pass by accident
        outcome.verdict = R.FAILED
        outcome.message = _unexpected(exc)
    finally:
        outcome.duration_s = time.perf_counter() - started
    if outcome.verdict not in (R.PASSED, R.NOT_IMPLEMENTED) and drawn:
        from mldojo.graders.kit.formatting import describe_inputs

        outcome.inputs = describe_inputs(drawn)
    if outcome.verdict in (R.FAILED, R.ERROR) and not outcome.printed:
        outcome.printed = shrinking.output  # what the minimal failing example printed
    return outcome


class StopShrinking(BaseException):
    """Shrinking used up its own cap: report the smallest failing input found so far.
    (A BaseException, so that Hypothesis lets it through instead of shrinking it.)"""


class Shrinking:
    """Shrinking's own limits. Once a check has failed, Hypothesis tries smaller inputs; the
    learner's calls meanwhile draw on a budget of their own (never the exercise's), and the
    search stops after SHRINK_CALLS tries (or SHRINK_CAP_S) with the smallest failing input
    seen. A wrong answer found first is never turned into a timeout by it."""

    def __init__(self, session):
        self.session = session
        self.failure: BaseException | None = None
        self.inputs: dict = {}
        self.output = ""  # what the learner printed on the failing input
        self.started: float | None = None
        self.calls = 0  # inputs tried since the first failure
        self.saved_budget = None

    def failed(self, inputs: dict, failure: BaseException) -> None:
        """Remember a failing input (each one Hypothesis keeps is smaller than the last) and
        what the learner's code printed on it."""
        self.failure, self.inputs = failure, dict(inputs)
        self.output = self.session.take_output()
        if self.started is None:
            self.started = time.monotonic()
            self.saved_budget = self.session.budget
            self.session._use_budget(Budget(SHRINK_CAP_S))  # the learner's calls while shrinking

    def check_time(self) -> None:
        """Stop once shrinking has tried SHRINK_CALLS inputs, or run for SHRINK_CAP_S."""
        if self.started is None:
            return
        self.calls += 1
        if self.calls > SHRINK_CALLS or time.monotonic() - self.started > SHRINK_CAP_S:
            raise StopShrinking()

    def finish(self) -> None:
        """Give the exercise's budget back to the session."""
        if self.saved_budget is not None:
            self.session._use_budget(self.saved_budget)
            self.saved_budget = None


def _recording(inputs: dict, drawn: dict) -> dict:
    """The inputs for the check, with st.data() objects that record each value they draw."""
    from hypothesis.strategies import DataObject

    passed = {}
    for name, value in inputs.items():
        if isinstance(value, DataObject):
            passed[name] = RecordingData(value, drawn, name)
        else:
            passed[name] = drawn[name] = value
    return passed


class RecordingData:
    """An st.data() object that keeps each drawn value (by its label) for the learner to see."""

    def __init__(self, data, drawn: dict, name: str):
        self._data, self._drawn, self._name, self._count = data, drawn, name, 0

    def draw(self, strategy, label=None):
        """Draw like st.data().draw, and record the value."""
        value = self._data.draw(strategy, label)
        self._count += 1
        self._drawn[str(label) if label is not None else f"{self._name} #{self._count}"] = value
        return value

    def __getattr__(self, name):
        return getattr(self._data, name)


def _body(spec, learner: Learner, drawn: dict, shrinking: Shrinking, recording: Recording | None = None):
    """The function Hypothesis calls once per input (and a replay once per recorded input)."""

    def body(**inputs):
        shrinking.check_time()
        learner._session.take_output()  # the last example's output: not this one's
        drawn.clear()
        if recording is not None:
            recording.before(inputs)
        passed = _recording(inputs, drawn)
        try:
            spec.function(learner, **passed)
        except LearnerGone as exc:
            if recording is not None:
                recording.spoiled()
            if shrinking.failure is not None and exc.kind == R.TIMEOUT:
                raise StopShrinking() from None  # shrinking's own budget ran out: keep the wrong answer
            raise
        except BaseException as exc:
            if recording is not None:
                recording.spoiled()
            if isinstance(exc, Exception):
                shrinking.failed(drawn, exc)
            raise

    return body


def _property_test(spec, learner: Learner, seed: int | None, drawn: dict, examples_scale: float, shrinking: Shrinking,
                   recording: Recording | None = None):
    """Build the Hypothesis test for a check, recording each drawn input in `drawn` (and, with
    `recording`, every call for a later replay)."""
    from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
    from hypothesis import seed as hypothesis_seed

    body = _body(spec, learner, drawn, shrinking, recording)
    body.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in spec.strategies]
    )
    body.__name__ = spec.name
    test = given(**spec.strategies)(body)
    for inputs in reversed(spec.explicit):  # hypothesis.example runs the innermost first
        test = example(**inputs)(test)
    test = settings(
        max_examples=max(1, round(spec.examples * examples_scale)),
        deadline=None,
        database=None,  # no .hypothesis folder in the learner's workspace; same run every time
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
    )(test)
    base = DEFAULT_SEED if seed is None else seed
    return hypothesis_seed(base * 1_000_003 + zlib.crc32(spec.name.encode()))(test)


def _unexpected(exc: Exception) -> str:
    from hypothesis.errors import Flaky, Unsatisfiable

    if isinstance(exc, Flaky):
        return (
            "your code gave different answers for the same input on two runs — "
            "does it use randomness without a fixed seed, or keep state between calls?"
        )
    if isinstance(exc, Unsatisfiable):
        return f"the grader could not generate inputs for this check (a grader bug, please report it): {exc}"
    return f"the grader could not make sense of what your code returned ({type(exc).__name__}: {exc})"
