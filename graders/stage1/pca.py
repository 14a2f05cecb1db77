"""Grader for stage1/pca: principal components by eigendecomposition and by SVD (= scikit-learn's
PCA components up to sign, explained variance and mean), their agreement, orthonormality,
reconstruction, and the eigen-digits of scikit-learn's handwritten digits.

Components are compared after flipping each of the learner's rows to point the same way as
scikit-learn's, since v and -v are the same axis. Generated data keeps the leading
eigenvalues well apart, so the axes themselves are determined to rounding.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, as_array, assert_close, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.label_problems import component_problems

VERSION = "1"

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
    if k == p:
        out.append(Diagnosis("your components are the columns of the eigenvector matrix read as rows: "
                             "eigh and svd's U put vectors in columns (transpose), svd's Vt in rows",
                             aligned(full.T)))
    return out


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
    assert_close(aligned, want_components, what=f"{call} components (signs aligned)",
                 rtol=0, atol=COMPONENT_TOLERANCE, diagnoses=_component_mistakes(X, k, aligned))
    assert_close(variance, want_variance, what=f"{call} explained_variance", rtol=VARIANCE_RTOL,
                 atol=VARIANCE_RTOL * want_variance[0], diagnoses=_variance_mistakes(X, want_variance, name))


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
@given(problem=component_problems())
def pca_eig_matches_sklearn(learner, problem):
    """pca_eig(X, k) gives PCA(k)'s components_ (up to sign, 1e-6), explained_variance_ (1e-8) and mean_."""
    _compare_with_sklearn(learner, "pca_eig", problem.X, problem.k)


@check(examples=20)
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


@check()
def eigen_digits_match_sklearn(learner):
    """On load_digits (1797 x 64), pca_eig and pca_svd give PCA(10)'s components (up to sign) and variances."""
    X = _digits()
    for name in ("pca_eig", "pca_svd"):
        _compare_with_sklearn(learner, name, X, DIGITS_COMPONENTS)
