"""mldojo: grade a from-scratch machine-learning curriculum and track progress."""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """`%load_ext mldojo` in Jupyter: adds `%grade ID` (see mldojo.notebook)."""
    from mldojo.notebook import load_ipython_extension as load

    load(ipython)
