"""Reference for stage1/titanic: row-wise features in pandas, every learned step in one Pipeline.

load_titanic only computes what one row determines (the title in the name, the family
size, whether a cabin is known); everything learned from data (medians for missing values,
scales, the categories of the one-hot encoder, the weights) is fitted by the pipeline on
the rows it is given, so cross-validation folds never see their held-out rows.
"""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["Age", "Fare", "SibSp", "Parch", "FamilySize", "CabinKnown"]
CATEGORICAL = ["Pclass", "Sex", "Embarked", "Title"]
COMMON_TITLES = {"Mr", "Mrs", "Miss", "Master"}
SAME_TITLE = {"Mlle": "Miss", "Ms": "Miss", "Mme": "Mrs"}


def load_titanic(path):
    """Read Kaggle's train.csv or test.csv: (X, y), y = None when there is no Survived column."""
    df = pd.read_csv(path)
    y = df["Survived"].astype(int).to_numpy() if "Survived" in df.columns else None
    X = df[["Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"]].copy()
    X["Title"] = df["Name"].map(_title)
    X["FamilySize"] = df["SibSp"] + df["Parch"] + 1
    X["CabinKnown"] = df["Cabin"].notna().astype(int)
    return X, y


def _title(name: str) -> str:
    """'Braund, Mr. Owen Harris' -> 'Mr'; rare titles share one category."""
    title = name.split(",", 1)[-1].split(".", 1)[0].strip()
    title = SAME_TITLE.get(title, title)
    return title if title in COMMON_TITLES else "Rare"


def build_model() -> Pipeline:
    """Impute, scale and one-hot encode inside the pipeline, then a logistic regression."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
    features = ColumnTransformer([("numeric", numeric, NUMERIC), ("categorical", categorical, CATEGORICAL)])
    return Pipeline([("features", features), ("model", LogisticRegression(C=1.0, max_iter=1000))])
