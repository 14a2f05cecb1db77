"""stage1/titanic beyond the generic tests: other correct solutions pass, the judge's files and
folds are what the grader claims, cross-validation never hands held-out labels to the
learner process, and an irreproducible model is named as such, not as a leak."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_DATA
from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.stage1 import _titanic_data as data
from mldojo.graders.stage1 import titanic as grader

EXERCISE = "stage1/titanic"
pytestmark = pytest.mark.skipif(
    SHARED_DATA is None or not (SHARED_DATA / "titanic_train.csv").exists(), reason="needs ../shared/data/titanic_train.csv"
)


@pytest.fixture(scope="module")
def table() -> data.Table:
    return data.train_table()[0]


# -- correct solutions ---------------------------------------------------------------------------


@pytest.mark.parametrize("solution", sorted(SOLUTIONS.glob("stage1/titanic_*.py")), ids=lambda p: p.stem)
def test_correct_solutions_written_differently_pass(solution, tmp_path):
    report = grade_source(EXERCISE, solution, tmp_path)
    assert report.passed, explain(report)


class InProcess:
    """Stands in for the learner proxy: runs the driver here on a trusted module (the reference)."""

    def __init__(self, module):
        self.module = module

    def _drive(self, function: str, *args):
        module_name, _, name = function.partition(":")
        return getattr(importlib.import_module(module_name), name)(self.module, *args)


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_clears_the_goal_and_the_shuffled_limit_with_margin(tmp_path, table):
    learner = InProcess(_module(package_file("reference", EXERCISE), "titanic_reference"))
    labels = data.labels_of(table)
    path = str(table.without(data.LABEL).write(tmp_path / "features.csv"))
    folds = grader._folds(labels)
    accuracy, per_fold, _ = grader._accuracy(grader._cross_validate(learner, path, folds, labels), folds, labels)
    assert accuracy >= grader._goal() + 0.015, (accuracy, per_fold)
    shuffled = np.random.default_rng(grader.SHUFFLE_SEED).permutation(labels)
    folds = grader._folds(shuffled)
    chance, _, _ = grader._accuracy(grader._cross_validate(learner, path, folds, shuffled), folds, shuffled)
    majority = max(shuffled.mean(), 1 - shuffled.mean())
    assert chance <= majority + grader.SHUFFLE_MARGIN - 0.02, chance


# -- the judge's data ------------------------------------------------------------------------------


def test_folds_are_fixed_stratified_and_partition_the_rows(table):
    labels = data.labels_of(table)
    folds = grader._folds(labels)
    again = grader._folds(labels)
    assert len(folds) == 5
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    held_out = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(held_out), np.arange(len(labels)))
    for train, test in folds:
        assert not set(train) & set(test)
        assert abs(labels[test].mean() - labels.mean()) < 0.01  # stratified: the same survival rate


def test_perturbed_rows_change_and_nothing_else_does(table):
    positions = np.arange(10, 60)
    perturbed = data.perturb_rows(table, positions, np.random.default_rng(0))
    changed = [i for i, (a, b) in enumerate(zip(table.rows, perturbed.rows)) if a != b]
    assert changed == list(positions)
    for column in ("Sex", "Pclass", "Embarked", "Name", "Ticket", "Cabin"):
        assert set(perturbed.column(column)) <= set(table.column(column)), f"a new {column} value appeared"
    ages = np.array([float(a) for a in np.array(perturbed.column("Age"))[positions]])
    assert (ages >= 70).all()
    assert perturbed.column(data.LABEL) == table.column(data.LABEL)
    assert perturbed.column(data.ID) == table.column(data.ID)


def test_scrambled_ids_are_unique_and_change_nothing_else(table):
    scrambled = data.scramble_ids(table, np.random.default_rng(0))
    ids = scrambled.column(data.ID)
    assert len(set(ids)) == len(ids) and not set(ids) & set(table.column(data.ID))
    assert scrambled.without(data.ID) == table.without(data.ID)


def test_written_variants_read_back_cell_for_cell(tmp_path, table):
    path = table.write(tmp_path / "copy.csv")
    assert data.read_table(path) == table
    assert data.read_table(SHARED_DATA / "titanic_train.csv") == table


# -- the trust rule: no held-out label in the learner process during cross-validation ------------------

SPY = '''

import json as _json
import os as _os

_LOG = {log!r}
_load = load_titanic
_build = build_model


def _note(entry):
    with open(_LOG, "a") as stream:
        stream.write(_json.dumps(entry) + "\\n")


def load_titanic(path):
    with open(path) as stream:
        header = stream.readline().strip().split(",")
    _note({{"event": "load", "path": str(path), "labels": "Survived" in header}})
    return _load(path)


class _Spy:
    def __init__(self):
        self.model = _build()

    def fit(self, X, y):
        _note({{"event": "fit", "rows": len(X), "labels": len(y)}})
        self.model.fit(X, y)
        return self

    def predict(self, X):
        _note({{"event": "predict", "rows": len(X)}})
        return self.model.predict(X)


def build_model():
    return _Spy()
'''


def test_cross_validation_files_have_no_labels_and_fits_get_training_rows_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_SANDBOX", "off")  # the spy writes its log where the test can read it
    log = tmp_path / "spy.jsonl"
    source = package_file("reference", EXERCISE).read_text() + SPY.format(log=str(log))
    report = grade_source(EXERCISE, source, tmp_path / "workspace")
    assert report.passed, explain(report)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    labelled = {Path(e["path"]).name for e in entries if e["event"] == "load" and e["labels"]}
    # The real train.csv (the load check) and one file whose labels are shuffled on purpose.
    assert len(labelled) == 2 and any(name.endswith("_train.csv") for name in labelled), labelled
    assert any(name.endswith("survived_shuffled.csv") for name in labelled), labelled
    fits = [e for e in entries if e["event"] == "fit"]
    predictions = [e for e in entries if e["event"] == "predict"]
    assert fits and len(fits) == len(predictions)
    for fit, predict in zip(fits, predictions):
        assert fit["rows"] == fit["labels"]
        assert fit["rows"] + predict["rows"] == 891  # each fit sees the training rows, never the held-out ones
        assert predict["rows"] in (178, 179)


IRREPRODUCIBLE = {
    "model": ('LogisticRegression(C=1.0, max_iter=1000)',
              'RandomForestClassifier(n_estimators=20, random_state=int(np.random.default_rng().integers(1 << 30)))'),
    "features": ('    X["CabinKnown"] = df["Cabin"].notna().astype(int)\n',
                 '    X["CabinKnown"] = df["Cabin"].notna().astype(int)\n    X["Noise"] = np.random.default_rng().random(len(X))\n'),
}


@pytest.mark.parametrize("where", sorted(IRREPRODUCIBLE))
def test_irreproducible_code_is_named_not_called_a_leak(where, tmp_path):
    old, new = IRREPRODUCIBLE[where]
    source = package_file("reference", EXERCISE).read_text()
    assert source.count(old) == 1
    source = source.replace(old, new).replace(
        "import pandas as pd\n", "import numpy as np\nimport pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n")
    report = grade_source(EXERCISE, source, tmp_path)
    failed = [c for c in report.checks if c.verdict == "failed"]
    assert failed, explain(report)
    assert "not reproducible" in (failed[0].diagnosis or ""), explain(report)
    assert ("load_titanic is" in failed[0].diagnosis) == (where == "features"), explain(report)


def test_a_missing_data_set_fails_with_the_command_that_adds_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path / "nowhere"))
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), tmp_path / "workspace")
    assert not report.passed
    first = report.checks[0]
    assert first.verdict == "failed" and "grade data add titanic" in first.message, explain(report)


# -- issue 11: the held-out check sees counts per ticket or family taken over the whole file ----------


def _files():
    return grader.Files()


def test_held_out_perturbation_is_fixed_and_changes_only_the_other_held_out_rows(table):
    first, again = grader.held_out_perturbation(_files()), grader.held_out_perturbation(_files())
    assert first.perturbed == again.perturbed and np.array_equal(first.hosts, again.hosts)  # deterministic
    changed = [i for i, (a, b) in enumerate(zip(first.original.rows, first.perturbed.rows)) if a != b]
    assert set(changed) <= set(first.others.tolist())
    assert set(first.companions.tolist()) <= set(first.others.tolist())
    assert set(first.hosts.tolist()) <= set(first.held_out[first.watched].tolist())
    assert len(first.companions) == grader.MAX_COMPANIONS and len(set(first.hosts.tolist())) < len(first.hosts)


def test_companions_make_no_category_disappear_or_appear(table):
    """Encoders learned in load_titanic over the file see the same categories: only counts change."""
    case = grader.held_out_perturbation(_files())

    def categories(t):
        title = {n.split(",", 1)[1].split(".", 1)[0].strip() for n in t.column("Name")}
        prefix = {c.rsplit(" ", 1)[0] if not c.isdigit() else "number" for c in t.column("Ticket")}
        deck = {c[:1] for c in t.column("Cabin")}
        return [set(t.column(c)) for c in ("Sex", "Pclass", "Embarked")] + [title, prefix, deck]

    assert categories(case.perturbed) == categories(case.original)


def test_every_host_gains_fellow_passengers_by_ticket_surname_family_and_cabin(table):
    case = grader.held_out_perturbation(_files())
    groups = data.regrouped(case.original, case.perturbed)
    hosts = set(case.hosts.tolist())
    for what in ("Ticket", "surname", "family (surname, SibSp and Parch)", "family (surname and family size)"):
        assert hosts <= groups[what], what
    with_cabin = {h for h in hosts if case.original.column("Cabin")[h]}
    assert with_cabin <= groups["Cabin"]


@pytest.mark.parametrize("name", ["ticket_count_over_the_whole_file", "fare_per_person_over_the_whole_file",
                                  "surname_count_over_the_whole_file", "family_id_count_over_the_whole_file",
                                  "transform_counts_tickets_in_its_batch"])
def test_titanic_a_leak_check_sees_counts_per_ticket_or_family(name, tmp_path):
    """Counts per ticket, surname or family over the whole file (or over the predicted batch) fail the
    held-out check, with the diagnosis that names them: the perturbation now changes those groups."""
    from grading import mutants

    mutant = next(m for m in mutants(EXERCISE) if m.name == name)
    report = grade_source(EXERCISE, mutant.source, tmp_path, only=(mutant.expect,))
    outcome = report.checks[0]
    assert outcome.verdict == "failed", explain(report)
    assert mutant.diagnosis in (outcome.diagnosis or ""), explain(report)
