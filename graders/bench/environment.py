"""The environment stamp stored with every benchmark result: which machine, which software."""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata
from pathlib import Path


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name ('unknown' when the system does not say)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nvidia_driver(version_file: Path = Path("/proc/driver/nvidia/version")) -> str | None:
    """The NVIDIA kernel driver version, read from /proc (None without one)."""
    try:
        text = version_file.read_text(errors="replace")
    except OSError:
        return None
    found = re.search(r"Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)", text)
    return found.group(1) if found else text.splitlines()[0].strip() if text else None


def package_version(name: str) -> str | None:
    """An installed package's version, without importing it."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def stamp(device: str, dtype: str, learner_side: dict | None = None) -> dict:
    """What the numbers depend on: CPU, cores, GPU, driver, torch and CUDA versions, dtype.

    `learner_side` is what the driver saw inside the learner process (GPU name, CUDA
    version, torch threads): descriptive only, it never enters the verdict.
    """
    info = {
        "device": device,
        "dtype": dtype,
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": package_version("torch"),
        "numpy": package_version("numpy"),
        "platform": platform.platform(terse=True),
    }
    if device == "cuda":
        info["nvidia_driver"] = nvidia_driver()
    for key, value in (learner_side or {}).items():
        info.setdefault(key, value)
    return info


def describe(info: dict) -> str:
    """One line for the terminal."""
    parts = [info.get("cpu", "unknown CPU") + f" ({info.get('cpu_count')} cores)"]
    if info.get("gpu"):
        parts.append(f"{info['gpu']} (driver {info.get('nvidia_driver') or '?'}, CUDA {info.get('cuda') or '?'})")
    parts.append(f"torch {info.get('torch')}")
    if info.get("threads"):
        parts.append(f"{info['threads']} torch thread" + ("" if info["threads"] == 1 else "s"))
    parts.append(str(info.get("dtype")))
    return ", ".join(parts)
