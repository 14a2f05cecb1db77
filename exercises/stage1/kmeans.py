"""K-means clustering from scratch: Lloyd's algorithm and k-means++ seeding (NumPy only).

Write two functions:

1. `kmeans(X, k, init, max_iter=300, tol=1e-4)`: Lloyd's algorithm from the initial
   centres `init` (k, p). Each iteration:
   a. assign every row of X to its nearest centre (squared Euclidean distance; on an
      exact tie, the lower-numbered centre). If you expand ||x - c||^2 as
      ||x||^2 - 2 x.c + ||c||^2, clip it at 0: on float data rounding can take a row's
      distance to a centre at the same point slightly below 0;
   b. record the inertia of that assignment: the sum over rows of the squared distance
      to the centre they were just assigned to (before moving the centres);
   c. move every centre to the mean of its rows. A centre that received no rows (an
      empty cluster) keeps its previous position;
   d. stop when the assignment did not change since the previous iteration, or when the
      centres moved very little: the sum over centres of the squared distance each moved
      is at most tol * (mean over features of the variance of X). Otherwise go on, up
      to max_iter iterations in all.
   When the loop stops, assign every row to its nearest final centre once more. Return
   (centres, labels, inertia, history): the final centres (k, p), those final labels (n,),
   the inertia of the final labels with the final centres, and the list of inertias
   recorded in step b, one per iteration. This is scikit-learn's
   KMeans(init=init, n_init=1, algorithm="lloyd", max_iter=max_iter, tol=tol), apart from
   empty clusters, which scikit-learn moves elsewhere.

2. `kmeans_plus_plus(X, k, rng)`: k-means++ seeding. Pick the first centre uniformly at
   random among the rows of X; then, until there are k, pick the next row with
   probability proportional to D(x)^2, its squared distance to the nearest centre picked
   so far. Use only `rng` (a numpy.random.Generator) for randomness, so the same seed
   gives the same centres. Return the chosen rows, (k, p), in the order picked.

The grader runs scikit-learn's KMeans from the same initial centres and compares labels,
centres and inertia (on grid data and on Gaussian data); it checks that the inertia never
rises, that exact ties go to the lower-numbered centre, and that max_iter and tol are
obeyed; and it draws thousands of seedings from your k-means++ to test the D^2
probabilities, and seeds Gaussian data with k = n. You may not import
scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


def kmeans(X, k, init, max_iter=300, tol=1e-4):
    """(centres (k, p) float64, labels (n,) int64, inertia float, history list of floats) for X (n, p)."""
    raise NotImplementedError("TODO: assign, record the inertia, update, test for convergence; repeat")


def kmeans_plus_plus(X, k, rng):
    """k rows of X (n, p), as (k, p) float64, picked by k-means++ with the Generator rng."""
    raise NotImplementedError("TODO: one uniform pick, then picks weighted by squared distance")
