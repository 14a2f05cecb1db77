"""Stands in, inside the sandbox, for a package the exercise forbids: importing it fails as if it
were not installed. Bound over the package's __init__.py by sandbox.py; never imported outside."""

raise ModuleNotFoundError(
    f"No module named {__name__!r} (mldojo: this exercise is written without it, so its sandbox does not have it)",
    name=__name__,
)
