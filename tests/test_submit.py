"""`grade submit stage1/titanic --test test.csv`, run as a subprocess in a temporary workspace."""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_DATA
from grading import package_file

GRADE = Path(sys.executable).with_name("grade")
TRAIN = SHARED_DATA / "titanic_train.csv" if SHARED_DATA else None
pytestmark = pytest.mark.skipif(TRAIN is None or not TRAIN.exists(), reason="needs ../shared/data/titanic_train.csv")


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `grade ARGS` in `cwd` (text output)."""
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    full_env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    full_env.update(env or {}, NO_COLOR="1", COLUMNS="120")
    return subprocess.run(command + list(args), cwd=cwd, env=full_env, capture_output=True, text=True, timeout=180)


def make_test_csv(path: Path, rows: slice, keep_label: bool = False) -> list[str]:
    """A Kaggle-style test.csv from rows of train.csv (Survived dropped unless keep_label); its ids."""
    with open(TRAIN, newline="") as stream:
        table = list(csv.reader(stream))
    header, body = table[0], table[1:][rows]
    keep = [i for i, name in enumerate(header) if keep_label or name != "Survived"]
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([header[i] for i in keep])
        writer.writerows([[row[i] for i in keep] for row in body])
    return [row[0] for row in body]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A workspace whose stage1/titanic.py is the reference."""
    root = tmp_path_factory.mktemp("submit")
    assert run("init", "course", cwd=root).returncode == 0
    course = root / "course"
    (course / "stage1" / "titanic.py").write_text(package_file("reference", "stage1/titanic").read_text())
    return course


def reference_predictions(test_csv: Path) -> np.ndarray:
    """What the reference predicts when fitted on all of train.csv (run here: it is our own code)."""
    spec = importlib.util.spec_from_file_location("titanic_reference", package_file("reference", "stage1/titanic"))
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    X, y = reference.load_titanic(TRAIN)
    X_test, _ = reference.load_titanic(test_csv)
    return reference.build_model().fit(X, y).predict(X_test)


def test_submit_writes_one_prediction_per_passenger(course):
    ids = make_test_csv(course / "test.csv", slice(600, 891))
    result = run("submit", "stage1/titanic", "--test", "test.csv", "--out", "kaggle.csv", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(course / "kaggle.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["PassengerId", "Survived"]
    assert [row[0] for row in rows[1:]] == ids
    got = np.array([int(row[1]) for row in rows[1:]])
    assert np.array_equal(got, reference_predictions(course / "test.csv"))
    assert "grade done stage1 kaggle-titanic --evidence" in result.stdout
    assert f"{len(ids)} passengers" in result.stdout
    assert "did not pass" in result.stdout  # this workspace was never graded


def test_a_test_file_with_labels_is_given_to_the_learner_without_them(course):
    make_test_csv(course / "labelled.csv", slice(0, 50), keep_label=True)
    result = run("submit", "stage1/titanic", "--test", "labelled.csv", "--out", "from_labelled.csv", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "has a Survived column" in result.stdout
    assert len((course / "from_labelled.csv").read_text().splitlines()) == 51


def test_the_stub_writes_nothing_and_says_what_is_missing(tmp_path):
    assert run("init", "course", cwd=tmp_path).returncode == 0
    course = tmp_path / "course"
    make_test_csv(course / "test.csv", slice(0, 20))
    result = run("submit", "stage1/titanic", "--test", "test.csv", cwd=course)
    assert result.returncode == 1
    assert "not written yet" in result.stderr
    assert not (course / "submission.csv").exists()


def test_probabilities_instead_of_classes_are_refused(tmp_path):
    assert run("init", "course", cwd=tmp_path).returncode == 0
    course = tmp_path / "course"
    source = package_file("reference", "stage1/titanic").read_text()
    source += (
        "\n\nclass _Probabilities:\n"
        "    def __init__(self, model):\n        self.model = model\n"
        "    def fit(self, X, y):\n        self.model.fit(X, y)\n        return self\n"
        "    def predict(self, X):\n        return self.model.predict_proba(X)[:, 1]\n"
        "\n\n_build = build_model\n\n\ndef build_model():\n    return _Probabilities(_build())\n"
    )
    (course / "stage1" / "titanic.py").write_text(source)
    make_test_csv(course / "test.csv", slice(0, 30))
    result = run("submit", "stage1/titanic", "--test", "test.csv", cwd=course)
    assert result.returncode == 1
    assert "must be 0 or 1" in result.stderr
    assert not (course / "submission.csv").exists()


def test_missing_train_data_says_how_to_add_it(course, tmp_path):
    make_test_csv(course / "test.csv", slice(0, 10))
    result = run("submit", "stage1/titanic", "--test", "test.csv", cwd=course, env={"MLDOJO_DATA_DIR": str(tmp_path / "none")})
    assert result.returncode == 2
    assert "grade data add titanic" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["stage1/linreg", "--test", "test.csv"], "has no Kaggle submission"),
        (["stage1/titanic", "--test", "missing.csv"], "no such file"),
        (["stage1/titanic", "--test", "stage1/titanic.py"], "no PassengerId"),
    ],
)
def test_usage_mistakes_exit_2_with_the_fix(course, args, message):
    make_test_csv(course / "test.csv", slice(0, 10))
    result = run("submit", *args, cwd=course)
    assert result.returncode == 2
    assert message in result.stderr
