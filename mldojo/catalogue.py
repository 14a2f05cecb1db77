"""The catalogue: every stage and exercise, read from exercises/catalogue.toml and validated.

Data lives in the TOML file, behaviour in Python. The id `stage1/linreg` maps mechanically
to exercises/stage1/linreg.py, reference/stage1/linreg.py and graders/stage1/linreg.py.
This module imports only the standard library: `grade list` must start fast.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

CATALOGUE_FORMAT = 1
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*/[a-z][a-z0-9_]*$")
CRITERION_KINDS = ("automatic", "self-reported")
AUTOMATIC_RULES = ("all-exercises-pass", "exercises-pass")


class CatalogueError(Exception):
    """The catalogue file has a mistake; the message names the entry and the fix."""


@dataclass(frozen=True)
class Benchmark:
    """A timing benchmark declared for an exercise (measured by `grade bench`)."""

    id: str
    title: str
    device: str  # "cpu" | "cuda"
    target: str  # what counts as meeting it, in words
    target_ratio: float | None = None
    gold_ratio: float | None = None
    # The workload, read by the exercise's bench workload (mldojo/graders/bench/).
    shape: tuple[int, ...] = ()  # e.g. (B, H, S, D) for attention
    dtype: str = "float32"
    causal: bool = False
    backward: bool = True
    warmup: int = 3  # untimed runs first
    repeats: int = 15  # timed runs
    time_limit_s: float = 300.0  # for the whole benchmark, learner's code and baseline
    target_s: float | None = None  # a wall-time target (training benchmarks), when there is no ratio
    threads: int | None = None  # torch CPU threads in both processes (None: torch's default)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its text for the learner and its limits for the judge."""

    id: str
    title: str
    summary: str
    hints: tuple[str, ...]
    prerequisites: tuple[str, ...] = ()
    time_limit_s: float = 30.0
    memory_limit_mb: int = 3072
    forbid: tuple[str, ...] = ()
    done_when: str = "all checks pass"
    benchmarks: tuple[Benchmark, ...] = ()
    # Import names of packages the exercise needs beyond mldojo's own dependencies (an optional
    # extra such as triton): where one is missing, grading says how to install it and runs nothing.
    requires: tuple[str, ...] = ()
    # Thresholds the grader reads (e.g. test_accuracy = 0.98): data, so it lives here.
    goals: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def stage(self) -> str:
        """'stage1' for 'stage1/linreg'."""
        return self.id.partition("/")[0]


@dataclass(frozen=True)
class Criterion:
    """A stage's "done when" item: automatic (from the tracker) or self-reported."""

    id: str
    text: str
    kind: str
    rule: str = ""  # automatic: "all-exercises-pass" | "exercises-pass"
    exercises: tuple[str, ...] = ()  # for "exercises-pass"
    prompt: str = ""  # self-reported: what evidence to give


@dataclass(frozen=True)
class Stage:
    """A stage of the curriculum and its "done when" criteria."""

    id: str
    title: str
    summary: str
    criteria: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """All stages and exercises, in curriculum order."""

    stages: tuple[Stage, ...]
    exercises: tuple[Exercise, ...]
    by_id: dict[str, Exercise] = field(repr=False, default_factory=dict)

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id (KeyError if there is none)."""
        return self.by_id[exercise_id]

    def stage(self, stage_id: str) -> Stage:
        """The stage with this id (KeyError if there is none)."""
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def exercises_of(self, stage_id: str) -> list[Exercise]:
        """The exercises of one stage, in order."""
        return [e for e in self.exercises if e.stage == stage_id]

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Ids that look like a mistyped `text` ('linreg' -> 'stage1/linreg')."""
        import difflib

        ids = [e.id for e in self.exercises]
        tail = {e.id.partition("/")[2]: e.id for e in self.exercises}
        if text in tail:
            return [tail[text]]
        close = difflib.get_close_matches(text, ids, n=limit, cutoff=0.5)
        close += [tail[t] for t in difflib.get_close_matches(text, list(tail), n=limit, cutoff=0.6)]
        return list(dict.fromkeys(close))[:limit]


def catalogue_path() -> Path:
    """Where the shipped catalogue file is."""
    return Path(str(resources.files("mldojo.exercises").joinpath("catalogue.toml")))


