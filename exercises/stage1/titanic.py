"""Titanic: a real scikit-learn pipeline, scored by cross-validation, with no leaks.

Kaggle's Titanic train.csv has one row per passenger: PassengerId, Survived (0 or 1),
Pclass, Name, Sex, Age, SibSp, Parch, Ticket, Fare, Cabin, Embarked; some Age, Cabin
and Embarked cells are empty. Predict Survived. Here scikit-learn and pandas are allowed.
Download train.csv from Kaggle's Titanic competition and register it once with
`grade data add titanic PATH/TO/train.csv`.

Write two functions:

- `load_titanic(path)` reads one CSV in that layout and returns (X, y): the features as a
  DataFrame and the labels.
- `build_model()` returns a new, unfitted scikit-learn estimator or Pipeline.

How `grade stage1/titanic` uses them. The grader reads the labels itself and picks
5 stratified folds (shuffled, fixed seed). It gives your `load_titanic` a copy of the
file without the Survived column, then fits a fresh `build_model()` on each fold's
training rows and the labels of those rows only. Your model predicts the held-out
rows, and the grader scores the predictions. Done when the mean accuracy is at
least 0.80 and the leak checks pass:

- a held-out row's prediction, and every other row's X, must not change when other
  held-out rows change (their values, or which ticket, cabin and family they share);
- trained on shuffled labels, the model must do no better than always guessing "died"
  (give or take 0.06);
- PassengerId and Survived must never be features.

So each row of X may only depend on that row of the file. Whatever is learned from
several rows belongs in the pipeline, where `fit` sees the training rows only. That
includes a mean or median to fill gaps, a scaler, the category list of an encoder,
survival rates per group, and how many passengers share a ticket, a surname or a family
(and a fare per person computed from such a count). `grade submit stage1/titanic --test
test.csv` later uses the same two functions to write your Kaggle submission.
"""

from __future__ import annotations


def load_titanic(path):
    """Read a Titanic CSV (Kaggle's train.csv or test.csv) into features and labels.

    path: str or Path of the CSV file.
    Returns (X, y):
      X: pandas DataFrame with one row per passenger, every row of the file, in file
         order. Choose the columns; they are the input of build_model()'s pipeline.
         No PassengerId or Survived column. Each row computed from that row alone.
      y: Survived as int 0/1, shape (n_rows,) (NumPy array or Series), or None when
         the file has no Survived column (Kaggle's test.csv).
    """
    raise NotImplementedError("TODO: read the CSV, build X from each row's own values, and y (or None)")


def build_model():
    """A new, unfitted scikit-learn estimator or Pipeline for the X of load_titanic.

    fit(X, y) learns from the training rows; predict(X) returns 0/1, shape (n_rows,);
    predict_proba(X) is optional. Set random_state wherever there is randomness, so the
    same data always gives the same model.
    """
    raise NotImplementedError("TODO: return e.g. a Pipeline of a ColumnTransformer and a classifier")
