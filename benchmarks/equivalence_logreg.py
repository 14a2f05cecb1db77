"""Evidence for stage1/logreg's equivalent mutants: each one, fitted beside the reference on many problems.

Usage:  python benchmarks/equivalence_logreg.py [--problems N]

Applies every stage1/logreg entry of docs/mutation/equivalent.toml to the reference (one at a
time, matched by its line's text) and fits both on N random problems: 2-5 classes, feature
scales 0.1-100, separable and noisy labels, C from 1e-3 to 1e4, with the graders' settings
(max_iter=100, tol=1e-8). Prints the largest difference in coef_ and predict_proba per mutant,
and sigmoid's on extreme logits; exits 1 when one is above 1e-6 (the grader compares to 1e-4).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
import types
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference" / "stage1" / "logreg.py"
MEASURED = REPO / "docs" / "mutation" / "stage1_logreg.json"
EQUIVALENT = REPO / "docs" / "mutation" / "equivalent.toml"
LIMIT = 1e-6


def module_from(source: str) -> types.ModuleType:
    """Execute `source` as a fresh module."""
    module = types.ModuleType("logreg_variant")
    exec(compile(source, "logreg_variant", "exec"), module.__dict__)
    return module


def mutated(source: str, before: str, after: str, lines_measured: list[int]) -> str:
    """The source with the line whose text is `before` rewritten to `after` (where several lines
    read the same, the one the saved measurement names)."""
    lines = source.splitlines()
    hits = [i for i, line in enumerate(lines) if " ".join(line.split()) == " ".join(before.split())]
    if len(hits) > 1:
        hits = [i for i in hits if i + 1 in lines_measured]
    if len(hits) != 1:
        raise SystemExit(f"{before!r} matches {len(hits)} lines of the reference")
    indent = lines[hits[0]][: len(lines[hits[0]]) - len(lines[hits[0]].lstrip())]
    lines[hits[0]] = indent + after
    return "\n".join(lines) + "\n"


def problems(count: int, seed: int = 0):
    """Random (X, y, C) fitting problems, some separable, some with noise labels."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        n, p, k = int(rng.integers(3, 80)), int(rng.integers(1, 6)), int(rng.choice([2, 2, 3, 4, 5]))
        X = rng.normal(size=(n, p)) * float(rng.choice([0.1, 1.0, 10.0, 100.0]))  # (n, p)
        if i % 3 == 0:  # separable by a line (plus a second cut for k > 2)
            y = (X @ rng.normal(size=p) > 0).astype(int) + (k > 2) * (X[:, 0] > 1)
        else:
            y = rng.integers(0, k, size=n)
        if len(np.unique(y)) < 2:
            y[0], y[1] = 0, 1
        yield X, y, float(rng.choice([1e-3, 1e-2, 1.0, 100.0, 1e4]))


def largest_difference(reference, variant, cases) -> float:
    """Largest |coef_| or |predict_proba| difference between two modules' fits over the cases."""
    worst = 0.0
    for X, y, C in cases:
        a = reference.LogisticRegression(C=C, max_iter=100, tol=1e-8).fit(X, y)
        try:
            b = variant.LogisticRegression(C=C, max_iter=100, tol=1e-8).fit(X, y)
            gap = max(np.max(np.abs(a.coef_ - b.coef_)), np.max(np.abs(a.predict_proba(X) - b.predict_proba(X))))
        except Exception:  # noqa: BLE001 - a crash is a difference
            gap = np.inf
        worst = max(worst, float(gap)) if not np.isnan(gap) else np.inf
    z = np.array([-1000.0, -40.0, -1.0, 0.0, 1e-300, 2.0, 1000.0])
    return max(worst, float(np.max(np.abs(reference.sigmoid(z) - variant.sigmoid(z)))))


def main(argv: list[str]) -> int:
    """Fit every listed equivalent mutant beside the reference; 1 if one differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=300)
    args = parser.parse_args(argv)
    source = REFERENCE.read_text()
    reference = module_from(source)
    cases = list(problems(args.problems))
    entries = [e for e in tomllib.loads(EQUIVALENT.read_text())["equivalent"] if e["exercise"] == "stage1/logreg"]
    survivors = [m for m in json.loads(MEASURED.read_text())["mutants"] if m["outcome"] in ("survived", "equivalent")]
    failures = 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for entry in entries:
            gap = largest_difference(reference, module_from(mutated(source, entry["before"], entry["after"], [
                m["line"] for m in survivors if m["operator"].endswith(entry["operator"]) and m["after"] == entry["after"]])), cases)
            failures += gap > LIMIT
            print(f"{'DIFFERS' if gap > LIMIT else 'same   '} {gap:9.2e}  {entry['operator']}: {entry['after'].strip()}")
    print(f"{len(entries)} mutants, {failures} differ by more than {LIMIT:g} on {len(cases)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
