"""Decision trees from scratch (CART), with scikit-learn's estimator API (NumPy only).

A tree asks one yes/no question per node: "is feature j <= threshold?". Rows that answer
yes go left, the others right, and each leaf predicts from the training rows that reach
it. Trees are grown greedily, from the root down. Write:

1. `gini(y)` and `entropy(y)`: how mixed the labels of a node are. Gini is
   1 - sum of p_c**2 and entropy is -sum of p_c * log2(p_c), where p_c is the share of the
   node's rows in class c (a pure node scores 0 on both).
2. `best_split(X, y, criterion, min_samples_leaf)`: the split of one node that makes its
   two children purest: the smallest  (n_left * impurity(left) + n_right * impurity(right)) / n.
   Candidate thresholds are the midpoints between consecutive distinct values of a
   feature (like scikit-learn; where two values are so close that their midpoint rounds to
   the larger one, use the smaller one, so that the larger value still goes right), and
   each child must keep at least min_samples_leaf rows.
   criterion is "gini", "entropy" or, for regression, "squared_error" (the mean squared
   deviation of y from its mean). Return (feature, threshold), or None if no split is allowed.
3. `DecisionTreeClassifier` and `DecisionTreeRegressor`: a node becomes a leaf when it is
   pure, when it is at max_depth (None: no limit), when it has fewer than
   min_samples_split rows, or when no split is allowed; otherwise it takes best_split and
   grows both children. A classifier's leaf predicts the shares of each class among its
   training rows (predict_proba) and the most common one (predict); a regressor's leaf
   predicts the mean target of its rows. Besides fit/predict, write apply(X) (which leaf
   each row reaches, as an integer id), get_depth() and get_n_leaves(), as scikit-learn has.
   The classifier also takes max_features and random_state, for stage1/forest: with
   max_features=k, each node draws k distinct features at random (every set of k equally
   likely) and takes the best split among those only.

The grader checks the impurities against their definitions and compares your trees with
scikit-learn's on data where no two splits are equally good (so tie-breaking never
matters): the same predictions, depth and number of leaves, with each criterion and each
limit on examples where it changes the tree. With no limits, a tree must fit distinct
training rows perfectly, and every limit must hold. With max_features=k, the grader grows
many one-split trees with different random_states and tests how often each feature is
chosen. stage1/forest and
stage1/boosting build on this file. You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


def gini(y):
    """Gini impurity of labels y (n,) int, n >= 1: a Python float in [0, 1)."""
    raise NotImplementedError("TODO: 1 - sum of squared class shares")


def entropy(y):
    """Entropy in bits of labels y (n,) int, n >= 1: a Python float >= 0."""
    raise NotImplementedError("TODO: -sum of p * log2(p) over the classes present")


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    """Best split of the rows X (n, p) float64, y (n,): (feature int, threshold float), or None."""
    raise NotImplementedError("TODO: try every feature and every midpoint; keep the purest split")


class DecisionTreeClassifier:
    """A classification tree; criterion is "gini" or "entropy"; labels may be any integers.

    max_features: None (every node considers every feature) or an int k: every node draws k
    distinct features at random and splits on the best of those only. random_state seeds
    those draws (np.random.default_rng(random_state)), so a tree is reproducible.
    stage1/forest relies on this; with max_features=None no randomness is involved.
    """

    def __init__(self, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features=None, random_state=None):
        """Store the hyperparameters; nothing is computed until fit."""
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X, y):
        """Grow the tree on X (n, p) float64 and labels y (n,) int; set classes_ (sorted labels); return self."""
        raise NotImplementedError("TODO: grow the tree from the root")

    def predict_proba(self, X):
        """Share of each class among the training rows of each row's leaf: (m, n_classes) float64, classes_ order."""
        raise NotImplementedError("TODO: walk each row down to its leaf")

    def predict(self, X):
        """The most common training label in each row's leaf: (m,), values from classes_."""
        raise NotImplementedError("TODO: the label with the largest share")

    def apply(self, X):
        """The leaf each row of X (m, p) reaches: (m,) int, one distinct id per leaf."""
        raise NotImplementedError("TODO: an id for every leaf")

    def get_depth(self):
        """Depth of the fitted tree: the number of splits on the longest path (a lone leaf has depth 0)."""
        raise NotImplementedError("TODO: the longest root-to-leaf path")

    def get_n_leaves(self):
        """Number of leaves of the fitted tree."""
        raise NotImplementedError("TODO: count the leaves")


class DecisionTreeRegressor:
    """A regression tree grown to reduce the squared error."""

    def __init__(self, max_depth=None, min_samples_split=2, min_samples_leaf=1):
        """Store the hyperparameters; nothing is computed until fit."""
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf

    def fit(self, X, y):
        """Grow the tree on X (n, p) float64 and targets y (n,) float64; return self."""
        raise NotImplementedError("TODO: grow the tree with criterion 'squared_error'")

    def predict(self, X):
        """Mean training target in each row's leaf: (m,) float64."""
        raise NotImplementedError("TODO: walk each row down to its leaf")

    def apply(self, X):
        """The leaf each row of X (m, p) reaches: (m,) int, one distinct id per leaf."""
        raise NotImplementedError("TODO: an id for every leaf")

    def get_depth(self):
        """Depth of the fitted tree: the number of splits on the longest path (a lone leaf has depth 0)."""
        raise NotImplementedError("TODO: the longest root-to-leaf path")

    def get_n_leaves(self):
        """Number of leaves of the fitted tree."""
        raise NotImplementedError("TODO: count the leaves")
