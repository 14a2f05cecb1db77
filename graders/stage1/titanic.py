"""Grader for stage1/titanic: a scikit-learn pipeline on Kaggle's train.csv, cross-validated without leaks.

The judge reads train.csv itself (graders/stage1/_titanic_data.py) and keeps the labels.
Cross-validation uses 5 stratified folds with a fixed seed. The learner's `load_titanic`
gets a copy of the file without Survived; for each fold the driver fits a fresh
`build_model()` in the learner process on the training rows and their labels, then
sends back predictions for the held-out rows, whose labels never leave the judge. The
leak checks give the same code files that differ in one controlled way (labels
shuffled, PassengerId scrambled, other held-out rows perturbed) and say what changed
when it should not have.

The data is real and fixed, so these checks draw no Hypothesis inputs: every run sees
the same files and folds, and the same code gets the same verdict.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import sklearn.model_selection  # noqa: F401 - the folds need it; imported while the learner process starts

from mldojo.datasets import DatasetMissing
from mldojo.graders.kit import Diagnosis, check, fail
from mldojo.graders.stage1 import _titanic_data as data

VERSION = "1"
DRIVER = "mldojo.graders.stage1.titanic_driver"
N_FOLDS = 5
FOLD_SEED = 0  # StratifiedKFold(5, shuffle=True, random_state=0)
PERTURB_SEED = 1  # which held-out rows are perturbed, and how
MAX_COMPANIONS = 30  # perturbed held-out rows that join a left-alone row's ticket, cabin and family
SHUFFLE_SEED = 2  # the permutation of the labels in the shuffled-label run
ID_SEED = 3  # the scrambled PassengerIds
SHUFFLE_MARGIN = 0.06  # shuffled-label accuracy may exceed the majority rate by this much (~3.5 standard errors)
SCORE_RTOL, SCORE_ATOL = 1e-9, 1e-12  # "unchanged" for predict_proba / decision_function values
NOT_FEATURES = (data.ID, data.LABEL)


def _goal() -> float:
    from mldojo.catalogue import load_catalogue

    return float(load_catalogue().exercise("stage1/titanic").goals["cv_accuracy"])


# -- the judge's data ------------------------------------------------------------------------


class Files:
    """train.csv as the judge read it, and the variants the learner's load_titanic gets (sent as
    file contents: the sandbox shows the learner process none of the judge's folders)."""

    def __init__(self, explain_missing: bool = False):
        try:
            self.table, self.path = data.train_table()
        except Exception as exc:  # DatasetMissing, TitanicFileError: the message says what to do
            if explain_missing or not isinstance(exc, DatasetMissing):
                fail(f"the grader needs Kaggle's Titanic train.csv: {exc}")
            fail("not run: Kaggle's Titanic train.csv is missing (the first check says how to add it: "
                 "grade data add titanic PATH)")
        self.labels = data.labels_of(self.table)  # (n,) int64
        self.n = len(self.table)
        self._written = 0

    def write(self, table: data.Table, name: str) -> dict:
        """A variant for the learner's load_titanic, as the file the driver writes there."""
        self._written += 1
        return table.sent_as(f"{self._written:02d}_{name}.csv")

    def labeled(self) -> dict:
        """train.csv as it is, Survived included (load_titanic must read y from it)."""
        return self.table.sent_as("train.csv")

    def unlabeled(self) -> data.Table:
        """train.csv without Survived, as the learner gets it for cross-validation."""
        return self.table.without(data.LABEL)

    def missing(self, column: str) -> np.ndarray:
        """Row positions where the raw `column` is empty."""
        return np.array([i for i, cell in enumerate(self.table.column(column)) if cell == ""], dtype=np.int64)


@contextmanager
def judge_files(explain_missing: bool = False):
    """The judge's copy of train.csv and the variants made from it."""
    yield Files(explain_missing)


def _folds(labels: np.ndarray, seed: int = FOLD_SEED):
    return data.stratified_folds(labels, N_FOLDS, seed)


def _driver_folds(folds, labels):
    """(train positions, training labels, held-out positions) per fold: no held-out label travels."""
    return [(train, labels[train], test) for train, test in folds]


