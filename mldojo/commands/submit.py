"""`grade submit stage1/titanic --test test.csv`: write a Kaggle submission from the learner's pipeline.

The learner's `load_titanic` and `build_model` run in the learner process (never here): the
trusted driver fits `build_model()` on every row of train.csv, with the labels the judge
read itself, and predicts every row of test.csv. This process checks the predictions (one
0 or 1 per passenger) and writes `PassengerId,Survived` with the ids read from test.csv.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from mldojo.commands import EXIT_FAIL, EXIT_PASS, EXIT_USAGE, UsageError, find_exercise, find_workspace

HELP = "write a Kaggle submission for stage1/titanic from your pipeline"
SUBMITTABLE = "stage1/titanic"
DRIVER = "mldojo.graders.stage1.titanic_driver:fit_and_predict"
LEADERBOARD = "https://www.kaggle.com/competitions/titanic/submissions"
DATA_PAGE = "https://www.kaggle.com/competitions/titanic/data"


def configure(parser) -> None:
    """Add this command's arguments."""
    parser.add_argument("exercise", metavar="ID", help="the exercise to submit (stage1/titanic)")
    parser.add_argument("--test", required=True, metavar="CSV", help="Kaggle's test.csv (PassengerId and the features, no Survived)")
    parser.add_argument("--out", default="submission.csv", metavar="CSV",
                        help="where to write the submission (default: submission.csv in the current folder)")


def run(args) -> int:
    """Fit on train.csv, predict test.csv in the learner process, check and write the submission."""
    exercise = find_exercise(args.exercise)
    if exercise.id != SUBMITTABLE:
        raise UsageError(f"{exercise.id} has no Kaggle submission; `grade submit {SUBMITTABLE} --test test.csv` is the one there is")
    workspace = find_workspace(args)
    from mldojo.datasets import DatasetMissing
    from mldojo.graders.stage1 import _titanic_data as data

    test_path = Path(args.test).expanduser()
    if not test_path.is_file():
        raise UsageError(f"{test_path}: no such file. Download Kaggle's test.csv from {DATA_PAGE} and give its path to --test")
    try:
        test = data.read_table(test_path, need=(data.ID,) + data.FEATURES)
    except data.TitanicFileError as exc:
        raise UsageError(str(exc)) from None
    if len(test) == 0:
        raise UsageError(f"{test_path} has a header but no passengers")
    try:
        train, train_path = data.train_table()
    except DatasetMissing as exc:
        print(f"grade submit fits your model on Kaggle's train.csv first, and {exc}", file=sys.stderr)
        return EXIT_USAGE
    except data.TitanicFileError as exc:
        raise UsageError(str(exc)) from None

    if _latest_verdict(workspace) != "passed":
        print(f"note: your latest `grade {SUBMITTABLE}` did not pass; the submission is written all the same, "
              "but the leak checks are what make your cross-validated score trustworthy")
    print(f"Fitting build_model() on {len(train)} passengers of {train_path}, then predicting {len(test)} passengers of {test_path} ...")
    features = test
    if data.LABEL in test.header:  # Kaggle's test.csv has none: the learner's load_titanic gets none either
        print(f"note: {test_path} has a Survived column (is it train.csv?); your code gets the file without it")
        features = test.without(data.LABEL)
    # The files travel as contents: in the sandbox the learner's code sees none of your folders.
    outcome = _predict(exercise, workspace, train.sent_as("train.csv"), data.labels_of(train),
                       features.sent_as("test.csv"), len(test))
    if isinstance(outcome, str):
        print(f"No submission written: {outcome}", file=sys.stderr)
        print(f"`grade {SUBMITTABLE}` runs the same code under the grader, with more to say.", file=sys.stderr)
        return EXIT_FAIL
    out = Path(args.out).expanduser()
    write_submission(out, test.column(data.ID), outcome)
    survivors = int(outcome.sum())
    print(f"Wrote {out}: {len(outcome)} passengers, {survivors} predicted to survive ({survivors / len(outcome):.0%}).")
    print(f"Next: upload it at {LEADERBOARD}, then record your public score:")
    print(f'  grade done stage1 kaggle-titanic --evidence "<your public score>, submitted {dt.date.today().isoformat()}"')
    return EXIT_PASS


def _latest_verdict(workspace) -> str | None:
    """The verdict of the learner's latest grading of the exercise (None without one, or without a tracker)."""
    from mldojo.tracker import summary
    from mldojo.tracker.errors import TrackerError

    try:
        return summary.latest_verdicts(workspace.tracker_path).get(SUBMITTABLE)
    except TrackerError:
        return None


def _predict(exercise, workspace, train_file: dict, labels, test_file: dict, n_test: int):
    """The learner's 0/1 predictions for test.csv as an int array, or what went wrong in words."""
    import numpy as np

    from mldojo.graders.engine.outcomes import ImportFailed, LearnerGone, LearnerRaised, NotImplementedYet
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import Learner, LearnerSession

    file = workspace.exercise_file(exercise.id)
    if not file.exists():
        return f"{file} does not exist (`grade init` restores missing exercises)"
    module = LearnerModule(exercise.id, workspace.root.resolve(), file.resolve(), exercise.forbid, exercise.memory_limit_mb)
    session = LearnerSession(module, Budget(exercise.time_limit_s))
    try:
        session.start()
        result = Learner(session)._drive(DRIVER, train_file, labels, test_file, n_test)
    except ImportFailed as exc:
        return f"your module could not be imported: {exc.detail}"
    except NotImplementedYet as exc:
        return f"{exc.function} is not written yet (it still raises NotImplementedError)"
    except LearnerRaised as exc:
        return f"your code raised an exception:\n{exc.describe()}"
    except LearnerGone as exc:
        return f"{exc.detail} (in {exc.during})"
    finally:
        session.close()
    if isinstance(result, dict) and result.get("problem"):
        return str(result["problem"])
    return check_predictions(np.asarray(result["pred"]), n_test)


def check_predictions(pred, n_test: int):
    """The predictions as ints when they are one 0 or 1 per passenger, else the problem in words."""
    import numpy as np

    if pred.shape != (n_test,):
        return f"predict(X) returned shape {pred.shape} for {n_test} passengers: Kaggle wants one 0/1 per passenger"
    if pred.dtype.kind not in "biuf" or not np.isin(pred, (0, 1)).all():
        bad = pred[~np.isin(pred, (0, 1))] if pred.dtype.kind in "biuf" else pred
        return f"predict(X) returned {bad[0]!r} among its predictions: Survived must be 0 or 1"
    return pred.astype(np.int64)


def write_submission(path: Path, passenger_ids: list[str], predictions) -> None:
    """Write Kaggle's `PassengerId,Survived` CSV (the ids as test.csv spells them)."""
    lines = ["PassengerId,Survived"] + [f"{pid},{int(p)}" for pid, p in zip(passenger_ids, predictions, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
