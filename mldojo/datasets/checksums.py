"""Checksum state of a data set's files: verified, mismatch, or unknown file."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

from mldojo.datasets.registry import FileName, Layout, known_content_owner, known_digest_owner

VERIFIED, MISMATCH, UNKNOWN = "verified", "mismatch", "unknown file"
CHUNK = 1 << 20


def file_digests(path: Path) -> dict[str, str]:
    """{'md5': ..., 'sha256': ...} of the file as stored, in one pass."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def content_sha256(path: Path) -> str:
    """sha256 of the decompressed bytes (of the bytes themselves for a plain file)."""
    digest = hashlib.sha256()
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_gzip(path: Path) -> bool:
    """Whether the file starts with gzip's magic bytes (whatever its name)."""
    with open(path, "rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


@dataclass(frozen=True)
class FileCheck:
    """One file's checksum state, with the reason in words and the digests computed."""

    path: Path
    state: str
    detail: str
    digests: dict[str, str]


def check_file(path: Path, name: FileName, layout: Layout, dataset_name: str) -> FileCheck:
    """Compare a file with the digests known for its name (and, failing that, its decompressed content)."""
    digests = file_digests(path)
    for algorithm, expected in name.digests.items():
        if digests[algorithm] == expected:
            known = "the copy mldojo knows" if layout.variants_exist else "the published file"
            return FileCheck(path, VERIFIED, f"{algorithm} matches {known}", digests)
    owner = known_digest_owner("md5", digests["md5"]) or known_digest_owner("sha256", digests["sha256"])
    if owner and owner[0] != dataset_name:
        return FileCheck(path, MISMATCH, f"this is {owner[0]}'s {owner[1]}, not {dataset_name}'s", digests)
    if name.content_sha256 or name.name in _names_with_known_content():
        try:
            content = content_sha256(path)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            return FileCheck(path, MISMATCH, f"cannot be decompressed ({exc}): damaged or truncated", digests)
        if name.content_sha256 and content == name.content_sha256:
            return FileCheck(path, VERIFIED, "decompressed content matches the published file", digests)
        owner = known_content_owner(content)
        if owner and owner[0] != dataset_name:
            return FileCheck(path, MISMATCH, f"this is {owner[0]}'s {owner[1]}, not {dataset_name}'s", digests)
        if name.content_sha256:
            return FileCheck(path, MISMATCH, "content differs from the published file: damaged or a different data set", digests)
    if name.digests and not layout.variants_exist and name.gzipped:
        return FileCheck(path, UNKNOWN, "not byte-for-byte the file mirrors publish (perhaps re-compressed); checked by content when loaded", digests)
    if name.digests:
        return FileCheck(path, UNKNOWN, "a copy mldojo has no checksum for (other versions exist); checked by content when loaded", digests)
    return FileCheck(path, UNKNOWN, "no published checksum for this form of the file; checked by content when loaded", digests)


def _names_with_known_content() -> frozenset[str]:
    """File names for which some data set knows a content digest (the IDX names)."""
    from mldojo.datasets.registry import DATASETS

    return frozenset(
        name.name for spec in DATASETS.values() for layout in spec.layouts for file in layout.files for name in file.names if name.content_sha256
    )


def check_found(found) -> dict[str, FileCheck]:
    """{role: FileCheck} for every file of a located copy."""
    return {role: check_file(path, name, found.layout, found.spec.name) for role, (path, name) in found.files.items()}


def overall_state(checks: dict[str, FileCheck]) -> str:
    """mismatch if any file mismatches, verified if all verify, else unknown file."""
    states = {check.state for check in checks.values()}
    if MISMATCH in states:
        return MISMATCH
    return VERIFIED if states == {VERIFIED} else UNKNOWN
