"""The member file a study group shares: its format, and the checks every peer's file passes.

A member file (`members/<handle>.json`) is a summary of progress, never code unless the
member asked for it. Peers' files are untrusted input: they are read as JSON with a size
limit, checked field by field against this schema, and never executed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from mldojo.tracker.group.safe_text import visible
from mldojo.workspace import HANDLE_PATTERN

# Format 2 is format 1 plus `"unsandboxed": true` on an exercises entry. A file with no such
# entry is written as format 1, exactly what an mldojo that knows only format 1 accepts; such
# an mldojo refuses unknown keys, so it reports a format-2 file as "newer than this mldojo
# understands; upgrade mldojo" instead of hiding that a pass was graded unsandboxed.
FORMAT_VERSION = 2  # the newest format this mldojo reads and writes
OLDEST_FORMAT = 1
MAX_FILE_BYTES = 256 * 1024  # a summary is a few KB; shared solutions fit easily under 1 MiB
MAX_FILE_BYTES_WITH_CODE = 1024 * 1024
MAX_TEXT = 2000  # evidence, titles and the like
MAX_ITEMS = 500
# Matched with fullmatch (a `$` alone lets a trailing newline through); ASCII so that \d is 0-9 only.
EXERCISE_ID = re.compile(r"[a-z][a-z0-9]*/[a-z][a-z0-9_]*", re.ASCII)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)  # stage, criterion and benchmark ids
SHA256 = re.compile(r"[0-9a-f]{64}|", re.ASCII)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.ASCII)
# Sensible ranges for peers' numbers: anything outside is a broken or hostile file, and a
# bound also keeps a 400-digit integer from ever reaching float() or a format string.
MEDIAN_S_RANGE = (1e-9, 1e6)
RATIO_RANGE = (1e-6, 1e6)
MAX_ATTEMPTS = 10**7


class InvalidMemberFile(ValueError):
    """A member file that does not follow the schema; the message says which field and why."""


@dataclass(frozen=True)
class PassedExercise:
    """An exercise the member has passed."""

    id: str
    passed_at: str  # ISO 8601, UTC: the first passing attempt
    grader_version: str
    file_sha256: str  # the solution file that passed (latest pass)
    attempts: int
    unsandboxed: bool = False  # the latest pass was graded without the sandbox (format 2)


@dataclass(frozen=True)
class MetCriterion:
    """A stage's "done when" criterion the member has met."""

    stage: str
    criterion: str
    kind: str  # automatic | self-reported
    evidence: str = ""


@dataclass(frozen=True)
class BestBenchmark:
    """The member's best result on one benchmark, with the machine it ran on."""

    exercise: str
    benchmark: str
    device: str
    median_s: float
    ratio: float | None
    met_target: bool | None
    hardware: str  # "NVIDIA H100 80GB HBM3" or the CPU model
    recorded_at: str


@dataclass(frozen=True)
class MemberFile:
    """One member's shared progress."""

    handle: str
    updated_at: str
    mldojo_version: str
    exercises: tuple[PassedExercise, ...] = ()
    criteria: tuple[MetCriterion, ...] = ()
    benchmarks: tuple[BestBenchmark, ...] = ()
    solutions: dict[str, str] = field(default_factory=dict)  # only with `grade group sync --share-code`

    def to_json_dict(self) -> dict[str, Any]:
        """The file's content, format version first: the oldest format that holds it all."""
        data = {"format": self.format_version(), **asdict(self)}
        data["exercises"] = [_exercise_dict(e) for e in self.exercises]
        data["criteria"] = [asdict(c) for c in self.criteria]
        data["benchmarks"] = [asdict(b) for b in self.benchmarks]
        if not self.solutions:
            del data["solutions"]
        return data

    def format_version(self) -> int:
        """1 unless a pass was graded unsandboxed, which only format 2 can say."""
        return FORMAT_VERSION if any(e.unsandboxed for e in self.exercises) else OLDEST_FORMAT


def _exercise_dict(exercise: PassedExercise) -> dict[str, Any]:
    """An exercises entry; `unsandboxed` appears only when true, so other entries stay format 1."""
    data = asdict(exercise)
    if not exercise.unsandboxed:
        del data["unsandboxed"]
    return data


def parse_member(data: Any) -> MemberFile:
    """Check decoded JSON against the schema and build a MemberFile (InvalidMemberFile if not)."""
    _expect(isinstance(data, dict), "the file is not a JSON object")
    version = data.get("format")
    _expect(_is_int(version), "it has no integer `format`")
    if version > FORMAT_VERSION:
        raise InvalidMemberFile(f"it uses format {visible(version, limit=20)}, newer than this mldojo understands ({FORMAT_VERSION}); upgrade mldojo")
    _expect(version >= OLDEST_FORMAT, f"format {visible(version, limit=20)} is not supported")
    _known_keys(data, {"format", "handle", "updated_at", "mldojo_version", "exercises", "criteria", "benchmarks", "solutions"}, "the file")
    handle = _text(data, "handle", "the file", 40)
    _expect(bool(HANDLE_PATTERN.fullmatch(handle)), f"handle {handle[:60]!r} is not a valid handle (letters, digits, '.', '_', '-')")
    exercises = tuple(_exercise(item, version) for item in _items(data, "exercises"))
    criteria = tuple(_criterion(item) for item in _items(data, "criteria"))
    benchmarks = tuple(_benchmark(item) for item in _items(data, "benchmarks"))
    solutions = data.get("solutions", {})
    _expect(isinstance(solutions, dict), "`solutions` is not an object")
    for key, value in solutions.items():
        _expect(bool(EXERCISE_ID.fullmatch(key)) and isinstance(value, str), f"solutions entry {key[:60]!r} is not an exercise id with its source text")
    return MemberFile(
        handle=handle,
        updated_at=_timestamp(data, "updated_at", "the file"),
        mldojo_version=_text(data, "mldojo_version", "the file", 40),
        exercises=exercises,
        criteria=criteria,
        benchmarks=benchmarks,
        solutions=dict(solutions),
    )


