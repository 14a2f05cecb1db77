"""Shared test setup: the tests' helpers are importable, and git works without a user identity."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Study-group and workspace tests make real commits; CI machines have no git identity.
os.environ.setdefault("GIT_AUTHOR_NAME", "mldojo-tests")
os.environ.setdefault("GIT_AUTHOR_EMAIL", "tests@mldojo.invalid")
os.environ.setdefault("GIT_COMMITTER_NAME", "mldojo-tests")
os.environ.setdefault("GIT_COMMITTER_EMAIL", "tests@mldojo.invalid")
