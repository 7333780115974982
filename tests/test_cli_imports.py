"""A fast start: ``voiceglimmer --version`` and ``--help`` import nothing heavy.

Building the command line loads every plugin and imports every core command
module, so a module-level ``import numpy`` (or the network stack, or the
template engine) in any of them is paid on every start, even by
``--version``. These tests run the real command in a child process and look
at ``sys.modules`` afterwards; they check what was imported, never how long it
took, so they don't depend on the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Needed only to record, play, resample, recognise, download or parse templates.
HEAVY = (
    "numpy",
    "soxr",
    "sounddevice",
    "vosk",
    "urllib.request",
    "http.client",
    "hassil",
    # the stats figures: only `stats`, `report` and the insight plugin's answers use them
    "voiceglimmer.store.progress",
)

#: Runs ``python -m voiceglimmer ARGS`` in this process, then writes what it imported.
CHILD = """
import json, runpy, sys
out, sys.argv = sys.argv[1], ["voiceglimmer", *sys.argv[2:]]
try:
    runpy.run_module("voiceglimmer", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = None
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def imported_by(args: list[str], home: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "VOICEGLIMMER_HOME": str(home)},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert out.exists(), done.stderr
    result = json.loads(out.read_text())
    assert result["code"] in (0, None), done.stderr
    assert "voiceglimmer" in done.stdout, done.stdout  # the version or the usage text
    return result["modules"]


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_starting_up_imports_nothing_heavy(args: list[str], home: Path, tmp_path: Path) -> None:
    modules = imported_by(args, home, tmp_path)
    started = {"voiceglimmer.commands.main", "voiceglimmer_plugins.log", "voiceglimmer.voice.mic"}
    if args == ["--help"]:
        # The real start-up ran: every built-in plugin loaded and the parser was built.
        assert started <= set(modules)
    else:
        # --version is answered from the global options alone, before any plugin loads.
        assert "voiceglimmer.commands.main" in modules
        assert not any(m.startswith("voiceglimmer_plugins") for m in modules)
    heavy = [h for h in HEAVY if any(m == h or m.startswith(f"{h}.") for m in modules)]
    assert heavy == [], f"`voiceglimmer {' '.join(args)}` imported {heavy}"
