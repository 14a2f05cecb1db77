"""`grade data fetch`: download a data set's files from its mirrors, checksummed and atomic.

Each file streams into a temporary file in the destination folder, its digest is checked,
then it is renamed into place (os.replace), so a reader never sees a half file. A failed,
truncated or corrupt download removes its temporary file and tries the next mirror.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mldojo.datasets import paths
from mldojo.datasets.checksums import file_digests
from mldojo.datasets.errors import DatasetMissing, DownloadFailed
from mldojo.datasets.locate import RULE_CACHE, Found, match_folder
from mldojo.datasets.registry import DatasetSpec, FileName, dataset

CHUNK = 1 << 16
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Progress:
    """One progress report: `received` of `total` bytes (None when the server does not say)."""

    file: str
    url: str
    received: int
    total: int | None
    done: bool = False


@dataclass
class FetchResult:
    """What `fetch` did: the files downloaded, those already there and verified, and the copy now found."""

    found: Found
    downloaded: list[Path] = field(default_factory=list)
    already_there: list[Path] = field(default_factory=list)


class _BadDownload(Exception):
    """This mirror's copy is unusable; try the next one."""


def mirrors_for(spec: DatasetSpec) -> tuple[str, ...]:
    """The mirrors to try: $MLDOJO_<NAME>_MIRRORS (space or comma separated) if set, else the built-in list."""
    variable = f"MLDOJO_{re.sub(r'[^A-Z0-9]', '_', spec.name.upper())}_MIRRORS"
    override = os.environ.get(variable, "").replace(",", " ").split()
    return tuple(override) or spec.mirrors


def fetch(
    name: str,
    *,
    mirrors: tuple[str, ...] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[Progress], None] | None = None,
    force: bool = False,
) -> FetchResult:
    """Download every missing file of `name` into the download cache; DownloadFailed if a file cannot be had."""
    spec = dataset(name)
    if not spec.downloadable:
        raise DatasetMissing(f"{spec.name} cannot be downloaded by mldojo. {spec.manual} from {spec.homepage}, then: grade data add {spec.name} PATH")
    mirrors = mirrors or mirrors_for(spec)
    layout = spec.layouts[0]
    folder = paths.download_dir(spec.name)
    folder.mkdir(parents=True, exist_ok=True)
    downloaded, kept = [], []
    for file in layout.files:
        name_spec = file.names[0]
        target = folder / name_spec.name
        if not force and target.is_file() and _matches(file_digests(target), name_spec):
            kept.append(target)
            continue
        _download_from_mirrors(spec, name_spec, target, mirrors, timeout, progress)
        downloaded.append(target)
    found = match_folder(spec, folder, RULE_CACHE, trusted=True)
    assert found is not None, "every file was just verified in place"
    return FetchResult(found, downloaded, kept)


def _matches(digests: dict[str, str], name: FileName) -> bool:
    return any(digests.get(algorithm) == expected for algorithm, expected in name.digests.items())


def _download_from_mirrors(spec, name: FileName, target: Path, mirrors, timeout, progress) -> None:
    """Try each mirror in turn; DownloadFailed listing every URL and why it failed."""
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + name.name
        try:
            download_file(url, target, name.digests, timeout=timeout, progress=progress)
            return
        except _BadDownload as exc:
            failures.append(f"{url}: {exc}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            failures.append(f"{url}: {_reason(exc)}")
    tried = "\n".join(f"  - {line}" for line in failures) or "  (no mirrors configured)"
    raise DownloadFailed(
        f"could not download {name.name} for {spec.name} from any mirror:\n{tried}\n"
        f"Nothing was written to {target.parent} (files verified earlier stay). Are you offline?\n"
        f"If you have the files already: grade data add {spec.name} PATH (a folder or file), or set MLDOJO_DATA_DIR.\n"
        f"By hand: download {', '.join(f.download_name for f in spec.layouts[0].files)} "
        f"from {spec.homepage} or a mirror above into {target.parent}, then run `grade data` to check them."
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    return f"{type(exc).__name__}: {exc}"


def download_file(url: str, target: Path, digests: dict[str, str], *, timeout: float = DEFAULT_TIMEOUT_S, progress=None) -> Path:
    """Stream `url` into a temporary file beside `target`, check its digest, rename it into place."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        hashers = {algorithm: hashlib.new(algorithm) for algorithm in digests}
        received = 0
        request = urllib.request.Request(url, headers={"User-Agent": "mldojo (grade data fetch)"})
        with os.fdopen(handle, "wb") as sink, urllib.request.urlopen(request, timeout=timeout) as response:
            total = _content_length(response)
            last_report = 0.0
            while True:
                try:
                    chunk = response.read(CHUNK)
                except Exception as exc:  # http.client.IncompleteRead and friends: the connection broke
                    raise _BadDownload(f"connection broke after {received} bytes ({type(exc).__name__})") from exc
                if not chunk:
                    break
                sink.write(chunk)
                received += len(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
                if progress and time.monotonic() - last_report > 0.1:
                    last_report = time.monotonic()
                    progress(Progress(target.name, url, received, total))
        if total is not None and received != total:
            raise _BadDownload(f"truncated: {received} of {total} bytes arrived")
        for algorithm, expected in digests.items():
            actual = hashers[algorithm].hexdigest()
            if actual != expected:
                raise _BadDownload(f"checksum mismatch ({algorithm} {actual[:12]}…, expected {expected[:12]}…): corrupt copy")
        os.replace(temp, target)
        if progress:
            progress(Progress(target.name, url, received, total, done=True))
        return target
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _content_length(response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