# -- calling the driver ----------------------------------------------------------------------


def _drive(learner, function: str, *args):
    result = learner._drive(f"{DRIVER}:{function}", *args)
    if isinstance(result, dict) and result.get("problem"):
        fail(result["problem"])
    return result


def _cross_validate(learner, path: str, folds, labels) -> list[dict]:
    """Per fold {"pred": (m,), "score": (m,) or None}, each checked to be one 0/1 per held-out row."""
    results = _drive(learner, "cross_validate", path, len(labels), _driver_folds(folds, labels))
    for (train, test), result in zip(folds, results):
        pred = np.asarray(result["pred"], dtype=np.float64)
        if pred.shape != (len(test),):
            fail(f"predict(X) returned shape {pred.shape} for {len(test)} held-out rows: return one 0/1 per row, shape ({len(test)},)")
        bad = ~np.isin(pred, (0.0, 1.0))
        if bad.any():
            fail(f"predict(X) returned {pred[bad][0]!r} among its predictions: Survived is 0 or 1 "
                 "(a regressor, or a probability where a class was expected?)")
        result["pred"] = pred
        if result.get("score") is not None:
            score = np.asarray(result["score"], dtype=np.float64).reshape(-1)
            result["score"] = score if score.shape == pred.shape else None
    return results


def _accuracy(results, folds, labels) -> tuple[float, list[float], np.ndarray]:
    """Mean of the per-fold accuracies (as cross_val_score), the folds' accuracies, predictions in file order."""
    per_fold = [float(np.mean(r["pred"] == labels[test])) for r, (_, test) in zip(results, folds)]
    predictions = np.empty(len(labels))
    for result, (_, test) in zip(results, folds):
        predictions[test] = result["pred"]
    return float(np.mean(per_fold)), per_fold, predictions


def _accuracy_of(predictions: np.ndarray, folds, labels) -> float:
    """The mean per-fold accuracy of predictions (n,) in file order."""
    return float(np.mean([np.mean(predictions[test] == labels[test]) for _, test in folds]))


def _changed_outputs(first: dict, second: dict, rows: np.ndarray) -> np.ndarray:
    """Positions (into `rows`) where the prediction or the score differs between two runs."""
    changed = first["pred"][rows] != second["pred"][rows]
    if first.get("score") is not None and second.get("score") is not None:
        a, b = first["score"][rows], second["score"][rows]
        changed |= ~np.isclose(a, b, rtol=SCORE_RTOL, atol=SCORE_ATOL, equal_nan=True)
    return np.flatnonzero(changed)


def _compare_loads(learner, files: Files, first: str, second: str, rows=None) -> dict:
    """Which columns of X differ between two files; a load that differs from itself fails as such."""
    comparison = _drive(learner, "compare_loads", first, second, files.n, rows)
    if _differs(comparison):
        itself = _drive(learner, "compare_loads", first, first, files.n, rows)
        if _differs(itself):
            fail("load_titanic gave a different X when it read the same file twice, so the leak checks cannot "
                 "compare files:\n" + _changed_columns_text(itself, files),
                 diagnosis="load_titanic is not reproducible: it draws random numbers (noise, random imputation, "
                           "sampling). Leave randomness to the model, with random_state set")
    return comparison


def _fail_if_not_reproducible(learner, path: str, folds, labels, first: dict) -> None:
    """A second identical run that differs means randomness, not a leak: say so."""
    again = _cross_validate(learner, path, folds, labels)[0]
    everything = np.arange(len(first["pred"]))
    if len(_changed_outputs(first, again, everything)):
        fail("two identical runs (same file, same fold, same labels) gave different predictions, so the "
             "leak checks cannot compare runs",
             diagnosis="your model is not reproducible: set random_state=0 on every estimator that takes one "
                       "(forests, boosting, shuffling splitters), and do not draw random numbers in load_titanic")


def _describe_rows(files: Files, positions, limit: int = 3) -> str:
    ids = files.table.column(data.ID)
    shown = "PassengerId " + ", ".join(ids[int(p)] for p in list(positions)[:limit])
    more = len(positions) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _differs(comparison: dict) -> bool:
    return bool(comparison["changed"] or comparison["only_first"] or comparison["only_second"])


