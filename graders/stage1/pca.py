"""Grader for stage1/pca: principal components by eigendecomposition and by SVD (= scikit-learn's
PCA components up to sign, explained variance and mean), their agreement, orthonormality,
reconstruction, and the eigen-digits of scikit-learn's handwritten digits.

Components are compared after flipping each of the learner's rows to point the same way as
scikit-learn's, since v and -v are the same axis. Generated data keeps the leading
eigenvalues well apart, so the axes themselves are determined to rounding.
"""

from __future__ import annotations

import numpy as np
import sklearn.decomposition  # noqa: F401 - imported while the learner process starts, not inside a check
from hypothesis import strategies as st

from dataclasses import dataclass

from hypothesis.extra import numpy as hnp

from mldojo.graders.kit import Diagnosis, as_array, assert_close, check, example, fail, given
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.label_problems import ComponentProblem, component_problems

VERSION = "2"

COMPONENT_TOLERANCE = 1e-6  # unit vectors, compared entry by entry after the sign flip
VARIANCE_RTOL = 1e-8
DIGITS_COMPONENTS = 10


# -- oracles -------------------------------------------------------------------------------


def sk_pca(X, k):
    """scikit-learn's PCA(n_components=k, svd_solver='full'): (components_, explained_variance_, mean_)."""
    from sklearn.decomposition import PCA

    model = PCA(n_components=k, svd_solver="full").fit(np.asarray(X, dtype=np.float64))
    return model.components_, model.explained_variance_, model.mean_


def _digits():
    from sklearn.datasets import load_digits

    return load_digits().data.astype(np.float64)  # (1797, 64), bundled with scikit-learn


# -- fixed inputs: tried on every grading ---------------------------------------------------


def _well_separated(X, k, min_gap=0.05) -> bool:
    """component_problems' condition: the leading k + 1 covariance eigenvalues are well apart."""
    p = X.shape[1]
    eigenvalues = np.linalg.eigvalsh(np.cov(X.T).reshape(p, p))[::-1]
    lead = eigenvalues[: min(k + 1, p)]
    return bool(eigenvalues[0] > 0 and eigenvalues[k - 1] >= 1e-3 * eigenvalues[0]
                and (len(lead) < 2 or np.min(-np.diff(lead)) >= min_gap * eigenvalues[0]))


def fixed_components(seed, n, p, k) -> ComponentProblem:
    """Off-centre, correlated quarter-grid data with well separated eigenvalues, from a seeded generator."""
    rng = np.random.default_rng(seed)
    while True:
        Z = rng.integers(-8, 9, size=(n, p)) / 4
        mixing = rng.integers(-3, 4, size=(p, p)).astype(np.float64)
        X = Z @ mixing + rng.integers(1, 6, size=p) * 2.0
        if np.linalg.cond(mixing) < 50 and _well_separated(X, k):
            return ComponentProblem(X, k)


# k = 1 of 3 features and k = p = 4: neither is the k = 2 a learner might hard-code.
FIXED_COMPONENTS = [fixed_components(1, 12, 3, 1), fixed_components(2, 15, 4, 4)]


@dataclass
class NewRows:
    """Rows X (n, p) the PCA is fitted on, k, and new rows X_new (m, p) to reconstruct."""

    X: np.ndarray
    k: int
    X_new: np.ndarray


@st.composite
def new_rows(draw):
    """A component problem and 1 to 4 new rows away from its mean (one row is a case of its own)."""
    problem = draw(component_problems())
    p = problem.X.shape[1]
    m = draw(st.integers(1, 4))
    X_new = draw(hnp.arrays(np.int64, (m, p), elements=st.integers(-12, 12), fill=st.nothing())).astype(np.float64) / 2
    return NewRows(problem.X, problem.k, X_new)


def _fixed_new_rows(problem, seed, m) -> NewRows:
    rng = np.random.default_rng(seed)
    return NewRows(problem.X, problem.k, rng.integers(-12, 13, size=(m, problem.X.shape[1])) / 2.0)


FIXED_NEW_ROWS = [_fixed_new_rows(fixed_components(3, 14, 3, 2), 3, 1),  # a single new row
                  _fixed_new_rows(fixed_components(4, 14, 3, 2), 4, 3)]
CONFIRM_NEW_ROWS = _fixed_new_rows(fixed_components(5, 16, 4, 2), 5, 3)


# -- helpers -------------------------------------------------------------------------------


