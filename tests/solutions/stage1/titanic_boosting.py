"""A correct stage1/titanic written unlike the reference: raw columns out of load_titanic,
all feature engineering in a fitted transformer, gradient boosting, y as a Series and
PassengerId kept as the index (not a column)."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import make_pipeline

RAW = ["Pclass", "Name", "Sex", "Age", "SibSp", "Parch", "Fare", "Cabin", "Embarked"]


def load_titanic(path):
    df = pd.read_csv(path, index_col="PassengerId")
    y = df["Survived"] if "Survived" in df else None
    return df[RAW], y


class PassengerFeatures(BaseEstimator, TransformerMixin):
    """Titles, family size and port as numbers; missing ages filled with each title's median
    age among the training rows (learned in fit)."""

    def fit(self, X, y=None):
        titles = self._titles(X)
        self.age_by_title_ = X["Age"].groupby(titles).median().to_dict()
        self.age_ = float(X["Age"].median())
        self.fare_ = float(X["Fare"].median())
        return self

    def transform(self, X):
        titles = self._titles(X)
        learned = titles.map(self.age_by_title_).fillna(self.age_)
        age = X["Age"].fillna(learned)
        out = pd.DataFrame(index=X.index)
        out["pclass"] = X["Pclass"]
        out["female"] = (X["Sex"] == "female").astype(float)
        out["age"] = age
        out["child"] = (age < 14).astype(float)
        out["family"] = X["SibSp"] + X["Parch"] + 1
        out["fare"] = np.log1p(X["Fare"].fillna(self.fare_))
        out["cabin"] = X["Cabin"].notna().astype(float)
        for port in "CQS":
            out[f"port_{port}"] = (X["Embarked"] == port).astype(float)
        for title in ("Mr", "Mrs", "Miss", "Master"):
            out[f"title_{title}"] = (titles == title).astype(float)
        return out

    @staticmethod
    def _titles(X):
        titles = X["Name"].str.extract(r",\s*([^\.]+)\.", expand=False).str.strip()
        return titles.replace({"Mlle": "Miss", "Ms": "Miss", "Mme": "Mrs"})


def build_model():
    return make_pipeline(
        PassengerFeatures(),
        GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0),
    )