def _changed_columns_text(comparison: dict, files: Files) -> str:
    lines = []
    if comparison["only_first"]:
        lines.append(f"  columns only in the first X: {', '.join(comparison['only_first'])}")
    if comparison["only_second"]:
        lines.append(f"  columns only in the second X: {', '.join(comparison['only_second'])}")
    for column, rows in comparison["changed"].items():
        row, before, after = comparison["examples"][column]
        lines.append(f"  column {column!r}: changed in {len(rows)} rows, e.g. PassengerId "
                     f"{files.table.column(data.ID)[row]}: {before} before, {after} after")
    return "\n".join(lines)


# -- checks ----------------------------------------------------------------------------------


@check()
def load_titanic_returns_every_row_and_its_label(learner):
    """load_titanic(train.csv) returns all 891 rows in file order and y = Survived; without the column, y is None."""
    with judge_files(explain_missing=True) as files:
        described = _drive(learner, "describe_load", files.labeled())
        rows = described["rows"]
        if rows != files.n:
            dropped = {
                "row with an empty Embarked": len(files.missing("Embarked")),
                "row with an empty Age": len(files.missing("Age")),
                "row with any empty cell": len({*files.missing("Age"), *files.missing("Embarked"), *files.missing("Cabin")}),
            }
            why = [f"it drops every {what} ({count} rows)" for what, count in dropped.items() if files.n - rows == count]
            fail(f"load_titanic(train.csv): X has {rows} rows; the file has {files.n} passengers. Every row must stay, "
                 "in file order: Kaggle scores one prediction per passenger of test.csv",
                 diagnosis=(why[0] + " (dropna?): fill missing values in the pipeline with SimpleImputer instead")
                 if why else None)
        y = described["y"]
        if y is None:
            fail("load_titanic(train.csv) returned y = None, but the file has a Survived column: return it as y")
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (files.n,):
            fail(f"y has shape {y.shape}; expected ({files.n},), one 0/1 per passenger")
        if not np.array_equal(y, files.labels):
            wrong = np.flatnonzero(y != files.labels)
            mistakes = [
                Diagnosis("y is 1 - Survived: 1 must mean survived", lambda: 1 - files.labels),
                Diagnosis("y holds the labels sorted: keep the rows in file order (no sort_values)",
                          lambda: np.sort(files.labels)),
            ]
            fail(f"y differs from the file's Survived column in {len(wrong)} rows ({_describe_rows(files, wrong)}); "
                 f"for PassengerId {files.table.column(data.ID)[wrong[0]]} y is {y[wrong[0]]:g}, the file says "
                 f"{files.labels[wrong[0]]}", y, mistakes, passes=lambda value: np.array_equal(value, files.labels))
        unlabeled = _drive(learner, "describe_load", files.write(files.unlabeled(), "without_survived"))
        if unlabeled["y"] is not None:
            fail("load_titanic(path) on a file without a Survived column (like Kaggle's test.csv) returned labels; "
                 "it should return y = None there")
        if unlabeled["rows"] != files.n:
            fail(f"load_titanic(path) on a file without Survived returned {unlabeled['rows']} rows for "
                 f"{files.n} passengers: keep every row")


@check()
def build_model_returns_a_new_unfitted_estimator(learner):
    """build_model() returns a new, unfitted object with fit and predict on every call."""
    model = _drive(learner, "inspect_model")
    if model["is_class"]:
        fail(f"build_model() returned the class {model['type']} itself: return an instance, e.g. {model['type']}()")
    if model["missing"]:
        fail(f"build_model() returned a {model['type']}, which has no {' or '.join(model['missing'])}(): "
             "return a scikit-learn estimator or Pipeline")
    if model["same_object"]:
        fail("build_model() returned the same object twice: create the model inside build_model, so every fold "
             "starts from a fresh one")
    if model["fitted"]:
        fail(f"build_model() returned a {model['type']} that is already fitted: return it unfitted; the grader "
             "fits it on each fold's training rows")