def _align(rows, reference):
    """`rows` (k, p) with each row's sign flipped to agree with the same row of `reference`."""
    rows = np.array(rows, dtype=np.float64)
    if rows.shape != np.shape(reference):
        return rows
    signs = np.where(np.sum(rows * reference, axis=1) < 0, -1.0, 1.0)
    return rows * signs[:, None]


def _result(learner, name, X, k):
    """The learner's (components, explained_variance, mean), shapes checked."""
    p = X.shape[1]
    result = getattr(learner, name)(X, k)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(f"{name}(X, {k}) must return three arrays (components, explained_variance, mean); got {show(result)}",
             result)
    shape = np.shape(result[0])
    if shape != (k, p) and len(shape) == 2 and shape[1] == p and p != 2:
        if shape[0] == 2:
            fail(f"{name}(X, {k}) components: expected shape {(k, p)}, got shape {shape}", result[0],
                 diagnosis=f"{name} keeps 2 components whatever k is: keep the k it is given")
        if shape[0] == p:
            fail(f"{name}(X, {k}) components: expected shape {(k, p)}, got shape {shape}", result[0],
                 diagnosis=f"{name} returns all {p} components: keep only the first k")
    components = as_array(result[0], f"{name}(X, {k}) components", (k, p))
    variance = as_array(result[1], f"{name}(X, {k}) explained_variance", (k,))
    mean = as_array(result[2], f"{name}(X, {k}) mean", (p,))
    return components, variance, mean


def _component_mistakes(X, k, got):
    """Wrong components a learner gets, each sign-aligned to what the learner returned."""
    n, p = X.shape
    full = sk_pca(X, p)[0]  # (p, p) every axis, largest variance first
    _, vectors = np.linalg.eigh(X.T @ X)  # uncentred second moments, ascending

    def aligned(rows):
        return lambda: _align(rows, got)

    out = [Diagnosis("your components are those of the uncentred data: subtract each column's mean "
                     "before the covariance or the SVD", aligned(vectors[:, ::-1][:, :k].T))]
    if k < p:
        out.append(Diagnosis("your components are the ones with the smallest variance: np.linalg.eigh sorts "
                             "eigenvalues in ascending order, so reverse it (or argsort descending) before "
                             "keeping k", aligned(full[::-1][:k])))
    else:
        out.append(Diagnosis("your components come in ascending order of variance: np.linalg.eigh sorts "
                             "eigenvalues ascending, so reverse the order", aligned(full[::-1])))
    return out


COLUMNS_AS_ROWS = ("your components are columns of the eigenvector matrix read as rows: eigh (and svd's U) put "
                   "the vectors in columns, so transpose; svd's Vt has them in rows already")


def _columns_as_rows(X, k, components) -> bool:
    """True when each returned component is a column of the full component matrix, up to the sign of
    each entry (the rows' signs are free, so the entries of a column are too)."""
    full = sk_pca(X, X.shape[1])[0]  # (p, p), components in rows
    columns, rows = np.abs(full.T[:k]), np.abs(full[:k])
    return not np.allclose(columns, rows, atol=1e-6) and bool(np.allclose(np.abs(components), columns, atol=1e-6))


def _variance_mistakes(X, expected, name):
    n = len(X)
    s = np.sqrt(expected * (n - 1))  # the singular values of the centred X
    return [
        Diagnosis("explained_variance divides by n: the sample covariance (and scikit-learn) divides by n - 1",
                  lambda: expected * (n - 1) / n),
        Diagnosis("explained_variance is the singular values themselves: square them and divide by n - 1",
                  lambda: s),
        Diagnosis("explained_variance is the squared singular values: divide them by n - 1",
                  lambda: s**2),
        Diagnosis("explained_variance is the share of the total variance (explained_variance_ratio_): "
                  "return the variances themselves", lambda: expected / np.trace(np.cov(X.T).reshape(X.shape[1], -1))),
    ]


