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

# Real data sets sit beside the project (../shared/data, never committed); the loaders find
# them through MLDOJO_DATA_DIR, the way a learner points mldojo at their own copy.
_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if "MLDOJO_DATA_DIR" not in os.environ and _SHARED_DATA.is_dir():
    os.environ["MLDOJO_DATA_DIR"] = str(_SHARED_DATA)
SHARED_DATA = Path(os.environ["MLDOJO_DATA_DIR"]) if "MLDOJO_DATA_DIR" in os.environ else None

# Tests never read or write the real user's config and cache folders (data registrations,
# downloads): both point into one throwaway folder for the whole run.
import tempfile as _tempfile  # noqa: E402

_USER_DIRS = Path(_tempfile.mkdtemp(prefix="mldojo-test-home-"))
os.environ["XDG_CONFIG_HOME"] = str(_USER_DIRS / "config")
os.environ["XDG_CACHE_HOME"] = str(_USER_DIRS / "cache")