@check()
def passenger_id_and_survived_are_not_features(learner):
    """X has no PassengerId or Survived column, and neither changes X or the predictions."""
    with judge_files() as files:
        columns = _drive(learner, "describe_load", files.labeled())["columns"]
        for name in NOT_FEATURES:
            if name.lower() in (c.lower() for c in columns):
                fail(f"X has a {name} column (columns: {', '.join(columns)}): drop it from the features",
                     diagnosis=f"{name} is " + ("a row number: a model that uses it learns the order of the file, not "
                                                "who survived" if name == data.ID else "the label itself: a model "
                                                "that sees it cannot be scored honestly, and test.csv has none"))
        labeled = files.labeled()
        unlabeled = files.write(files.unlabeled(), "without_survived")
        shuffled = files.table.with_column(data.LABEL, np.random.default_rng(SHUFFLE_SEED).permutation(files.labels))
        for other, how in ((unlabeled, "without the Survived column"),
                           (files.write(shuffled, "survived_shuffled"), "with the Survived column shuffled")):
            comparison = _compare_loads(learner, files, labeled, other)
            if _differs(comparison):
                names = comparison["only_first"] + list(comparison["changed"]) + comparison["only_second"]
                fail(f"X changes when the file comes {how} (first X: the file as it is; second X: {how}):\n"
                     + _changed_columns_text(comparison, files),
                     diagnosis=f"{', '.join(repr(n) for n in names)} is computed from Survived: a survival rate per "
                               "group (target encoding) taken over the whole file includes each held-out row's own "
                               "label. Learn it in a transformer's fit, inside the pipeline, from the training rows")
        ids = files.write(data.scramble_ids(files.unlabeled(), np.random.default_rng(ID_SEED)), "ids_scrambled")
        comparison = _compare_loads(learner, files, unlabeled, ids)
        if _differs(comparison):
            fail("X changes when PassengerId is scrambled (the passengers are the same):\n"
                 + _changed_columns_text(comparison, files),
                 diagnosis="a feature is computed from PassengerId: it is a row number and says nothing about "
                           "the passenger; leave it out of X")
        folds = _folds(files.labels)[:1]
        before = _cross_validate(learner, unlabeled, folds, files.labels)[0]
        after = _cross_validate(learner, ids, folds, files.labels)[0]
        changed = _changed_outputs(before, after, np.arange(len(before["pred"])))
        if len(changed):
            _fail_if_not_reproducible(learner, unlabeled, folds, files.labels, before)
            held_out = folds[0][1]
            fail(f"X is the same, but the predictions changed for {len(changed)} held-out rows when PassengerId "
                 f"was scrambled, e.g. {_describe_rows(files, held_out[changed])}",
                 diagnosis="the model reads PassengerId some other way: through X's index (set_index('PassengerId') "
                           "and then a step that uses X.index), or a column derived from it")


@check()
def cv_accuracy_reaches_the_goal(learner):
    """5-fold stratified cross-validation accuracy on train.csv is at least goals.cv_accuracy (0.80)."""
    goal = _goal()
    with judge_files() as files:
        folds = _folds(files.labels)
        results = _cross_validate(learner, files.write(files.unlabeled(), "without_survived"), folds, files.labels)
        accuracy, per_fold, predictions = _accuracy(results, folds, files.labels)
        if accuracy >= goal:
            return
        majority = max(np.mean(files.labels), 1 - np.mean(files.labels))
        female = (np.array(files.table.column("Sex")) == "female").astype(np.float64)
        mistakes = [
            Diagnosis("every passenger is predicted to die: the model learned only the majority class. Does it "
                      "get any features (a ColumnTransformer that drops every column?), or are they all missing?",
                      lambda: np.zeros(files.n)),
            Diagnosis("every passenger is predicted to survive: is y inverted, or a class_weight pushing too far?",
                      lambda: np.ones(files.n)),
            Diagnosis("the predictions are exactly 'women survive, men die' (0.787 on this data): the model uses only "
                      "Sex. Class (Pclass), age and family size, and the title in Name (Master = a boy), add the rest",
                      lambda: female),
        ]
        known = None
        if accuracy < 0.5:
            known = "the predictions are mostly the opposite of the labels: are 0 and 1 swapped somewhere?"
        fail(f"mean accuracy over {N_FOLDS} stratified folds: {accuracy:.4f} "
             f"(folds {', '.join(f'{a:.3f}' for a in per_fold)}); the goal is at least {goal:.2f}\n"
             f"  always predicting 'died' scores {majority:.4f}",
             predictions, mistakes, diagnosis=known,
             passes=lambda value: _accuracy_of(value, folds, files.labels) >= goal)