def _exercise(item: Any, version: int) -> PassedExercise:
    where = "an exercises entry"
    _expect(isinstance(item, dict), f"{where} is not an object")
    keys = {"id", "passed_at", "grader_version", "file_sha256", "attempts"}
    _known_keys(item, (keys | {"unsandboxed"}) if version >= 2 else keys, where)
    exercise_id = _text(item, "id", where, 80)
    _expect(bool(EXERCISE_ID.fullmatch(exercise_id)), f"{where} has id {exercise_id[:60]!r}, not an exercise id")
    sha = _text(item, "file_sha256", where, 64, allow_empty=True)
    _expect(bool(SHA256.fullmatch(sha)), f"{where} ({exercise_id}) has a file_sha256 that is not a sha256")
    attempts = item.get("attempts")
    _expect(_is_int(attempts) and 0 <= attempts <= MAX_ATTEMPTS, f"{where} ({exercise_id}) has no sensible `attempts` (a whole number up to {MAX_ATTEMPTS})")
    unsandboxed = item.get("unsandboxed", False)
    _expect(isinstance(unsandboxed, bool), f"{where} ({exercise_id}) has an `unsandboxed` that is not true or false")
    return PassedExercise(exercise_id, _timestamp(item, "passed_at", where), _text(item, "grader_version", where, 40), sha, attempts, unsandboxed)


def _criterion(item: Any) -> MetCriterion:
    where = "a criteria entry"
    _expect(isinstance(item, dict), f"{where} is not an object")
    _known_keys(item, {"stage", "criterion", "kind", "evidence"}, where)
    stage, criterion = _text(item, "stage", where, 64), _text(item, "criterion", where, 64)
    _expect(bool(NAME.fullmatch(stage)) and bool(NAME.fullmatch(criterion)), f"{where} has an invalid stage or criterion id")
    kind = _text(item, "kind", where, 20)
    _expect(kind in ("automatic", "self-reported"), f"{where} has kind {kind[:30]!r}")
    return MetCriterion(stage, criterion, kind, _text(item, "evidence", where, MAX_TEXT, allow_empty=True))


def _benchmark(item: Any) -> BestBenchmark:
    where = "a benchmarks entry"
    _expect(isinstance(item, dict), f"{where} is not an object")
    _known_keys(item, {"exercise", "benchmark", "device", "median_s", "ratio", "met_target", "hardware", "recorded_at"}, where)
    exercise = _text(item, "exercise", where, 80)
    _expect(bool(EXERCISE_ID.fullmatch(exercise)), f"{where} names {exercise[:60]!r}, not an exercise id")
    benchmark = _text(item, "benchmark", where, 64)
    _expect(bool(NAME.fullmatch(benchmark)), f"{where} has an invalid benchmark id")
    device = _text(item, "device", where, 10)
    _expect(device in ("cpu", "cuda"), f"{where} has device {device[:20]!r}")
    median = _number(item, "median_s", f"{where} ({benchmark})", MEDIAN_S_RANGE)
    ratio = None if item.get("ratio") is None else _number(item, "ratio", f"{where} ({benchmark})", RATIO_RANGE)
    met = item.get("met_target")
    _expect(met is None or isinstance(met, bool), f"{where} ({benchmark}) has an invalid met_target")
    return BestBenchmark(exercise, benchmark, device, median, ratio, met,
                         _text(item, "hardware", where, 200, allow_empty=True), _timestamp(item, "recorded_at", where))


def _items(data: dict, key: str) -> list:
    value = data.get(key, [])
    _expect(isinstance(value, list), f"`{key}` is not a list")
    _expect(len(value) <= MAX_ITEMS, f"`{key}` has more than {MAX_ITEMS} entries")
    return value


def _text(data: dict, key: str, where: str, limit: int, allow_empty: bool = False) -> str:
    value = data.get(key)
    _expect(isinstance(value, str), f"{where} has no text `{key}`")
    _expect(allow_empty or bool(value.strip()), f"{where} has an empty `{key}`")
    _expect(len(value) <= limit, f"{where} has a `{key}` longer than {limit} characters")
    _expect(value.isprintable() or all(c.isprintable() or c in "\n\t" for c in value), f"{where} has control characters in `{key}`")
    return value


def _timestamp(data: dict, key: str, where: str) -> str:
    value = _text(data, key, where, 40)
    _expect(bool(TIMESTAMP.fullmatch(value)), f"{where} has `{key}` {value[:40]!r}, not an ISO 8601 time")
    return value


def _number(data: dict, key: str, where: str, bounds: tuple[float, float]) -> float:
    """data[key] as a float, refused unless a number (not a bool) from bounds[0] to bounds[1]."""
    value = data.get(key)
    low, high = bounds
    # Python compares an int with a float exactly, without converting: a 400-digit integer
    # is simply out of range here, where float() would raise OverflowError. NaN fails both
    # comparisons; JSON's NaN/Infinity literals are refused when the file is decoded.
    in_range = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    _expect(in_range, f"{where} has a `{key}` that is not a number from {low:g} to {high:g}")
    return float(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _known_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    _expect(not unknown, f"{where} has an unknown field {str(unknown[0])[:40]!r}" if unknown else "")


def _expect(condition: bool, reason: str) -> None:
    if not condition:
        raise InvalidMemberFile(reason)
