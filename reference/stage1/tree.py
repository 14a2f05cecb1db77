"""Decision trees (CART): impurities, the best split of a node, and trees grown greedily."""

import numpy as np


def gini(y):
    """Gini impurity of labels y (n,): 1 - sum over classes of p_c**2."""
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    return float(1.0 - np.sum(p**2))


def entropy(y):
    """Entropy in bits of labels y (n,): -sum over classes of p_c * log2(p_c)."""
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    return float(-np.sum(p * np.log2(p)))


def squared_error(y):
    """Mean squared deviation of targets y (n,) from their mean: the regression impurity."""
    return float(np.mean((y - np.mean(y)) ** 2))


IMPURITY = {"gini": gini, "entropy": entropy, "squared_error": squared_error}


def _child_impurities(y_sorted, criterion):
    """Impurity of the left part y[:i] and the right part y[i:] for every i in 1..n-1: two (n-1,) arrays."""
    n = len(y_sorted)
    n_left = np.arange(1, n)[:, None]  # (n-1, 1)
    n_right = n - n_left
    if criterion == "squared_error":
        y = y_sorted[:, None].astype(np.float64)  # (n, 1): one "class" holding the values
        # Var = E[y^2] - E[y]^2 on each side, from running sums.
        s, s2 = np.cumsum(y, 0)[:-1], np.cumsum(y**2, 0)[:-1]  # (n-1, 1)
        total, total2 = y.sum(0), (y**2).sum(0)
        left = s2 / n_left - (s / n_left) ** 2
        right = (total2 - s2) / n_right - ((total - s) / n_right) ** 2
        return np.maximum(left[:, 0], 0.0), np.maximum(right[:, 0], 0.0)
    _, codes = np.unique(y_sorted, return_inverse=True)
    onehot = np.eye(codes.max() + 1)[codes]  # (n, C)
    left_counts = np.cumsum(onehot, 0)[:-1]  # (n-1, C)
    right_counts = onehot.sum(0) - left_counts
    p_left, p_right = left_counts / n_left, right_counts / n_right
    if criterion == "gini":
        return 1.0 - np.sum(p_left**2, 1), 1.0 - np.sum(p_right**2, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp_left = np.where(p_left > 0, p_left * np.log2(p_left), 0.0)
        plogp_right = np.where(p_right > 0, p_right * np.log2(p_right), 0.0)
    return -np.sum(plogp_left, 1), -np.sum(plogp_right, 1)


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    """The split (feature, threshold) with the smallest weighted impurity of the two children.

    Rows with X[:, feature] <= threshold go left. Thresholds are midpoints between
    consecutive distinct values of a feature; each child keeps at least min_samples_leaf
    rows. Returns None when no such split exists.
    """
    n, p = X.shape
    best, best_score = None, np.inf
    for feature in range(p):
        order = np.argsort(X[:, feature], kind="stable")
        xs, ys = X[order, feature], y[order]
        left, right = _child_impurities(ys, criterion)  # (n-1,) each: split after position i
        n_left = np.arange(1, n)
        score = (n_left * left + (n - n_left) * right) / n  # (n-1,)
        valid = (xs[1:] > xs[:-1]) & (n_left >= min_samples_leaf) & (n - n_left >= min_samples_leaf)
        if not valid.any():
            continue
        i = int(np.argmin(np.where(valid, score, np.inf)))
        if score[i] < best_score:
            best_score = score[i]
            threshold = xs[i] / 2.0 + xs[i + 1] / 2.0
            if threshold == xs[i + 1]:  # rounding hit the right value: keep it on the right
                threshold = xs[i]
            best = (feature, float(threshold))
    return best


class Node:
    """A node of the tree: a split (feature, threshold, left, right) or a leaf (value)."""

    def __init__(self, value, n_samples):
        self.value = value  # class shares (C,) or the mean target
        self.n_samples = n_samples
        self.feature = None
        self.threshold = None
        self.left = None
        self.right = None
        self.leaf_id = None

    @property
    def is_leaf(self):
        return self.left is None


class _Tree:
    """Greedy top-down growth shared by the classifier and the regressor."""

    def __init__(self, criterion, max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features=None, random_state=None):
        """Store the hyperparameters; nothing is computed until fit."""
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state

    def _fit(self, X, y):
        self.n_features_in_ = X.shape[1]
        self._rng = np.random.default_rng(self.random_state)
        self._n_leaves = 0
        self._depth = 0
        self.root_ = self._grow(X, y, depth=0)
        return self

    def _grow(self, X, y, depth):
        node = Node(self._leaf_value(y), len(y))
        self._depth = max(self._depth, depth)
        stop = (
            (self.max_depth is not None and depth >= self.max_depth)
            or len(y) < self.min_samples_split
            or len(y) < 2 * self.min_samples_leaf
            or IMPURITY[self.criterion](y) <= 1e-12  # a pure node is a leaf
        )
        split = None if stop else self._split(X, y)
        if split is None:
            node.leaf_id = self._n_leaves
            self._n_leaves += 1
            return node
        node.feature, node.threshold = split
        goes_left = X[:, node.feature] <= node.threshold
        node.left = self._grow(X[goes_left], y[goes_left], depth + 1)
        node.right = self._grow(X[~goes_left], y[~goes_left], depth + 1)
        return node

    def _split(self, X, y):
        """best_split over all features, or over max_features of them drawn at random for this node."""
        p = X.shape[1]
        if self.max_features is None or self.max_features >= p:
            return best_split(X, y, self.criterion, self.min_samples_leaf)
        features = np.sort(self._rng.choice(p, size=self.max_features, replace=False))  # (k,)
        split = best_split(X[:, features], y, self.criterion, self.min_samples_leaf)
        return None if split is None else (int(features[split[0]]), split[1])

    def _leaf(self, x):
        node = self.root_
        while not node.is_leaf:
            node = node.left if x[node.feature] <= node.threshold else node.right
        return node

    def apply(self, X):
        """The leaf each row of X (m, p) falls in: (m,) int ids, one per leaf."""
        return np.array([self._leaf(x).leaf_id for x in np.asarray(X, dtype=np.float64)])

    def get_depth(self):
        """The depth of the tree: the number of splits on the longest root-to-leaf path."""
        return self._depth

    def get_n_leaves(self):
        """The number of leaves."""
        return self._n_leaves

    def _values(self, X):
        return np.array([self._leaf(x).value for x in np.asarray(X, dtype=np.float64)])


class DecisionTreeClassifier(_Tree):
    """A classification tree; criterion is "gini" or "entropy".

    max_features (an int, or None for all): how many features, drawn at random anew at
    every node, best_split may choose from; random_state seeds that draw.
    """

    def __init__(self, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features=None, random_state=None):
        """Store the hyperparameters; nothing is computed until fit."""
        super().__init__(criterion, max_depth, min_samples_split, min_samples_leaf, max_features, random_state)

    def fit(self, X, y):
        """Grow the tree on X (n, p) and labels y (n,); set classes_; return self."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        self.classes_ = np.unique(y)
        return self._fit(X, y)

    def _leaf_value(self, y):
        counts = np.sum(y[:, None] == self.classes_[None, :], axis=0)  # (C,)
        return counts / len(y)

    def predict_proba(self, X):
        """Class shares of the training rows in each row's leaf: (m, n_classes)."""
        return self._values(X)

    def predict(self, X):
        """The most common training label in each row's leaf: (m,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class DecisionTreeRegressor(_Tree):
    """A regression tree that splits to reduce the squared error."""

    def __init__(self, max_depth=None, min_samples_split=2, min_samples_leaf=1):
        """Store the hyperparameters; nothing is computed until fit."""
        super().__init__("squared_error", max_depth, min_samples_split, min_samples_leaf)

    def fit(self, X, y):
        """Grow the tree on X (n, p) and targets y (n,) float64; return self."""
        return self._fit(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64))

    def _leaf_value(self, y):
        return float(np.mean(y))

    def predict(self, X):
        """The mean training target in each row's leaf: (m,) float64."""
        return self._values(X).astype(np.float64)