def _compare_with_sklearn(learner, name, X, k):
    want_components, want_variance, want_mean = sk_pca(X, k)
    components, variance, mean = _result(learner, name, X, k)
    call = f"{name}(X, {k})"
    assert_close(mean, want_mean, what=f"{call} mean", rtol=1e-12, atol=1e-12)
    aligned = _align(components, want_components)
    if not np.allclose(aligned, want_components, atol=COMPONENT_TOLERANCE) and _columns_as_rows(X, k, components):
        shown_got, shown_want = show_pair(aligned, want_components)
        fail(f"{call} components (signs aligned): got {shown_got}\n  expected {shown_want}", components,
             diagnosis=COLUMNS_AS_ROWS)
    assert_close(aligned, want_components, what=f"{call} components (signs aligned)",
                 rtol=0, atol=COMPONENT_TOLERANCE, diagnoses=_component_mistakes(X, k, aligned))
    assert_close(variance, want_variance, what=f"{call} explained_variance", rtol=VARIANCE_RTOL,
                 atol=VARIANCE_RTOL * want_variance[0], diagnoses=_variance_mistakes(X, want_variance, name))


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
@example(problem=FIXED_COMPONENTS[0])
@example(problem=FIXED_COMPONENTS[1])
@given(problem=component_problems())
def pca_eig_matches_sklearn(learner, problem):
    """pca_eig(X, k) gives PCA(k)'s components_ (up to sign, 1e-6), explained_variance_ (1e-8) and mean_."""
    _compare_with_sklearn(learner, "pca_eig", problem.X, problem.k)


@check(examples=20)
@example(problem=FIXED_COMPONENTS[0])
@example(problem=FIXED_COMPONENTS[1])
@given(problem=component_problems())
def pca_svd_matches_sklearn(learner, problem):
    """pca_svd(X, k) gives PCA(k)'s components_ (up to sign, 1e-6), explained_variance_ (1e-8) and mean_."""
    _compare_with_sklearn(learner, "pca_svd", problem.X, problem.k)


@check(examples=15)
@given(problem=component_problems(max_rows=40, max_features=8, min_gap=0.02))
def pca_eig_and_pca_svd_agree(learner, problem):
    """pca_eig and pca_svd give the same axes (up to sign, 1e-6) and variances (1e-8) on wider data."""
    X, k = problem.X, problem.k
    eig_components, eig_variance, _ = _result(learner, "pca_eig", X, k)
    svd_components, svd_variance, _ = _result(learner, "pca_svd", X, k)
    assert_close(_align(svd_components, eig_components), eig_components,
                 what=f"pca_svd(X, {k}) components, compared with pca_eig's (signs aligned)", rtol=0,
                 atol=COMPONENT_TOLERANCE)
    assert_close(svd_variance, eig_variance, what=f"pca_svd(X, {k}) explained_variance, compared with pca_eig's",
                 rtol=VARIANCE_RTOL, atol=VARIANCE_RTOL * abs(eig_variance[0]))


@check(examples=10)
@given(problem=component_problems(), name=st.sampled_from(["pca_eig", "pca_svd"]))
def components_are_orthonormal_and_sorted(learner, problem, name):
    """The components are unit-length, mutually orthogonal rows (to 1e-10), with explained_variance decreasing."""
    X, k = problem.X, problem.k
    components, variance, _ = _result(learner, name, X, k)
    gram = components @ components.T  # (k, k): identity for orthonormal rows
    norms = np.sqrt(np.diag(gram))
    if np.any(np.abs(norms - 1) > 1e-10):
        fail(f"{name}(X, {k}): component lengths are {show(norms)}; each should be 1 (divide by np.linalg.norm)",
             components)
    off = np.abs(gram - np.eye(k)).max()
    if off > 1e-10:
        fail(f"{name}(X, {k}): components are not orthogonal (largest |dot product| {off:.3g}): the rows should "
             "be different eigenvectors or right singular vectors", components)
    if np.any(np.diff(variance) > 0):
        fail(f"{name}(X, {k}): explained_variance {show(variance)} is not in decreasing order: largest first",
             variance)


@check(examples=10)
@given(problem=component_problems())
def reconstruction_error_is_the_variance_left_out(learner, problem):
    """With k components, sum((X - reconstruct(X, ...))**2) / (n - 1) = the sum of the discarded eigenvalues (1e-8)."""
    X, k = problem.X, problem.k
    n, p = X.shape
    components, _, mean = _result(learner, "pca_svd", X, k)
    X_hat = as_array(learner.reconstruct(X, components, mean), "reconstruct(X, components, mean)", X.shape)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(X.T).reshape(p, p)))[::-1]
    expected = float(eigenvalues[k:].sum())
    got = float(((X - X_hat) ** 2).sum() / (n - 1))
    total = float(eigenvalues.sum())
    projected = (X - mean) @ components.T @ components  # (n, p): the right answer without its mean
    mean_missing = Diagnosis("your reconstruction leaves out the mean: add it back after mapping the codes into "
                             "feature space", lambda: float(((X - projected) ** 2).sum() / (n - 1)))
    assert_close(got, expected, what=f"sum((X - X_hat)**2) / (n - 1) with k={k} of {p} components",
                 rtol=1e-8, atol=1e-10 * total, diagnoses=[mean_missing])


