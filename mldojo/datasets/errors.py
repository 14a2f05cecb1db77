"""What can go wrong with a data set, as exceptions whose message says what to do next."""

from __future__ import annotations


class DatasetError(Exception):
    """A data set cannot be used; the message names the file and the fix."""


class DatasetMissing(DatasetError):
    """No copy of the data set was found (or could be fetched)."""


class DatasetCorrupt(DatasetMissing):
    """A copy was found but its content is wrong: truncated, bad format, wrong shapes.

    A subclass of DatasetMissing on purpose: for a caller, a damaged copy is no usable copy,
    and `except DatasetMissing` should report both with the message's fix.
    """


class IdxFormatError(DatasetCorrupt):
    """A file is not a well-formed IDX file."""


class RefusedPickle(DatasetCorrupt):
    """A pickle asked for something other than NumPy arrays and tuples."""


class DownloadFailed(DatasetMissing):
    """Every mirror failed for a file; nothing was left behind."""


class UnknownDataset(DatasetError):
    """A name that is not one of the data sets mldojo knows."""
