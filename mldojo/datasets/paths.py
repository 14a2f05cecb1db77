"""Where mldojo keeps per-user data state: registrations (config dir) and downloads (cache dir)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

REGISTRY_FILE = "data.json"


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/mldojo`, else `~/.config/mldojo`."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mldojo"


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/mldojo`, else `~/.cache/mldojo`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mldojo"


def download_dir(name: str) -> Path:
    """The folder `grade data fetch NAME` writes into."""
    return cache_dir() / name


def decoded_dir() -> Path:
    """The folder of decoded arrays (.npy) kept so that loading is fast on repeat."""
    return cache_dir() / "decoded"


def registrations_path() -> Path:
    """The JSON file of paths registered with `grade data add`."""
    return config_dir() / REGISTRY_FILE


def read_registrations() -> dict[str, str]:
    """{data set name: registered path}; an unreadable file reads as empty (and is reported by `grade data`)."""
    path = registrations_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    paths = data.get("paths", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in paths.items() if isinstance(v, str)}


def registrations_problem() -> str | None:
    """Why the registrations file cannot be used (damaged JSON, unreadable), or None when fine or absent."""
    path = registrations_path()
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return f"{path} cannot be read ({exc}); registered paths are ignored until it is fixed or removed"
    if not isinstance(data, dict) or not isinstance(data.get("paths", {}), dict):
        return f"{path} is not a mldojo registrations file; registered paths are ignored until it is fixed or removed"
    return None


def write_registrations(paths: dict[str, str]) -> Path:
    """Replace the registrations file atomically; returns its path."""
    target = registrations_path()
    write_text_atomic(target, json.dumps({"paths": dict(sorted(paths.items()))}, indent=2) + "\n")
    return target


def write_text_atomic(target: Path, text: str) -> None:
    """Write `text` to a temporary file beside `target`, then rename it over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