@check(examples=10)
@given(problem=component_problems())
def reconstruct_projects_onto_the_components(learner, problem):
    """reconstruct(X, components, mean) = mean + (X - mean) @ C.T @ C for the given components C, to 1e-10."""
    X, k = problem.X, problem.k
    components, _, mean = sk_pca(X, k)
    expected = mean + (X - mean) @ components.T @ components  # (n, p)
    got = learner.reconstruct(X, components, mean)
    codes = (X - mean) @ components.T  # (n, k)
    if k != X.shape[1] and np.shape(got) == codes.shape:
        fail(f"reconstruct returned shape {codes.shape}, the codes (coordinates along each of the {k} "
             f"components): map them back into feature space with @ components and add the mean, "
             f"to get shape {X.shape}", got)
    assert_close(got, expected, what="reconstruct(X, components, mean)", rtol=1e-10, atol=1e-10, diagnoses=[
        Diagnosis("reconstruct leaves out the mean: add it back at the end", lambda: expected - mean),
        Diagnosis("reconstruct projects X without subtracting the mean first", lambda: X @ components.T @ components + mean),
        Diagnosis("reconstruct projects X without subtracting the mean first and without adding it back",
                  lambda: X @ components.T @ components),
    ])


def _new_row_slips():
    """(message, reconstruction(X_new, components, mean) -> (m, p)) for the known slips."""
    def projector(C):
        return C.T @ C  # (p, p)

    return [
        ("reconstruct centres the rows on their own mean (X.mean(axis=0) of the rows it is given), not on the "
         "mean it is given: use the fitted mean, the PCA's, for new rows too",
         lambda X, C, mean: (X - X.mean(axis=0)) @ projector(C) + mean),
        ("reconstruct centres the rows on their own mean and adds that mean back, instead of the mean it is "
         "given: use the fitted mean, the PCA's, for new rows too",
         lambda X, C, mean: (X - X.mean(axis=0)) @ projector(C) + X.mean(axis=0)),
        ("reconstruct leaves out the mean: add it back at the end", lambda X, C, mean: (X - mean) @ projector(C)),
        ("reconstruct projects X without subtracting the mean first", lambda X, C, mean: X @ projector(C) + mean),
        ("reconstruct returns the rows unchanged: project them onto the components ((X - mean) @ C.T) and map "
         "the codes back (@ C, + mean)", lambda X, C, mean: X.copy()),
    ]


def _new_row_mistakes(learner, X_new, components, mean):
    """Diagnoses for reconstruct on new rows, each confirmed on CONFIRM_NEW_ROWS (three rows)."""
    other = CONFIRM_NEW_ROWS
    C2, _, mean2 = sk_pca(other.X, other.k)

    def confirm(slip):
        def second() -> bool:
            right = mean2 + (other.X_new - mean2) @ C2.T @ C2
            wrong = slip(other.X_new, C2, mean2)
            if np.allclose(wrong, right, rtol=1e-10, atol=1e-10):
                return False
            got = np.asarray(learner.reconstruct(other.X_new, C2, mean2), dtype=np.float64)
            return got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-10, atol=1e-10))
        return second

    return [Diagnosis(message, lambda slip=slip: slip(X_new, components, mean), confirm(slip))
            for message, slip in _new_row_slips()]


@check(examples=10)
@example(data=FIXED_NEW_ROWS[0])
@example(data=FIXED_NEW_ROWS[1])
@given(data=new_rows())
def reconstruct_new_rows_around_the_given_mean(learner, data):
    """reconstruct(X_new, components, mean) on rows the PCA never saw (a single row too) = mean + (X_new - mean) @ C.T @ C, to 1e-10."""
    components, _, mean = sk_pca(data.X, data.k)  # fitted on X; X_new is new
    expected = mean + (data.X_new - mean) @ components.T @ components  # (m, p)
    got = learner.reconstruct(data.X_new, components, mean)
    assert_close(got, expected, what="reconstruct(X_new, components, mean), with components and mean fitted on X",
                 rtol=1e-10, atol=1e-10, diagnoses=_new_row_mistakes(learner, data.X_new, components, mean))


@check()
def eigen_digits_match_sklearn(learner):
    """On load_digits (1797 x 64), pca_eig and pca_svd give PCA(10)'s components (up to sign) and variances."""
    X = _digits()
    for name in ("pca_eig", "pca_svd"):
        _compare_with_sklearn(learner, name, X, DIGITS_COMPONENTS)