@lru_cache(maxsize=1)
def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate the catalogue (raises CatalogueError naming the entry and the fix)."""
    path = path or catalogue_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML ({exc})") from None
    return parse_catalogue(data, str(path))


def parse_catalogue(data: dict, where: str = "catalogue") -> Catalogue:
    """Build a Catalogue from parsed TOML, checking every entry."""
    if data.get("format") != CATALOGUE_FORMAT:
        raise CatalogueError(f"{where}: set `format = {CATALOGUE_FORMAT}` at the top of the file")
    _no_unknown_keys(data, {"format", "stage", "exercise"}, where)
    stage_ids = [s.get("id") for s in data.get("stage", [])]
    exercises = tuple(_exercise(raw, i, stage_ids, where) for i, raw in enumerate(data.get("exercise", [])))
    by_id: dict[str, Exercise] = {}
    for exercise in exercises:
        if exercise.id in by_id:
            raise CatalogueError(f"{where}: exercise {exercise.id!r} is listed twice; remove one entry")
        by_id[exercise.id] = exercise
    for exercise in exercises:
        for prerequisite in exercise.prerequisites:
            if prerequisite not in by_id:
                raise CatalogueError(f"{where}: exercise {exercise.id!r} lists prerequisite {prerequisite!r}, which is not an exercise; fix the id or remove it")
    stages = tuple(_stage(raw, by_id, where) for raw in data.get("stage", []))
    if len(set(stage_ids)) != len(stage_ids):
        raise CatalogueError(f"{where}: two stages share an id; stage ids must be unique")
    return Catalogue(stages, exercises, by_id)


def _exercise(raw: dict, index: int, stage_ids: list, where: str) -> Exercise:
    label = f"{where}: exercise #{index + 1} ({raw.get('id', 'no id')!r})"
    allowed = {"id", "title", "summary", "hints", "prerequisites", "time_limit_s", "memory_limit_mb", "forbid", "done_when", "benchmark", "goals", "requires"}
    _no_unknown_keys(raw, allowed, label)
    for key in ("id", "title", "summary"):
        _require_text(raw, key, label)
    exercise_id = raw["id"]
    if not ID_PATTERN.match(exercise_id):
        raise CatalogueError(f"{label}: id must look like 'stage1/linreg' (lower case, one slash)")
    if exercise_id.partition("/")[0] not in stage_ids:
        raise CatalogueError(f"{label}: its stage {exercise_id.partition('/')[0]!r} has no [[stage]] entry; add one")
    hints = raw.get("hints", [])
    if not isinstance(hints, list) or len(hints) < 2 or not all(isinstance(h, str) and h.strip() for h in hints):
        raise CatalogueError(f"{label}: give `hints` as a list of at least two non-empty strings, gentlest first")
    time_limit = raw.get("time_limit_s", 30.0)
    if not isinstance(time_limit, (int, float)) or not 1 <= time_limit <= 3600:
        raise CatalogueError(f"{label}: time_limit_s must be a number of seconds between 1 and 3600")
    memory = raw.get("memory_limit_mb", 3072)
    if not isinstance(memory, int) or not 256 <= memory <= 65536:
        raise CatalogueError(f"{label}: memory_limit_mb must be an integer between 256 and 65536")
    return Exercise(
        id=exercise_id,
        title=raw["title"],
        summary=raw["summary"].strip(),
        hints=tuple(h.strip() for h in hints),
        prerequisites=tuple(_string_list(raw, "prerequisites", label)),
        time_limit_s=float(time_limit),
        memory_limit_mb=memory,
        forbid=tuple(_string_list(raw, "forbid", label)),
        requires=tuple(_string_list(raw, "requires", label)),
        done_when=str(raw.get("done_when", "all checks pass")),
        benchmarks=tuple(_benchmark(b, label) for b in raw.get("benchmark", [])),
        goals=_goals(raw, label),
    )


def _goals(raw: dict, label: str) -> dict:
    goals = raw.get("goals", {})
    if not isinstance(goals, dict) or not all(isinstance(v, (int, float, str, bool)) for v in goals.values()):
        raise CatalogueError(f"{label}: `goals` must be a table of plain values, e.g. goals = {{ test_accuracy = 0.98 }}")
    return dict(goals)


BENCHMARK_KEYS = {"id", "title", "device", "target", "target_ratio", "gold_ratio", "shape", "dtype", "causal",
                  "backward", "warmup", "repeats", "time_limit_s", "target_s", "threads"}
BENCHMARK_DTYPES = ("float32", "float64", "float16", "bfloat16")


def _benchmark(raw: dict, label: str) -> Benchmark:
    where = f"{label} benchmark {raw.get('id')!r}"
    _no_unknown_keys(raw, BENCHMARK_KEYS, f"{label} benchmark")
    for key in ("id", "title", "target"):
        _require_text(raw, key, f"{label} benchmark")
    if raw.get("device") not in ("cpu", "cuda"):
        raise CatalogueError(f"{where}: device must be 'cpu' or 'cuda'")
    for key in ("target_ratio", "gold_ratio", "target_s"):
        if raw.get(key) is not None and (isinstance(raw[key], bool) or not isinstance(raw[key], (int, float)) or raw[key] <= 0):
            raise CatalogueError(f"{where}: {key} must be a positive number")
    if raw.get("target_ratio") and raw.get("gold_ratio") and raw["gold_ratio"] > raw["target_ratio"]:
        raise CatalogueError(f"{where}: gold_ratio ({raw['gold_ratio']}) must not exceed target_ratio ({raw['target_ratio']}); lower is faster")
    shape = raw.get("shape", [])
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise CatalogueError(f"{where}: shape must be a list of positive integers, e.g. shape = [8, 16, 1024, 64]")
    if raw.get("dtype", "float32") not in BENCHMARK_DTYPES:
        raise CatalogueError(f"{where}: dtype must be one of {', '.join(BENCHMARK_DTYPES)}")
    for key in ("causal", "backward"):
        if not isinstance(raw.get(key, False), bool):
            raise CatalogueError(f"{where}: {key} must be true or false")
    for key, low, high in (("warmup", 0, 100), ("repeats", 1, 1000)):
        value = raw.get(key, 3 if key == "warmup" else 15)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CatalogueError(f"{where}: {key} must be an integer between {low} and {high}")
    threads = raw.get("threads")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 256):
        raise CatalogueError(f"{where}: threads must be an integer between 1 and 256 (leave it out for torch's default)")
    limit = raw.get("time_limit_s", 300.0)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 1 <= limit <= 3600:
        raise CatalogueError(f"{where}: time_limit_s must be a number of seconds between 1 and 3600")
    return Benchmark(
        raw["id"], raw["title"], raw["device"], raw["target"], raw.get("target_ratio"), raw.get("gold_ratio"),
        shape=tuple(shape), dtype=raw.get("dtype", "float32"), causal=raw.get("causal", False),
        backward=raw.get("backward", True), warmup=raw.get("warmup", 3), repeats=raw.get("repeats", 15),
        time_limit_s=float(limit), target_s=raw.get("target_s"), threads=threads,
    )


def _stage(raw: dict, exercises: dict[str, Exercise], where: str) -> Stage:
    label = f"{where}: stage {raw.get('id', '?')!r}"
    _no_unknown_keys(raw, {"id", "title", "summary", "criterion"}, label)
    for key in ("id", "title", "summary"):
        _require_text(raw, key, label)
    criteria = []
    for raw_criterion in raw.get("criterion", []):
        clabel = f"{label} criterion {raw_criterion.get('id', '?')!r}"
        _no_unknown_keys(raw_criterion, {"id", "text", "kind", "rule", "exercises", "prompt"}, clabel)
        for key in ("id", "text", "kind"):
            _require_text(raw_criterion, key, clabel)
        kind = raw_criterion["kind"]
        if kind not in CRITERION_KINDS:
            raise CatalogueError(f"{clabel}: kind must be one of {', '.join(CRITERION_KINDS)}")
        rule = raw_criterion.get("rule", "")
        listed = tuple(_string_list(raw_criterion, "exercises", clabel))
        if kind == "automatic":
            if rule not in AUTOMATIC_RULES:
                raise CatalogueError(f"{clabel}: an automatic criterion needs rule = one of {', '.join(AUTOMATIC_RULES)}")
            for exercise_id in listed:
                if exercise_id not in exercises:
                    raise CatalogueError(f"{clabel}: lists {exercise_id!r}, which is not an exercise")
            if rule == "exercises-pass" and not listed:
                raise CatalogueError(f"{clabel}: rule 'exercises-pass' needs an `exercises` list")
        elif not raw_criterion.get("prompt"):
            raise CatalogueError(f"{clabel}: a self-reported criterion needs a `prompt` asking for evidence")
        criteria.append(Criterion(raw_criterion["id"], raw_criterion["text"], kind, rule, listed, raw_criterion.get("prompt", "")))
    return Stage(raw["id"], raw["title"], raw["summary"].strip(), tuple(criteria))


def _require_text(raw: dict, key: str, label: str) -> None:
    if not isinstance(raw.get(key), str) or not raw[key].strip():
        raise CatalogueError(f"{label}: add a non-empty `{key} = \"…\"`")


def _string_list(raw: dict, key: str, label: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogueError(f"{label}: `{key}` must be a list of strings")
    return value


def _no_unknown_keys(raw: dict, allowed: set[str], label: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise CatalogueError(f"{label}: unknown key {unknown[0]!r}; allowed keys are {', '.join(sorted(allowed))}")