@dataclass
class HeldOutPerturbation:
    """Fold 1's held-out rows split in two: `watched` rows left alone and `others` that change;
    some of the others become fellow travellers (`companions`) of some watched rows (`hosts`)."""

    held_out: np.ndarray  # (m,) positions in the file
    watched: np.ndarray  # positions into held_out
    others: np.ndarray  # positions in the file
    hosts: np.ndarray  # positions in the file (watched rows)
    companions: np.ndarray  # positions in the file (others)
    original: data.Table
    perturbed: data.Table


def held_out_perturbation(files: Files) -> HeldOutPerturbation:
    """The fixed perturbation of fold 1: half its held-out rows move far (ages, fares, sexes,
    classes, ports, names and tickets swapped among themselves), and up to MAX_COMPANIONS of them
    take the ticket, fare, cabin, class, port, family sizes and surname of a watched row."""
    held_out = _folds(files.labels)[0][1]
    rng = np.random.default_rng(PERTURB_SEED)
    order = rng.permutation(len(held_out))
    watched = np.sort(order[: len(order) // 2])  # positions into held_out
    others = held_out[np.sort(order[len(order) // 2:])]
    original = files.unlabeled()
    moved = data.perturb_rows(original, others, np.random.default_rng(PERTURB_SEED))
    companions = rng.permutation(data.companion_candidates(moved, others))[:MAX_COMPANIONS]
    # A few hosts get several companions, so a count that grows moves far (1 -> 6), past any split a tree learned.
    sizes = ([5, 3, 3, 2, 2] + [1] * len(companions))[: len(companions)]
    party = np.repeat(np.arange(len(sizes)), sizes)[: len(companions)]  # (companions,) which host each joins
    hosts = rng.choice(held_out[watched], size=party.max() + 1, replace=False)[party]
    return HeldOutPerturbation(held_out, watched, others, hosts, companions, original,
                               data.add_companions(moved, hosts, companions))


@check()
def held_out_predictions_ignore_other_held_out_rows(learner):
    """Changing other held-out rows (values far off, or sharing a left-alone row's ticket and family) changes no other row's features and no left-alone held-out row's prediction."""
    with judge_files() as files:
        case = held_out_perturbation(files)
        folds = _folds(files.labels)[:1]
        original = files.write(case.original, "without_survived")
        perturbed = files.write(case.perturbed, "others_perturbed")
        kept = np.setdiff1d(np.arange(files.n), case.others)  # every row that was left alone, training rows included
        comparison = _compare_loads(learner, files, original, perturbed, kept)
        if _differs(comparison):
            fail(f"X changed for rows that were left alone when {len(case.others)} held-out rows of fold 1 changed "
                 f"({len(case.companions)} of them now share a ticket, cabin and family with a row left alone):\n"
                 + _changed_columns_text(comparison, files),
                 diagnosis=_whole_file_statistic(comparison, files, kept, case))
        before = _cross_validate(learner, original, folds, files.labels)[0]
        after = _cross_validate(learner, perturbed, folds, files.labels)[0]
        changed = _changed_outputs(before, after, case.watched)
        if len(changed):
            _fail_if_not_reproducible(learner, original, folds, files.labels, before)
            rows = case.held_out[case.watched]
            fail(f"X is the same for the held-out rows that were left alone, but their predictions changed "
                 f"when {len(case.others)} other held-out rows changed: {_describe_rows(files, rows[changed])}",
                 diagnosis="the pipeline's output for a row depends on the other rows predicted with it: a "
                           "transform that takes statistics of the rows it is given ((X - X.mean()) / X.std() in "
                           "transform, counts per ticket among the rows given, or fit_transform called in "
                           "predict). Learn statistics in fit, apply them in transform")


def _whole_file_statistic(comparison: dict, files: Files, kept: np.ndarray, case: HeldOutPerturbation) -> str:
    """Name the whole-file statistic behind features that moved when other rows moved, from which rows moved."""
    changed_rows = {r for positions in comparison["changed"].values() for r in positions}
    if comparison["only_first"] or comparison["only_second"]:  # which columns exist depends on other rows
        return ("X has other columns when other rows change: load_titanic encodes categories found in the whole "
                "file (pd.get_dummies over every row). Put OneHotEncoder(handle_unknown='ignore') in the pipeline, "
                "so the categories come from the training rows")
    for column in ("Age", "Fare", "Embarked", "Cabin"):
        gaps = set(np.intersect1d(kept, files.missing(column)).tolist())
        if gaps and changed_rows <= gaps:
            return (f"only rows with an empty {column} changed: load_titanic fills the gaps in {column} with a "
                    "statistic of the whole file (mean, median or mode of every row, or of every row of a group, "
                    "held-out rows included). Put the filling in the pipeline (SimpleImputer, or your own "
                    "transformer that learns the values in fit), so it learns them from the training rows")
    groups = data.regrouped(case.original, case.perturbed)
    fits = [what for what, rows in groups.items() if rows and changed_rows <= rows]
    if fits or changed_rows <= set().union(*groups.values()):
        which = f" (per {' or per '.join(fits)})" if fits else ""
        return (f"only rows whose group of fellow passengers grew or shrank changed{which}: load_titanic counts "
                "passengers per ticket, surname, family or cabin over the whole file, held-out rows included "
                "(value_counts, groupby(...).transform('count'), or Fare divided by such a count). Learn the counts "
                "in a transformer's fit, from the training rows, inside the pipeline")
    if any(len(positions) == len(kept) for positions in comparison["changed"].values()):
        return ("every row changed in some column: load_titanic scales or standardises with statistics of the whole "
                "file (StandardScaler().fit_transform(...), (x - x.mean()) / x.std(), x / x.max()), or takes the "
                "frequency of a category over it (value_counts). Put that step in the pipeline, so it is fitted on "
                "the training rows")
    return ("load_titanic computes something over several rows of the file (quantile bins, a rank, a statistic "
            "per group): do it in a transformer's fit, inside the pipeline")


@check()
def label_shuffled_cv_accuracy_falls_to_the_majority_rate(learner):
    """Trained and scored on shuffled labels, 5-fold CV accuracy is at most the majority rate + 0.06."""
    with judge_files() as files:
        shuffled = np.random.default_rng(SHUFFLE_SEED).permutation(files.labels)
        folds = _folds(shuffled)
        results = _cross_validate(learner, files.write(files.unlabeled(), "without_survived"), folds, shuffled)
        accuracy, per_fold, _ = _accuracy(results, folds, shuffled)
        majority = float(max(np.mean(shuffled), 1 - np.mean(shuffled)))
        limit = majority + SHUFFLE_MARGIN
        if accuracy <= limit:
            return
        known = None
        if per_fold[0] <= limit < float(np.mean(per_fold[1:])):
            known = ("the first fold scores like chance and the later ones do not: the model remembers labels from "
                     "an earlier fold, whose training rows are the later folds' held-out rows. Something outlives "
                     "build_model(): a class attribute (a dict or list written in fit), a module-level cache or "
                     "global. Keep everything fit learns on self, and create it in fit")
        fail(f"with the labels shuffled (no link left between passengers and survival), the mean accuracy over "
             f"{N_FOLDS} folds is {accuracy:.4f} (folds {', '.join(f'{a:.3f}' for a in per_fold)}); a leak-free "
             f"model cannot beat always guessing the majority ({majority:.4f}) by more than {SHUFFLE_MARGIN} "
             "except by a rare fluke",
             diagnosis=known or "the held-out rows' labels reach the model: state kept between fits, or labels read "
                                "from a file rather than taken from fit's y")
