"""mldojo: grade a from-scratch machine-learning curriculum and track progress."""

__version__ = "0.1.0"
